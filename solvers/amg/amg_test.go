package amg

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/pde"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

// family is a problem at three sizes.
type family struct {
	name  string
	sizes []int
	build func(n int) *sparse.CSR
}

func families(t *testing.T) []family {
	grid := func(n, dim int) *mesh.Grid {
		s := make([]int, dim)
		for i := range s {
			s[i] = n
		}
		return mesh.NewGrid(mesh.Dirichlet, s...)
	}
	return []family{
		{"poisson2d", []int{31, 63, 127}, func(n int) *sparse.CSR { return mesh.NewLaplacian(grid(n, 2)).ToCSR() }},
		// From 63 up: below, the lines of strong coupling are short enough
		// that the hierarchy ends in a direct solve of most of the problem
		// (2 iterations at 31).
		{"anisotropic2d eps 1e-3", []int{63, 127, 255}, func(n int) *sparse.CSR {
			return mesh.NewAnisotropic(grid(n, 2), []float64{1e-3, 1}, 0).ToCSR()
		}},
		{"darcy2d", []int{33, 65, 129}, func(n int) *sparse.CSR {
			d := pde.DarcyData{N: n, Seed: 1}
			d.Defaults()
			a, err := d.Coefficient(0)
			if err != nil {
				t.Fatal(err)
			}
			op, err := mesh.NewDivGradNodes(grid(n-2, 2), a, mesh.Arithmetic)
			if err != nil {
				t.Fatal(err)
			}
			return op.ToCSR()
		}},
		{"poisson3d", []int{11, 17, 25}, func(n int) *sparse.CSR { return mesh.NewLaplacian(grid(n, 3)).ToCSR() }},
	}
}

func ones(n int) []float64 {
	b := make([]float64, n)
	for i := range b {
		b[i] = 1
	}
	return b
}

// AMG-preconditioned CG converges in few iterations, and about as many on
// every size: the defining property of multigrid.
func TestPCGIterationsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds AMG and solves 12 systems up to 255^2 and 25^3 (a few seconds): skipped under -short")
	}
	for _, c := range []struct {
		co        Coarsening
		sm        Smoother
		most      int
		maxGrowth int
	}{
		{RugeStueben, SymmetricGS, 12, 2},
		{SmoothedAggregation, SymmetricGS, 25, 5},
		{SmoothedAggregation, Chebyshev, 25, 5},
	} {
		for _, f := range families(t) {
			var its []int
			for _, n := range f.sizes {
				a := f.build(n)
				m, err := New(a, &Settings{Coarsening: c.co, Smoother: c.sm})
				if err != nil {
					t.Fatalf("%s %v n %d: %v", f.name, c.co, n, err)
				}
				r, _ := a.Dims()
				res, err := solvers.Solve(context.Background(), a, ones(r), &solvers.CG{},
					&solvers.Settings{Control: iterate.Control{Tolerance: 1e-8}, Preconditioner: m})
				if err != nil {
					t.Fatalf("%s %v n %d: %v", f.name, c.co, n, err)
				}
				its = append(its, res.Iterations)
			}
			t.Logf("%s, %v/%v: PCG iterations %v", f.name, c.co, c.sm, its)
			lo, hi := its[0], its[0]
			for _, k := range its {
				lo, hi = min(lo, k), max(hi, k)
			}
			if hi > c.most || hi-lo > c.maxGrowth {
				t.Errorf("%s, %v/%v: PCG iterations %v over three sizes, want at most %d and a spread of at most %d",
					f.name, c.co, c.sm, its, c.most, c.maxGrowth)
			}
		}
	}
}

// As a stationary iteration the V-cycle contracts the error by a factor
// independent of the size.
func TestConvergenceFactor(t *testing.T) {
	for _, c := range []struct {
		co  Coarsening
		max float64
	}{{RugeStueben, 0.15}, {SmoothedAggregation, 0.5}} {
		for _, n := range []int{31, 127} {
			a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, n, n)).ToCSR()
			m, err := New(a, &Settings{Coarsening: c.co})
			if err != nil {
				t.Fatal(err)
			}
			b := ones(n * n)
			res, err := solvers.Solve(context.Background(), a, b, &solvers.Richardson{},
				&solvers.Settings{Control: iterate.Control{Tolerance: 1e-10, MaxIterations: 200}, Preconditioner: m})
			if err != nil {
				t.Fatal(err)
			}
			factor := math.Pow(res.RelResidual, 1/float64(res.Iterations))
			t.Logf("%v n %d: %d V-cycles, mean factor %.3f", c.co, n, res.Iterations, factor)
			if factor > c.max {
				t.Errorf("%v n %d: mean residual factor per V-cycle %.3f, want at most %.2f", c.co, n, factor, c.max)
			}
		}
	}
}

