package mg

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

// jump returns the Darcy-like coefficient 12 where a smooth pattern is
// positive and 3 elsewhere: the 12-to-3 jump of the FNO Darcy data, on a
// deterministic interface that cuts the grid lines at every resolution.
func jump(g *mesh.Grid) []float64 {
	return g.Sample(nil, func(x []float64) float64 {
		if math.Sin(7*x[0]+1)*math.Cos(5*x[1]-0.3)+0.3*math.Sin(11*x[0]*x[1]) > 0.1 {
			return 12
		}
		return 3
	})
}

type problem struct {
	name  string
	grid  func(n int) *mesh.Grid
	op    func(g *mesh.Grid) *sparse.CSR
	sizes []int
}

func problems() []problem {
	lap := func(g *mesh.Grid) *sparse.CSR { return mesh.NewLaplacian(g).ToCSR() }
	g2 := func(n int) *mesh.Grid { return mesh.NewGrid(mesh.Dirichlet, n, n) }
	return []problem{
		{"poisson1d", func(n int) *mesh.Grid { return mesh.NewGrid(mesh.Dirichlet, n) }, lap, []int{255, 1023, 4095}},
		{"poisson2d", g2, lap, []int{31, 63, 127}},
		{"poisson3d", func(n int) *mesh.Grid { return mesh.NewGrid(mesh.Dirichlet, n, n, n) }, lap, []int{15, 31, 63}},
		{"darcy2d-12-3", g2, func(g *mesh.Grid) *sparse.CSR {
			op, err := mesh.NewDivGrad(g, jump(g))
			if err != nil {
				panic(err)
			}
			return op.ToCSR()
		}, []int{31, 63, 127}},
		{"helmholtz-neumann2d", func(n int) *mesh.Grid { return mesh.NewGrid(mesh.Neumann, n, n) },
			func(g *mesh.Grid) *sparse.CSR { return mesh.NewAnisotropic(g, []float64{1, 1}, 1).ToCSR() }, []int{32, 64, 128}},
	}
}

// counts solves with multigrid as a solver and as a CG preconditioner at
// each size and returns the iteration counts.
func counts(t *testing.T, p problem, s *Settings, method func() solvers.Method) []int {
	t.Helper()
	var its []int
	for _, n := range p.sizes {
		g := p.grid(n)
		a := p.op(g)
		m, err := New(g, a, s)
		if err != nil {
			t.Fatalf("%s n=%d: %v", p.name, n, err)
		}
		b := g.Sample(nil, func(x []float64) float64 { return 1 + x[0] })
		res, err := solvers.Solve(context.Background(), a, b, method(), &solvers.Settings{Control: iterate.Control{MaxIterations: 200}, Preconditioner: m})
		if err != nil {
			t.Fatal(err)
		}
		if res.Reason != iterate.ConvergedRelative {
			t.Fatalf("%s n=%d: %v after %d (relres %.3g)", p.name, n, res.Reason, res.Iterations, res.RelResidual)
		}
		its = append(its, res.Iterations)
	}
	return its
}

// TestGridIndependentCycles: the number of cycles to reach 1e-8 does not
// grow with the grid: at three sizes the counts are within 1 of each other,
// for every cycle and smoother, as a solver and as a CG preconditioner.
func TestGridIndependentCycles(t *testing.T) {
	richardson := func() solvers.Method { return &solvers.Richardson{} }
	cg := func() solvers.Method { return &solvers.CG{} }
	for _, p := range problems() {
		for _, s := range []Settings{
			{},
			{Smoother: RedBlack},
			{Smoother: WeightedJacobi, PreSmooth: 2, PostSmooth: 2},
			{Cycle: W},
			{Cycle: F},
		} {
			for _, m := range []struct {
				name   string
				method func() solvers.Method
				limit  int
			}{{"mg", richardson, 25}, {"mg-pcg", cg, 12}} {
				if m.name == "mg-pcg" && s.Cycle == F {
					continue // the F-cycle is not a symmetric preconditioner
				}
				its := counts(t, p, &s, m.method)
				lo, hi := its[0], its[0]
				for _, k := range its {
					lo, hi = min(lo, k), max(hi, k)
				}
				if hi-lo > 1 || hi > m.limit {
					t.Errorf("%s %s %s-cycle %v: iterations %v at sizes %v", p.name, m.name, s.Cycle, s.Smoother, its, p.sizes)
				}
			}
		}
	}
}

