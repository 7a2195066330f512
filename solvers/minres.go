package solvers

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// MINRES is the minimum residual method of Paige and Saunders (1975) for
// symmetric A, definite or indefinite; with Settings.Preconditioner it
// must be symmetric positive definite. Each iteration minimizes the
// residual (in the M^{-1} norm when preconditioned) over the Krylov space
// by a Lanczos process and Givens rotations.
//
// The residual it tests is the unpreconditioned b - A x, carried by a
// recurrence on A w alongside the search directions w, so the stopping rule
// is the same as every other method's whatever the preconditioner.
//
// The zero value is ready to use.
type MINRES struct {
	x, r, r1, r2, y, v, av  []float64
	w, w1, w2, aw, aw1, aw2 []float64
	beta, oldb, dbar, epsln float64
	phibar, cs, sn, alpha   float64
	pre                     bool
	k, resume               int
}

// Init implements Method.
func (m *MINRES) Init(ctx *Context, x, r []float64) {
	n := len(x)
	for _, p := range []*[]float64{&m.x, &m.r, &m.r1, &m.r2, &m.y, &m.v, &m.av, &m.w, &m.w1, &m.w2, &m.aw, &m.aw1, &m.aw2} {
		*p = reuse(*p, n)
	}
	copy(m.x, x)
	copy(m.r, r)
	copy(m.r1, r)
	copy(m.r2, r)
	for _, p := range [][]float64{m.w, m.w1, m.w2, m.aw, m.aw1, m.aw2} {
		clear(p)
	}
	m.pre = ctx.Preconditioned
	m.oldb, m.dbar, m.epsln = 0, 0, 0
	m.cs, m.sn = -1, 0
	m.k, m.resume = 0, 0
	ctx.X = m.x
}

// Iterate implements Method.
func (m *MINRES) Iterate(ctx *Context) (Operation, error) {
	switch m.resume {
	case 0: // y = M^{-1} r1 for the first Lanczos vector.
		m.resume = 1
		if m.pre {
			ctx.Src, ctx.Dst = m.r1, m.y
			return PreconSolve, nil
		}
		copy(m.y, m.r1)
		fallthrough
	case 1:
		b2 := ctx.Dot(m.r1, m.y)
		if !(b2 > 0) {
			return NoOperation, fmt.Errorf("r^T M^-1 r = %.3g is not positive: the preconditioner is %w", b2, ErrNotSPD)
		}
		m.beta = math.Sqrt(b2)
		m.phibar = m.beta
		fallthrough
	case 2: // v = y / beta; av = A v.
		floats.ScaleTo(m.v, 1/m.beta, m.y)
		ctx.Src, ctx.Dst = m.v, m.av
		m.resume = 3
		return MulVec, nil
	case 3:
		m.k++
		// y = A v - (beta/oldb) r1 - (alpha/beta) r2
		copy(m.y, m.av)
		if m.k >= 2 {
			floats.AddScaled(m.y, -m.beta/m.oldb, m.r1)
		}
		alpha := ctx.Dot(m.v, m.y)
		floats.AddScaled(m.y, -alpha/m.beta, m.r2)
		m.r1, m.r2 = m.r2, m.r1
		copy(m.r2, m.y)
		m.alpha = alpha // for the rotation after the preconditioner
		m.resume = 4
		if m.pre {
			ctx.Src, ctx.Dst = m.r2, m.y
			return PreconSolve, nil
		}
		fallthrough
	case 4:
		alpha := m.alpha
		b2 := ctx.Dot(m.r2, m.y)
		if b2 < 0 {
			return NoOperation, fmt.Errorf("r^T M^-1 r = %.3g is negative: the preconditioner is %w", b2, ErrNotSPD)
		}
		m.oldb = m.beta
		m.beta = math.Sqrt(b2)
		// Apply the previous rotation and build the next one.
		oldeps := m.epsln
		delta := m.cs*m.dbar + m.sn*alpha
		gbar := m.sn*m.dbar - m.cs*alpha
		m.epsln = m.sn * m.beta
		m.dbar = -m.cs * m.beta
		gamma := math.Max(math.Hypot(gbar, m.beta), 1e-300)
		m.cs = gbar / gamma
		m.sn = m.beta / gamma
		phi := m.cs * m.phibar
		m.phibar *= m.sn
		// w = (v - oldeps w1 - delta w2)/gamma, and the same for A w.
		m.w1, m.w2, m.w = m.w2, m.w, m.w1
		m.aw1, m.aw2, m.aw = m.aw2, m.aw, m.aw1
		var rr float64
		x, r, v, av, w, w1, w2, aw, aw1, aw2 := m.x, m.r[:len(m.x)], m.v[:len(m.x)], m.av[:len(m.x)], m.w[:len(m.x)], m.w1[:len(m.x)], m.w2[:len(m.x)], m.aw[:len(m.x)], m.aw1[:len(m.x)], m.aw2[:len(m.x)]
		for i := range x {
			wi := (v[i] - oldeps*w1[i] - delta*w2[i]) / gamma
			awi := (av[i] - oldeps*aw1[i] - delta*aw2[i]) / gamma
			w[i], aw[i] = wi, awi
			x[i] += phi * wi
			ri := r[i] - phi*awi
			r[i] = ri
			rr += ri * ri
		}
		ctx.ResidualNorm = math.Sqrt(ctx.sum1(rr))
		m.resume = 5
		return CheckResidualNorm, nil
	case 5:
		m.resume = 2
		if !ctx.Stop && m.beta == 0 {
			// The Lanczos process ended: the Krylov space is invariant, so
			// the iterate is as good as this space allows.
			return NoOperation, fmt.Errorf("Lanczos breakdown (beta = 0) with residual %.3g: A or the preconditioner is singular or not symmetric", ctx.ResidualNorm)
		}
		return MajorIteration, nil
	}
	panic("solvers: MINRES: bad state")
}
