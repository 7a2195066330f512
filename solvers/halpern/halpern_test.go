package halpern

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/sparse"
)

// sortSimplex is the sort-based reference projection onto {x >= 0, sum x = r}
// (Held, Wolfe and Crowder 1974; Duchi et al. 2008, Fig. 1).
func sortSimplex(u []float64, r float64) []float64 {
	mu := append([]float64(nil), u...)
	sort.Sort(sort.Reverse(sort.Float64Slice(mu)))
	var cum, tau float64
	for j, v := range mu {
		cum += v
		if t := (cum - r) / float64(j+1); v-t > 0 {
			tau = t
		}
	}
	out := make([]float64, len(u))
	for i, v := range u {
		out[i] = math.Max(v-tau, 0)
	}
	return out
}

func TestSimplexAgainstSortReference(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 500; trial++ {
		n := 1 + rnd.IntN(60)
		u := make([]float64, n)
		scale := math.Pow(10, float64(rnd.IntN(5)-2))
		for i := range u {
			u[i] = scale * rnd.NormFloat64()
			if rnd.IntN(5) == 0 && i > 0 {
				u[i] = u[i-1] // ties
			}
		}
		r := []float64{0, 1, 0.3, 7}[trial%4]
		got := make([]float64, n)
		Simplex{Radius: r}.Resolve(got, u, 1)
		if r == 0 {
			r = 1
		}
		want := sortSimplex(u, r)
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) {
				t.Fatalf("trial %d (n=%d, r=%g): x[%d] = %.17g, sort reference %.17g", trial, n, r, i, got[i], want[i])
			}
		}
		// In place gives the same answer.
		Simplex{Radius: r}.Resolve(u, u, 1)
		if !floats.Equal(u, got) {
			t.Fatalf("trial %d: in-place projection differs", trial)
		}
	}
}

// TestSetsAreProjections checks the projection's variational inequality
// <u - P(u), z - P(u)> <= 0 for points z of the set, and P(P(u)) = P(u).
func TestSetsAreProjections(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	const d = 6
	lo := []float64{-1, 0, math.Inf(-1), -2, 0, 0}
	hi := []float64{1, 2, 0, math.Inf(1), 0.5, 3}
	sets := []struct {
		name   string
		g      Resolvent
		sample func() []float64
	}{
		{"box", Box{Lo: lo, Hi: hi}, func() []float64 {
			z := make([]float64, d)
			for i := range z {
				a, b := math.Max(lo[i], -5), math.Min(hi[i], 5)
				z[i] = a + (b-a)*rnd.Float64()
			}
			return z
		}},
		{"ball", Ball{Center: []float64{1, 0, 0, -1, 2, 0}, Radius: 0.7}, func() []float64 {
			z := []float64{1, 0, 0, -1, 2, 0}
			dir := make([]float64, d)
			for i := range dir {
				dir[i] = rnd.NormFloat64()
			}
			floats.AddScaled(z, 0.7*rnd.Float64()/floats.Norm(dir, 2), dir)
			return z
		}},
		{"product", Product{{Size: 2, Set: Simplex{}}, {Size: 1}, {Size: 3, Set: Simplex{Radius: 2}}}, func() []float64 {
			z := make([]float64, d)
			a := rnd.Float64()
			z[0], z[1] = a, 1-a
			z[2] = 10 * rnd.NormFloat64()
			e := []float64{rnd.ExpFloat64(), rnd.ExpFloat64(), rnd.ExpFloat64()}
			floats.Scale(2/floats.Sum(e), e)
			copy(z[3:], e)
			return z
		}},
	}
	for _, s := range sets {
		if err := s.g.(interface{ checkDim(int) error }).checkDim(d); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for trial := 0; trial < 200; trial++ {
			u := make([]float64, d)
			for i := range u {
				u[i] = 3 * rnd.NormFloat64()
			}
			p := make([]float64, d)
			s.g.Resolve(p, u, 1)
			pp := make([]float64, d)
			s.g.Resolve(pp, p, 1)
			for i := range p {
				if math.Abs(pp[i]-p[i]) > 1e-12 {
					t.Fatalf("%s: projection is not idempotent at %d: %g then %g", s.name, i, p[i], pp[i])
				}
			}
			z := s.sample()
			var ip float64
			for i := range u {
				ip += (u[i] - p[i]) * (z[i] - p[i])
			}
			if ip > 1e-10 {
				t.Fatalf("%s: <u - P u, z - P u> = %g > 0", s.name, ip)
			}
		}
	}
}

