package mesh_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

type operator interface {
	Dims() (int, int)
	MulVecTo(dst, x []float64)
	ToCSR() *sparse.CSR
}

func randVec(rnd *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rnd.NormFloat64()
	}
	return v
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

// grids returns grids in 1-3 dimensions with every boundary condition and
// some mixed ones; big adds one above the parallel threshold.
func grids(t *testing.T) []*mesh.Grid {
	var gs []*mesh.Grid
	for _, bc := range []mesh.Boundary{mesh.Dirichlet, mesh.Neumann, mesh.Periodic} {
		gs = append(gs, mesh.NewGrid(bc, 7), mesh.NewGrid(bc, 5, 6), mesh.NewGrid(bc, 4, 3, 5), mesh.NewGrid(bc, 150, 130))
	}
	for _, bcs := range [][]mesh.Boundary{
		{mesh.Periodic, mesh.Dirichlet},
		{mesh.Dirichlet, mesh.Neumann, mesh.Periodic},
		{mesh.Neumann, mesh.Periodic, mesh.Dirichlet},
	} {
		n := []int{6, 5, 4}[:len(bcs)]
		g, err := mesh.NewGridWith(n, bcs, []float64{1, 2, 0.5}[:len(bcs)])
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	return gs
}

func operators(t *testing.T, g *mesh.Grid, rnd *rand.Rand) map[string]operator {
	d := g.Dim()
	eps := []float64{1, 0.01, 3}[:d]
	b := []float64{1, -2, 0.5}[:d]
	a := make([]float64, g.Len())
	for i := range a {
		a[i] = math.Exp(rnd.NormFloat64())
	}
	vs, err := mesh.NewDivGrad(g, a)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]operator{
		"laplacian":   mesh.NewLaplacian(g),
		"anisotropic": mesh.NewAnisotropic(g, eps, 0),
		"helmholtz":   mesh.NewHelmholtz(g, 5),
		"upwind":      mesh.NewConvDiff(g, 0.1, b, mesh.Upwind),
		"central":     mesh.NewConvDiff(g, 0.1, b, mesh.Central),
		"divgrad":     vs,
	}
}

func TestStencilMatchesCSR(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for gi, g := range grids(t) {
		for name, op := range operators(t, g, rnd) {
			a := op.ToCSR()
			n, _ := op.Dims()
			x := randVec(rnd, n)
			got, want := randVec(rnd, n), make([]float64, n)
			op.MulVecTo(got, x)
			a.MulVecTo(want, x)
			scale := maxAbs(want)
			for i := range got {
				if math.Abs(got[i]-want[i]) > 1e-13*scale {
					t.Fatalf("grid %d (%dD, %v), %s: row %d stencil %v, CSR %v", gi, g.Dim(), g.Boundary(0), name, i, got[i], want[i])
				}
			}
		}
	}
}

func TestSymmetricOperatorsAssembleSymmetric(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, g := range grids(t) {
		for _, name := range []string{"laplacian", "anisotropic", "helmholtz", "divgrad"} {
			a := operators(t, g, rnd)[name].ToCSR()
			at := a.Transpose()
			// Same pattern and values as the transpose: rows of A and A^T
			// line up entry by entry.
			_, ix, d := a.RawCSR()
			_, tx, td := at.RawCSR()
			for k := range d {
				if ix[k] != tx[k] || math.Abs(d[k]-td[k]) > 1e-12*math.Abs(d[k]) {
					t.Fatalf("%s on %dD %v grid is not symmetric", name, g.Dim(), g.Boundary(0))
				}
			}
		}
	}
}

// order returns log2 of successive error ratios.
func orders(errs []float64) []float64 {
	var o []float64
	for i := 1; i < len(errs); i++ {
		o = append(o, math.Log2(errs[i-1]/errs[i]))
	}
	return o
}

func checkOrder(t *testing.T, what string, errs []float64, want float64) {
	t.Helper()
	t.Logf("%s: observed orders %.3f", what, orders(errs))
	for _, o := range orders(errs) {
		if math.Abs(o-want) > 0.1 {
			t.Errorf("%s: errors %v give observed orders %v, want %v", what, errs, orders(errs), want)
			return
		}
	}
}

