package sketchnewton

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/iterate"
)

// TestHSDerivatives checks every Hock-Schittkowski problem's gradient,
// Jacobian and Hessian of the Lagrangian against central differences at
// its starting point and at a random point, with random multipliers.
func TestHSDerivatives(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, hs := range HS() {
		n, m := hs.Problem.Dims()
		for trial := 0; trial < 3; trial++ {
			x := append([]float64(nil), hs.X0...)
			if trial > 0 {
				for i := range x {
					x[i] += 0.3 * rnd.NormFloat64()
				}
			}
			lam := make([]float64, m)
			for i := range lam {
				lam[i] = rnd.NormFloat64()
			}
			if len(x) != n {
				t.Fatalf("%s: x0 has %d entries, n = %d", hs.Name, len(x), n)
			}
			if err := CheckDerivatives(hs.Problem, x, lam, 1e-6); err != nil {
				t.Errorf("%s at %v: %v", hs.Name, x, err)
			}
		}
	}
}

// TestCheckDerivativesFindsErrors breaks a Hessian entry and a Jacobian
// entry and expects the checker to name them.
func TestCheckDerivativesFindsErrors(t *testing.T) {
	hs := HS()[1] // HS7
	p := *hs.Problem
	good := p.HessF
	p.HessF = func(h *mat.Dense, x []float64) { good(h, x); h.Set(1, 1, 0.5) }
	err := CheckDerivatives(&p, hs.X0, []float64{0.3}, 0)
	if de, ok := err.(DerivativeError); !ok || de.What != "hessian" || de.I != 1 || de.J != 1 {
		t.Errorf("broken Hessian entry (1, 1): got %v", err)
	}
	p = *hs.Problem
	goodJ := p.J
	p.J = func(j *mat.Dense, x []float64) { goodJ(j, x); j.Set(0, 1, 1) }
	err = CheckDerivatives(&p, hs.X0, []float64{0.3}, 0)
	if de, ok := err.(DerivativeError); !ok || de.What != "jacobian" || de.J != 1 {
		t.Errorf("broken Jacobian entry (0, 1): got %v", err)
	}
}

// hsTolerance is the KKT tolerance of each problem's test: 1e-8, except
// HS49, whose Hessian is singular at the optimum (quartic and sextic terms)
// so that Newton's method converges only linearly, slowly.
func hsTolerance(name string) float64 {
	if name == "HS49" {
		return 1e-5
	}
	return 1e-8
}

// checkOptimum solves one problem from its published starting point and
// compares the objective with the published optimum (Hock and
// Schittkowski 1981): within 1e-6 relative, or 1e-6 absolute where the
// optimum is 0. Along the way the merit function must decrease at every
// step and every inner solve meet the accuracy condition it reports.
func checkOptimum(t *testing.T, hs HSProblem, name string, in InnerSolver) *Result {
	t.Helper()
	res, err := Solve(context.Background(), hs.Problem, hs.X0, in, &Settings{Control: iterate.Control{AbsTolerance: hsTolerance(hs.Name), MaxIterations: 500, History: true}, Seed: 7})
	if err != nil {
		t.Fatalf("%s/%s: %v", hs.Name, name, err)
	}
	if res.Reason != iterate.ConvergedAbsolute {
		t.Errorf("%s/%s: %v (%s) after %d iterations, KKT %g", hs.Name, name, res.Reason, res.Message, res.Iterations, res.Residual)
		return res
	}
	scale := math.Max(1, math.Abs(hs.FStar))
	if d := math.Abs(res.F-hs.FStar) / scale; d > 1e-6 {
		t.Errorf("%s/%s: f = %.10g, published %.10g (error %.2g)", hs.Name, name, res.F, hs.FStar, d)
	}
	for _, it := range res.Trace {
		if it.MeritNew > it.Merit {
			t.Errorf("%s/%s: iteration %d raised the merit %g -> %g", hs.Name, name, it.Iter, it.Merit, it.MeritNew)
		}
	}
	return res
}

func TestHSOptimaExact(t *testing.T) {
	for _, hs := range HS() {
		res := checkOptimum(t, hs, "exact", Exact{})
		t.Logf("%s: %d iterations, f = %.10g", hs.Name, res.Iterations, res.F)
	}
}