// The V-cycle is a symmetric operator with every smoother: u^T M v = v^T M u.
func TestCycleSymmetric(t *testing.T) {
	a := mesh.NewAnisotropic(mesh.NewGrid(mesh.Dirichlet, 40, 30), []float64{0.3, 1}, 0).ToCSR()
	rnd := rand.New(rand.NewPCG(1, 2))
	n, _ := a.Dims()
	u, v := make([]float64, n), make([]float64, n)
	for i := range u {
		u[i], v[i] = rnd.NormFloat64(), rnd.NormFloat64()
	}
	mu, mv := make([]float64, n), make([]float64, n)
	for _, co := range []Coarsening{SmoothedAggregation, RugeStueben} {
		for _, sm := range []Smoother{SymmetricGS, Jacobi, Chebyshev} {
			for _, sweeps := range []int{1, 2} {
				m, err := New(a, &Settings{Coarsening: co, Smoother: sm, Sweeps: sweeps, CoarsestSize: 20})
				if err != nil {
					t.Fatal(err)
				}
				if m.Levels() < 3 {
					t.Fatalf("%v: %d levels, want at least 3", co, m.Levels())
				}
				m.PreconSolve(mu, u)
				m.PreconSolve(mv, v)
				x, y := floats.Dot(v, mu), floats.Dot(u, mv)
				if math.Abs(x-y) > 1e-11*floats.Norm(u, 2)*floats.Norm(mv, 2) {
					t.Errorf("%v/%v, %d sweeps: v^T M u = %.15g, u^T M v = %.15g", co, sm, sweeps, x, y)
				}
				if floats.Dot(u, mu) <= 0 {
					t.Errorf("%v/%v, %d sweeps: u^T M u = %g, not positive", co, sm, sweeps, floats.Dot(u, mu))
				}
			}
		}
	}
}

// The tentative prolongator carries the near-null space: T B_c = B on
// every aggregated unknown, here with the constant and a linear function.
func TestTentativeReproducesNearNull(t *testing.T) {
	g := mesh.NewGrid(mesh.Dirichlet, 20, 17)
	a := mesh.NewLaplacian(g).ToCSR()
	n, _ := a.Dims()
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i%20) / 19
	}
	b := [][]float64{ones(n), x}
	agg, nagg := aggregate(strength(a, a.Diagonal(nil), 0.08))
	tt, bc := tentative(agg, nagg, b)
	for c := range b {
		got := make([]float64, n)
		tt.MulVecTo(got, bc[c])
		for i := range got {
			if agg[i] >= 0 && math.Abs(got[i]-b[c][i]) > 1e-13 {
				t.Fatalf("vector %d: (T B_c)[%d] = %v, B = %v", c, i, got[i], b[c][i])
			}
		}
	}
	// The columns of each aggregate's block are orthonormal: T^T T = I.
	ttt, err := sparse.Mul(tt.Transpose(), tt)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2*nagg; i++ {
		cols, vals := ttt.Row(i)
		for k, j := range cols {
			want := 0.0
			if j == i {
				want = 1
			}
			if math.Abs(vals[k]-want) > 1e-13 {
				t.Fatalf("(T^T T)[%d][%d] = %v, want %v", i, j, vals[k], want)
			}
		}
	}
}