// Manufactured solutions for the truncation error: u and f = L u in closed
// form, sampled at the grid points; the error is max |A u_h - f_h|.
func TestTruncationOrder(t *testing.T) {
	pi := math.Pi
	type mk func(g *mesh.Grid) operator
	for _, tc := range []struct {
		name  string
		bc    mesh.Boundary
		dim   int
		op    mk
		u, f  func(x []float64) float64
		order float64
	}{
		{"laplacian 1D", mesh.Dirichlet, 1, func(g *mesh.Grid) operator { return mesh.NewLaplacian(g) },
			func(x []float64) float64 { return math.Sin(pi * x[0]) },
			func(x []float64) float64 { return pi * pi * math.Sin(pi*x[0]) }, 2},
		{"laplacian 2D", mesh.Dirichlet, 2, func(g *mesh.Grid) operator { return mesh.NewLaplacian(g) },
			func(x []float64) float64 { return math.Sin(pi*x[0]) * math.Sin(2*pi*x[1]) },
			func(x []float64) float64 { return 5 * pi * pi * math.Sin(pi*x[0]) * math.Sin(2*pi*x[1]) }, 2},
		{"laplacian 3D", mesh.Dirichlet, 3, func(g *mesh.Grid) operator { return mesh.NewLaplacian(g) },
			func(x []float64) float64 { return math.Sin(pi*x[0]) * math.Sin(pi*x[1]) * math.Sin(pi*x[2]) },
			func(x []float64) float64 {
				return 3 * pi * pi * math.Sin(pi*x[0]) * math.Sin(pi*x[1]) * math.Sin(pi*x[2])
			}, 2},
		{"anisotropic 2D", mesh.Dirichlet, 2, func(g *mesh.Grid) operator { return mesh.NewAnisotropic(g, []float64{0.01, 1}, 0) },
			func(x []float64) float64 { return math.Sin(pi*x[0]) * math.Sin(pi*x[1]) },
			func(x []float64) float64 { return 1.01 * pi * pi * math.Sin(pi*x[0]) * math.Sin(pi*x[1]) }, 2},
		{"helmholtz 2D", mesh.Dirichlet, 2, func(g *mesh.Grid) operator { return mesh.NewHelmholtz(g, 10) },
			func(x []float64) float64 { return math.Sin(pi*x[0]) * math.Sin(pi*x[1]) },
			func(x []float64) float64 { return (2*pi*pi - 100) * math.Sin(pi*x[0]) * math.Sin(pi*x[1]) }, 2},
		{"convdiff central 2D", mesh.Dirichlet, 2, func(g *mesh.Grid) operator {
			return mesh.NewConvDiff(g, 0.5, []float64{1, -2}, mesh.Central)
		},
			func(x []float64) float64 { return math.Sin(pi*x[0]) * math.Sin(pi*x[1]) },
			func(x []float64) float64 {
				s0, c0, s1, c1 := math.Sin(pi*x[0]), math.Cos(pi*x[0]), math.Sin(pi*x[1]), math.Cos(pi*x[1])
				return 0.5*2*pi*pi*s0*s1 + pi*c0*s1 - 2*pi*s0*c1
			}, 2},
		// First-order upwind is first-order accurate: assert that, not 2.
		{"convdiff upwind 2D", mesh.Dirichlet, 2, func(g *mesh.Grid) operator {
			return mesh.NewConvDiff(g, 0.5, []float64{1, -2}, mesh.Upwind)
		},
			func(x []float64) float64 { return math.Sin(pi*x[0]) * math.Sin(pi*x[1]) },
			func(x []float64) float64 {
				s0, c0, s1, c1 := math.Sin(pi*x[0]), math.Cos(pi*x[0]), math.Sin(pi*x[1]), math.Cos(pi*x[1])
				return 0.5*2*pi*pi*s0*s1 + pi*c0*s1 - 2*pi*s0*c1
			}, 1},
		{"laplacian periodic 2D", mesh.Periodic, 2, func(g *mesh.Grid) operator { return mesh.NewLaplacian(g) },
			func(x []float64) float64 { return math.Sin(2*pi*x[0]) * math.Cos(2*pi*x[1]) },
			func(x []float64) float64 { return 8 * pi * pi * math.Sin(2*pi*x[0]) * math.Cos(2*pi*x[1]) }, 2},
		{"convdiff central periodic 1D", mesh.Periodic, 1, func(g *mesh.Grid) operator {
			return mesh.NewConvDiff(g, 1, []float64{3}, mesh.Central)
		},
			func(x []float64) float64 { return math.Sin(2 * pi * x[0]) },
			func(x []float64) float64 { return 4*pi*pi*math.Sin(2*pi*x[0]) + 6*pi*math.Cos(2*pi*x[0]) }, 2},
	} {
		var errs []float64
		for _, m := range []int{16, 32, 64} {
			n := m - 1 // Dirichlet: h = 1/m
			if tc.bc == mesh.Periodic {
				n = m
			}
			sz := make([]int, tc.dim)
			for i := range sz {
				sz[i] = n
			}
			g := mesh.NewGrid(tc.bc, sz...)
			op := tc.op(g)
			u, f := g.Sample(nil, tc.u), g.Sample(nil, tc.f)
			au := make([]float64, g.Len())
			op.MulVecTo(au, u)
			for i := range au {
				au[i] -= f[i]
			}
			errs = append(errs, maxAbs(au))
		}
		checkOrder(t, tc.name, errs, tc.order)
	}
}

