package solvers

import (
	"context"
	"fmt"
	"math"
)

// Operator is a linear operator: MulVecTo computes dst = A x, overwriting
// dst. It is all an iterative method needs of a matrix.
type Operator interface {
	Dims() (r, c int)
	MulVecTo(dst, x []float64)
}

// Preconditioner applies an approximate inverse of A: PreconSolve computes
// dst = M^{-1} r, overwriting dst. dst and r never alias. Implementations
// in this package: Jacobi, SOR (Gauss-Seidel, SOR and SSOR), IC0, ILU0;
// geometric multigrid is in solvers/mg.
type Preconditioner interface {
	PreconSolve(dst, r []float64)
}

// Settings controls an iterative solve. The zero value, and a nil
// *Settings, mean the documented defaults.
type Settings struct {
	// Tolerance is the relative tolerance against ||b||. Zero means 1e-8.
	Tolerance float64
	// AbsTolerance is an absolute floor on the residual norm, for a b so
	// small that the relative test is meaningless. Zero means only an
	// exactly zero residual converges by this test.
	AbsTolerance float64
	// MaxIterations caps the iterations. Zero means 10 n, at least 1000.
	MaxIterations int
	// X0 is the initial guess; nil means zero. It is not modified.
	X0 []float64
	// Callback, if set, is called at iteration 0 and after every
	// iteration with the current state; returning false stops the solve
	// with reason StoppedByCallback.
	Callback func(Iteration) bool
	// History records the residual norm of every iteration in
	// Result.History when true.
	History bool
	// Preconditioner, if set, preconditions the method: CG with it is
	// PCG; GMRES and BiCGSTAB apply it on the right, so the residual they
	// test is the true one; Richardson with it is the stationary
	// iteration x += M^{-1} (b - A x). nil means none.
	Preconditioner Preconditioner
}

// Iteration is the state passed to a callback. X and the method's vectors
// are live: copy them to keep them.
type Iteration struct {
	Iter         int
	ResidualNorm float64
	X            []float64
}

// Reason tells why a solve stopped.
type Reason int

const (
	// ConvergedRelative: ||r|| <= Tolerance ||b||.
	ConvergedRelative Reason = iota + 1
	// ConvergedAbsolute: ||r|| <= AbsTolerance.
	ConvergedAbsolute
	// IterationLimit: MaxIterations reached without convergence.
	IterationLimit
	// Breakdown: the method cannot continue (e.g. p^T A p <= 0 in CG,
	// which means A is not positive definite); Result.Message says which
	// quantity failed.
	Breakdown
	// Diverged: the residual became NaN or infinite.
	Diverged
	// StoppedByCallback: the callback returned false.
	StoppedByCallback
	// Cancelled: the context was cancelled.
	Cancelled
)

// String returns a short description of r.
func (r Reason) String() string {
	switch r {
	case ConvergedRelative:
		return "converged (relative tolerance)"
	case ConvergedAbsolute:
		return "converged (absolute tolerance)"
	case IterationLimit:
		return "iteration limit reached"
	case Breakdown:
		return "breakdown"
	case Diverged:
		return "diverged"
	case StoppedByCallback:
		return "stopped by callback"
	case Cancelled:
		return "cancelled"
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Converged reports whether r is one of the converged reasons.
func (r Reason) Converged() bool { return r == ConvergedRelative || r == ConvergedAbsolute }

// Result is the outcome of a solve.
type Result struct {
	// X is the final iterate.
	X []float64
	// Iterations is the number of iterations performed.
	Iterations int
	// ResidualNorm is the final ||b - A x||, and RelResidual that over
	// ||b|| (equal to ResidualNorm when b = 0).
	ResidualNorm, RelResidual float64
	// Reason is why the solve stopped.
	Reason Reason
	// History holds the residual norm at iterations 0, 1, ... when
	// Settings.History is set.
	History []float64
	// Stats counts the work done.
	Stats Stats
	// Message explains a Breakdown (which quantity vanished and what it
	// means for A or the preconditioner); empty otherwise.
	Message string
}

// Stats counts the operator and preconditioner applications of a solve.
type Stats struct {
	MulVec, PreconSolve int
}

// stopper applies the one stopping rule every method shares.
type stopper struct {
	ctx      context.Context
	s        Settings
	bnorm    float64
	maxIter  int
	res      *Result
	relLimit float64
}

func newStopper(ctx context.Context, s *Settings, n int, bnorm float64, res *Result) *stopper {
	st := &stopper{ctx: ctx, bnorm: bnorm, res: res}
	if s != nil {
		st.s = *s
	}
	if st.s.Tolerance == 0 {
		st.s.Tolerance = 1e-8
	}
	st.maxIter = st.s.MaxIterations
	if st.maxIter == 0 {
		st.maxIter = max(10*n, 1000)
	}
	st.relLimit = st.s.Tolerance * bnorm
	return st
}

// check records the residual of iteration it and returns the reason to stop,
// or 0 to go on.
func (st *stopper) check(it int, rnorm float64, x []float64) Reason {
	r := st.res
	r.Iterations = it
	r.ResidualNorm = rnorm
	r.RelResidual = rnorm
	if st.bnorm > 0 {
		r.RelResidual = rnorm / st.bnorm
	}
	if st.s.History {
		r.History = append(r.History, rnorm)
	}
	switch {
	case math.IsNaN(rnorm) || math.IsInf(rnorm, 0):
		return Diverged
	case st.bnorm > 0 && rnorm <= st.relLimit:
		return ConvergedRelative
	case rnorm <= st.s.AbsTolerance || rnorm == 0:
		return ConvergedAbsolute
	}
	if st.s.Callback != nil && !st.s.Callback(Iteration{Iter: it, ResidualNorm: rnorm, X: x}) {
		return StoppedByCallback
	}
	if st.ctx != nil {
		select {
		case <-st.ctx.Done():
			return Cancelled
		default:
		}
	}
	if it >= st.maxIter {
		return IterationLimit
	}
	return 0
}

func checkSystem(a Operator, b []float64, s *Settings) (n int, err error) {
	r, c := a.Dims()
	if r != c {
		return 0, fmt.Errorf("solvers: matrix is %d x %d, not square", r, c)
	}
	if len(b) != r {
		return 0, fmt.Errorf("solvers: right-hand side has length %d, matrix has %d rows", len(b), r)
	}
	for i, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("solvers: right-hand side entry %d is %v", i, v)
		}
	}
	if s != nil {
		if s.X0 != nil && len(s.X0) != r {
			return 0, fmt.Errorf("solvers: initial guess has length %d, want %d", len(s.X0), r)
		}
		if !(s.Tolerance >= 0) || !(s.AbsTolerance >= 0) || s.MaxIterations < 0 {
			return 0, fmt.Errorf("solvers: negative or NaN tolerance or iteration limit in settings")
		}
		for i, v := range s.X0 {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("solvers: initial guess entry %d is %v", i, v)
			}
		}
	}
	// A stored matrix can be checked for NaN and Inf once, for O(nnz).
	if f, ok := a.(interface{ CheckFinite() error }); ok {
		if err := f.CheckFinite(); err != nil {
			return 0, fmt.Errorf("solvers: %w", err)
		}
	}
	return r, nil
}
