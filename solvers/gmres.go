package solvers

import (
	"math"

	"gonum.org/v1/gonum/floats"
)

// GMRES is the generalized minimal residual method of Saad and Schultz
// (1986) restarted every Restart iterations, for general nonsingular A.
// A preconditioner is applied on the right, A M^{-1} u = b with
// x = M^{-1} u, so the residual norm that GMRES minimizes and tests is the
// true one, ||b - A x||. Orthogonalization is classical Gram-Schmidt, as
// PETSc's default, working on the basis four vectors at a time; with
// Reorthogonalize, a second pass runs whenever the first removes more than
// half the norm ("twice is enough"), which costs up to twice as much and
// keeps the basis orthogonal to working precision on hard problems.
//
// Each Arnoldi step is one iteration, as in PETSc. Within a restart cycle
// the iterate is formed only when the cycle ends or the solve stops, so a
// callback sees X as of the last restart.
type GMRES struct {
	// Restart is the number of iterations between restarts. Zero means
	// 30, the default of SciPy and PETSc.
	Restart int
	// Reorthogonalize enables the conditional second Gram-Schmidt pass.
	Reorthogonalize bool

	m        int
	x, u, z  []float64
	v        [][]float64 // Krylov basis, m+1 vectors
	h        []float64   // Hessenberg matrix, column j at h[j*(m+1):]
	cs, sn   []float64
	g, y, hv []float64
	j        int
	pre      bool
	resume   int
}

// Init implements Method.
func (m *GMRES) Init(ctx *Context, x, r []float64) {
	n := len(x)
	m.m = m.Restart
	if m.m <= 0 {
		m.m = 30
	}
	m.m = min(m.m, n)
	m.x = reuse(m.x, n)
	m.u = reuse(m.u, n)
	m.z = reuse(m.z, n)
	if len(m.v) != m.m+1 || len(m.v[0]) != n {
		m.v = make([][]float64, m.m+1)
		for i := range m.v {
			m.v[i] = make([]float64, n)
		}
	}
	m.h = reuse(m.h, (m.m+1)*m.m)
	m.cs = reuse(m.cs, m.m)
	m.sn = reuse(m.sn, m.m)
	m.g = reuse(m.g, m.m+1)
	m.y = reuse(m.y, m.m)
	m.hv = reuse(m.hv, m.m+1)
	copy(m.x, x)
	copy(m.v[0], r)
	m.pre = ctx.Preconditioned
	m.resume = 1 // the residual is given: start a cycle from it
	ctx.X = m.x
}

// Iterate implements Method.
func (m *GMRES) Iterate(ctx *Context) (Operation, error) {
	for {
		switch m.resume {
		case 0: // restart: v0 = b - A x
			ctx.Dst = m.v[0]
			m.resume = 1
			return ComputeResidual, nil
		case 1: // start a cycle
			beta := ctx.Norm(m.v[0])
			clear(m.g)
			m.g[0] = beta
			m.j = 0
			if beta == 0 {
				// x is exact; report it as an iteration so the stopping
				// rule sees the zero residual.
				ctx.ResidualNorm = 0
				m.resume = 5
				return CheckResidualNorm, nil
			}
			floats.Scale(1/beta, m.v[0])
			m.resume = 2
		case 2: // next Arnoldi vector: z = M^{-1} v_j, v_{j+1} = A z
			m.resume = 3
			if m.pre {
				m.resume = 8
				ctx.Src, ctx.Dst = m.v[m.j], m.z
				return PreconSolve, nil
			}
			ctx.Src, ctx.Dst = m.v[m.j], m.v[m.j+1]
			return MulVec, nil
		case 8:
			m.resume = 3
			ctx.Src, ctx.Dst = m.z, m.v[m.j+1]
			return MulVec, nil
		case 3:
			m.arnoldi(ctx)
			ctx.ResidualNorm = math.Abs(m.g[m.j+1])
			m.resume = 4
			return CheckResidualNorm, nil
		case 4:
			m.j++
			if ctx.Stop || m.j == m.m || m.happy() {
				m.resume = 6
				continue
			}
			m.resume = 2
		case 5: // after a zero-residual check
			if ctx.Stop {
				return MajorIteration, nil
			}
			m.resume = 0
		case 6: // form the update u = V y of this cycle
			m.solveH()
			clear(m.u)
			for i := 0; i < m.j; i++ {
				floats.AddScaled(m.u, m.y[i], m.v[i])
			}
			m.resume = 7
			if m.pre {
				ctx.Src, ctx.Dst = m.u, m.z
				return PreconSolve, nil
			}
			copy(m.z, m.u)
		case 7:
			floats.Add(m.x, m.z)
			m.resume = 0
			return MajorIteration, nil
		}
	}
}

