package dist

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/mpi"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

// boxProblems are grids whose sides do not divide by the ranks along them,
// with the 9- and 27-point stencils, which need the layers' edges and
// corners.
func boxProblems() []boxProblem {
	g2 := mesh.NewGrid(mesh.Dirichlet, 23, 17)
	g3 := mesh.NewGrid(mesh.Dirichlet, 9, 8, 7)
	an := mesh.NewAnisotropic(g3, []float64{0.01, 1, 3}, 0)
	return []boxProblem{
		{"poisson2d 23x17", mesh.NewLaplacian(g2).ToCSR(), nil, []int{23, 17}},
		{"poisson2d 23x17 stencil", nil, mesh.NewLaplacian(g2), []int{23, 17}},
		{"9-point 23x17", box(23, 17), nil, []int{23, 17}},
		{"poisson3d 9x8x7", mesh.NewLaplacian(g3).ToCSR(), nil, []int{9, 8, 7}},
		{"anisotropic3d 9x8x7 stencil", nil, an, []int{9, 8, 7}},
		{"27-point 9x8x7", box(9, 8, 7), nil, []int{9, 8, 7}},
	}
}

// boxProblem is a matrix, or a stencil applied matrix-free, on a grid.
type boxProblem struct {
	name  string
	a     *sparse.CSR
	st    *mesh.Stencil
	shape []int
}

// matrix returns the problem's matrix.
func (p boxProblem) matrix() *sparse.CSR {
	if p.st != nil {
		return p.st.ToCSR()
	}
	return p.a
}

// product returns the serial product with x: the problem's random vector
// of the seed, the same on every rank.
func (p boxProblem) product(seed uint64) (x, ax []float64) {
	n, _ := p.matrix().Dims()
	rnd := rand.New(rand.NewPCG(seed, seed+1))
	x, ax = make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = rnd.NormFloat64()
	}
	if p.st != nil {
		p.st.MulVecTo(ax, x)
	} else {
		p.a.MulVecTo(ax, x)
	}
	return x, ax
}

// blocks splits the problem as rank of size on procs (nil: the default).
func (p boxProblem) blocks(procs []int, rank, size int) (*Block, error) {
	if p.st != nil {
		return newStencilBlocks(p.st, procs, rank, size)
	}
	return newBlocks(p.a, p.shape, procs, rank, size)
}

// apply is MulVecTo's product on the extended vector, without the
// exchange.
func (b *Block) apply(dst []float64) {
	if b.st != nil {
		b.st.MulVecTo(b.yg, b.xg)
		b.interior(dst, b.yg)
		return
	}
	b.a.MulVecTo(dst, b.xg)
}

// box returns the matrix that couples every point of the grid to all its
// 3^d - 1 neighbours, with weights that depend on the axes of the offset
// (symmetric), diagonally dominant: a 9- or 27-point stencil.
func box(shape ...int) *sparse.CSR {
	d := len(shape)
	n, m := 1, 1
	for _, v := range shape {
		n *= v
		m *= 3
	}
	coo := sparse.NewCOO(n, n)
	c, o := make([]int, d), make([]int, d)
	for i := 0; i < n; i++ {
		coords(i, shape, c)
		coo.Add(i, i, 30)
		for code := 0; code < m; code++ {
			q, zero, in, w := code, true, true, 0
			for a := range o {
				o[a] = c[a] + q%3 - 1
				q /= 3
				zero = zero && o[a] == c[a]
				in = in && o[a] >= 0 && o[a] < shape[a]
				if o[a] != c[a] {
					w += a + 1
				}
			}
			if !zero && in {
				coo.Add(i, index(o, shape), -0.5-0.01*float64(w))
			}
		}
	}
	return coo.ToCSR()
}

// exchange does, in one process, what MulVecTo's messages do among the
// ranks of bs (every rank's Block): for each axis in turn, each box's
// first and last layers go to the ghost layers of its neighbours.
func exchange(bs []*Block) {
	for a := range bs[0].shape {
		for _, b := range bs {
			if b.upper[a] >= 0 {
				u := bs[b.upper[a]]
				k := u.layer(a, 1, u.send, true)
				b.layer(a, b.ext[a]-1, u.send[:k], false)
			}
			if b.lower[a] >= 0 {
				l := bs[b.lower[a]]
				k := l.layer(a, l.ext[a]-2, l.send, true)
				b.layer(a, 0, l.send[:k], false)
			}
		}
	}
}

