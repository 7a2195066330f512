package dist

import (
	"fmt"
	"time"

	"github.com/pdekit/pdekit/internal/parallel"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/mpi"
	"github.com/pdekit/pdekit/sparse"
)

// Part is one rank's part of a distributed grid operator, a Slab or a
// Block: the rows it holds, and the operator on its part of every vector.
type Part interface {
	// Dims, MulVecTo and Sum make a Part a solvers.Distributed.
	Dims() (r, c int)
	MulVecTo(dst, x []float64)
	Sum(v []float64)
	// LocalBlock is the rank's diagonal block (block-Jacobi's).
	LocalBlock() *sparse.CSR
	// CommSeconds returns the time this rank has spent in the products'
	// exchanges and in the allreduces of Sum (waiting included).
	CommSeconds() (halo, allreduce float64)
	// Rows returns the global index of each local row, in the local
	// order.
	Rows() []int

	// global is the number of rows of the whole matrix; rowsOf returns
	// the global rows of rank r's part; checkShape says whether the
	// part's grid is shape; globalRows calls f(i, j, a_ij) for the part's
	// rows, i local and j global.
	global() int
	rowsOf(r int) []int
	checkShape(shape []int) error
	globalRows(f func(i, j int, v float64))
}

var (
	_ Part = (*Slab)(nil)
	_ Part = (*Block)(nil)
)

// Block is this rank's box of a matrix on a structured grid split in every
// axis: the ranks form a process grid (as MPI_Dims_create balances one)
// and each holds the points of one box, numbered within it as package
// mesh numbers a grid (the first axis fastest). Its rows' columns are
// renumbered into a local vector holding the box and one layer of points
// on each side along every split axis, which the neighbouring ranks fill
// before each product: axis by axis, each exchange carrying the layers
// the earlier ones filled, so that the edges and corners arrive too (the
// 9- and 27-point stencils need them). Along an axis that is not split
// there are no layers, so a process grid of one split axis is a Slab.
//
// Against slabs of planes, boxes exchange less: on an n^3 grid over p
// ranks a slab's two faces are 2 n^2 points whatever p, a cube's six
// faces 6 (n^3/p)^(2/3), fewer from p = 8 on; and a grid can be split over
// more ranks than it has planes.
type Block struct {
	shape, procs []int         // the grid and the process grid
	lo, hi       []int         // its box: [lo[a], hi[a]) along axis a
	ext          []int         // the box with its layers: hi-lo+2 gh per axis
	gh           []int         // the layers on each side along each axis: 1, or 0 where the axis is not split
	lower, upper []int         // the neighbouring ranks along each axis, -1 for none
	n, size      int           // the grid's points, the ranks
	rows         []int         // the global index of each local row
	a            *sparse.CSR   // local rows; columns: the extended box
	st           *mesh.Stencil // or the stencil on the extended box
	xg, yg       []float64
	send, recv   []float64
	c, lo2, hi2  [3]int // scratch coordinates of MulVecTo and layer
	clock
}

// NewBlocks splits the square matrix a on a grid of the given shape (2 or
// 3 axes, the first fastest) over the ranks in boxes. Every rank passes
// the same a. A row may couple points at most one step apart along each
// axis (the 5-, 7-, 9- and 27-point stencils). It returns an error if the
// shape does not match a, if a couples farther, or if an axis has fewer
// points than ranks along it.
func NewBlocks(a *sparse.CSR, shape []int) (*Block, error) {
	return newBlocks(a, shape, nil, mpi.Rank(), mpi.Size())
}