// TestHSOptimaSketch runs the sketching solvers on the problems whose KKT
// systems they solve to the paper's accuracy condition within the step
// cap; on the others (HS6, HS27, HS39, HS49, HS50, HS52, HS77) some inner
// solves stop at the cap of 1e5 steps: the method still converges there,
// and a test takes too long.
func TestHSOptimaSketch(t *testing.T) {
	inners := []struct {
		name string
		s    InnerSolver
	}{
		{"kaczmarz", Kaczmarz{}},
		{"kaczmarz-weighted", Kaczmarz{Weighted: true}},
		{"gaussian", Sketch{Kind: Gaussian}},
		{"countsketch-2", Sketch{Kind: CountSketch, Block: 2}},
	}
	want := map[string]bool{"HS28": true, "HS40": true, "HS42": true, "HS48": true, "HS51": true, "HS78": true, "HS79": true}
	for _, hs := range HS() {
		if !want[hs.Name] {
			continue
		}
		for _, in := range inners {
			res := checkOptimum(t, hs, in.name, in.s)
			if res.Stats.InnerCapHits > 0 {
				t.Errorf("%s/%s: %d inner solves stopped at the step cap", hs.Name, in.name, res.Stats.InnerCapHits)
			}
			for _, it := range res.Trace {
				if it.InnerResidual > it.InnerTolerance {
					t.Errorf("%s/%s: iteration %d inner residual %g above the accuracy condition's %g", hs.Name, in.name, it.Iter, it.InnerResidual, it.InnerTolerance)
				}
			}
			t.Logf("%s/%s: %d iterations, %d inner steps, %.3g flops", hs.Name, in.name, res.Iterations, res.Stats.InnerSteps, float64(res.Stats.Flops))
		}
	}
}

func TestBadInput(t *testing.T) {
	hs := HS()[0]
	for _, tc := range []struct {
		x0   []float64
		in   InnerSolver
		s    *Settings
		want string
	}{
		{[]float64{1}, Exact{}, nil, "x0 has length 1"},
		{[]float64{math.NaN(), 1}, Exact{}, nil, "x0[0] = NaN"},
		{hs.X0, nil, nil, "no inner KKT solver"},
		{hs.X0, Exact{}, &Settings{Beta: 0.7}, "Beta = 0.7"},
		{hs.X0, Exact{}, &Settings{Nu: 1}, "Nu = 1"},
		{hs.X0, Exact{}, &Settings{Eta1: -1}, "Eta1 = -1"},
		{hs.X0, Exact{}, &Settings{Lambda0: []float64{1, 2}}, "Lambda0 has length 2"},
	} {
		_, err := Solve(context.Background(), hs.Problem, tc.x0, tc.in, tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want it to mention %q", err, tc.want)
		}
	}
}

