package solvers

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/floats"
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
	// holds the last good iterate, and the error says why.
	Iterate(ctx *Context) (Operation, error)
}

// Solve solves A x = b by the iterative method m, with the stopping rule,
// callback, preconditioner and limits of s (nil means defaults). It
// returns an error only for misuse or bad input: a non-square A, a b or
// initial guess of the wrong length, NaN or Inf in b, X0 or a stored A, or
// invalid settings. How the solve ended is Result.Reason.
//
//	res, err := solvers.Solve(ctx, a, b, &solvers.CG{}, &solvers.Settings{Preconditioner: ic})
func Solve(ctx context.Context, a Operator, b []float64, m Method, s *Settings) (*Result, error) {
	if m == nil {
		return nil, fmt.Errorf("solvers: nil method")
	}
	n, err := checkSystem(a, b, s)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	st := newStopper(ctx, s, n, floats.Norm(b, 2), res)
	pc := st.s.Preconditioner
	x := make([]float64, n)
	r := make([]float64, n)
	if st.s.X0 != nil {
		copy(x, st.s.X0)
		a.MulVecTo(r, x)
		res.Stats.MulVec++
		floats.SubTo(r, b, r)
	} else {
		copy(r, b)
	}
	c := &Context{Preconditioned: pc != nil}
	m.Init(c, x, r)
	res.X = x
	if why := st.check(0, floats.Norm(r, 2), x); why != 0 {
		res.Reason = why
		return res, nil
	}
	it := 0
	for {
		op, err := m.Iterate(c)
		if err != nil {
			res.Reason = Breakdown
			res.Message = err.Error()
			copy(x, c.X)
			return res, nil
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
			if why := st.check(it, c.ResidualNorm, c.X); why != 0 {
				res.Reason = why
				c.Stop = true
			}
		case MajorIteration:
			if c.Stop {
				copy(x, c.X)
				return res, nil
			}
		default:
			return nil, fmt.Errorf("solvers: method returned unknown operation %v", op)
		}
	}
}