// Where a row of A sums to zero, interpolation reproduces the constant:
// the smoothed prolongator of aggregation (P 1_c = 1, from the lumped
// filtered operator) and classical interpolation (weights summing to 1).
func TestProlongationReproducesConstant(t *testing.T) {
	g := mesh.NewGrid(mesh.Dirichlet, 24, 24)
	a := mesh.NewAnisotropic(g, []float64{0.01, 1}, 0).ToCSR()
	n, _ := a.Dims()
	rowSum := make([]float64, n)
	a.MulVecTo(rowSum, ones(n))
	for _, co := range []Coarsening{SmoothedAggregation, RugeStueben} {
		m, err := New(a, &Settings{Coarsening: co, CoarsestSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		p := m.Prolongation(0)
		_, nc := p.Dims()
		c := ones(nc)
		if co == SmoothedAggregation {
			// The coarse constant is B_c: the aggregates' norms.
			agg, nagg := aggregate(strength(a, a.Diagonal(nil), 0.08))
			_, bc := tentative(agg, nagg, [][]float64{ones(n)})
			c = bc[0]
		}
		got := make([]float64, n)
		p.MulVecTo(got, c)
		checked := 0
		for i := range got {
			// Rows whose neighbours (and theirs) sum to zero: the
			// prolongator's support reaches two rows out.
			cols, _ := a.Row(i)
			inner := true
			for _, j := range cols {
				nb, _ := a.Row(j)
				for _, k := range nb {
					inner = inner && math.Abs(rowSum[k]) < 1e-12
				}
			}
			if !inner {
				continue
			}
			checked++
			if math.Abs(got[i]-1) > 1e-12 {
				t.Fatalf("%v: (P 1)[%d] = %v, want 1", co, i, got[i])
			}
		}
		if checked < n/2 {
			t.Fatalf("%v: only %d of %d rows checked", co, checked, n)
		}
	}
}

// A pure Neumann problem is singular: the coarsest level is solved by its
// pseudo-inverse, and PCG converges on a consistent right-hand side.
func TestSingularNeumann(t *testing.T) {
	sys, err := pde.Obstacles{Dim: 2, N: 48, Seed: 3}.Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, co := range []Coarsening{SmoothedAggregation, RugeStueben} {
		m, err := New(sys.A, &Settings{Coarsening: co})
		if err != nil {
			t.Fatalf("%v: %v", co, err)
		}
		res, err := solvers.Solve(context.Background(), sys.A, sys.B, &solvers.CG{},
			&solvers.Settings{Control: iterate.Control{Tolerance: 1e-8}, Preconditioner: m})
		if err != nil {
			t.Fatalf("%v: %v", co, err)
		}
		if res.Iterations > 30 {
			t.Errorf("%v: %d PCG iterations on the obstacle system, want at most 30", co, res.Iterations)
		}
	}
}

// TestSweep: the smoother's copy sweeps as sparse's SOR sweeps with
// omega 1 over the same rows in the same order (forward) and in reverse
// (backward), to the bit, and its residual is b - A x in any split of its
// rows into parts.
func TestSweep(t *testing.T) {
	var a *sparse.CSR
	for _, f := range families(t) {
		if f.name == "darcy2d" {
			a = f.build(33) // variable coefficients
		}
	}
	n, _ := a.Dims()
	diag := a.Diagonal(nil)
	state := splitCF(classicalStrength(a, 0.25))
	order := cfOrder(state)
	rnd := rand.New(rand.NewPCG(3, 3))
	b, x0 := make([]float64, n), make([]float64, n)
	for i := range b {
		b[i], x0[i] = rnd.NormFloat64(), rnd.NormFloat64()
	}
	rev := make([]int, n)
	for q, i := range order {
		rev[n-1-q] = i
	}
	for _, tc := range []struct {
		name  string
		order []int
	}{{"index order", nil}, {"C/F order", order}} {
		sw := newSweep(a, diag, tc.order, nil, nil)
		got, want := append([]float64(nil), x0...), append([]float64(nil), x0...)
		sw.forward(got, b)
		if tc.order == nil {
			a.SORForward(want, b, diag, 1)
		} else {
			a.SORRows(want, b, diag, 1, tc.order)
		}
		if !floats.Equal(got, want) {
			t.Errorf("%s: forward sweep differs from sparse's", tc.name)
		}
		sw.backward(got, b)
		if tc.order == nil {
			a.SORBackward(want, b, diag, 1)
		} else {
			a.SORRows(want, b, diag, 1, rev)
		}
		if !floats.Equal(got, want) {
			t.Errorf("%s: backward sweep differs from sparse's", tc.name)
		}
		a.MulVecTo(want, x0)
		floats.SubTo(want, b, want)
		for _, parts := range []int{1, 3} {
			sw.dst, sw.x, sw.b = got, x0, b
			for p := 0; p < parts; p++ {
				sw.Do(p, parts)
			}
			if d := floats.Distance(got, want, math.Inf(1)); d > 1e-12*floats.Norm(want, math.Inf(1)) {
				t.Errorf("%s, %d parts: residual off by %.3g", tc.name, parts, d)
			}
		}
	}
}

// TestClassicalPParts: classical interpolation filled in any number of
// parts is the same to the bit, and a C point's row is its coarse unknown
// with weight 1.
func TestClassicalPParts(t *testing.T) {
	var a *sparse.CSR
	for _, f := range families(t) {
		if f.name == "darcy2d" {
			a = f.build(65)
		}
	}
	strong := classicalStrength(a, 0.25)
	state := splitCF(strong)
	p, nc := classicalP(a, a.Diagonal(nil), strong, state)
	pp, pi, pv := p.RawCSR()
	for _, parts := range []int{2, 3, 7} {
		tk := &interpTask{a: a, adiag: a.Diagonal(nil), s: strong, state: state, cidx: make([]int32, len(state)), pp: pp,
			pi: make([]int, len(pi)), pv: make([]float64, len(pv))}
		c := int32(0)
		for i, st := range state {
			tk.cidx[i] = -1
			if st == coarse {
				tk.cidx[i], c = c, c+1
			}
		}
		for q := 0; q < parts; q++ {
			tk.Do(q, parts)
		}
		if !slices.Equal(tk.pi, pi) || !slices.Equal(tk.pv, pv) {
			t.Errorf("%d parts: the interpolation differs from one part's", parts)
		}
	}
	c := 0
	for i, st := range state {
		if st == coarse {
			if pp[i+1]-pp[i] != 1 || pi[pp[i]] != c || pv[pp[i]] != 1 {
				t.Fatalf("C point %d: row %v %v, want [%d] [1]", i, pi[pp[i]:pp[i+1]], pv[pp[i]:pp[i+1]], c)
			}
			c++
		}
	}
	if c != nc {
		t.Errorf("%d C points, classicalP says %d", c, nc)
	}
}

func TestNewErrors(t *testing.T) {
	a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, 5, 5)).ToCSR()
	rect, _ := sparse.NewCSR(2, 3, []int{0, 1, 2}, []int{0, 1}, []float64{1, 1})
	zero, _ := sparse.NewCSR(2, 2, []int{0, 1, 2}, []int{0, 0}, []float64{1, 1})
	for _, c := range []struct {
		name string
		a    *sparse.CSR
		s    *Settings
		is   error
	}{
		{"rectangular", rect, nil, solvers.ErrShape},
		{"zero diagonal", zero, nil, solvers.ErrSingular},
		{"near-null length", a, &Settings{NearNull: [][]float64{ones(3)}}, solvers.ErrShape},
		{"smoother", a, &Settings{Smoother: 7}, nil},
		{"coarsening", a, &Settings{Coarsening: -1}, nil},
		{"sweeps", a, &Settings{Sweeps: -1}, nil},
		{"strength", a, &Settings{Strength: math.NaN()}, nil},
		{"reorder", a, &Settings{Reorder: 9}, nil},
	} {
		_, err := New(c.a, c.s)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: %v, want %v", c.name, err, c.is)
		}
	}
}