// newBlocks is NewBlocks as rank of size, on the process grid procs (nil:
// chosen by processGrid).
func newBlocks(a *sparse.CSR, shape, procs []int, rank, size int) (*Block, error) {
	d := len(shape)
	n, c := a.Dims()
	total := 1
	for _, v := range shape {
		if v < 1 {
			return nil, fmt.Errorf("dist: blocks of a grid of shape %v", shape)
		}
		total *= v
	}
	if d < 2 || d > 3 || n != c || total != n {
		return nil, fmt.Errorf("dist: a %d x %d matrix on a grid of shape %v: want 2 or 3 axes and one row per point", n, c, shape)
	}
	b, err := newBox(shape, procs, rank, size)
	if err != nil {
		return nil, err
	}
	// Every rank checks every row, so that all agree on an error.
	ip, ind, val := a.RawCSR()
	ci, cj := make([]int, d), make([]int, d)
	for i := 0; i < n; i++ {
		coords(i, shape, ci)
		for _, j := range ind[ip[i]:ip[i+1]] {
			coords(j, shape, cj)
			for ax := range ci {
				if dd := cj[ax] - ci[ax]; dd < -1 || dd > 1 {
					return nil, fmt.Errorf("dist: row %d couples column %d, more than one step away along axis %d of %v", i, j, ax, shape)
				}
			}
		}
	}
	// The local rows' columns in the extended box's order. Both orders
	// are the global one restricted, so each row keeps its entries'
	// order and sums as the serial product does.
	m := len(b.rows)
	lp := make([]int, 1, m+1)
	var li []int
	var lv []float64
	for _, g := range b.rows {
		for k := ip[g]; k < ip[g+1]; k++ {
			coords(ind[k], shape, cj)
			l, w := 0, 1
			for ax := range shape {
				l += (cj[ax] - b.lo[ax] + b.gh[ax]) * w
				w *= b.ext[ax]
			}
			li = append(li, l)
			lv = append(lv, val[k])
		}
		lp = append(lp, len(li))
	}
	if b.a, err = sparse.NewCSR(m, len(b.xg), lp, li, lv); err != nil {
		return nil, err
	}
	return b, nil
}

// NewStencilBlocks is NewBlocks for a stencil on a grid with Dirichlet
// boundaries on every axis, applied matrix-free: each rank applies the
// same coefficients on its box and the layers around it (a grid of its
// own, whose outer layers hold the neighbours' values or, at the grid's
// boundary, zeros) and keeps its own rows; no matrix is assembled.
func NewStencilBlocks(st *mesh.Stencil) (*Block, error) {
	return newStencilBlocks(st, nil, mpi.Rank(), mpi.Size())
}

// newStencilBlocks is NewStencilBlocks as rank of size on the process
// grid procs (nil: processGrid's).
func newStencilBlocks(st *mesh.Stencil, procs []int, rank, size int) (*Block, error) {
	g := st.Grid()
	shape := make([]int, g.Dim())
	for a := range shape {
		if g.Boundary(a) != mesh.Dirichlet {
			return nil, fmt.Errorf("dist: axis %d of the grid is not Dirichlet", a)
		}
		shape[a] = g.N(a)
	}
	if len(shape) < 2 || len(shape) > 3 {
		return nil, fmt.Errorf("dist: blocks of a %d-D grid: want 2 or 3 axes", len(shape))
	}
	b, err := newBox(shape, procs, rank, size)
	if err != nil {
		return nil, err
	}
	c, lo, hi := st.Coefficients()
	b.st = mesh.NewStencil(mesh.NewGrid(mesh.Dirichlet, b.ext...), c, lo, hi)
	b.yg = make([]float64, len(b.xg))
	return b, nil
}

// newBox lays out rank's box of the grid shape over the process grid
// procs (nil: processGrid's) of size ranks: its place, its neighbours, its
// rows and its work vectors; the operator is the caller's.
func newBox(shape, procs []int, rank, size int) (*Block, error) {
	d := len(shape)
	n := 1
	for _, v := range shape {
		n *= v
	}
	if procs == nil {
		procs = processGrid(size, shape)
	}
	np := 1
	for a, p := range procs {
		if p < 1 || p > shape[a] {
			return nil, fmt.Errorf("dist: %d ranks along axis %d of %d points", p, a, shape[a])
		}
		np *= p
	}
	if len(procs) != d || np != size {
		return nil, fmt.Errorf("dist: a process grid %v for %d ranks", procs, size)
	}
	b := &Block{shape: append([]int(nil), shape...), procs: append([]int(nil), procs...), n: n, size: size,
		ext: make([]int, d), gh: make([]int, d), lower: make([]int, d), upper: make([]int, d)}
	var coord []int
	coord, b.lo, b.hi = boxOf(shape, procs, rank)
	stride := 1
	for a := 0; a < d; a++ {
		b.gh[a] = min(procs[a]-1, 1)
		b.ext[a] = b.hi[a] - b.lo[a] + 2*b.gh[a]
		b.lower[a], b.upper[a] = -1, -1
		if coord[a] > 0 {
			b.lower[a] = rank - stride
		}
		if coord[a] < procs[a]-1 {
			b.upper[a] = rank + stride
		}
		stride *= procs[a]
	}
	b.rows = boxRows(shape, b.lo, b.hi)
	ne, face := 1, 0
	for ax := range shape {
		ne *= b.ext[ax]
	}
	for ax := range shape {
		face = max(face, ne/b.ext[ax])
	}
	b.xg = make([]float64, ne)
	b.send, b.recv = make([]float64, face), make([]float64, face)
	return b, nil
}

