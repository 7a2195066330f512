package dist

import (
	"fmt"
	"time"

	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/direct"
	"github.com/pdekit/pdekit/sparse"
)

// Schwarz is the two-level additive Schwarz preconditioner of a Part (a
// Slab or a Block):
//
//	M^-1 r = B r + P A0^-1 P^T r,
//
// B a preconditioner of each rank's diagonal block applied to its part
// (block-Jacobi: local IC(0), local AMG, ...), P the d-linear
// interpolation from the coarse grid of every Ratio-th point along each
// axis, and A0 = P^T A P the Galerkin coarse operator. The coarse
// correction couples all the ranks in every application, which the blocks
// alone do not, so the iterations grow far less with the number of ranks.
// (Piecewise-constant interpolation on boxes, the cheaper classical
// choice, was tried first and is much weaker here: on poisson3d 24^3 with
// IC(0) blocks its iterations grew 26, 29, 30 on 1, 2, 4 ranks at ratio 4.)
//
// The coarse problem is replicated: every rank holds A0, factored by
// sparse Cholesky (or LU; package direct), and solves it whole after one
// allreduce of the coarse residual. Gathering it on one rank instead would
// take two messages per application (the residual in, the correction
// out) and leave the other ranks idle during the solve; the replicated
// solve costs one allreduce of about Ratio^-d of the unknowns and a
// redundant solve of a problem that is small by construction.
//
// A Schwarz holds work vectors: one serves one solve at a time, and every
// rank must call PreconSolve (it communicates), as the solvers do.
type Schwarz struct {
	s      Part
	rows   []int // the global index of each local row
	local  solvers.Preconditioner
	p      *linear
	rc, xc []float64
	coarse direct.Factorization
	stats  SchwarzStats
}

// SchwarzStats describe the coarse level.
type SchwarzStats struct {
	// Coarse is the number of coarse unknowns, NNZ the entries of A0,
	// Method its factorisation.
	Coarse, NNZ int
	Method      string
	// Seconds is the set-up time of the coarse level: assembly, the
	// allreduce and the factorisation.
	Seconds float64
}

// linear is the d-linear interpolation from the coarse grid of every r-th
// point of a grid (coarse node k of an axis at fine coordinate k r, the
// last one at or beyond the grid's end).
type linear struct {
	shape, cs, cstride []int
	r                  int
	n                  int // coarse unknowns
}

func newLinear(shape []int, r int) *linear {
	l := &linear{shape: shape, r: r, cs: make([]int, len(shape)), cstride: make([]int, len(shape)), n: 1}
	for a, v := range shape {
		l.cs[a] = (v-1+r-1)/r + 1
		l.cstride[a] = l.n
		l.n *= l.cs[a]
	}
	return l
}

// weights writes the coarse unknowns, their codes (sum_a coordinate_a
// 3^a, whose differences between neighbouring nodes name the offset) and
// the weights of the fine point with coordinates c (at most 2^d of them,
// d <= 3), and returns their count.
func (l *linear) weights(c []int, idx, code *[8]int, w *[8]float64) int {
	idx[0], code[0], w[0] = 0, 0, 1
	k, p3 := 1, 1
	for a, x := range c {
		node, rem := x/l.r, x%l.r
		st := l.cstride[a]
		if rem == 0 {
			for q := 0; q < k; q++ {
				idx[q] += node * st
				code[q] += node * p3
			}
		} else {
			t := float64(rem) / float64(l.r)
			for q := 0; q < k; q++ {
				idx[k+q], code[k+q], w[k+q] = idx[q]+(node+1)*st, code[q]+(node+1)*p3, w[q]*t
				idx[q] += node * st
				code[q] += node * p3
				w[q] *= 1 - t
			}
			k *= 2
		}
		p3 *= 3
	}
	return k
}

// step sets cj to the coordinates of the point delta after the point ci:
// by one axis step when delta is one (the neighbours of a stencil), by
// division otherwise.
func (l *linear) step(ci, cj []int, g, delta int) {
	copy(cj, ci)
	st := 1
	for a, v := range l.shape {
		switch {
		case delta == st && ci[a]+1 < v:
			cj[a]++
			return
		case delta == -st && ci[a] > 0:
			cj[a]--
			return
		}
		st *= v
	}
	coords(g+delta, l.shape, cj)
}