// TestReordering: a grid numbered at random is reordered (ReorderAuto),
// and AMG-PCG on it takes the iterations of the natural numbering (the
// coarsening's ties aside: within 1) and reaches the same solution, for
// both coarsenings (smoothed aggregation with its near-null vector given,
// which is permuted too); the natural numbering is kept.
func TestReordering(t *testing.T) {
	nat := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, 60, 50)).ToCSR()
	n, _ := nat.Dims()
	perm := rand.New(rand.NewPCG(8, 8)).Perm(n)
	shuffled, err := sparse.PermuteSym(nat, perm)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]float64, n)
	for i := range b {
		b[i] = math.Sin(float64(i))
	}
	bs := make([]float64, n) // b in the shuffled numbering
	for k, i := range perm {
		bs[k] = b[i]
	}
	// A zero diagonal is named by the matrix's own row, not the ordering's.
	coo := sparse.NewCOO(n, n)
	for i := 0; i < n; i++ {
		cols, vals := shuffled.Row(i)
		for k, j := range cols {
			if i != 1234 || j != 1234 {
				coo.Add(i, j, vals[k])
			}
		}
	}
	coo.Add(1234, 1234, 0)
	if _, err := New(coo.ToCSR(), &Settings{Reorder: ReorderRCM}); err == nil || !strings.Contains(err.Error(), "row 1234:") {
		t.Errorf("a zero diagonal in row 1234: %v", err)
	}
	for _, set := range []Settings{{Coarsening: RugeStueben}, {NearNull: [][]float64{ones(n)}}} {
		mn, err := New(nat, &set)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := New(shuffled, &set)
		if err != nil {
			t.Fatal(err)
		}
		if mn.Stats().Reordered || !ms.Stats().Reordered {
			t.Errorf("%v: natural reordered %v, shuffled %v", set.Coarsening, mn.Stats().Reordered, ms.Stats().Reordered)
		}
		ctl := iterate.Control{Tolerance: 1e-10}
		rn, err := solvers.Solve(context.Background(), nat, b, &solvers.CG{}, &solvers.Settings{Control: ctl, Preconditioner: mn})
		if err != nil {
			t.Fatal(err)
		}
		rs, err := solvers.Solve(context.Background(), shuffled, bs, &solvers.CG{}, &solvers.Settings{Control: ctl, Preconditioner: ms})
		if err != nil {
			t.Fatal(err)
		}
		var diff float64
		for k, i := range perm {
			diff = math.Max(diff, math.Abs(rs.X[k]-rn.X[i]))
		}
		t.Logf("%v: natural %d iterations, shuffled %d; solutions differ by %.2g", set.Coarsening, rn.Iterations, rs.Iterations, diff)
		if !rs.Reason.Converged() || math.Abs(float64(rs.Iterations-rn.Iterations)) > 1 || diff > 1e-8 {
			t.Errorf("%v: natural %d iterations, shuffled %d (%v); solutions differ by %g", set.Coarsening, rn.Iterations, rs.Iterations, rs.Reason, diff)
		}
	}
}