// boxRows returns the global indices of the box [lo, hi) of a grid of the
// shape, the first axis fastest.
func boxRows(shape, lo, hi []int) []int {
	m := 1
	for ax := range shape {
		m *= hi[ax] - lo[ax]
	}
	rows := make([]int, 0, m)
	c := append([]int(nil), lo...)
	for range m {
		rows = append(rows, index(c, shape))
		for ax := range c {
			if c[ax]++; c[ax] < hi[ax] {
				break
			}
			c[ax] = lo[ax]
		}
	}
	return rows
}

// rowsOf returns the rows of rank r's box.
func (b *Block) rowsOf(r int) []int {
	_, lo, hi := boxOf(b.shape, b.procs, r)
	return boxRows(b.shape, lo, hi)
}

// boxOf returns rank r's place in the process grid procs (the first axis
// fastest) and its box [lo, hi) of the grid shape: along each axis its
// share of the points.
func boxOf(shape, procs []int, r int) (coord, lo, hi []int) {
	d := len(shape)
	coord, lo, hi = make([]int, d), make([]int, d), make([]int, d)
	for a := 0; a < d; a++ {
		coord[a] = r % procs[a]
		r /= procs[a]
		lo[a], hi[a] = parallel.Range(shape[a], coord[a], procs[a])
	}
	return coord, lo, hi
}

// Gather returns on rank 0 the whole vector whose parts the ranks hold (x
// this rank's, in its local order), in the global numbering, and nil on
// the other ranks: each sends its part to rank 0, which alone holds the
// whole. Every rank must call it.
func Gather(p Part, x []float64) ([]float64, error) {
	rank, size := mpi.Rank(), mpi.Size()
	if len(x) != len(p.Rows()) {
		return nil, fmt.Errorf("dist: Gather of %d values for %d local rows", len(x), len(p.Rows()))
	}
	if rank != 0 {
		return nil, mpi.SendRecv(x, 0, nil, -1, 7)
	}
	whole := make([]float64, p.global())
	for i, g := range p.Rows() {
		whole[g] = x[i]
	}
	var buf []float64
	for r := 1; r < size; r++ {
		rows := p.rowsOf(r)
		buf = append(buf[:0], make([]float64, len(rows))...)
		if err := mpi.SendRecv(nil, -1, buf, r, 7); err != nil {
			return nil, err
		}
		for i, g := range rows {
			whole[g] = buf[i]
		}
	}
	return whole, nil
}

// clock times a part's communication; its calls panic on an MPI error,
// which leaves the ranks out of step (the solvers' contract has no error
// for a product).
type clock struct{ halo, reduce time.Duration }

// CommSeconds returns the time spent in the exchanges and the allreduces.
func (c *clock) CommSeconds() (halo, allreduce float64) {
	return c.halo.Seconds(), c.reduce.Seconds()
}

func (c *clock) sendRecv(send []float64, dest int, recv []float64, source, tag int) {
	start := time.Now()
	if err := mpi.SendRecv(send, dest, recv, source, tag); err != nil {
		panic(err)
	}
	c.halo += time.Since(start)
}

func (c *clock) allreduce(v []float64) {
	start := time.Now()
	if err := mpi.AllreduceSum(v); err != nil {
		panic(err)
	}
	c.reduce += time.Since(start)
}

// processGrid returns the process grid of size ranks over shape: each
// prime factor of size, largest first, goes to the axis with the most
// points per rank (MPI_Dims_create's balance, weighted by the grid), the
// slowest among equals.
func processGrid(size int, shape []int) []int {
	procs := make([]int, len(shape))
	for a := range procs {
		procs[a] = 1
	}
	var factors []int
	for p, r := 2, size; r > 1; {
		if r%p == 0 {
			factors = append(factors, p)
			r /= p
			continue
		}
		p++
	}
	for k := len(factors) - 1; k >= 0; k-- {
		// Among equals the slowest axis: its layers are contiguous in
		// memory, the cheapest to pack (poisson3d 128 on 2 ranks, CG:
		// 4.3 ms an iteration split along the last axis, 5.2 along the
		// first).
		best := len(shape) - 1
		for a := len(shape) - 2; a >= 0; a-- {
			if shape[a]*procs[best] > shape[best]*procs[a] {
				best = a
			}
		}
		procs[best] *= factors[k]
	}
	return procs
}