// solveError solves A u = f with CG to 1e-12 and returns max |u - u_exact|.
func solveError(t *testing.T, g *mesh.Grid, op operator, u, f func([]float64) float64) float64 {
	t.Helper()
	res, err := solvers.Solve(context.Background(), op, g.Sample(nil, f), &solvers.CG{}, &solvers.Settings{Control: iterate.Control{Tolerance: 1e-12}})
	if err != nil || !res.Reason.Converged() {
		t.Fatalf("CG: %v, %v", err, res.Reason)
	}
	ue := g.Sample(nil, u)
	for i := range ue {
		ue[i] -= res.X[i]
	}
	return maxAbs(ue)
}

// Where the boundary treatment has an O(1) local truncation error (the
// cell-centred Neumann ghost, the one-sided coefficient on a Dirichlet face)
// the global error is still second order; check the solution.
func TestSolutionOrder(t *testing.T) {
	pi := math.Pi
	t.Run("neumann shifted laplacian 2D", func(t *testing.T) {
		var errs []float64
		for _, n := range []int{16, 32, 64} {
			g := mesh.NewGrid(mesh.Neumann, n, n)
			op := mesh.NewAnisotropic(g, []float64{1, 1}, 1)
			errs = append(errs, solveError(t, g, op,
				func(x []float64) float64 { return math.Cos(pi*x[0]) * math.Cos(pi*x[1]) },
				func(x []float64) float64 { return (2*pi*pi + 1) * math.Cos(pi*x[0]) * math.Cos(pi*x[1]) }))
		}
		checkOrder(t, "neumann", errs, 2)
	})
	t.Run("variable coefficient 2D", func(t *testing.T) {
		// a = 1 + x^2 + y, u = sin(pi x) sin(pi y):
		// -div(a grad u) = -(a_x u_x + a_y u_y) - a Lap u.
		a := func(x []float64) float64 { return 1 + x[0]*x[0] + x[1] }
		u := func(x []float64) float64 { return math.Sin(pi*x[0]) * math.Sin(pi*x[1]) }
		f := func(x []float64) float64 {
			s0, c0, s1, c1 := math.Sin(pi*x[0]), math.Cos(pi*x[0]), math.Sin(pi*x[1]), math.Cos(pi*x[1])
			return -(2*x[0]*pi*c0*s1 + 1*pi*s0*c1) + a(x)*2*pi*pi*s0*s1
		}
		var errs []float64
		for _, m := range []int{16, 32, 64} {
			g := mesh.NewGrid(mesh.Dirichlet, m-1, m-1)
			op, err := mesh.NewDivGrad(g, g.Sample(nil, a))
			if err != nil {
				t.Fatal(err)
			}
			errs = append(errs, solveError(t, g, op, u, f))
		}
		checkOrder(t, "divgrad", errs, 2)
	})
	t.Run("variable coefficient neumann 1D", func(t *testing.T) {
		// a = 2 + x, u = cos(pi x), shifted by u: -(a u')' + u.
		a := func(x []float64) float64 { return 2 + x[0] }
		u := func(x []float64) float64 { return math.Cos(pi * x[0]) }
		f := func(x []float64) float64 {
			return pi*math.Sin(pi*x[0]) + a(x)*pi*pi*math.Cos(pi*x[0]) + math.Cos(pi*x[0])
		}
		var errs []float64
		for _, n := range []int{32, 64, 128} {
			g := mesh.NewGrid(mesh.Neumann, n)
			vs, err := mesh.NewDivGrad(g, g.Sample(nil, a))
			if err != nil {
				t.Fatal(err)
			}
			errs = append(errs, solveError(t, g, shifted{vs, 1}, u, f))
		}
		checkOrder(t, "divgrad neumann", errs, 2)
	})
}

