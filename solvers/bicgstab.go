package solvers

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// BiCGSTAB is the biconjugate gradient stabilized method of van der Vorst
// (1992) for general nonsingular A. A preconditioner is applied on the
// right, so the residual it tests is the true b - A x (PETSc's bcgs with
// KSP_NORM_UNPRECONDITIONED). One iteration is one full step: two
// operator and two preconditioner applications.
//
// rho = r0^T r = 0 (the shadow residual became orthogonal) and omega = 0
// (the stabilizing step stagnated) stop with reason Breakdown.
//
// The zero value is ready to use.
type BiCGSTAB struct {
	x, r, rhat, p, v, phat, s, shat, t []float64
	rho, alpha, omega                  float64
	pre                                bool
	resume                             int
	ts                                 [2]float64 // t^T t and t^T s, summed together
}

// Init implements Method.
func (m *BiCGSTAB) Init(ctx *Context, x, r []float64) {
	n := len(x)
	for _, p := range []*[]float64{&m.x, &m.r, &m.rhat, &m.p, &m.v, &m.s, &m.t} {
		*p = reuse(*p, n)
	}
	m.pre = ctx.Preconditioned
	if m.pre {
		m.phat = reuse(m.phat, n)
		m.shat = reuse(m.shat, n)
	} else {
		m.phat, m.shat = m.p, m.s
	}
	copy(m.x, x)
	copy(m.r, r)
	copy(m.rhat, r)
	clear(m.p)
	clear(m.v)
	m.rho, m.alpha, m.omega = 1, 1, 1
	m.resume = 0
	ctx.X = m.x
}

// Iterate implements Method.
func (m *BiCGSTAB) Iterate(ctx *Context) (Operation, error) {
	switch m.resume {
	case 0:
		rho := ctx.Dot(m.rhat, m.r)
		if rho == 0 {
			return NoOperation, fmt.Errorf("rho = r0^T r = 0: the shadow residual is orthogonal to the residual")
		}
		beta := (rho / m.rho) * (m.alpha / m.omega)
		m.rho = rho
		// p = r + beta (p - omega v)
		p, r, v := m.p, m.r[:len(m.p)], m.v[:len(m.p)]
		for i := range p {
			p[i] = r[i] + beta*(p[i]-m.omega*v[i])
		}
		m.resume = 1
		if m.pre {
			ctx.Src, ctx.Dst = m.p, m.phat
			return PreconSolve, nil
		}
		fallthrough
	case 1:
		ctx.Src, ctx.Dst = m.phat, m.v
		m.resume = 2
		return MulVec, nil
	case 2:
		rv := ctx.Dot(m.rhat, m.v)
		if rv == 0 {
			return NoOperation, fmt.Errorf("r0^T A p = 0: the method cannot form the next step")
		}
		m.alpha = m.rho / rv
		floats.AddScaledTo(m.s, m.r, -m.alpha, m.v)
		if ctx.Norm(m.s) == 0 {
			// s = 0: x + alpha phat is exact.
			floats.AddScaled(m.x, m.alpha, m.phat)
			copy(m.r, m.s)
			ctx.ResidualNorm = 0
			m.resume = 5
			return CheckResidualNorm, nil
		}
		m.resume = 3
		if m.pre {
			ctx.Src, ctx.Dst = m.s, m.shat
			return PreconSolve, nil
		}
		fallthrough
	case 3:
		ctx.Src, ctx.Dst = m.shat, m.t
		m.resume = 4
		return MulVec, nil
	case 4:
		m.ts = [2]float64{floats.Dot(m.t, m.t), floats.Dot(m.t, m.s)}
		ctx.Sum(m.ts[:])
		tt := m.ts[0]
		m.omega = m.ts[1] / tt
		var rr float64
		x, r, s, t, phat, shat := m.x, m.r[:len(m.x)], m.s[:len(m.x)], m.t[:len(m.x)], m.phat[:len(m.x)], m.shat[:len(m.x)]
		for i := range x {
			x[i] += m.alpha*phat[i] + m.omega*shat[i]
			ri := s[i] - m.omega*t[i]
			r[i] = ri
			rr += ri * ri
		}
		ctx.ResidualNorm = math.Sqrt(ctx.sum1(rr))
		m.resume = 5
		return CheckResidualNorm, nil
	case 5:
		m.resume = 0
		if !ctx.Stop && m.omega == 0 {
			return NoOperation, fmt.Errorf("omega = 0: the stabilizing step stagnated")
		}
		return MajorIteration, nil
	}
	panic("solvers: BiCGSTAB: bad state")
}
