package amg

import (
	"sort"

	"github.com/pdekit/pdekit/internal/parallel"
	"github.com/pdekit/pdekit/sparse"
)

// sweep is a level's matrix for its Gauss-Seidel smoother: the rows in
// the order of the forward sweep, stored one after another with 32-bit
// columns and the reciprocal of the diagonal, so that the forward sweep
// reads them front to back and the backward (adjoint) sweep back to
// front. Read from the level's CSR in C/F order, a row's neighbours in
// memory belong to the other pass, and each pass drew in the cache lines
// of both: the sweep took 1.4x the time of a sweep in index order on the
// 1023^2 Poisson matrix. The level's residual is taken from it too, so
// that the CSR's own 32-bit copy of its columns is never made.
type sweep struct {
	ptr  []int
	row  []int32
	col  []int32
	val  []float64
	invd []float64

	// The residual's operands while it runs on the parallel workers.
	dst, x, b []float64
}

// newSweep returns the sweep of a (diagonal diag) over the rows in order
// (nil: index order). It keeps the values in valBuf and the columns in
// colBuf when their capacities suffice, overwriting them. The columns of a
// must fit in 32 bits.
func newSweep(a *sparse.CSR, diag []float64, order []int, valBuf []float64, colBuf []int32) *sweep {
	ip, ind, val := a.RawCSR()
	n := len(ip) - 1
	s := &sweep{
		ptr:  make([]int, n+1),
		row:  make([]int32, n),
		col:  colBuf[:0],
		val:  valBuf[:0],
		invd: make([]float64, n),
	}
	if cap(s.col) >= len(ind) {
		s.col = s.col[:len(ind):len(ind)]
	} else {
		s.col = make([]int32, len(ind))
	}
	if cap(s.val) >= len(ind) {
		s.val = s.val[:len(ind):len(ind)]
	} else {
		s.val = make([]float64, len(ind))
	}
	for q := 0; q < n; q++ {
		i := q
		if order != nil {
			i = order[q]
		}
		s.row[q] = int32(i)
		s.ptr[q+1] = s.ptr[q] + ip[i+1] - ip[i]
	}
	// The rows are copied in parallel, each to its place.
	parallel.For(n, 1<<14, func(lo, hi int) {
		for q := lo; q < hi; q++ {
			i := int(s.row[q])
			s.invd[q] = 1 / diag[i]
			col, v := s.col[s.ptr[q]:s.ptr[q+1]], s.val[s.ptr[q]:s.ptr[q+1]]
			for p, j := range ind[ip[i]:ip[i+1]] {
				col[p] = int32(j)
			}
			copy(v, val[ip[i]:ip[i+1]])
		}
	})
	return s
}

// forward performs one Gauss-Seidel sweep on A x = b in the sweep's order:
// x_i += (b_i - sum_j a_ij x_j) / a_ii, the sum over the whole row.
func (s *sweep) forward(x, b []float64) { s.run(x, b, 0, len(s.row), 1) }

// backward performs the sweep in reverse order, the adjoint of forward.
func (s *sweep) backward(x, b []float64) { s.run(x, b, len(s.row)-1, -1, -1) }

// run relaxes the sweep's rows q = from, from+step, ... up to end. The row
// is written out in the loop: as a function Go does not inline, a call a
// row took a tenth of the sweep. Two accumulators halve the chain of
// dependent additions, as in sparse's sweeps.
func (s *sweep) run(x, b []float64, from, end, step int) {
	for q := from; q != end; q += step {
		lo, hi := s.ptr[q], s.ptr[q+1]
		col := s.col[lo:hi]
		val := s.val[lo:hi]
		val = val[:len(col)]
		i := s.row[q]
		s0, s1 := b[i], 0.0
		k := 0
		for ; k+1 < len(col); k += 2 {
			s0 -= val[k] * x[col[k]]
			s1 -= val[k+1] * x[col[k+1]]
		}
		if k < len(col) {
			s0 -= val[k] * x[col[k]]
		}
		x[i] += (s0 + s1) * s.invd[q]
	}
}

// residual sets dst = b - A x, the rows split into parts of about equal
// nonzero counts on the parallel workers.
func (s *sweep) residual(dst, x, b []float64) {
	s.dst, s.x, s.b = dst, x, b
	parallel.Run(parallel.Parts(len(s.col), residualGrain), s)
	s.dst, s.x, s.b = nil, nil, nil
}

// residualGrain is the nonzero count of a part of the parallel residual:
// sparse.MulVecTo's threshold.
const residualGrain = 20000

// Do computes the residual's rows of part p.
func (s *sweep) Do(p, parts int) {
	nnz := len(s.col)
	n := len(s.row)
	lo := sort.SearchInts(s.ptr[:n], nnz*p/parts)
	hi := n
	if p+1 < parts {
		hi = sort.SearchInts(s.ptr[:n], nnz*(p+1)/parts)
	}
	x, b, dst := s.x, s.b, s.dst
	for q := lo; q < hi; q++ {
		k0, k1 := s.ptr[q], s.ptr[q+1]
		col := s.col[k0:k1]
		val := s.val[k0:k1]
		val = val[:len(col)]
		var s0, s1 float64
		k := 0
		for ; k+1 < len(col); k += 2 {
			s0 += val[k] * x[col[k]]
			s1 += val[k+1] * x[col[k+1]]
		}
		if k < len(col) {
			s0 += val[k] * x[col[k]]
		}
		i := s.row[q]
		dst[i] = b[i] - (s0 + s1)
	}
}
