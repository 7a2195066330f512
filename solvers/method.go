package solvers

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/pdekit/pdekit/iterate"
)

// Operation is a request a Method makes of the Solve driver. Methods never
// see A, b or the preconditioner: they ask the driver to apply them, so a
// method works with any Operator and Preconditioner, and the driver keeps
// the statistics and applies the stopping rule in one place.
type Operation uint8

const (
	// NoOperation asks for nothing; the driver calls Iterate again.
	NoOperation Operation = iota
	// MulVec asks for Context.Dst = A Context.Src.
	MulVec
	// PreconSolve asks for Context.Dst = M^{-1} Context.Src (a copy when
	// there is no preconditioner).
	PreconSolve
	// ComputeResidual asks for Context.Dst = b - A Context.X.
	ComputeResidual
	// CheckResidualNorm reports that one iteration is complete and that
	// Context.ResidualNorm is the norm of b - A x of the new iterate. The
	// driver counts the iteration, records the history, calls the
	// callback and applies the stopping rule; it sets Context.Stop when
	// the solve is to end.
	CheckResidualNorm
	// MajorIteration reports that Context.X holds the current iterate.
	// If Context.Stop is set, the driver returns it. A method returns
	// MajorIteration after every CheckResidualNorm that set Stop.
	MajorIteration
)

// String returns the name of op.
func (op Operation) String() string {
	switch op {
	case NoOperation:
		return "NoOperation"
	case MulVec:
		return "MulVec"
	case PreconSolve:
		return "PreconSolve"
	case ComputeResidual:
		return "ComputeResidual"
	case CheckResidualNorm:
		return "CheckResidualNorm"
	case MajorIteration:
		return "MajorIteration"
	}
	return fmt.Sprintf("Operation(%d)", int(op))
}

// Context is the state shared by the driver and a Method. The method owns
// the slices it points X, Src and Dst at.
type Context struct {
	// X is the method's current iterate.
	X []float64
	// Src and Dst are the operand and result of MulVec, PreconSolve and
	// ComputeResidual.
	Src, Dst []float64
	// ResidualNorm is ||b - A X|| as the method knows it, reported with
	// CheckResidualNorm.
	ResidualNorm float64
	// Preconditioned tells the method at Init whether there is a
	// preconditioner; without one, it may skip PreconSolve and use the
	// residual itself.
	Preconditioned bool
	// Stop is set by the driver when the solve is to end; the method then
	// completes X and returns MajorIteration.
	Stop bool
	// TrueResidual, set by a method at Init, says its ResidualNorm is
	// computed from b - A X itself (ComputeResidual), not by a recurrence
	// that can drift from it: the driver then does not recompute it before
	// declaring convergence.
	TrueResidual bool

	// sum adds each entry over the processes of a Distributed operator;
	// nil for one process.
	sum func(v []float64)
}

// Distributed is the capability of an operator whose vectors are split
// over processes (MPI ranks): each process holds its part of every
// vector, MulVecTo works on the parts (exchanging what it needs), and Sum
// replaces each entry of v by its sum over the processes (an allreduce).
// The driver and every method of this package take their inner products
// and norms through Context.Dot and Context.Norm, which sum the parts,
// so CG, MINRES, GMRES, BiCGSTAB and Richardson run unchanged on such an
// operator (a preconditioner must then work on the parts too).
type Distributed interface {
	Operator
	Sum(v []float64)
}

// Sum replaces each entry of v by its sum over the processes of a
// Distributed operator; with one process it leaves v as it is.
func (c *Context) Sum(v []float64) {
	if c.sum != nil {
		c.sum(v)
	}
}

// sum1 returns the sum of v over the processes.
func (c *Context) sum1(v float64) float64 {
	if c.sum == nil {
		return v
	}
	b := []float64{v}
	c.sum(b)
	return b[0]
}

// Dot returns x^T y over the whole vectors: the processes' parts summed.
func (c *Context) Dot(x, y []float64) float64 { return c.sum1(floats.Dot(x, y)) }

// Norm returns the 2-norm of the whole vector x.
func (c *Context) Norm(x []float64) float64 {
	if c.sum == nil {
		return floats.Norm(x, 2)
	}
	return math.Sqrt(c.Dot(x, x))
}

// Method is an iterative method in reverse-communication form: it asks the
// driver for operator and preconditioner applications through the
// Operations it returns. This lets new methods (and the learned ones built
// on this package) plug in without knowing the matrix type.
type Method interface {
	// Init starts the method from the initial guess x and its residual
	// r = b - A x, and sets ctx.X. It must not retain x or r.
	Init(ctx *Context, x, r []float64)
	// Iterate performs the next step and returns the operation it needs.
	// A non-nil error is a breakdown: the method cannot continue, ctx.X
	// holds the last good iterate, and the error says why (one wrapping
	// iterate.ErrStagnated ends the solve with reason Stagnated instead:
	// the method sees it makes no more progress).
	Iterate(ctx *Context) (Operation, error)
}