func TestSetDimensionErrors(t *testing.T) {
	u0 := []float64{0.5, 0.5, 0.5, 0.5}
	f := denseAffine(t, mat.NewDense(4, 4, []float64{0, 0, 1, 0, 0, 0, 0, 1, -1, 0, 0, 0, 0, -1, 0, 0}), nil, 2)
	for _, tc := range []struct {
		g    Resolvent
		want string
	}{
		{Product{{Size: 2, Set: Simplex{}}, {Size: 3, Set: Simplex{}}}, "blocks cover 5 coordinates"},
		{Box{Lo: []float64{0, 0}}, "Lo has length 2"},
		{Box{Lo: []float64{0, 0, 0, 1}, Hi: []float64{1, 1, 1, 0}}, "Lo[3] = 1 is not <= Hi[3] = 0"},
		{Ball{Radius: -1}, "radius -1"},
		{Product{{Size: 2, Set: Simplex{Radius: -2}}, {Size: 2}}, "block 0: simplex: radius -2"},
	} {
		_, err := EG{}.Solve(context.Background(), &Problem{F: f, G: tc.g, U0: u0}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("G = %#v: error %v, want it to mention %q", tc.g, err, tc.want)
		}
	}
}

func denseAffine(t *testing.T, m *mat.Dense, q []float64, n int) *Affine {
	t.Helper()
	a, err := NewAffine(sparse.FromMatrix(m), q, n)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAffineComponents(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	const d = 9
	m := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			if rnd.IntN(3) > 0 {
				m.Set(i, j, rnd.NormFloat64())
			}
		}
	}
	q := make([]float64, d)
	for i := range q {
		q[i] = rnd.NormFloat64()
	}
	for _, n := range []int{1, 3, 4, 9} {
		f := denseAffine(t, m, q, n)
		var svd mat.SVD
		svd.Factorize(m, mat.SVDNone)
		if l, want := f.Lipschitz(), svd.Values(nil)[0]; math.Abs(l-want) > 1e-8*want {
			t.Errorf("n=%d: Lipschitz %.12g, largest singular value %.12g", n, l, want)
		}
		lavg := f.AverageLipschitz()
		for trial := 0; trial < 20; trial++ {
			u, v := make([]float64, d), make([]float64, d)
			for i := range u {
				u[i], v[i] = rnd.NormFloat64(), rnd.NormFloat64()
			}
			// The mean of the component differences is F(u) - F(v).
			sum := make([]float64, d)
			var sq float64
			for i := 0; i < n; i++ {
				one := make([]float64, d)
				f.AddDiff(one, 1, i, u, v)
				sq += floats.Dot(one, one) / float64(n)
				floats.AddScaled(sum, 1/float64(n), one)
			}
			fu, fv := make([]float64, d), make([]float64, d)
			f.Apply(fu, u)
			f.Apply(fv, v)
			floats.Sub(fu, fv)
			for i := range fu {
				if math.Abs(sum[i]-fu[i]) > 1e-12*(1+math.Abs(fu[i])) {
					t.Fatalf("n=%d: mean of component differences %g, F(u)-F(v) %g", n, sum[i], fu[i])
				}
			}
			if dist := floats.Distance(u, v, 2); sq > lavg*lavg*dist*dist*(1+1e-12) {
				t.Fatalf("n=%d: mean squared component difference %g exceeds LAvg^2 ||u-v||^2 = %g", n, sq, lavg*lavg*dist*dist)
			}
		}
	}
}

// smallGame is the 2 x 2 game min_x max_y y^T A x with A = [[3, -1], [-2, 1]]:
// no saddle in pure strategies, and equating the players' payoffs gives the
// equilibrium x* = (2/7, 5/7), y* = (3/7, 4/7).
func smallGame(t *testing.T) (*Problem, []float64) {
	p, err := NewMatrixGame(mat.NewDense(2, 2, []float64{3, -1, -2, 1}))
	if err != nil {
		t.Fatal(err)
	}
	return p, []float64{2. / 7, 5. / 7, 3. / 7, 4. / 7}
}

// solveCase is one method on one problem: with restarts every method
// reaches 1e-6, as a user would run it; without, the anchored methods
// converge at their O(1/k) rate and are checked at a looser tolerance.
type solveCase struct {
	m       Method
	restart bool
	tol     float64
}