// NewSchwarz builds the preconditioner on the part s of a matrix on the
// grid of the given shape (axis 0 fastest, as package mesh numbers a
// grid; at most 3 axes), with a
// coarse grid of every ratio-th point per axis and local the
// preconditioner of this rank's LocalBlock (nil: the coarse correction
// alone). Every rank must call it with the same shape and ratio (it
// communicates once). It returns an error for a shape that is not the
// part's, a ratio below 1, a matrix coupling points more than one grid
// step apart along an axis, or a coarse operator the factorisations
// refuse (singular).
func NewSchwarz(s Part, shape []int, ratio int, local solvers.Preconditioner) (*Schwarz, error) {
	start := time.Now()
	d := len(shape)
	total := 1
	for _, v := range shape {
		if v < 1 {
			return nil, fmt.Errorf("dist: Schwarz on a grid of shape %v", shape)
		}
		total *= v
	}
	if d == 0 || d > 3 {
		return nil, fmt.Errorf("dist: Schwarz on a grid of shape %v", shape)
	}
	if err := s.checkShape(shape); err != nil {
		return nil, fmt.Errorf("dist: Schwarz: %w", err)
	}
	if ratio < 1 {
		return nil, fmt.Errorf("dist: Schwarz with a coarse grid of every %d-th point", ratio)
	}
	l := newLinear(append([]int(nil), shape...), ratio)
	nc, nb := l.n, 1 // coarse unknowns; a coarse node's neighbourhood, 3^d
	for range shape {
		nb *= 3
	}
	sc := &Schwarz{s: s, rows: s.Rows(), local: local, p: l, rc: make([]float64, nc), xc: make([]float64, nc)}
	// vals[I*nb + o]: A0's entry of row I and the column at offset o
	// (digit a of o in base 3 is the offset along axis a, plus 1: the
	// supports of a point and of its neighbours, at most one plane apart,
	// lie in adjacent coarse cells, so no entry is farther).
	vals := make([]float64, nc*nb)
	ci, cj := make([]int, d), make([]int, d)
	var ii, ij, oi, oj [8]int
	var wi, wj [8]float64
	mid := (nb - 1) / 2 // the code of offset zero: every digit 1
	row, ki, gi := -1, 0, 0
	var bad error
	s.globalRows(func(i, j int, v float64) {
		if i != row {
			row, gi = i, sc.rows[i]
			coords(gi, l.shape, ci)
			ki = l.weights(ci, &ii, &oi, &wi)
		}
		l.step(ci, cj, gi, j-gi)
		// Points at most one step apart per axis have their coarse
		// nodes at most one apart: the offsets' range.
		for a := range ci {
			if dc := cj[a] - ci[a]; dc < -1 || dc > 1 {
				if bad == nil {
					bad = fmt.Errorf("dist: Schwarz: row %d couples column %d, more than one grid step away along axis %d of %v", gi, j, a, shape)
				}
				return
			}
		}
		kj := l.weights(cj, &ij, &oj, &wj)
		for p := 0; p < ki; p++ {
			// Coordinates differ by at most 1 per axis, so the codes'
			// difference plus offset zero's code is the offset's code.
			base := ii[p]*nb + mid - oi[p]
			f := wi[p] * v
			for q := 0; q < kj; q++ {
				vals[base+oj[q]] += f * wj[q]
			}
		}
	})
	// Every rank agrees on an error before any waits in the allreduce.
	flag := []float64{0}
	if bad != nil {
		flag[0] = 1
	}
	s.Sum(flag)
	if flag[0] > 0 {
		if bad == nil {
			bad = fmt.Errorf("dist: Schwarz: another rank's rows couple points more than one grid step apart")
		}
		return nil, bad
	}
	s.Sum(vals)
	// The coarse matrix: row I, its neighbours in increasing order (the
	// offsets enumerated with the last axis most significant are the
	// neighbours in index order).
	ptr := make([]int, nc+1)
	var ind []int
	var val []float64
	for bi := 0; bi < nc; bi++ {
		for o := 0; o < nb; o++ {
			v := vals[bi*nb+o]
			if v == 0 {
				continue
			}
			j, q := bi, o
			for a := range l.cs {
				j += (q%3 - 1) * l.cstride[a]
				q /= 3
			}
			ind = append(ind, j)
			val = append(val, v)
		}
		ptr[bi+1] = len(ind)
	}
	a0, err := sparse.NewCSR(nc, nc, ptr, ind, val)
	if err != nil {
		return nil, fmt.Errorf("dist: the coarse operator: %w", err)
	}
	if sc.coarse, err = direct.New(a0); err != nil {
		return nil, fmt.Errorf("dist: the coarse operator (every %d-th point, %d unknowns): %w", ratio, nc, err)
	}
	sc.stats = SchwarzStats{Coarse: nc, NNZ: a0.NNZ(), Method: sc.coarse.Stats().Method, Seconds: time.Since(start).Seconds()}
	return sc, nil
}