// TestBlocksInProcess: every rank's box of 2 x 2, 3 x 2 and 2 x 2 x 2
// process grids, built in one process with the exchange emulated: the
// boxes tile the grid, each product equals the serial rows bit for bit
// (the edges and corners of the 9- and 27-point stencils included), and
// the diagonal blocks are the serial matrix's.
func TestBlocksInProcess(t *testing.T) {
	for _, p := range boxProblems() {
		for _, procs := range [][]int{{2, 2}, {3, 2}, {1, 4}, {2, 2, 2}, {3, 1, 2}} {
			if len(procs) != len(p.shape) {
				continue
			}
			size := 1
			for _, v := range procs {
				size *= v
			}
			a := p.matrix()
			n, _ := a.Dims()
			x, want := p.product(1)
			bs := make([]*Block, size)
			seen := make([]int, n)
			for r := range bs {
				b, err := p.blocks(procs, r, size)
				if err != nil {
					t.Fatal(err)
				}
				bs[r] = b
				for _, g := range b.Rows() {
					seen[g]++
				}
			}
			if slices.ContainsFunc(seen, func(c int) bool { return c != 1 }) {
				t.Fatalf("%s on %v: the boxes do not tile the grid", p.name, procs)
			}
			// The boxes' own values, then the layers.
			for _, b := range bs {
				clear(b.xg)
				own := make([]float64, len(b.rows))
				for i, g := range b.rows {
					own[i] = x[g]
				}
				b.fill(own)
			}
			exchange(bs)
			for r, b := range bs {
				got := make([]float64, len(b.rows))
				b.apply(got)
				for i, g := range b.rows {
					if got[i] != want[g] {
						t.Fatalf("%s on %v, rank %d: row %d: %v, serial %v", p.name, procs, r, g, got[i], want[g])
					}
				}
				lb := b.LocalBlock()
				for i, gi := range b.rows {
					cols, vals := lb.Row(i)
					for k, j := range cols {
						if v := a.At(gi, b.rows[j]); v != vals[k] {
							t.Fatalf("%s on %v, rank %d: block (%d, %d) = %v, serial %v", p.name, procs, r, gi, b.rows[j], vals[k], v)
						}
					}
				}
			}
		}
	}
}

// TestProcessGrid: the ranks go to the axes with the most points each,
// the slowest among equals.
func TestProcessGrid(t *testing.T) {
	for _, tc := range []struct {
		size  int
		shape []int
		want  []int
	}{
		{1, []int{9, 9}, []int{1, 1}},
		{4, []int{100, 100}, []int{2, 2}},
		{2, []int{64, 64, 64}, []int{1, 1, 2}},
		{4, []int{64, 64, 64}, []int{1, 2, 2}},
		{4, []int{400, 100}, []int{4, 1}},
		{8, []int{64, 64, 64}, []int{2, 2, 2}},
		{6, []int{30, 20, 10}, []int{3, 2, 1}},
		{2, []int{10, 10, 40}, []int{1, 1, 2}},
	} {
		if got := processGrid(tc.size, tc.shape); !slices.Equal(got, tc.want) {
			t.Errorf("%d ranks on %v: %v, want %v", tc.size, tc.shape, got, tc.want)
		}
	}
}