func checkSolves(t *testing.T, p *Problem, want []float64, cases []solveCase) {
	t.Helper()
	for _, c := range cases {
		res, err := c.m.Solve(context.Background(), p, &Settings{Control: iterate.Control{AbsTolerance: c.tol}, MaxEpochs: 1e6, Restart: c.restart, Seed: 1})
		if err != nil {
			t.Fatalf("%#v: %v", c.m, err)
		}
		if res.Reason != iterate.ConvergedAbsolute {
			t.Errorf("%#v (restart %v): %v after %g epochs, residual %g", c.m, c.restart, res.Reason, res.Epochs, res.Residual)
			continue
		}
		// Both test problems are sharp (polyhedral or strongly
		// monotone), so the distance to the unique solution is within a
		// small multiple of the residual.
		if dist := floats.Distance(res.X, want, 2); dist > 20*c.tol {
			t.Errorf("%#v (restart %v): distance %g to the solution at residual %g", c.m, c.restart, dist, res.Residual)
		}
		t.Logf("%#v (restart %v): residual %.2g after %d iterations, %.0f epochs", c.m, c.restart, res.Residual, res.Iterations, res.Epochs)
	}
}

// VRHalpern is not among the methods for the game: it needs F cocoercive,
// and on a bilinear game its anchored forward step expands once lambda_k
// falls below the step's rotation, as projected gradient descent-ascent
// does.
func TestMethodsSolveSmallGame(t *testing.T) {
	p, want := smallGame(t)
	checkSolves(t, p, want, []solveCase{
		{EG{}, false, 1e-6},
		{EAG{}, true, 1e-6},
		{VRInexactHalpern{}, true, 1e-6},
		{EAG{}, false, 1e-4},
		{VRInexactHalpern{}, false, 1e-4},
	})
}

// leastSquaresBox is min (1/2)||K x - b||^2 over x >= 0 with a manufactured
// solution: x* has zeros where the multiplier g* > 0, and b = K x* - K^{-T} g*
// makes F(x*) = K^T (K x* - b) = g*, so 0 is in F(x*) + N(x*). F is
// cocoercive with constant 1/||K||^2.
func leastSquaresBox(t *testing.T) (*Problem, []float64) {
	rnd := rand.New(rand.NewPCG(7, 8))
	const d = 8
	k := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			k.Set(i, j, 0.3*rnd.NormFloat64())
		}
		k.Set(i, i, k.At(i, i)+2)
	}
	xs := []float64{1, 0, 0.5, 0, 2, 0.3, 0, 1}
	gs := []float64{0, 0.7, 0, 0.2, 0, 0, 1.5, 0}
	kx := mat.NewVecDense(d, nil)
	kx.MulVec(k, mat.NewVecDense(d, xs))
	var ktg mat.VecDense
	if err := ktg.SolveVec(k.T(), mat.NewVecDense(d, gs)); err != nil {
		t.Fatal(err)
	}
	b := mat.NewVecDense(d, nil)
	b.SubVec(kx, &ktg)
	var ktk mat.Dense
	ktk.Mul(k.T(), k)
	var ktb mat.VecDense
	ktb.MulVec(k.T(), b)
	q := make([]float64, d)
	for i := range q {
		q[i] = -ktb.AtVec(i)
	}
	lo := make([]float64, d)
	return &Problem{F: denseAffine(t, &ktk, q, d), G: Box{Lo: lo}}, xs
}

func TestMethodsSolveCocoerciveProblem(t *testing.T) {
	p, want := leastSquaresBox(t)
	var cases []solveCase
	for _, m := range []Method{Halpern{}, EAG{}, VRHalpern{}, VRInexactHalpern{}} {
		// Without restarts the theoretical steps (1/(8L) for EAG, the
		// average constant for the variance-reduced methods) are
		// conservative here, and O(1/k) reaches 1e-3 within the budget.
		cases = append(cases, solveCase{m, true, 1e-6}, solveCase{m, false, 1e-3})
	}
	checkSolves(t, p, want, append(cases, solveCase{EG{}, false, 1e-6}))
}