// Solve solves A x = b by the iterative method m, with the stopping rule,
// callback, preconditioner and limits of s (nil means defaults), from the
// initial guess s.X0 (zero when nil) into a new slice Result.X. It returns
// an error only for misuse or bad input: a non-square A, a b or initial
// guess of the wrong length (wrapping ErrShape), NaN or Inf in b, X0 or a
// stored A, or invalid settings. How the solve ended is Result.Reason, and
// Result.Err says it as an error.
//
//	res, err := solvers.Solve(ctx, a, b, &solvers.CG{}, &solvers.Settings{Preconditioner: ic})
func Solve(ctx context.Context, a Operator, b []float64, m Method, s *Settings) (*Result, error) {
	r, _ := a.Dims()
	x := make([]float64, r)
	if s != nil && s.X0 != nil {
		if len(s.X0) != r {
			return nil, fmt.Errorf("solvers: initial guess has length %d, want %d: %w", len(s.X0), r, ErrShape)
		}
		copy(x, s.X0)
	}
	return solve(ctx, x, a, b, m, s, s != nil && s.X0 != nil)
}

// SolveTo is Solve into the caller's x: x holds the initial guess on entry
// and the final iterate on return (Result.X is x), so a time loop that
// warm-starts every step from the last solution copies nothing. s.X0 must
// be nil.
func SolveTo(ctx context.Context, x []float64, a Operator, b []float64, m Method, s *Settings) (*Result, error) {
	if s != nil && s.X0 != nil {
		return nil, fmt.Errorf("solvers: SolveTo takes the initial guess in x; Settings.X0 must be nil")
	}
	if r, _ := a.Dims(); len(x) != r {
		return nil, fmt.Errorf("solvers: x has length %d, matrix has %d columns: %w", len(x), r, ErrShape)
	}
	if err := checkFinite("initial guess", x); err != nil {
		return nil, err
	}
	return solve(ctx, x, a, b, m, s, true)
}

// trueResidual sets r = b - A x and returns its norm.
func trueResidual(c *Context, a Operator, b, x, r []float64, st *Stats) float64 {
	a.MulVecTo(r, x)
	st.MulVec++
	floats.SubTo(r, b, r)
	return c.Norm(r)
}

// solve runs m from the guess in x (zero unless guess) and leaves the final
// iterate in x.
func solve(ctx context.Context, x []float64, a Operator, b []float64, m Method, s *Settings, guess bool) (*Result, error) {
	if m == nil {
		return nil, fmt.Errorf("solvers: nil method")
	}
	n, err := checkSystem(a, b, s)
	if err != nil {
		return nil, err
	}
	var set Settings
	if s != nil {
		set = *s
	}
	ctl, err := set.Control.Resolve(defaults(n))
	if err != nil {
		return nil, fmt.Errorf("solvers: settings: %w", err)
	}
	res := &Result{X: x}
	c := &Context{Preconditioned: set.Preconditioner != nil}
	if d, ok := a.(Distributed); ok {
		c.sum = d.Sum
	}
	mon := ctl.Start(ctx, c.Norm(b), &res.Outcome)
	pc := set.Preconditioner
	r := make([]float64, n)
	if guess {
		a.MulVecTo(r, x)
		res.Stats.MulVec++
		floats.SubTo(r, b, r)
	} else {
		copy(r, b)
	}
	m.Init(c, x, r)
	if why := mon.Check(0, c.Norm(r), x); why != 0 {
		return res, nil
	}
	// finish copies the final iterate out and, for a method whose residual
	// is a recurrence, reports the true one ||b - A x||.
	finish := func(confirmed bool) (*Result, error) {
		copy(x, c.X)
		if !confirmed && !c.TrueResidual {
			res.Residual = trueResidual(c, a, b, x, r, &res.Stats)
			if res.RelResidual = res.Residual; mon.Scale() > 0 {
				res.RelResidual = res.Residual / mon.Scale()
			}
		}
		return res, nil
	}
	it := 0
	lastTrue := math.Inf(1) // the true residual at the last failed confirmation
	for {
		op, err := m.Iterate(c)
		if err != nil {
			why := iterate.Breakdown
			if errors.Is(err, iterate.ErrStagnated) {
				why = iterate.Stagnated
			}
			mon.Stop(why, err)
			return finish(false)
		}
		switch op {
		case NoOperation:
		case MulVec:
			a.MulVecTo(c.Dst, c.Src)
			res.Stats.MulVec++
		case PreconSolve:
			if pc == nil {
				copy(c.Dst, c.Src)
			} else {
				pc.PreconSolve(c.Dst, c.Src)
				res.Stats.PreconSolve++
			}
		case ComputeResidual:
			a.MulVecTo(c.Dst, c.X)
			res.Stats.MulVec++
			floats.SubTo(c.Dst, b, c.Dst)
		case CheckResidualNorm:
			it++
			if mon.Check(it, c.ResidualNorm, c.X) != 0 {
				c.Stop = true
			}
		case MajorIteration:
			if !c.Stop {
				continue
			}
			if !res.Reason.Converged() || c.TrueResidual {
				return finish(c.TrueResidual)
			}
			// Converged on the recurrence: say so only if the true
			// residual agrees; otherwise restart from the iterate, unless
			// the last restart did not bring the true residual down.
			t := trueResidual(c, a, b, c.X, r, &res.Stats)
			if mon.Confirm(t) {
				return finish(true)
			}
			if t > lastTrue/2 {
				mon.Stop(iterate.Stagnated, fmt.Errorf("the true residual ||b - Ax|| = %.3g did not fall after a restart "+
					"(it was %.3g): the tolerance is below the accuracy this method attains", t, lastTrue))
				return finish(true)
			}
			lastTrue = t
			res.Stats.Restarts++
			c.Stop = false
			m.Init(c, c.X, r)
		default:
			return nil, fmt.Errorf("solvers: method returned unknown operation %v", op)
		}
	}
}