// shifted is A + c I.
type shifted struct {
	*mesh.VarStencil
	c float64
}

func (s shifted) MulVecTo(dst, x []float64) {
	s.VarStencil.MulVecTo(dst, x)
	for i := range dst {
		dst[i] += s.c * x[i]
	}
}

func TestDivGradRejectsBadCoefficient(t *testing.T) {
	g := mesh.NewGrid(mesh.Dirichlet, 3, 3)
	for _, a := range [][]float64{make([]float64, 5), {1, 1, 1, 1, -1, 1, 1, 1, 1}, {1, 1, 1, 1, math.NaN(), 1, 1, 1, 1}} {
		if _, err := mesh.NewDivGrad(g, a); err == nil {
			t.Errorf("coefficient %v accepted", a)
		}
	}
}

func TestTransfer(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		bc mesh.Boundary
		n  []int
	}{
		{mesh.Dirichlet, []int{15}}, {mesh.Dirichlet, []int{15, 7}}, {mesh.Dirichlet, []int{7, 7, 7}},
		{mesh.Periodic, []int{16}}, {mesh.Periodic, []int{16, 8}}, {mesh.Periodic, []int{8, 8, 8}},
		{mesh.Neumann, []int{16}}, {mesh.Neumann, []int{8, 16}}, {mesh.Neumann, []int{4, 4, 4}},
	} {
		name := fmt.Sprintf("%v %v", tc.bc, tc.n)
		g := mesh.NewGrid(tc.bc, tc.n...)
		tr, err := mesh.NewTransfer(g)
		if err != nil {
			t.Fatal(err)
		}
		nf, nc := g.Len(), tr.Coarse().Len()
		p, r := tr.ProlongationCSR(), tr.RestrictionCSR()
		xc, xf := randVec(rnd, nc), randVec(rnd, nf)
		got, want := make([]float64, nf), make([]float64, nf)
		tr.Prolong(got, xc)
		p.MulVecTo(want, xc)
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-14 {
				t.Fatalf("%s: Prolong and P differ", name)
			}
		}
		gotc, wantc := make([]float64, nc), make([]float64, nc)
		tr.Restrict(gotc, xf)
		r.MulVecTo(wantc, xf)
		// Adjoint identity: <R xf, xc> = <xf, P xc> / 2^d.
		var lhs, rhs float64
		for i := range gotc {
			if math.Abs(gotc[i]-wantc[i]) > 1e-14 {
				t.Fatalf("%s: Restrict and R differ", name)
			}
			lhs += gotc[i] * xc[i]
		}
		for i := range xf {
			rhs += xf[i] * got[i]
		}
		rhs /= float64(int(1) << g.Dim())
		if math.Abs(lhs-rhs) > 1e-12*math.Abs(rhs) {
			t.Errorf("%s: <R f, c> = %v, <f, P c>/2^d = %v", name, lhs, rhs)
		}
		// Prolongation reproduces constants away from Dirichlet walls.
		if tc.bc != mesh.Dirichlet {
			ones := make([]float64, nc)
			for i := range ones {
				ones[i] = 1
			}
			tr.Prolong(got, ones)
			for i := range got {
				if math.Abs(got[i]-1) > 1e-15 {
					t.Fatalf("%s: P 1 = %v at %d", name, got[i], i)
				}
			}
		}
	}
}