// TestHalpernBoundOnRotation checks ||x_k - T x_k|| <= 2 ||x_0 - x*|| / (k+1)
// (Lieder 2021, for lambda_k = 1/(k+2)) at every iteration on an affine
// rotation T(x) = R (x - c) + c, nonexpansive with the unique fixed point
// c, and that the rate is not better than O(1/k) by much (a rotation is
// the hard case).
func TestHalpernBoundOnRotation(t *testing.T) {
	const theta = 2.5
	c := []float64{1, -2, 0.5, 3}
	tmap := func(dst, x []float64) {
		for b := 0; b < len(x); b += 2 {
			th := theta / float64(b/2+1)
			dx, dy := x[b]-c[b], x[b+1]-c[b+1]
			dst[b] = c[b] + math.Cos(th)*dx - math.Sin(th)*dy
			dst[b+1] = c[b+1] + math.Sin(th)*dx + math.Cos(th)*dy
		}
	}
	x0 := []float64{0, 0, 0, 0}
	res, err := Halpern{}.FixedPoint(context.Background(), tmap, x0, &Settings{Control: iterate.Control{Tolerance: 1e-300, MaxIterations: 5000, History: true}, MaxEpochs: 1e9})
	if err != nil {
		t.Fatal(err)
	}
	d0 := floats.Distance(x0, c, 2)
	if len(res.History) != 5001 {
		t.Fatalf("history has %d points, want 5001", len(res.History))
	}
	// FixedPoint checks every iteration, so History[k] is iteration k's.
	for k, r := range res.History {
		if bound := 2 * d0 / float64(k+1); r > bound*(1+1e-12) {
			t.Fatalf("iteration %d: residual %g above the bound %g", k, r, bound)
		}
	}
	k := len(res.History) - 1
	if ratio := res.History[k] * float64(k+1) / d0; ratio < 0.05 {
		t.Errorf("(k+1) residual / ||x0 - x*|| = %g at k = %d: faster than O(1/k) on a rotation?", ratio, k)
	}
	if res.Stats.Evaluations != 5001 || res.Epochs != 5001 {
		t.Errorf("5001 applications of T counted as %d evaluations, %g epochs", res.Stats.Evaluations, res.Epochs)
	}
}

// TestHalpernOnBilinearResolvent runs Halpern on the resolvent of an
// unconstrained bilinear game, F(x, y) = (A^T y - e, -A x + f): the
// resolvent (I + F)^{-1} is firmly nonexpansive although the
// forward-backward map is not.
func TestHalpernOnBilinearResolvent(t *testing.T) {
	a := mat.NewDense(2, 2, []float64{3, -1, -2, 1})
	e, f := []float64{1, 2}, []float64{-1, 0.5}
	// M = [[0, A^T], [-A, 0]], r = (-e, f); J(u) solves (I + M) z = u - r.
	m := mat.NewDense(4, 4, nil)
	for i := 0; i < 2; i++ {
		for j := 0; j < 2; j++ {
			m.Set(j, 2+i, a.At(i, j))
			m.Set(2+i, j, -a.At(i, j))
		}
	}
	r := []float64{-e[0], -e[1], f[0], f[1]}
	im := mat.NewDense(4, 4, nil)
	im.Add(m, eye(4))
	var lu mat.LU
	lu.Factorize(im)
	rhs := mat.NewVecDense(4, nil)
	var z mat.VecDense
	j := func(dst, u []float64) {
		for i := range u {
			rhs.SetVec(i, u[i]-r[i])
		}
		if err := lu.SolveVecTo(&z, false, rhs); err != nil {
			t.Fatal(err)
		}
		copy(dst, z.RawVector().Data)
	}
	res, err := Halpern{}.FixedPoint(context.Background(), j, []float64{0, 0, 0, 0}, &Settings{Control: iterate.Control{AbsTolerance: 1e-6}, MaxEpochs: 1e8})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason != iterate.ConvergedAbsolute {
		t.Fatalf("%v after %d iterations, residual %g", res.Reason, res.Iterations, res.Residual)
	}
	// The solution: A^T y = e and A x = f.
	var xs, ys mat.VecDense
	if err := xs.SolveVec(a, mat.NewVecDense(2, f)); err != nil {
		t.Fatal(err)
	}
	if err := ys.SolveVec(a.T(), mat.NewVecDense(2, e)); err != nil {
		t.Fatal(err)
	}
	want := []float64{xs.AtVec(0), xs.AtVec(1), ys.AtVec(0), ys.AtVec(1)}
	// Residual ||u - J u|| = ||F(J u)|| with F's smallest singular value
	// bounding the distance.
	if dist := floats.Distance(res.X, want, 2); dist > 1e-5 {
		t.Errorf("distance %g to the solution %v", dist, want)
	}
}

func eye(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		m.Set(i, i, 1)
	}
	return m
}

