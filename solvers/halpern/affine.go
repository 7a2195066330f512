package halpern

import (
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/sparse"
)

// Affine is the operator F(u) = M u + q split into n components by
// columns: column j of M belongs to component j mod n, and
//
//	F_i(u) = n sum_{j mod n = i} M[:, j] u_j + q,
//
// so that their mean is F. For a saddle-point operator on (x, y) with
// len(x) = len(y) = n, component i holds the columns of x_i and y_i: in a
// matrix game, row i of A for the x-block and column i of A for the
// y-block, as in the paper's experiments.
type Affine struct {
	m  *sparse.CSR
	mt *sparse.CSR // rows of mt are the columns of M
	q  []float64
	n  int

	onceFull, onceAvg sync.Once // the constants are computed on first use
	lFull, lAvg       float64
}

// NewAffine returns F(u) = M u + q with n components. q may be nil (zero).
// It returns an error if M is not square, q has the wrong length, n is out
// of 1..d, or an entry is not finite.
func NewAffine(m *sparse.CSR, q []float64, n int) (*Affine, error) {
	r, c := m.Dims()
	if r != c {
		return nil, fmt.Errorf("halpern: affine operator matrix is %d x %d, not square", r, c)
	}
	if q != nil && len(q) != r {
		return nil, fmt.Errorf("halpern: affine operator q has length %d, matrix has %d rows", len(q), r)
	}
	if n < 1 || n > r {
		return nil, fmt.Errorf("halpern: affine operator with %d components, want 1..%d", n, r)
	}
	if err := m.CheckFinite(); err != nil {
		return nil, fmt.Errorf("halpern: affine operator: %w", err)
	}
	for i, v := range q {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("halpern: affine operator q[%d] = %g is not finite", i, v)
		}
	}
	return &Affine{m: m, mt: m.Transpose(), q: q, n: n}, nil
}

// Dim returns d, the size of M.
func (a *Affine) Dim() int { r, _ := a.m.Dims(); return r }

// Len returns the number of components.
func (a *Affine) Len() int { return a.n }

// Matrix returns M.
func (a *Affine) Matrix() *sparse.CSR { return a.m }

// Apply computes dst = M u + q.
func (a *Affine) Apply(dst, u []float64) {
	a.m.MulVecTo(dst, u)
	if a.q != nil {
		floats.Add(dst, a.q)
	}
}

// AddDiff adds s (F_i(u) - F_i(v)) = s n sum_{j mod n = i} M[:, j] (u_j - v_j)
// to dst; q cancels.
func (a *Affine) AddDiff(dst []float64, s float64, i int, u, v []float64) {
	indptr, indices, data := a.mt.RawCSR()
	d := len(u)
	for j := i; j < d; j += a.n {
		c := s * float64(a.n) * (u[j] - v[j])
		if c == 0 {
			continue
		}
		idx, val := indices[indptr[j]:indptr[j+1]], data[indptr[j]:indptr[j+1]]
		for k, col := range idx {
			dst[col] += c * val[k]
		}
	}
}

// Lipschitz returns ||M||_2, estimated by power iteration on M^T M to a
// relative change below 1e-10 (at most 2000 steps), so it may fall short of
// the true norm by that much. It is safe for concurrent use.
func (a *Affine) Lipschitz() float64 {
	a.onceFull.Do(func() { a.lFull = a.powerNorm() })
	return a.lFull
}

func (a *Affine) powerNorm() float64 {
	d := a.Dim()
	x := make([]float64, d)
	y := make([]float64, d)
	for i := range x {
		// A deterministic start with no special symmetry.
		x[i] = 1 + 0.5*math.Sin(float64(i)+0.3)
	}
	floats.Scale(1/floats.Norm(x, 2), x)
	var est float64
	for range 2000 {
		a.m.MulVecTo(y, x)
		a.mt.MulVecTo(x, y)
		nrm := floats.Norm(x, 2)
		if nrm == 0 {
			return 0
		}
		floats.Scale(1/nrm, x)
		s := math.Sqrt(nrm)
		if math.Abs(s-est) <= 1e-10*s {
			est = s
			break
		}
		est = s
	}
	return est
}

// AverageLipschitz returns sqrt(n) max_i ||M[:, G_i]||_2, with G_i the
// columns of component i: the constant with
// (1/n) sum_i ||F_i(u) - F_i(v)||^2 <= L^2 ||u - v||^2 for uniform sampling.
// It is safe for concurrent use.
func (a *Affine) AverageLipschitz() float64 {
	a.onceAvg.Do(func() { a.lAvg = a.averageNorm() })
	return a.lAvg
}

func (a *Affine) averageNorm() float64 {
	indptr, indices, data := a.mt.RawCSR()
	d := a.Dim()
	dot := func(j, k int) float64 {
		var s float64
		p, q := indptr[j], indptr[k]
		for p < indptr[j+1] && q < indptr[k+1] {
			switch {
			case indices[p] < indices[q]:
				p++
			case indices[p] > indices[q]:
				q++
			default:
				s += data[p] * data[q]
				p++
				q++
			}
		}
		return s
	}
	var worst float64
	var cols []int
	for i := 0; i < a.n; i++ {
		cols = cols[:0]
		for j := i; j < d; j += a.n {
			cols = append(cols, j)
		}
		g := mat.NewSymDense(len(cols), nil)
		for p, j := range cols {
			for q := p; q < len(cols); q++ {
				g.SetSym(p, q, dot(j, cols[q]))
			}
		}
		var eig mat.EigenSym
		if !eig.Factorize(g, false) {
			continue
		}
		vals := eig.Values(nil)
		worst = math.Max(worst, vals[len(vals)-1])
	}
	return math.Sqrt(float64(a.n) * worst)
}
