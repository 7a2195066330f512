package dcdm

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/solvers"
)

// Method is the DCDM iteration (the paper's Algorithm 1, as its code
// runs it): with r the residual, the proposed direction
// q = M(r/||r||) (M the solve's Preconditioner: the trained model; the
// normalised residual itself without one) is A-orthogonalised against the
// last two directions, p = q - sum_j p_j (q^T A p_j)/(p_j^T A p_j) (both
// coefficients from q, as the code computes them), the iterate moves by
// the exact line search x += (p^T r)/(p^T A p) p, and the residual is
// recomputed as b - A x (not updated by a recurrence: the directions are
// only locally conjugate, and the method relies on the true residual).
// Each iteration costs one model application and two products with A.
//
// A direction with p^T A p <= 0 (the model proposed nothing new, or A is
// not positive definite) ends the solve with reason Breakdown. The
// directions are a fixed function of the normalised residual, so once a
// step makes no progress none will: a residual that has not fallen below
// 0.999 of its best for Patience iterations ends the solve with reason
// Stagnated.
//
// The zero value is ready to use.
type Method struct {
	// Patience is the stall window; zero means 50, negative never stop.
	Patience int

	best  float64
	since int

	x, r, rn, q []float64
	p, ap       [2][]float64 // the last two directions (p[1] the newest) and A p
	pap         [2]float64   // their p^T A p; 0 while a slot is empty
	pre         bool
	resume      int
}

// Init implements solvers.Method.
func (m *Method) Init(ctx *solvers.Context, x, r []float64) {
	n := len(x)
	for _, s := range []*[]float64{&m.x, &m.r, &m.rn, &m.q, &m.p[0], &m.p[1], &m.ap[0], &m.ap[1]} {
		if cap(*s) < n {
			*s = make([]float64, n)
		}
		*s = (*s)[:n]
	}
	copy(m.x, x)
	copy(m.r, r)
	m.pap = [2]float64{}
	m.pre = ctx.Preconditioned
	m.resume = 0
	m.best, m.since = floats.Norm(r, 2), 0
	ctx.X = m.x
	ctx.TrueResidual = true
}

// Iterate implements solvers.Method.
func (m *Method) Iterate(ctx *solvers.Context) (solvers.Operation, error) {
	switch m.resume {
	case 0:
		nr := floats.Norm(m.r, 2)
		if !(nr > 0) || math.IsInf(nr, 1) {
			return solvers.NoOperation, fmt.Errorf("dcdm: the residual norm is %g", nr)
		}
		for i, v := range m.r {
			m.rn[i] = v / nr
		}
		m.resume = 1
		if m.pre {
			ctx.Src, ctx.Dst = m.rn, m.q
			return solvers.PreconSolve, nil
		}
		copy(m.q, m.rn)
		fallthrough
	case 1:
		// Both coefficients from the proposed q, then the subtraction.
		var c [2]float64
		for j := range c {
			if m.pap[j] > 0 {
				c[j] = floats.Dot(m.q, m.ap[j]) / m.pap[j]
			}
		}
		for j := range c {
			if c[j] != 0 {
				floats.AddScaled(m.q, -c[j], m.p[j])
			}
		}
		// The oldest slot takes the new direction.
		m.p[0], m.p[1] = m.p[1], m.p[0]
		m.ap[0], m.ap[1] = m.ap[1], m.ap[0]
		m.pap[0] = m.pap[1]
		copy(m.p[1], m.q)
		ctx.Src, ctx.Dst = m.p[1], m.ap[1]
		m.resume = 2
		return solvers.MulVec, nil
	case 2:
		pap := floats.Dot(m.p[1], m.ap[1])
		if !(pap > 0) {
			m.pap[1] = 0
			return solvers.NoOperation, fmt.Errorf("dcdm: the direction has p^T A p = %.3g: the model proposed nothing new, or A is %w", pap, solvers.ErrNotSPD)
		}
		m.pap[1] = pap
		floats.AddScaled(m.x, floats.Dot(m.p[1], m.r)/pap, m.p[1])
		ctx.Dst = m.r
		m.resume = 3
		return solvers.ComputeResidual, nil
	case 3:
		ctx.ResidualNorm = floats.Norm(m.r, 2)
		if ctx.ResidualNorm < 0.999*m.best {
			m.best, m.since = ctx.ResidualNorm, 0
		} else {
			m.since++
		}
		m.resume = 4
		return solvers.CheckResidualNorm, nil
	case 4:
		m.resume = 0
		patience := m.Patience
		if patience == 0 {
			patience = 50
		}
		if !ctx.Stop && patience > 0 && m.since >= patience {
			return solvers.NoOperation, fmt.Errorf("dcdm: the residual has not fallen below 0.999 of its best %.3g in %d iterations: the model's directions make no progress: %w",
				m.best, m.since, iterate.ErrStagnated)
		}
		return solvers.MajorIteration, nil
	}
	panic("dcdm: bad state")
}