// arnoldi orthogonalizes v_{j+1} against v_0..v_j, stores column j of H,
// applies the Givens rotations and sets the residual estimate.
func (m *GMRES) arnoldi(ctx *Context) {
	j := m.j
	w := m.v[j+1]
	col := m.h[j*(m.m+1) : (j+1)*(m.m+1)]
	clear(col)
	before := ctx.Norm(w)
	for pass := 0; pass < 2; pass++ {
		hv := m.hv[:j+1]
		mdot(hv, m.v[:j+1], w)
		ctx.Sum(hv)
		maxpy(w, hv, m.v[:j+1])
		for i, hi := range hv {
			col[i] += hi
		}
		after := ctx.Norm(w)
		col[j+1] = after
		if !m.Reorthogonalize || after > 0.5*before {
			break
		}
		before = after
	}
	if col[j+1] != 0 {
		floats.Scale(1/col[j+1], w)
	}
	// Previous rotations, then the one that zeroes col[j+1].
	for i := 0; i < j; i++ {
		a, b := col[i], col[i+1]
		col[i] = m.cs[i]*a + m.sn[i]*b
		col[i+1] = -m.sn[i]*a + m.cs[i]*b
	}
	d := math.Hypot(col[j], col[j+1])
	if d == 0 {
		m.cs[j], m.sn[j] = 1, 0
	} else {
		m.cs[j], m.sn[j] = col[j]/d, col[j+1]/d
	}
	col[j] = d
	col[j+1] = 0
	m.g[j+1] = -m.sn[j] * m.g[j]
	m.g[j] *= m.cs[j]
}

// happy reports a lucky breakdown: the Krylov space is invariant and the
// least-squares solution is exact.
func (m *GMRES) happy() bool {
	return m.g[m.j] == 0
}

// solveH solves the upper
// triangular system H y = g of the first j columns.
func (m *GMRES) solveH() {
	for i := m.j - 1; i >= 0; i-- {
		s := m.g[i]
		for k := i + 1; k < m.j; k++ {
			s -= m.h[k*(m.m+1)+i] * m.y[k]
		}
		d := m.h[i*(m.m+1)+i]
		if d == 0 {
			m.y[i] = 0
			continue
		}
		m.y[i] = s / d
	}
}

// mdot sets h[i] = v[i]^T w, four basis vectors per pass over w (as
// PETSc's VecMDot), so that w is read a quarter as often.
func mdot(h []float64, v [][]float64, w []float64) {
	i := 0
	for ; i+4 <= len(v); i += 4 {
		v0, v1, v2, v3 := v[i][:len(w)], v[i+1][:len(w)], v[i+2][:len(w)], v[i+3][:len(w)]
		var s0, s1, s2, s3 float64
		for k, x := range w {
			s0 += v0[k] * x
			s1 += v1[k] * x
			s2 += v2[k] * x
			s3 += v3[k] * x
		}
		h[i], h[i+1], h[i+2], h[i+3] = s0, s1, s2, s3
	}
	for ; i < len(v); i++ {
		h[i] = floats.Dot(v[i], w)
	}
}

// maxpy sets w -= sum_i h[i] v[i], four basis vectors per pass over w.
func maxpy(w, h []float64, v [][]float64) {
	i := 0
	for ; i+4 <= len(v); i += 4 {
		v0, v1, v2, v3 := v[i][:len(w)], v[i+1][:len(w)], v[i+2][:len(w)], v[i+3][:len(w)]
		h0, h1, h2, h3 := h[i], h[i+1], h[i+2], h[i+3]
		for k := range w {
			w[k] -= h0*v0[k] + h1*v1[k] + h2*v2[k] + h3*v3[k]
		}
	}
	for ; i < len(v); i++ {
		floats.AddScaled(w, -h[i], v[i])
	}
}