// coords sets c to the coordinates of point g of a grid of the shape.
func coords(g int, shape, c []int) {
	for a, s := range shape {
		c[a] = g % s
		g /= s
	}
}

// index returns the index of the point at coordinates c.
func index(c, shape []int) int {
	g, w := 0, 1
	for a, s := range shape {
		g += c[a] * w
		w *= s
	}
	return g
}

// ProcessGrid returns the ranks along each axis.
func (b *Block) ProcessGrid() []int { return append([]int(nil), b.procs...) }

// Box returns this rank's points: [lo[a], hi[a]) along axis a.
func (b *Block) Box() (lo, hi []int) {
	return append([]int(nil), b.lo...), append([]int(nil), b.hi...)
}

// Rows returns the global index of each local row (the box's points, the
// first axis fastest). The slice is the Block's: do not change it.
func (b *Block) Rows() []int { return b.rows }

// Dims returns the size of this rank's part.
func (b *Block) Dims() (r, c int) { return len(b.rows), len(b.rows) }

// Sum implements solvers.Distributed: an allreduce over the ranks.
func (b *Block) Sum(v []float64) {
	if b.size == 1 {
		return
	}
	b.allreduce(v)
}

// MulVecTo sets dst = A x on this rank's rows, after the layers around the
// box come from the neighbouring ranks. Every rank must call it (it
// communicates). The product equals the serial one bit for bit.
func (b *Block) MulVecTo(dst, x []float64) {
	m := len(b.rows)
	if len(x) != m || len(dst) != m {
		panic(fmt.Sprintf("dist: MulVecTo lengths %d, %d for %d local rows", len(dst), len(x), m))
	}
	b.fill(x)
	d := len(b.shape)
	for a := 0; a < d; a++ {
		if b.gh[a] == 0 {
			continue // not split: no layers
		}
		// My first layer goes down and the upper ghost layer comes from
		// up; then my last layer goes up and the lower ghost layer comes
		// from down.
		k := b.layer(a, 1, b.send, true)
		b.sendRecv(b.send[:k], b.lower[a], b.recv[:k], b.upper[a], 2*a+1)
		if b.upper[a] >= 0 {
			b.layer(a, b.ext[a]-1, b.recv, false)
		}
		k = b.layer(a, b.ext[a]-2, b.send, true)
		b.sendRecv(b.send[:k], b.upper[a], b.recv[:k], b.lower[a], 2*a+2)
		if b.lower[a] >= 0 {
			b.layer(a, 0, b.recv, false)
		}
	}
	if b.st != nil {
		b.st.MulVecTo(b.yg, b.xg)
		b.interior(dst, b.yg)
		return
	}
	b.a.MulVecTo(dst, b.xg)
}

// fill copies the box's values x into the interior of the extended
// vector.
func (b *Block) fill(x []float64) { b.lines(x, b.xg, true) }

// interior copies the interior of the extended vector y to the box's
// values dst.
func (b *Block) interior(dst, y []float64) { b.lines(dst, y, false) }

// lines copies the box's values x to the interior of the extended vector
// e (in) or back, a line of the first axis at a time.
func (b *Block) lines(x, e []float64, in bool) {
	d := len(b.shape)
	bx := b.hi[0] - b.lo[0]
	c := b.c[:d] // the line's coordinates in the box (axes 1...)
	clear(c)
	for r := 0; r < len(b.rows)/bx; r++ {
		off, w := b.gh[0], b.ext[0]
		for a := 1; a < d; a++ {
			off += (c[a] + b.gh[a]) * w
			w *= b.ext[a]
		}
		if in {
			copy(e[off:off+bx], x[r*bx:(r+1)*bx])
		} else {
			copy(x[r*bx:(r+1)*bx], e[off:off+bx])
		}
		for a := 1; a < d; a++ {
			if c[a]++; c[a] < b.hi[a]-b.lo[a] {
				break
			}
			c[a] = 0
		}
	}
}

