package dist

import (
	"fmt"

	"github.com/pdekit/pdekit/internal/parallel"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/mpi"
	"github.com/pdekit/pdekit/sparse"
)

// Slab is this rank's slab of a matrix on a structured grid whose
// unknowns are numbered plane by plane (the slowest axis last, as package
// mesh numbers them): its rows, with their columns renumbered into a
// local vector that holds the plane below the slab, the slab itself and
// the plane above it.
type Slab struct {
	lo, hi, plane int
	n             int // the global rows
	rank, size    int
	a             *sparse.CSR   // local rows; columns: ghost below, own, ghost above
	st            *mesh.Stencil // or the stencil on the slab and the planes beside it
	xg, yg        []float64
	rows          []int // Rows' answer, made on its first call
	clock
}

// NewSlab splits the square matrix a, whose rows are ordered in planes of
// the given size, over the ranks: rank r of p gets planes [r P/p, (r+1)
// P/p) of the P planes, and needs of its neighbours only the planes next
// to its slab, so a may couple unknowns at most one plane apart (the
// 5-point, 7-point, 9-point and 27-point stencils). Every rank passes the
// same a. It returns an error if the planes do not tile a, if a couples
// farther than one plane, or if there are fewer planes than ranks.
func NewSlab(a *sparse.CSR, plane int) (*Slab, error) {
	return newSlab(a, plane, mpi.Rank(), mpi.Size())
}

// newSlab is NewSlab as rank of size; with size 1 the slab is the whole
// matrix and never communicates (a serial reference under mpirun).
func newSlab(a *sparse.CSR, plane, rank, size int) (*Slab, error) {
	n, c := a.Dims()
	if n != c || plane < 1 || n%plane != 0 {
		return nil, fmt.Errorf("dist: a %d x %d matrix does not split into planes of %d unknowns", n, c, plane)
	}
	planes := n / plane
	s := &Slab{plane: plane, n: n, rank: rank, size: size}
	if planes < s.size {
		return nil, fmt.Errorf("dist: %d planes for %d ranks", planes, s.size)
	}
	s.lo, s.hi = s.planeRange(s.rank)
	ip, ind, val := a.RawCSR()
	// Every rank checks every row, so that all agree on an error (one
	// that went on would wait for the others in the first product).
	for i := 0; i < n; i++ {
		for _, j := range ind[ip[i]:ip[i+1]] {
			if d := j/plane - i/plane; d < -1 || d > 1 {
				return nil, fmt.Errorf("dist: row %d couples column %d, more than one plane of %d away", i, j, plane)
			}
		}
	}
	off := s.lo - plane // global column of local column 0
	m := s.hi - s.lo
	lp := make([]int, m+1)
	li := make([]int, 0, ip[s.hi]-ip[s.lo])
	lv := make([]float64, 0, ip[s.hi]-ip[s.lo])
	for i := s.lo; i < s.hi; i++ {
		for k := ip[i]; k < ip[i+1]; k++ {
			li = append(li, ind[k]-off)
			lv = append(lv, val[k])
		}
		lp[i-s.lo+1] = len(li)
	}
	var err error
	if s.a, err = sparse.NewCSR(m, m+2*plane, lp, li, lv); err != nil {
		return nil, err
	}
	s.xg = make([]float64, m+2*plane)
	return s, nil
}

// Range returns the global rows [lo, hi) this rank holds.
func (s *Slab) Range() (lo, hi int) { return s.lo, s.hi }

// Rows returns the global index of each local row: lo, lo+1, ..., hi-1.
// The slice is the Slab's: do not change it.
func (s *Slab) Rows() []int {
	if s.rows == nil {
		s.rows = s.rowsOf(s.rank)
	}
	return s.rows
}

func (s *Slab) global() int { return s.n }

func (s *Slab) rowsOf(r int) []int {
	lo, hi := s.planeRange(r)
	rows := make([]int, hi-lo)
	for i := range rows {
		rows[i] = lo + i
	}
	return rows
}

// planeRange returns the global rows [lo, hi) of rank r's slab: its share
// of whole planes.
func (s *Slab) planeRange(r int) (lo, hi int) {
	lo, hi = parallel.Range(s.n/s.plane, r, s.size)
	return lo * s.plane, hi * s.plane
}

func (s *Slab) checkShape(shape []int) error {
	total := 1
	for _, v := range shape {
		total *= v
	}
	if d := len(shape); d == 0 || total != s.n || s.plane*shape[d-1] != s.n {
		return fmt.Errorf("dist: a grid of shape %v, but the slab's matrix has %d rows in planes of %d", shape, s.n, s.plane)
	}
	return nil
}