// counting wraps a FiniteSum and counts its calls independently of the
// solver's own bookkeeping.
type counting struct {
	FiniteSum
	apply, diff int64
}

func (c *counting) Apply(dst, u []float64) { c.apply++; c.FiniteSum.Apply(dst, u) }
func (c *counting) AddDiff(dst []float64, a float64, i int, u, v []float64) {
	c.diff++
	c.FiniteSum.AddDiff(dst, a, i, u, v)
}
func (c *counting) AverageLipschitz() float64 {
	return c.FiniteSum.(averageLipschitzer).AverageLipschitz()
}
func (c *counting) Lipschitz() float64 { return c.FiniteSum.(lipschitzer).Lipschitz() }

func TestEvaluationCounts(t *testing.T) {
	g, err := NewMatrixGame(PolicemanBurglar(30, 1))
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	for _, m := range []Method{Halpern{Step: 0.001}, EG{}, EAG{}, VRHalpern{}, VRInexactHalpern{}} {
		f := &counting{FiniteSum: g.F.(FiniteSum)}
		p := *g
		p.F = f
		res, err := m.Solve(context.Background(), &p, &Settings{Control: iterate.Control{Tolerance: 1e-12}, MaxEpochs: 300, CheckEvery: 7, Seed: 3})
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		full := f.apply - int64(res.Stats.ResidualChecks)
		if res.Stats.FullEvaluations != full {
			t.Errorf("%T: %d full evaluations counted, %d made", m, res.Stats.FullEvaluations, full)
		}
		if want := n*full + 2*f.diff; res.Stats.Evaluations != want {
			t.Errorf("%T: %d evaluations counted, %d made (n = %d x %d full + 2 x %d pairs)", m, res.Stats.Evaluations, want, n, full, f.diff)
		}
		if res.Epochs != float64(res.Stats.Evaluations)/n {
			t.Errorf("%T: epochs %g, evaluations / n = %g", m, res.Epochs, float64(res.Stats.Evaluations)/n)
		}
		k := int64(res.Iterations)
		switch m := m.(type) {
		case Halpern:
			if full != k {
				t.Errorf("Halpern: %d full evaluations in %d iterations", full, k)
			}
		case EG, EAG:
			if full != 2*k || f.diff != 0 {
				t.Errorf("%T: %d full evaluations and %d pairs in %d iterations, want %d and 0", m, full, f.diff, k, 2*k)
			}
		case VRHalpern:
			b := int64(math.Sqrt(n))
			if f.diff != b*(k-full) {
				t.Errorf("VRHalpern: %d pairs, want b (iterations - full) = %d x %d", f.diff, b, k-full)
			}
		case VRInexactHalpern:
			var inner int64
			for j := int64(0); j < k; j++ {
				inner += max(1, int64(n*math.Log(float64(j+2))))
			}
			// Every outer iteration takes one full evaluation for its
			// first snapshot, the rest are inner snapshots; the budget
			// may cut the last inner loop short.
			if f.diff > inner || f.diff < inner-int64(n*math.Log(float64(k+1))) {
				t.Errorf("VRInexactHalpern: %d inner steps, schedule gives %d", f.diff, inner)
			}
		}
		if res.Reason != iterate.IterationLimit || res.Epochs < 300 {
			t.Errorf("%T: stopped (%v) at %g epochs before the budget of 300", m, res.Reason, res.Epochs)
		}
	}
}