// Stats returns the coarse level's description.
func (sc *Schwarz) Stats() SchwarzStats { return sc.stats }

// PreconSolve sets dst (this rank's part) to B r + P A0^-1 P^T r.
func (sc *Schwarz) PreconSolve(dst, r []float64) {
	m := len(sc.rows)
	if len(dst) != m || len(r) != m {
		panic(fmt.Sprintf("dist: Schwarz PreconSolve lengths %d, %d for %d local rows", len(dst), len(r), m))
	}
	if sc.local != nil {
		sc.local.PreconSolve(dst, r)
	} else {
		clear(dst)
	}
	l := sc.p
	var c [3]int
	var idx, code [8]int
	var w [8]float64
	clear(sc.rc)
	// Consecutive local rows are usually consecutive points: step the
	// coordinates, and find them afresh where the rows jump (a box's
	// line ends).
	cd := c[:len(l.shape)]
	for i, g := range sc.rows {
		if i == 0 || g != sc.rows[i-1]+1 {
			coords(g, l.shape, cd)
		}
		k := l.weights(cd, &idx, &code, &w)
		for q := 0; q < k; q++ {
			sc.rc[idx[q]] += w[q] * r[i]
		}
		next(cd, l.shape)
	}
	sc.s.Sum(sc.rc)
	if err := sc.coarse.SolveTo(sc.xc, sc.rc); err != nil {
		panic(fmt.Sprintf("dist: the coarse solve: %v", err)) // lengths match by construction
	}
	for i, g := range sc.rows {
		if i == 0 || g != sc.rows[i-1]+1 {
			coords(g, l.shape, cd)
		}
		k := l.weights(cd, &idx, &code, &w)
		var v float64
		for q := 0; q < k; q++ {
			v += w[q] * sc.xc[idx[q]]
		}
		dst[i] += v
		next(cd, l.shape)
	}
}

// next advances the coordinates c to the next point of the grid.
func next(c, shape []int) {
	for a := range c {
		c[a]++
		if c[a] < shape[a] {
			return
		}
		c[a] = 0
	}
}

// globalRows calls f(i, j, a_ij) for every entry of this rank's rows, i
// the local row and j the global column.
func (s *Slab) globalRows(f func(i, j int, v float64)) {
	off := s.lo - s.plane // global index of the local vector's first entry
	m := s.hi - s.lo
	if s.st == nil {
		ip, ind, val := s.a.RawCSR()
		for i := 0; i < m; i++ {
			for k := ip[i]; k < ip[i+1]; k++ {
				f(i, ind[k]+off, val[k])
			}
		}
		return
	}
	// The stencil on the slab's extended grid: its own rows are the
	// global ones, less the couplings that leave the global grid (the
	// ghost planes beyond the first and last slabs).
	g := s.st.Grid()
	center, lo, hi := s.st.Coefficients()
	d := g.Dim()
	stride := make([]int, d)
	w := 1
	for a := 0; a < d; a++ {
		stride[a] = w
		w *= g.N(a)
	}
	c := make([]int, d)
	for i := 0; i < m; i++ {
		e := i + s.plane // the row in the extended grid
		q := e
		for a := 0; a < d; a++ {
			c[a] = q % g.N(a)
			q /= g.N(a)
		}
		f(i, e+off, center)
		for a := 0; a < d; a++ {
			if c[a] > 0 && lo[a] != 0 {
				if j := e - stride[a] + off; j >= 0 {
					f(i, j, lo[a])
				}
			}
			if c[a] < g.N(a)-1 && hi[a] != 0 {
				if j := e + stride[a] + off; j < s.n {
					f(i, j, hi[a])
				}
			}
		}
	}
}