// layer copies layer l along axis a of the extended vector to buf (out)
// or from it: all of the extended range on the axes before a (their
// layers are filled already) and the interior on the axes after. It
// returns the points copied.
func (b *Block) layer(a, l int, buf []float64, out bool) int {
	d := len(b.shape)
	lo, hi := b.lo2[:d], b.hi2[:d]
	for ax := 0; ax < d; ax++ {
		switch {
		case ax < a:
			lo[ax], hi[ax] = 0, b.ext[ax]
		case ax == a:
			lo[ax], hi[ax] = l, l+1
		default:
			lo[ax], hi[ax] = b.gh[ax], b.ext[ax]-b.gh[ax]
		}
	}
	// Runs along the first axis, copied whole; the others stepped.
	run := hi[0] - lo[0]
	c := b.c[:d]
	copy(c, lo)
	k := 0
	for {
		e, w := c[0], b.ext[0]
		for ax := 1; ax < d; ax++ {
			e += c[ax] * w
			w *= b.ext[ax]
		}
		if out {
			copy(buf[k:k+run], b.xg[e:e+run])
		} else {
			copy(b.xg[e:e+run], buf[k:k+run])
		}
		k += run
		ax := 1
		for ; ax < d; ax++ {
			if c[ax]++; c[ax] < hi[ax] {
				break
			}
			c[ax] = lo[ax]
		}
		if ax == d {
			return k
		}
	}
}

// LocalBlock returns this rank's diagonal block: its rows and the columns
// of its own box, the couplings to the layers around it left out.
func (b *Block) LocalBlock() *sparse.CSR {
	if b.st != nil {
		c, lo, hi := b.st.Coefficients()
		box := make([]int, len(b.shape))
		for a := range box {
			box[a] = b.hi[a] - b.lo[a]
		}
		return mesh.NewStencil(mesh.NewGrid(mesh.Dirichlet, box...), c, lo, hi).ToCSR()
	}
	ip, ind, val := b.a.RawCSR()
	d := len(b.shape)
	m := len(b.rows)
	// Extended index -> box index, -1 on the layers.
	local := make([]int, len(b.xg))
	c := make([]int, d)
	for e := range local {
		coords(e, b.ext, c)
		local[e] = -1
		l, w, in := 0, 1, true
		for ax := 0; ax < d; ax++ {
			if c[ax] < b.gh[ax] || c[ax] >= b.ext[ax]-b.gh[ax] {
				in = false
				break
			}
			l += (c[ax] - b.gh[ax]) * w
			w *= b.ext[ax] - 2*b.gh[ax]
		}
		if in {
			local[e] = l
		}
	}
	bp := make([]int, m+1)
	var bi []int
	var bv []float64
	for i := 0; i < m; i++ {
		for k := ip[i]; k < ip[i+1]; k++ {
			if j := local[ind[k]]; j >= 0 {
				bi = append(bi, j)
				bv = append(bv, val[k])
			}
		}
		bp[i+1] = len(bi)
	}
	lb, _ := sparse.NewCSR(m, m, bp, bi, bv)
	return lb
}

func (b *Block) global() int { return b.n }

func (b *Block) checkShape(shape []int) error {
	if len(shape) != len(b.shape) {
		return fmt.Errorf("dist: a grid of shape %v, but the blocks split %v", shape, b.shape)
	}
	for a := range shape {
		if shape[a] != b.shape[a] {
			return fmt.Errorf("dist: a grid of shape %v, but the blocks split %v", shape, b.shape)
		}
	}
	return nil
}

func (b *Block) globalRows(f func(i, j int, v float64)) {
	if b.st != nil {
		// The stencil's couplings that stay on the grid.
		center, lo, hi := b.st.Coefficients()
		d := len(b.shape)
		c := make([]int, d)
		for i, g := range b.rows {
			coords(g, b.shape, c)
			f(i, g, center)
			w := 1
			for a := 0; a < d; a++ {
				if c[a] > 0 && lo[a] != 0 {
					f(i, g-w, lo[a])
				}
				if c[a] < b.shape[a]-1 && hi[a] != 0 {
					f(i, g+w, hi[a])
				}
				w *= b.shape[a]
			}
		}
		return
	}
	ip, ind, val := b.a.RawCSR()
	d := len(b.shape)
	c := make([]int, d)
	g := make([]int, d)
	for i := range b.rows {
		for k := ip[i]; k < ip[i+1]; k++ {
			coords(ind[k], b.ext, c)
			for ax := 0; ax < d; ax++ {
				g[ax] = c[ax] - b.gh[ax] + b.lo[ax]
			}
			f(i, index(g, b.shape), val[k])
		}
	}
}