func TestQuadraticMinMaxSolution(t *testing.T) {
	const n = 40
	p, err := NewQuadraticMinMax(n)
	if err != nil {
		t.Fatal(err)
	}
	a := quadraticA(n)
	var h mat.Dense
	h.Mul(a.T(), a)
	h.Scale(2, &h)
	b := make([]float64, n)
	for i := range b {
		b[i] = 0.25
	}
	var xs, hx, ys mat.VecDense
	if err := xs.SolveVec(a, mat.NewVecDense(n, b)); err != nil {
		t.Fatal(err)
	}
	hx.MulVec(&h, &xs)
	hx.SetVec(n-1, hx.AtVec(n-1)-0.25)
	if err := ys.SolveVec(a.T(), &hx); err != nil {
		t.Fatal(err)
	}
	want := append(append([]float64(nil), xs.RawVector().Data...), ys.RawVector().Data...)
	fu := make([]float64, 2*n)
	p.F.Apply(fu, want)
	if r := floats.Norm(fu, 2); r > 1e-10 {
		t.Fatalf("||F(u*)|| = %g at the closed-form solution", r)
	}
	res, err := EG{}.Solve(context.Background(), p, &Settings{Control: iterate.Control{AbsTolerance: 1e-8}, MaxEpochs: 1e7, CheckEvery: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason != iterate.ConvergedAbsolute {
		t.Fatalf("EG: %v at residual %g", res.Reason, res.Residual)
	}
	if dist := floats.Distance(res.X, want, 2) / floats.Norm(want, 2); dist > 1e-4 {
		t.Errorf("EG: relative distance %g to the closed-form solution", dist)
	}
}

func TestBadInput(t *testing.T) {
	game, _ := smallGame(t)
	plain := &Problem{F: opFunc{d: 4}}
	for _, tc := range []struct {
		m    Method
		p    *Problem
		s    *Settings
		want string
	}{
		{EG{}, &Problem{}, nil, "no operator F"},
		{EG{}, &Problem{F: game.F, U0: []float64{1}}, nil, "U0 has length 1"},
		{EG{}, &Problem{F: game.F, U0: []float64{1, math.NaN(), 0, 0}}, nil, "U0[1] = NaN"},
		{EG{}, plain, nil, "needs Problem.L"},
		{VRHalpern{}, plain, nil, "needs F to be a FiniteSum"},
		{VRInexactHalpern{}, plain, nil, "needs F to be a FiniteSum"},
		{EG{Step: -1}, game, nil, "Step = -1"},
		{VRHalpern{Batch: 5}, game, nil, "Batch = 5"},
		{VRInexactHalpern{P: 2}, game, nil, "P = 2"},
		{EG{}, game, &Settings{Control: iterate.Control{Tolerance: -1}}, "Tolerance = -1"},
		{EG{}, game, &Settings{MaxEpochs: math.NaN()}, "MaxEpochs NaN"},
	} {
		_, err := tc.m.Solve(context.Background(), tc.p, tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%T: error %v, want it to mention %q", tc.m, err, tc.want)
		}
	}
}

// opFunc is an Operator that is not a FiniteSum and knows no constant.
type opFunc struct{ d int }

func (o opFunc) Dim() int               { return o.d }
func (o opFunc) Apply(dst, u []float64) { copy(dst, u) }

func TestCancelledKeepsResidualOfX(t *testing.T) {
	p, _ := smallGame(t)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	res, err := EAG{}.Solve(ctx, p, &Settings{Control: iterate.Control{Tolerance: 1e-300, Callback: func(iterate.Progress) bool {
		calls++
		if calls == 50 {
			cancel()
		}
		return true
	}}, MaxEpochs: 1e9, CheckEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason != iterate.Cancelled {
		t.Fatalf("reason %v, want cancelled", res.Reason)
	}
	run, _, _ := newRun(context.Background(), p, nil, "test")
	if want := run.residual(res.X); res.Residual != want {
		t.Errorf("residual %g is not the residual %g of X", res.Residual, want)
	}
}

// TestCheckSchedule checks that residual checks follow NextCheck: each is
// taken at the first iterate at or past its due epoch, and no due epoch is
// skipped while iterations are shorter than the spacing.
func TestCheckSchedule(t *testing.T) {
	p, _ := smallGame(t)
	s := &Settings{Control: iterate.Control{Tolerance: 1e-300, History: true}, MaxEpochs: 5000, CheckEvery: 3, CheckGrowth: 0.05}
	res, err := EG{}.Solve(context.Background(), p, s)
	if err != nil {
		t.Fatal(err)
	}
	due := 0.0
	if len(res.HistoryEpochs) != len(res.History) {
		t.Fatalf("%d history epochs for %d checks", len(res.HistoryEpochs), len(res.History))
	}
	for i, ep := range res.HistoryEpochs {
		if i == len(res.History)-1 {
			break // the budget forces the last check
		}
		// EG takes 2 epochs per iteration.
		if ep < due || ep >= due+2 {
			t.Fatalf("check %d at %g epochs, due at %g", i, ep, due)
		}
		due = s.NextCheck(due)
	}
	if want := math.Max(3, 1000*1.05); s.NextCheck(1000) != want {
		t.Errorf("NextCheck(1000) = %g, want %g", s.NextCheck(1000), want)
	}
	if n := len(res.History); n < 90 || n > 120 {
		t.Errorf("%d checks in 5000 epochs; the schedule gives about 100", n)
	}
}