// TestRediscretizedCoarse: rediscretizing the Laplacian on each grid works
// as well as Galerkin for constant coefficients.
func TestRediscretizedCoarse(t *testing.T) {
	p := problems()[1]
	s := &Settings{Smoother: RedBlack, Coarse: func(g *mesh.Grid) (*sparse.CSR, error) {
		return mesh.NewLaplacian(g).ToCSR(), nil
	}}
	its := counts(t, p, s, func() solvers.Method { return &solvers.CG{} })
	for _, k := range its {
		if k > 10 || k < its[0]-1 || k > its[0]+1 {
			t.Errorf("rediscretized MG-PCG iterations %v", its)
		}
	}
	// The Galerkin operator of the 1-D Laplacian is the rediscretized one.
	g := mesh.NewGrid(mesh.Dirichlet, 15)
	m, _ := New(g, mesh.NewLaplacian(g).ToCSR(), &Settings{CoarsestSize: 1})
	want := mesh.NewLaplacian(m.Grid(1)).ToCSR().ToDense()
	got := m.Operator(1).ToDense()
	r, c := want.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if math.Abs(got.At(i, j)-want.At(i, j)) > 1e-9*math.Abs(want.At(i, i)) {
				t.Fatalf("Galerkin (%d,%d) = %g, rediscretized %g", i, j, got.At(i, j), want.At(i, j))
			}
		}
	}
}

// TestSymmetricPreconditioner: V and W cycles with the default smoothers
// are symmetric operators, as CG requires.
func TestSymmetricPreconditioner(t *testing.T) {
	g := mesh.NewGrid(mesh.Dirichlet, 31, 31)
	op, _ := mesh.NewDivGrad(g, jump(g))
	a := op.ToCSR()
	x := g.Sample(nil, func(p []float64) float64 { return math.Sin(3*p[0]) + p[1] })
	y := g.Sample(nil, func(p []float64) float64 { return math.Cos(5*p[1]*p[0]) - p[0] })
	for _, s := range []Settings{{}, {Smoother: RedBlack}, {Smoother: WeightedJacobi}, {Cycle: W}} {
		m, err := New(g, a, &s)
		if err != nil {
			t.Fatal(err)
		}
		mx, my := make([]float64, len(x)), make([]float64, len(x))
		m.PreconSolve(mx, x)
		m.PreconSolve(my, y)
		l, r := floats.Dot(mx, y), floats.Dot(x, my)
		if math.Abs(l-r) > 1e-10*math.Abs(l) {
			t.Errorf("%v %v: <Mx, y> = %.15g, <x, My> = %.15g", s.Cycle, s.Smoother, l, r)
		}
	}
}

// TestNonsymmetric: multigrid preconditions GMRES on convection-diffusion.
func TestNonsymmetric(t *testing.T) {
	var its []int
	for _, n := range []int{31, 63, 127} {
		g := mesh.NewGrid(mesh.Dirichlet, n, n)
		a := mesh.NewConvDiff(g, 1, []float64{7, 7}, mesh.Upwind).ToCSR()
		m, err := New(g, a, nil)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]float64, g.Len())
		for i := range b {
			b[i] = 1
		}
		res, _ := solvers.Solve(context.Background(), a, b, &solvers.GMRES{}, &solvers.Settings{Preconditioner: m})
		if !res.Reason.Converged() {
			t.Fatalf("n=%d: %v", n, res.Reason)
		}
		its = append(its, res.Iterations)
	}
	if its[2] > its[0]+1 || its[2] > 12 {
		t.Errorf("MG-GMRES iterations %v", its)
	}
}