func TestGalerkinCoarseOperator1D(t *testing.T) {
	// With linear interpolation and full weighting, R A_h P equals the
	// rediscretized A_2h for the 1-D Laplacian (Briggs, Henson, McCormick,
	// A Multigrid Tutorial, 2nd ed., section 5.2).
	g := mesh.NewGrid(mesh.Dirichlet, 31)
	tr, _ := mesh.NewTransfer(g)
	a := mesh.NewLaplacian(g)
	ac := mesh.NewLaplacian(tr.Coarse()).ToCSR().ToDense()
	nf, nc := g.Len(), tr.Coarse().Len()
	col, af, pc := make([]float64, nc), make([]float64, nf), make([]float64, nf)
	rc := make([]float64, nc)
	for j := 0; j < nc; j++ {
		clear(col)
		col[j] = 1
		tr.Prolong(pc, col)
		a.MulVecTo(af, pc)
		tr.Restrict(rc, af)
		for i := 0; i < nc; i++ {
			if math.Abs(rc[i]-ac.At(i, j)) > 1e-9 {
				t.Fatalf("(R A P)[%d,%d] = %v, A_2h = %v", i, j, rc[i], ac.At(i, j))
			}
		}
	}
}

func TestStencilDoesNotAllocate(t *testing.T) {
	g := mesh.NewGrid(mesh.Dirichlet, 200, 200)
	a := mesh.NewLaplacian(g)
	x, y := make([]float64, g.Len()), make([]float64, g.Len())
	a.MulVecTo(y, x)
	if n := testing.AllocsPerRun(20, func() { a.MulVecTo(y, x) }); n != 0 {
		t.Errorf("Stencil.MulVecTo allocated %v times per call", n)
	}
}

func TestGridErrors(t *testing.T) {
	for _, tc := range []struct {
		n   []int
		bc  []mesh.Boundary
		len []float64
	}{
		{[]int{}, nil, nil},
		{[]int{0}, []mesh.Boundary{mesh.Dirichlet}, []float64{1}},
		{[]int{2}, []mesh.Boundary{mesh.Periodic}, []float64{1}},
		{[]int{4}, []mesh.Boundary{mesh.Dirichlet}, []float64{-1}},
		{[]int{4, 4}, []mesh.Boundary{mesh.Dirichlet}, []float64{1, 1}},
	} {
		if _, err := mesh.NewGridWith(tc.n, tc.bc, tc.len); err == nil {
			t.Errorf("NewGridWith(%v, %v, %v) accepted", tc.n, tc.bc, tc.len)
		}
	}
	if _, err := mesh.NewGrid(mesh.Dirichlet, 2).Coarsen(); err == nil {
		t.Error("coarsened 2 Dirichlet unknowns")
	}
}

func TestDivGradHarmonicFaces(t *testing.T) {
	// A 12-to-3 jump (the Darcy thresholds): the face between the two
	// points must carry the harmonic mean 2*12*3/(12+3) = 4.8, not 7.5.
	g := mesh.NewGrid(mesh.Dirichlet, 2)
	vs, err := mesh.NewDivGrad(g, []float64{12, 3})
	if err != nil {
		t.Fatal(err)
	}
	a := vs.ToCSR()
	h2 := g.H(0) * g.H(0)
	if got, want := a.At(0, 1)*h2, -4.8; math.Abs(got-want) > 1e-12 {
		t.Errorf("face coefficient %v, want %v", got, want)
	}
	// Boundary faces take the adjacent value: row 0 centre = (12 + 4.8)/h^2.
	if got, want := a.At(0, 0)*h2, 16.8; math.Abs(got-want) > 1e-12 {
		t.Errorf("centre %v, want %v", got, want)
	}
}