// TestBlocksMatchSerial (on the ranks mpirun starts; one without the tag
// mpi): the product equals the serial one bit for bit, and CG reaches the
// serial solution in the serial iteration count, block-Jacobi IC(0) in
// about as many as the slabs' block-Jacobi.
func TestBlocksMatchSerial(t *testing.T) {
	for _, p := range boxProblems() {
		a := p.matrix()
		n, _ := a.Dims()
		b, err := p.blocks(nil, mpi.Rank(), mpi.Size())
		if err != nil {
			t.Fatal(err)
		}
		rows := b.Rows()
		x, want := p.product(5)
		xl, got := make([]float64, len(rows)), make([]float64, len(rows))
		for i, g := range rows {
			xl[i] = x[g]
		}
		b.MulVecTo(got, xl)
		for i, g := range rows {
			if got[i] != want[g] {
				t.Fatalf("%s, rank %d of %d (process grid %v): row %d: %v, serial %v", p.name, mpi.Rank(), mpi.Size(), b.ProcessGrid(), g, got[i], want[g])
			}
		}
		rhs := make([]float64, n)
		for i := range rhs {
			rhs[i] = 1 + math.Sin(float64(i))
		}
		bl := make([]float64, len(rows))
		for i, g := range rows {
			bl[i] = rhs[g]
		}
		set := &solvers.Settings{Control: iterate.Control{Tolerance: 1e-10}}
		var serialOp solvers.Operator = a
		if p.st != nil {
			serialOp = p.st
		}
		serial, err := solvers.Solve(context.Background(), serialOp, rhs, &solvers.CG{}, set)
		if err != nil {
			t.Fatal(err)
		}
		d, err := solvers.Solve(context.Background(), b, bl, &solvers.CG{}, set)
		if err != nil {
			t.Fatal(err)
		}
		var diff, norm float64
		for i, g := range rows {
			diff = math.Max(diff, math.Abs(d.X[i]-serial.X[g]))
			norm = math.Max(norm, math.Abs(serial.X[g]))
		}
		if !d.Reason.Converged() || d.Iterations != serial.Iterations || diff > 1e-8*norm {
			t.Errorf("%s, rank %d of %d: CG %d iterations (%v), serial %d; solution off by %.3g", p.name, mpi.Rank(), mpi.Size(), d.Iterations, d.Reason, serial.Iterations, diff)
		}
		ic, err := solvers.NewIC0(b.LocalBlock())
		if err != nil {
			t.Fatal(err)
		}
		bj, err := solvers.Solve(context.Background(), b, bl, &solvers.CG{}, &solvers.Settings{Control: iterate.Control{Tolerance: 1e-10}, Preconditioner: ic})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s, rank %d of %d (process grid %v): CG %d iterations, block-Jacobi IC(0) %d", p.name, mpi.Rank(), mpi.Size(), b.ProcessGrid(), d.Iterations, bj.Iterations)
		// The clock ran on several ranks, and only there.
		if halo, reduce := b.CommSeconds(); (mpi.Size() > 1) != (halo > 0 && reduce > 0) {
			t.Errorf("%s, rank %d of %d: communication %g s in exchanges, %g s in allreduces", p.name, mpi.Rank(), mpi.Size(), halo, reduce)
		}
		if !bj.Reason.Converged() || bj.Iterations >= d.Iterations {
			t.Errorf("%s, rank %d: block-Jacobi %d iterations (%v), no fewer than CG's %d", p.name, mpi.Rank(), bj.Iterations, bj.Reason, d.Iterations)
		}
	}
}

// TestNewBlocksErrors: couplings two steps apart, a shape that is not the
// matrix's, and more ranks along an axis than points.
func TestNewBlocksErrors(t *testing.T) {
	g := mesh.NewGrid(mesh.Dirichlet, 6, 5)
	a := mesh.NewLaplacian(g).ToCSR()
	coo := sparse.NewCOO(30, 30)
	for i := 0; i < 30; i++ {
		coo.Add(i, i, 4)
	}
	coo.Add(0, 12, -1) // (0, 0) to (0, 2): two steps along axis 1
	far := coo.ToCSR()
	for _, tc := range []struct {
		name  string
		err   error
		wants string
	}{
		{"far", func() error { _, err := newBlocks(far, []int{6, 5}, []int{1, 1}, 0, 1); return err }(), "more than one step"},
		{"shape", func() error { _, err := newBlocks(a, []int{5, 7}, nil, 0, 1); return err }(), "grid of shape"},
		{"ranks", func() error { _, err := newBlocks(a, []int{6, 5}, []int{1, 6}, 0, 6); return err }(), "ranks along axis 1"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.wants) {
			t.Errorf("%s: %v, want %q", tc.name, tc.err, tc.wants)
		}
	}
}

// TestGather: rank 0 receives every rank's part in the global numbering
// (each part holding its rows' global indices), from slabs and from
// blocks; the other ranks get nil.
func TestGather(t *testing.T) {
	shape := []int{9, 8, 7}
	a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, shape...)).ToCSR()
	slab, err := NewSlab(a, 72)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := NewBlocks(a, shape)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Part{slab, blocks} {
		x := make([]float64, len(p.Rows()))
		for i, g := range p.Rows() {
			x[i] = float64(g)
		}
		whole, err := Gather(p, x)
		if err != nil {
			t.Fatal(err)
		}
		if mpi.Rank() != 0 {
			if whole != nil {
				t.Errorf("%T, rank %d: %d values", p, mpi.Rank(), len(whole))
			}
			continue
		}
		if len(whole) != 9*8*7 {
			t.Fatalf("%T: %d values", p, len(whole))
		}
		for g, v := range whole {
			if v != float64(g) {
				t.Fatalf("%T on %d ranks: entry %d is %v", p, mpi.Size(), g, v)
			}
		}
	}
	if _, err := Gather(blocks, make([]float64, 3)); err == nil || !strings.Contains(err.Error(), "local rows") {
		t.Errorf("a part of the wrong length: %v", err)
	}
}