func TestBadInput(t *testing.T) {
	g := mesh.NewGrid(mesh.Dirichlet, 15, 15)
	a := mesh.NewLaplacian(g).ToCSR()
	odd := mesh.NewGrid(mesh.Dirichlet, 2, 1501)
	neu := mesh.NewGrid(mesh.Neumann, 16, 16)
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"size mismatch", func() error { _, err := New(mesh.NewGrid(mesh.Dirichlet, 7, 7), a, nil); return err }, "grid has 49 points"},
		{"uncoarsenable", func() error { _, err := New(odd, mesh.NewLaplacian(odd).ToCSR(), nil); return err }, "cannot be coarsened"},
		{"singular Neumann", func() error { _, err := New(neu, mesh.NewLaplacian(neu).ToCSR(), nil); return err }, "singular"},
		{"bad coarse", func() error {
			_, err := New(g, a, &Settings{Coarse: func(*mesh.Grid) (*sparse.CSR, error) { return a, nil }})
			return err
		}, "coarse operator on level 1 is 225 x 225"},
		{"coarse error", func() error {
			_, err := New(g, a, &Settings{Coarse: func(*mesh.Grid) (*sparse.CSR, error) { return nil, fmt.Errorf("no") }})
			return err
		}, "level 1: no"},
		{"bad cycle", func() error { _, err := New(g, a, &Settings{Cycle: 7}); return err }, "unknown cycle"},
	} {
		if err := tc.err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestCycleDoesNotAllocate(t *testing.T) {
	g := mesh.NewGrid(mesh.Dirichlet, 63, 63)
	a := mesh.NewLaplacian(g).ToCSR()
	for _, s := range []Settings{{}, {Cycle: W, Smoother: RedBlack}, {Cycle: F, Smoother: WeightedJacobi}} {
		m, _ := New(g, a, &s)
		r := make([]float64, g.Len())
		dst := make([]float64, g.Len())
		if n := testing.AllocsPerRun(5, func() { m.PreconSolve(dst, r) }); n != 0 {
			t.Errorf("%v: %v allocations per cycle", s, n)
		}
	}
}

// TestOperatorDependentP: for constant coefficients the operator-dependent
// prolongation is the bilinear one; across a 1-D jump it is the exact
// interpolation of the piecewise-linear flux solution.
func TestOperatorDependentP(t *testing.T) {
	for _, g := range []*mesh.Grid{mesh.NewGrid(mesh.Dirichlet, 15), mesh.NewGrid(mesh.Dirichlet, 15, 7)} {
		tr, _ := mesh.NewTransfer(g)
		want := tr.ProlongationCSR().ToDense()
		got := operatorP(g, mesh.NewLaplacian(g).ToCSR()).ToDense()
		r, c := want.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				if math.Abs(got.At(i, j)-want.At(i, j)) > 1e-12 {
					t.Fatalf("%d-D: P[%d][%d] = %g, bilinear %g", g.Dim(), i, j, got.At(i, j), want.At(i, j))
				}
			}
		}
	}
	// 1-D, coefficient 12 at fine points 0..3 and 3 from point 4 on. The
	// face coefficients around point 4 are the harmonic mean 4.8 of 12 and
	// 3 (west) and 3 (east); flux continuity, 4.8 (u4 - u3) = 3 (u5 - u4),
	// gives u4 = (4.8 u3 + 3 u5) / 7.8, the exact interpolation.
	g := mesh.NewGrid(mesh.Dirichlet, 15)
	coef := g.Sample(nil, func(x []float64) float64 {
		if x[0] < 4.5/16 {
			return 12
		}
		return 3
	})
	op, _ := mesh.NewDivGrad(g, coef)
	p := operatorP(g, op.ToCSR())
	// Fine 4 lies between coarse 1 (fine 3) and coarse 2 (fine 5).
	if w1, w2 := p.At(4, 1), p.At(4, 2); math.Abs(w1-4.8/7.8) > 1e-12 || math.Abs(w2-3/7.8) > 1e-12 {
		t.Errorf("weights across the jump %g, %g, want %g, %g", w1, w2, 4.8/7.8, 3/7.8)
	}
}
