package solvers

import (
	"errors"
	"fmt"
	"math"

	"github.com/pdekit/pdekit/iterate"
)

// Operator is a linear operator: MulVecTo computes dst = A x, overwriting
// dst. It is all an iterative method needs of a matrix.
type Operator interface {
	Dims() (r, c int)
	MulVecTo(dst, x []float64)
}

// Diagonaler is the capability of an operator that knows its diagonal,
// which is all Jacobi needs. Diagonal writes it into dst (allocating when
// dst is nil) and returns it. sparse.CSR has it.
type Diagonaler interface {
	Operator
	Diagonal(dst []float64) []float64
}

// RowAccessor is the capability of an operator that can list its stored
// entries row by row: what the sweeping preconditioners (SOR, SSOR) and
// the incomplete factorizations (IC0, ILU0) need beyond MulVecTo. Row
// returns the column indices, ascending, and the values of row i; the
// caller neither modifies nor keeps them. sparse.CSR has it.
type RowAccessor interface {
	Operator
	Row(i int) (cols []int, vals []float64)
}

// Preconditioner applies an approximate inverse of A: PreconSolve computes
// dst = M^{-1} r, overwriting dst. dst and r never alias. Implementations
// in this package: Jacobi, SOR (Gauss-Seidel, SOR and SSOR), IC0, ILU0;
// geometric multigrid is in solvers/mg, algebraic multigrid in
// solvers/amg, sparse direct factorisations in solvers/direct.
type Preconditioner interface {
	PreconSolve(dst, r []float64)
}

// The sentinel errors of this package, for errors.Is. ErrShape and the
// input errors come from Solve and the constructors; ErrNotSPD and
// ErrSingular also explain a Breakdown through Result.Err.
var (
	// ErrShape: sizes that do not fit (a non-square matrix, a vector of
	// the wrong length).
	ErrShape = errors.New("shape mismatch")
	// ErrNotSPD: a matrix or preconditioner that should be symmetric
	// positive definite is not (CG's curvature p^T A p <= 0, an IC(0)
	// pivot <= 0, a nonsymmetric matrix given to IC(0)).
	ErrNotSPD = errors.New("not symmetric positive definite")
	// ErrSingular: a zero (or non-finite) diagonal entry or pivot.
	ErrSingular = errors.New("singular")
	// ErrNotConverged is iterate.ErrNotConverged, which every
	// unsuccessful Result.Err matches.
	ErrNotConverged = iterate.ErrNotConverged
)

// Settings controls an iterative solve. The zero value, and a nil
// *Settings, mean the documented defaults.
//
// The embedded Control's Tolerance is relative to ||b||: the solve has
// converged when ||b - A x|| <= Tolerance ||b|| or ||b - A x|| <=
// AbsTolerance. Both zero mean Tolerance 1e-8 and no absolute test;
// MaxIterations zero means 10 n, at least 1000. The callback's Progress
// carries the residual norm and the live iterate.
type Settings struct {
	iterate.Control
	// X0 is the initial guess; nil means zero. It is not modified.
	// SolveTo takes the guess in its x instead.
	X0 []float64
	// Preconditioner, if set, preconditions the method: CG with it is
	// PCG; GMRES and BiCGSTAB apply it on the right, so the residual they
	// test is the true one; Richardson with it is the stationary
	// iteration x += M^{-1} (b - A x). nil means none.
	Preconditioner Preconditioner
}

// Result is the outcome of a solve: the iterate and the shared outcome
// block (iterations, residual ||b - A x|| and its ratio to ||b||, reason,
// message, history, runtime).
type Result struct {
	// X is the final iterate.
	X []float64
	iterate.Outcome
	// Stats counts the work done.
	Stats Stats
}

// Stats counts the operator and preconditioner applications of a solve.
type Stats struct {
	MulVec, PreconSolve int
	// Restarts counts the times the recurrence residual said converged
	// and the true residual b - A x did not, so the method restarted
	// from its iterate.
	Restarts int
}

// defaults are the Control values a zero Settings means for n unknowns.
func defaults(n int) iterate.Control {
	return iterate.Control{Tolerance: 1e-8, MaxIterations: max(10*n, 1000)}
}

func checkSystem(a Operator, b []float64, s *Settings) (n int, err error) {
	r, c := a.Dims()
	if r != c {
		return 0, fmt.Errorf("solvers: matrix is %d x %d, not square: %w", r, c, ErrShape)
	}
	if len(b) != r {
		return 0, fmt.Errorf("solvers: right-hand side has length %d, matrix has %d rows: %w", len(b), r, ErrShape)
	}
	for i, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("solvers: right-hand side entry %d is %v", i, v)
		}
	}
	if s != nil {
		if s.X0 != nil && len(s.X0) != r {
			return 0, fmt.Errorf("solvers: initial guess has length %d, want %d: %w", len(s.X0), r, ErrShape)
		}
		if err := checkFinite("initial guess", s.X0); err != nil {
			return 0, err
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

func checkFinite(what string, x []float64) error {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("solvers: %s entry %d is %v", what, i, v)
		}
	}
	return nil
}