// A coarsest level above maxDense is factored sparse (CHOLMOD for the SPD
// Laplacian, UMFPACK for convection-diffusion), and its solve is exact: a
// one-level hierarchy is A^-1. With two levels the coarse solve is exact
// whichever way it is made, so the dense and sparse coarsest give the same
// cycle.
func TestSparseCoarsest(t *testing.T) {
	g := mesh.NewGrid(mesh.Dirichlet, 40, 40)
	for _, c := range []struct {
		name, method string
		a            *sparse.CSR
	}{
		{"poisson2d", "cholesky", mesh.NewLaplacian(g).ToCSR()},
		{"convdiff2d", "lu", mesh.NewConvDiff(g, 1, []float64{30, 30}, mesh.Upwind).ToCSR()},
	} {
		n, _ := c.a.Dims()
		m, err := New(c.a, &Settings{CoarsestSize: n})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		st := m.Stats()
		if len(st.Rows) != 1 || !strings.HasPrefix(st.Coarsest, c.method) {
			t.Fatalf("%s: levels %v, coarsest %q; want one level by %s", c.name, st.Rows, st.Coarsest, c.method)
		}
		b := ones(n)
		x := make([]float64, n)
		m.PreconSolve(x, b)
		r := make([]float64, n)
		c.a.MulVecTo(r, x)
		floats.Sub(r, b)
		if e := floats.Norm(r, 2) / floats.Norm(b, 2); e > 1e-12 {
			t.Errorf("%s: one-level AMG leaves relative residual %.3g", c.name, e)
		}
	}
	// Two levels of poisson2d 63^2: the coarse level (about 900 unknowns
	// here) by CHOLMOD against the same hierarchy with a dense inverse.
	a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, 63, 63)).ToCSR()
	n, _ := a.Dims()
	m, err := New(a, &Settings{CoarsestSize: 2000, Coarsening: RugeStueben})
	if err != nil {
		t.Fatal(err)
	}
	st := m.Stats()
	if len(st.Rows) != 2 || st.Rows[1] <= maxDense || st.Coarsest == "dense" {
		t.Fatalf("levels %v, coarsest %q: want two levels, the coarse one above %d and sparse", st.Rows, st.Coarsest, maxDense)
	}
	b := make([]float64, n)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = rnd.NormFloat64()
	}
	xs := make([]float64, n)
	m.PreconSolve(xs, b)
	m.inv, err = inverse(m.levels[1].a)
	if err != nil {
		t.Fatal(err)
	}
	m.fact = nil
	xd := make([]float64, n)
	m.PreconSolve(xd, b)
	if d := floats.Distance(xs, xd, math.Inf(1)); d > 1e-10*floats.Norm(xd, math.Inf(1)) {
		t.Errorf("sparse and dense coarsest cycles differ by %.3g", d)
	}
}

// BenchmarkSetupRS: the classical set-up on poisson2d 511, by phase: the
// whole hierarchy, and the finest level's strength, splitting and
// interpolation.
func BenchmarkSetupRS(b *testing.B) {
	a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, 511, 511)).ToCSR()
	strong := classicalStrength(a, 0.25)
	state := splitCF(strong)
	b.Run("New", func(b *testing.B) {
		for b.Loop() {
			if _, err := New(a, &Settings{Coarsening: RugeStueben}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strength", func(b *testing.B) {
		for b.Loop() {
			classicalStrength(a, 0.25)
		}
	})
	b.Run("splitCF", func(b *testing.B) {
		for b.Loop() {
			splitCF(strong)
		}
	})
	b.Run("classicalP", func(b *testing.B) {
		for b.Loop() {
			classicalP(a, a.Diagonal(nil), strong, state)
		}
	})
}