func TestDivGradNodes(t *testing.T) {
	// Nodes 0..3 in 1-D with a = 1, 12, 3, 5: interior unknowns at nodes 1
	// and 2; faces (1+12)/2, (12+3)/2, (3+5)/2 arithmetic, or harmonic.
	g := mesh.NewGrid(mesh.Dirichlet, 2)
	a := []float64{1, 12, 3, 5}
	h2 := g.H(0) * g.H(0)
	for _, tc := range []struct {
		mean    mesh.FaceMean
		l, m, r float64
	}{
		{mesh.Arithmetic, 6.5, 7.5, 4},
		{mesh.Harmonic, 2 * 12 / 13.0, 4.8, 2 * 15 / 8.0},
	} {
		vs, err := mesh.NewDivGradNodes(g, a, tc.mean)
		if err != nil {
			t.Fatal(err)
		}
		c := vs.ToCSR()
		for _, e := range []struct {
			i, j int
			want float64
		}{{0, 0, tc.l + tc.m}, {0, 1, -tc.m}, {1, 0, -tc.m}, {1, 1, tc.m + tc.r}} {
			if got := c.At(e.i, e.j) * h2; math.Abs(got-e.want) > 1e-12 {
				t.Errorf("mean %d: entry (%d,%d) = %v, want %v", tc.mean, e.i, e.j, got, e.want)
			}
		}
	}
	// A constant coefficient gives that multiple of the Laplacian in 2-D.
	g2 := mesh.NewGrid(mesh.Dirichlet, 5, 4)
	ones := make([]float64, 7*6)
	for i := range ones {
		ones[i] = 2
	}
	vs, err := mesh.NewDivGradNodes(g2, ones, mesh.Arithmetic)
	if err != nil {
		t.Fatal(err)
	}
	lap := mesh.NewLaplacian(g2).ToCSR()
	c := vs.ToCSR()
	for i := 0; i < g2.Len(); i++ {
		for j := 0; j < g2.Len(); j++ {
			if math.Abs(c.At(i, j)-2*lap.At(i, j)) > 1e-9 {
				t.Fatalf("entry (%d,%d) = %v, want %v", i, j, c.At(i, j), 2*lap.At(i, j))
			}
		}
	}
	if _, err := mesh.NewDivGradNodes(g2, ones[:30], mesh.Arithmetic); err == nil {
		t.Error("interior-sized coefficient accepted")
	}
	if _, err := mesh.NewDivGradNodes(mesh.NewGrid(mesh.Periodic, 8), make([]float64, 10), mesh.Arithmetic); err == nil {
		t.Error("periodic grid accepted")
	}
}

// TestNonNestedTransfer checks the linear interpolation from the coarsening
// of an even Dirichlet grid (not nested): it reproduces a smooth function to
// second order, and the coarse grid has half the points.
func TestNonNestedTransfer(t *testing.T) {
	var prev float64
	for _, n := range []int{20, 40, 80} {
		g := mesh.NewGrid(mesh.Dirichlet, n, n)
		tr, err := mesh.NewTransfer(g)
		if err != nil {
			t.Fatal(err)
		}
		cg := tr.Coarse()
		if cg.N(0) != n/2 || math.Abs(cg.H(0)-1/float64(n/2+1)) > 1e-15 {
			t.Fatalf("coarse grid %d points, h %v", cg.N(0), cg.H(0))
		}
		f := func(x []float64) float64 { return math.Sin(math.Pi*x[0]) * math.Sin(2*math.Pi*x[1]) }
		coarse := cg.Sample(nil, f)
		fine := g.Sample(nil, f)
		got := make([]float64, g.Len())
		tr.Prolong(got, coarse)
		e := 0.0
		for i := range got {
			e = math.Max(e, math.Abs(got[i]-fine[i]))
		}
		if prev > 0 {
			if order := math.Log2(prev / e); math.Abs(order-2) > 0.3 {
				t.Errorf("n=%d: interpolation error %.3g, order %.2f, want 2", n, e, order)
			}
		}
		prev = e
	}
}
