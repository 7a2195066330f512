package solvers

import (
	"context"
	"math"

	"gonum.org/v1/gonum/floats"
)

// CG solves A x = b by the conjugate gradient method (Hestenes and Stiefel
// 1952) for symmetric positive definite A. The recurrence residual is used
// for the stopping test, as in SciPy and PETSc. A non-positive curvature
// p^T A p <= 0 (A not positive definite) stops with reason Breakdown.
//
// The error is non-nil only for bad input: a non-square A, a b of the
// wrong length, a non-finite b, or invalid settings.
func CG(ctx context.Context, a Operator, b []float64, s *Settings) (*Result, error) {
	n, err := checkSystem(a, b, s)
	if err != nil {
		return nil, err
	}
	res := &Result{X: make([]float64, n)}
	st := newStopper(ctx, s, n, floats.Norm(b, 2), res)
	x := res.X
	r := make([]float64, n)
	p := make([]float64, n)
	ap := make([]float64, n)
	if st.s.X0 != nil {
		copy(x, st.s.X0)
		a.MulVecTo(r, x)
		floats.SubTo(r, b, r)
	} else {
		copy(r, b)
	}
	copy(p, r)
	rr := floats.Dot(r, r)
	for it := 0; ; it++ {
		if why := st.check(it, math.Sqrt(rr), x); why != 0 {
			res.Reason = why
			return res, nil
		}
		a.MulVecTo(ap, p)
		pap := floats.Dot(p, ap)
		if !(pap > 0) {
			res.Reason = Breakdown
			return res, nil
		}
		alpha := rr / pap
		floats.AddScaled(x, alpha, p)
		floats.AddScaled(r, -alpha, ap)
		rrNew := floats.Dot(r, r)
		beta := rrNew / rr
		rr = rrNew
		// p = r + beta p
		for i := range p {
			p[i] = r[i] + beta*p[i]
		}
	}
}