// Dims returns the size of this rank's part: the operator as the solvers
// see it on this rank.
func (s *Slab) Dims() (r, c int) { return s.hi - s.lo, s.hi - s.lo }

// MulVecTo sets dst = A x on this rank's rows: the planes next to the
// slab come from the neighbouring ranks first. Every rank must call it
// (it communicates). The terms of each row are summed in the serial
// matrix's order, so the product equals the serial one bit for bit.
func (s *Slab) MulVecTo(dst, x []float64) {
	m, p := s.hi-s.lo, s.plane
	if len(x) != m || len(dst) != m {
		panic(fmt.Sprintf("dist: MulVecTo lengths %d, %d for %d local rows", len(dst), len(x), m))
	}
	copy(s.xg[p:p+m], x)
	down, up := s.rank-1, s.rank+1
	if up == s.size {
		up = -1
	}
	// My first plane goes down (the neighbour's ghost above), the one
	// above comes from up; then my last plane goes up, the one below
	// comes from down.
	s.sendRecv(x[:p], down, s.xg[p+m:], up, 1)
	s.sendRecv(x[m-p:], up, s.xg[:p], down, 2)
	if s.st != nil {
		s.st.MulVecTo(s.yg, s.xg)
		copy(dst, s.yg[p:p+m])
		return
	}
	s.a.MulVecTo(dst, s.xg)
}

// Sum implements solvers.Distributed: an allreduce over the ranks.
func (s *Slab) Sum(v []float64) {
	if s.size == 1 {
		return
	}
	s.allreduce(v)
}

// LocalBlock returns this rank's diagonal block of the matrix: its rows
// and columns only, the couplings to the neighbours' planes left out. A
// preconditioner built on it (solvers.NewIC0, NewILU0, amg.New, ...) is a
// block-Jacobi preconditioner of the distributed operator: each rank
// applies it to its part, with no communication.
func (s *Slab) LocalBlock() *sparse.CSR {
	if s.st != nil {
		// The rows of the slab's own planes of the extended stencil.
		c, lo, hi := s.st.Coefficients()
		g := s.st.Grid()
		shape := make([]int, g.Dim())
		for a := range shape {
			shape[a] = g.N(a)
		}
		shape[len(shape)-1] -= 2
		return mesh.NewStencil(mesh.NewGrid(mesh.Dirichlet, shape...), c, lo, hi).ToCSR()
	}
	ip, ind, val := s.a.RawCSR()
	m, p := s.hi-s.lo, s.plane
	bp := make([]int, m+1)
	var bi []int
	var bv []float64
	for i := 0; i < m; i++ {
		for k := ip[i]; k < ip[i+1]; k++ {
			if j := ind[k] - p; j >= 0 && j < m {
				bi = append(bi, j)
				bv = append(bv, val[k])
			}
		}
		bp[i+1] = len(bi)
	}
	b, _ := sparse.NewCSR(m, m, bp, bi, bv)
	return b
}

// NewStencilSlab is NewSlab for a stencil on a grid with Dirichlet
// boundaries on every axis, applied matrix-free: each rank applies the
// same coefficients on its slab and the two planes beside it (a grid of
// its own, whose boundary planes hold the neighbours' values or, at the
// ends, zeros) and keeps its own rows; no matrix is assembled.
func NewStencilSlab(st *mesh.Stencil) (*Slab, error) {
	return newStencilSlab(st, mpi.Rank(), mpi.Size())
}

// newStencilSlab is NewStencilSlab as rank of size.
func newStencilSlab(st *mesh.Stencil, rank, size int) (*Slab, error) {
	g := st.Grid()
	dim := g.Dim()
	if dim < 2 {
		return nil, fmt.Errorf("dist: a %d-D grid has no planes to split", dim)
	}
	shape := make([]int, dim)
	plane := 1
	for a := 0; a < dim; a++ {
		if g.Boundary(a) != mesh.Dirichlet {
			return nil, fmt.Errorf("dist: axis %d of the grid is not Dirichlet", a)
		}
		shape[a] = g.N(a)
		if a < dim-1 {
			plane *= g.N(a)
		}
	}
	planes := shape[dim-1]
	s := &Slab{plane: plane, n: g.Len(), rank: rank, size: size}
	if planes < s.size {
		return nil, fmt.Errorf("dist: %d planes for %d ranks", planes, s.size)
	}
	s.lo, s.hi = s.planeRange(s.rank)
	m := s.hi - s.lo
	shape[dim-1] = m/plane + 2
	c, lo, hi := st.Coefficients()
	s.st = mesh.NewStencil(mesh.NewGrid(mesh.Dirichlet, shape...), c, lo, hi)
	s.xg = make([]float64, m+2*plane)
	s.yg = make([]float64, m+2*plane)
	return s, nil
}
