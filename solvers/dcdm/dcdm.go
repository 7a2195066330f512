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
// last k directions, p = q - sum_j p_j (q^T A p_j)/(p_j^T A p_j) (all
// coefficients from q, as the code computes them), the iterate moves by
// the exact line search x += (p^T r)/(p^T A p) p, and the residual is
// recomputed as b - A x (not updated by a recurrence: the directions are
// only locally conjugate, and the method relies on the true residual).
// Each iteration costs one model application and two products with A.
//
// The paper's method takes k = 2. The authors' code has the general
// variant for any k >= 0 (Directions): with a nonlinear model only the
// last k directions are A-orthogonal, and a larger k keeps more of the
// minimisation that conjugate gradients does over all of them, at the
// cost of 2k vectors of memory and 2k inner products per iteration.
//
// A direction with p^T A p <= 0 (the model proposed nothing new, or A is
// not positive definite) ends the solve with reason Breakdown. The
// directions are a fixed function of the normalised residual, so once a
// step makes no progress none will: a residual that has not fallen below
// 0.999 of its best for Patience iterations ends the solve with reason
// Stagnated. Such a stall is a residual r whose proposal is orthogonal to
// it, M(r/||r||)^T r = 0: the line search then takes no step. A trained
// network can have such residuals (the paper's loss does not see the sign
// of the proposal), and the iteration is drawn to them. With k larger than
// 2 the kept directions still widen the search, and the residual can stay
// level for many iterations before it falls: the window is then at least
// k.
//
// The zero value is ready to use.
type Method struct {
	// Patience is the stall window; zero means the larger of 50 and
	// Directions, negative never stop.
	Patience int
	// Directions is k, the number of previous directions each new one is
	// A-orthogonalised against; zero means 2, the paper's, and negative
	// means none (each step a line search along the model's proposal).
	Directions int

	best  float64
	since int

	x, r, rn, q []float64
	p, ap       [][]float64 // the last k directions and A p, a ring: p[next] is the oldest
	pap         []float64   // their p^T A p; 0 while a slot is empty
	next        int         // the slot the next direction takes
	c           []float64   // the orthogonalisation coefficients
	pre         bool
	resume      int
}

// directions returns k from the zero-value setting.
func (m *Method) directions() int {
	switch {
	case m.Directions == 0:
		return 2
	case m.Directions < 0:
		return 0
	}
	return m.Directions
}

// Init implements solvers.Method.
func (m *Method) Init(ctx *solvers.Context, x, r []float64) {
	n := len(x)
	k := m.directions()
	// The newest direction always needs a slot, even with k = 0. The
	// slots' vectors are made when first taken (a large k may never fill).
	slots := max(k, 1)
	for len(m.p) < slots {
		m.p, m.ap = append(m.p, nil), append(m.ap, nil)
	}
	m.p, m.ap = m.p[:slots], m.ap[:slots]
	grow := func(s *[]float64) {
		if cap(*s) < n {
			*s = make([]float64, n)
		}
		*s = (*s)[:n]
	}
	for _, s := range []*[]float64{&m.x, &m.r, &m.rn, &m.q} {
		grow(s)
	}
	m.pap = append(m.pap[:0], make([]float64, slots)...)
	m.c = append(m.c[:0], make([]float64, slots)...)
	m.next = 0
	copy(m.x, x)
	copy(m.r, r)
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
		// All coefficients from the proposed q, then the subtractions
		// (classical Gram-Schmidt in the A inner product, as the code).
		// With more than two directions, a second pass restores the
		// A-orthogonality the first loses in rounding when q is near
		// their span (classical Gram-Schmidt with reorthogonalisation).
		passes := 1
		if m.directions() > 2 {
			passes = 2
		}
		for range passes * min(m.directions(), 1) {
			for j := range m.c {
				m.c[j] = 0
				if m.pap[j] > 0 {
					m.c[j] = floats.Dot(m.q, m.ap[j]) / m.pap[j]
				}
			}
			for j, c := range m.c {
				if c != 0 {
					floats.AddScaled(m.q, -c, m.p[j])
				}
			}
		}
		// The oldest slot takes the new direction.
		cur := m.next
		m.next = (m.next + 1) % len(m.p)
		m.pap[cur] = 0
		if n := len(m.q); len(m.p[cur]) != n {
			if cap(m.p[cur]) < n {
				m.p[cur], m.ap[cur] = make([]float64, n), make([]float64, n)
			}
			m.p[cur], m.ap[cur] = m.p[cur][:n], m.ap[cur][:n]
		}
		copy(m.p[cur], m.q)
		ctx.Src, ctx.Dst = m.p[cur], m.ap[cur]
		m.resume = 2
		return solvers.MulVec, nil
	case 2:
		cur := (m.next + len(m.p) - 1) % len(m.p)
		pap := floats.Dot(m.p[cur], m.ap[cur])
		if !(pap > 0) {
			return solvers.NoOperation, fmt.Errorf("dcdm: the direction has p^T A p = %.3g: the model proposed nothing new, or A is %w", pap, solvers.ErrNotSPD)
		}
		m.pap[cur] = pap
		floats.AddScaled(m.x, floats.Dot(m.p[cur], m.r)/pap, m.p[cur])
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
			patience = max(50, m.directions())
		}
		if !ctx.Stop && patience > 0 && m.since >= patience {
			return solvers.NoOperation, fmt.Errorf("dcdm: the residual has not fallen below 0.999 of its best %.3g in %d iterations: the model's directions make no progress: %w",
				m.best, m.since, iterate.ErrStagnated)
		}
		return solvers.MajorIteration, nil
	}
	panic("dcdm: bad state")
}