// TestSingularJacobian stops with a Breakdown that says why when the
// constraint gradients are dependent: c = (x1 + x2 - 1, 2 x1 + 2 x2 - 2).
func TestSingularJacobian(t *testing.T) {
	p := &Funcs{N: 2, M: 2,
		F:     func(x []float64) float64 { return x[0]*x[0] + x[1]*x[1] },
		G:     func(d, x []float64) { d[0], d[1] = 2*x[0], 2*x[1] },
		C:     func(d, x []float64) { d[0], d[1] = x[0]+x[1]-1, 2*x[0]+2*x[1]-2 },
		J:     func(j *mat.Dense, x []float64) { j.Set(0, 0, 1); j.Set(0, 1, 1); j.Set(1, 0, 2); j.Set(1, 1, 2) },
		HessF: func(h *mat.Dense, x []float64) { h.Set(0, 0, 2); h.Set(1, 1, 2) },
		HessC: func(*mat.Dense, int, []float64) {},
	}
	res, err := Solve(context.Background(), p, []float64{3, 0}, Exact{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason != iterate.Breakdown || !strings.Contains(res.Message, "rank deficient") {
		t.Errorf("reason %v, message %q; want a breakdown naming the rank-deficient Jacobian", res.Reason, res.Message)
	}
}

// TestPoissonControl checks the Newton solution against the reduced
// problem solved independently: eliminating z = -Laplacian_h w leaves
// (I + alpha Laplacian_h^2) w = w_true, solved here by dense Cholesky.
func TestPoissonControl(t *testing.T) {
	for _, n := range []int{3, 7} {
		testPoissonControl(t, n)
	}
}

func testPoissonControl(t *testing.T, n int) {
	p, err := NewPoissonControl(n)
	if err != nil {
		t.Fatal(err)
	}
	x0, lam0 := Ones(p)
	if err := CheckDerivatives(p, x0, lam0, 1e-6); err != nil {
		t.Fatal(err)
	}
	lap := p.lap.ToDense()
	var l2 mat.Dense
	l2.Mul(lap, lap)
	a := mat.NewSymDense(n*n, nil)
	for i := 0; i < n*n; i++ {
		for j := i; j < n*n; j++ {
			v := p.Alpha * l2.At(i, j)
			if i == j {
				v++
			}
			a.SetSym(i, j, v)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(a) {
		t.Fatal("I + alpha L^2 not positive definite")
	}
	var w mat.VecDense
	if err := ch.SolveVecTo(&w, mat.NewVecDense(n*n, p.WTrue)); err != nil {
		t.Fatal(err)
	}
	for _, in := range []struct {
		name string
		s    InnerSolver
	}{{"exact", Exact{}}, {"kaczmarz", Kaczmarz{}}} {
		if n > 3 && in.name != "exact" {
			// Beyond the paper code's size, N = 3, every inner solve stops
			// at the 1e5-step cap far from the accuracy condition and the
			// outer iteration crawls: see the package documentation.
			continue
		}
		res, err := Solve(context.Background(), p, x0, in.s, &Settings{Control: iterate.Control{AbsTolerance: 1e-8, MaxIterations: 200, History: true}, Lambda0: lam0})
		if err != nil {
			t.Fatal(err)
		}
		if res.Reason != iterate.ConvergedAbsolute {
			t.Fatalf("N=%d %s: %v after %d iterations, KKT %g", n, in.name, res.Reason, res.Iterations, res.Residual)
		}
		for i := 0; i < n*n; i++ {
			if d := math.Abs(res.X[i] - w.AtVec(i)); d > 1e-7 {
				t.Fatalf("%s: w[%d] = %.12g, reduced solution %.12g", in.name, i, res.X[i], w.AtVec(i))
			}
		}
		t.Logf("N=%d %s: %d iterations, %d inner steps, %d cap hits, %.3g flops", n, in.name, res.Iterations, res.Stats.InnerSteps, res.Stats.InnerCapHits, float64(res.Stats.Flops))
	}
}

// TestLogistic checks the derivatives of the constrained logistic
// regression and that the sketching and exact solvers reach the same KKT
// point from the paper's start (all ones).
func TestLogistic(t *testing.T) {
	p, err := NewLogistic(200, 20, 10, 2023)
	if err != nil {
		t.Fatal(err)
	}
	_, m := p.Dims()
	x0, l0 := Ones(p)
	if err := CheckDerivatives(p, x0, l0, 1e-6); err != nil {
		t.Fatal(err)
	}
	var sols [][]float64
	for _, in := range []InnerSolver{Exact{}, Sketch{Kind: CountSketch, Block: 4}} {
		res, err := Solve(context.Background(), p, x0, in, &Settings{Control: iterate.Control{AbsTolerance: 1e-8, MaxIterations: 500, History: true}, Lambda0: l0})
		if err != nil {
			t.Fatal(err)
		}
		if res.Reason != iterate.ConvergedAbsolute {
			t.Fatalf("%T: %v (%s) after %d iterations, KKT %g", in, res.Reason, res.Message, res.Iterations, res.Residual)
		}
		c := make([]float64, m)
		p.Cons(c, res.X)
		for i, v := range c {
			if math.Abs(v) > 1e-8 {
				t.Errorf("%T: constraint %d = %g at the solution", in, i, v)
			}
		}
		sols = append(sols, res.X)
		t.Logf("%T: %d iterations, %d inner steps, %d cap hits, f = %.10g", in, res.Iterations, res.Stats.InnerSteps, res.Stats.InnerCapHits, res.F)
	}
	for i := range sols[0] {
		if d := math.Abs(sols[0][i] - sols[1][i]); d > 1e-6 {
			t.Errorf("w[%d]: exact %.10g, sketch %.10g", i, sols[0][i], sols[1][i])
		}
	}
}
