package relax

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

// TestTsallisINFDistribution checks that the normaliser x solves
// sum_i 4/(eta (L_i - x))^2 = 1 with x below every L_i, so the
// probabilities are the regularized leader's and sum to one, on every
// round of a run with widely varying losses (including rounds of cost 1,
// where the loss normalisation degenerates).
func TestTsallisINFDistribution(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	b := NewTsallisINF(nil, 7)
	for round := 1; round <= 3000; round++ {
		w := b.Choose(0)
		p := b.Probabilities()
		if math.Abs(floats.Sum(p)-1) > 1e-12 {
			t.Fatalf("round %d: probabilities sum to %v", round, floats.Sum(p))
		}
		eta := 2 / math.Sqrt(float64(b.t))
		sc := b.scale()
		var s float64
		for _, k := range b.k {
			if !(b.x < k/sc) {
				t.Fatalf("round %d: normaliser %v not below L_i = %v", round, b.x, k/sc)
			}
			s += 4 / math.Pow(eta*(k/sc-b.x), 2)
		}
		if math.Abs(s-1) > 1e-12 {
			t.Fatalf("round %d: normaliser equation sum = %v, want 1", round, s)
		}
		cost := 1.0
		if round > 3 {
			cost = 1 + math.Floor(1000*math.Abs(w-1.6)*rnd.Float64())
		}
		b.Update(cost)
	}
}

// regret runs a policy on a synthetic bandit: arm i of the default grid
// costs mu_i + uniform noise in [-10, 10], mu_i = 40 + 400 (omega_i - 1.6)^2,
// best arm omega = 1.6. It returns the pseudo-regret sum_t (mu_{a_t} - mu*).
func regret(p Policy, rounds int, rnd *rand.Rand) float64 {
	grid := DefaultGrid()
	mu := make(map[float64]float64)
	best := math.Inf(1)
	for _, w := range grid {
		mu[w] = 40 + 400*(w-1.6)*(w-1.6)
		best = math.Min(best, mu[w])
	}
	var r float64
	for t := 0; t < rounds; t++ {
		w := p.Choose(0)
		r += mu[w] - best
		p.Update(mu[w] + 20*rnd.Float64() - 10)
	}
	return r
}

// TestTsallisINFRegretSublinear fits log(regret) against log(T) over
// T = 500..32000 (mean of 4 seeds each) and checks the slope is clearly
// below 1: the theory gives O(sqrt(d T)), slope 1/2; a learner stuck on a
// bad arm has slope 1.
func TestTsallisINFRegretSublinear(t *testing.T) {
	var xs, ys []float64
	for _, rounds := range []int{500, 2000, 8000, 32000} {
		var mean float64
		for seed := uint64(0); seed < 4; seed++ {
			mean += regret(NewTsallisINF(nil, seed), rounds, rand.New(rand.NewPCG(seed, 99))) / 4
		}
		xs = append(xs, math.Log(float64(rounds)))
		ys = append(ys, math.Log(mean))
	}
	_, slope := stat.LinearRegression(xs, ys, nil, false)
	t.Logf("regret slope %.3f", slope)
	if slope > 0.75 {
		t.Errorf("regret grows like T^%.2f, not sublinearly", slope)
	}
}

// sorReference is an independent port of the paper's sor.m: dense
// forward substitution with M = D/omega + L, the residual recomputed
// every iteration, stopping when ||r|| / ||r0|| < tol.
func sorReference(a *mat.Dense, b []float64, omega, tol float64, maxIt int) int {
	n := len(b)
	x := make([]float64, n)
	r := append([]float64(nil), b...)
	n0 := floats.Norm(r, 2)
	z := make([]float64, n)
	for k := 1; k <= maxIt; k++ {
		for i := 0; i < n; i++ {
			s := r[i]
			for j := 0; j < i; j++ {
				s -= a.At(i, j) * z[j]
			}
			z[i] = s / (a.At(i, i) / omega)
		}
		floats.Add(x, z)
		for i := 0; i < n; i++ {
			s := b[i]
			for j := 0; j < n; j++ {
				s -= a.At(i, j) * x[j]
			}
			r[i] = s
		}
		if floats.Norm(r, 2)/n0 <= tol {
			return k
		}
	}
	return maxIt
}

// TestSORCountsMatch checks that the sequence solver's SOR costs are the
// solvers package's SOR iteration counts exactly, and those of a direct
// port of the paper's sor.m.
func TestSORCountsMatch(t *testing.T) {
	src, err := NewShiftedLaplacian(High, 6, 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	for inst := 0; ; inst++ {
		in, err := src.Next(nil)
		if err != nil {
			break
		}
		for _, omega := range []float64{1, 1.3, 1.65, 1.9} {
			seq := Sequence{Policy: Fixed(omega)}
			step, err := seq.Solve(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			pc, _ := solvers.NewSOR(in.A, omega, solvers.Forward)
			res, err := solvers.Solve(context.Background(), in.A, in.B, &solvers.Richardson{},
				&solvers.Settings{Control: iterate.Control{MaxIterations: 10000}, Preconditioner: pc})
			if err != nil {
				t.Fatal(err)
			}
			ref := sorReference(in.A.ToDense(), in.B, omega, 1e-8, 10000)
			if step.Iterations != res.Iterations || step.Iterations != ref {
				t.Errorf("instance %d, omega %v: sequence %d, solvers %d, sor.m port %d iterations",
					inst, omega, step.Iterations, res.Iterations, ref)
			}
		}
	}
}

// TestOptimalOmegaClosedForm: for the 5-point Laplacian on an m x m grid
// plus c I the Jacobi matrix has spectral radius 4 cos(pi/(m+1))/(4+c),
// so Young's omega is known in closed form.
func TestOptimalOmegaClosedForm(t *testing.T) {
	for _, c := range []float64{0, 0.3, -0.1} {
		m := 10
		g := mesh.NewGrid(mesh.Dirichlet, m, m)
		a := mesh.NewStencil(g, 4+c, []float64{-1, -1}, []float64{-1, -1}).ToCSR()
		got, err := OptimalOmega(a)
		if err != nil {
			t.Fatal(err)
		}
		beta := 4 * math.Cos(math.Pi/float64(m+1)) / (4 + c)
		want := 1 + math.Pow(beta/(1+math.Sqrt(1-beta*beta)), 2)
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("c = %v: omega* = %.15g, want %.15g", c, got, want)
		}
	}
}

// TestOracleModes checks on shifted-Laplacian instances that the grid
// oracle pays the minimum over the grid table, golden-section search lands
// within the grid's range, and Young's omega (the true optimum for this
// consistently ordered matrix) costs no more than 5% over the grid optimum.
func TestOracleModes(t *testing.T) {
	src, _ := NewShiftedLaplacian(Low, 10, 30, 5)
	grid := DefaultGrid()
	entries := []Entry{
		{"grid", &Oracle{}}, {"golden", &Oracle{Mode: GoldenSection}}, {"formula", &Oracle{Mode: Formula}},
	}
	c, err := Compare(context.Background(), src, SOR, entries, &CompareSettings{Grid: grid})
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range c.GridIterations {
		if float64(c.Iterations[0][i]) != floats.Min(toFloats(row)) {
			t.Fatalf("instance %d: grid oracle paid %d, grid minimum %v", i, c.Iterations[0][i], floats.Min(toFloats(row)))
		}
		if w := c.Omega[1][i]; w < grid[0] || w > grid[len(grid)-1] {
			t.Errorf("instance %d: golden-section omega %v outside the grid range", i, w)
		}
	}
	if f, g := c.Total(2), c.Total(0); float64(f) > 1.05*float64(g) {
		t.Errorf("Young's omega cost %d iterations, grid oracle %d", f, g)
	}
}

func toFloats(v []int) []float64 {
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	return f
}

// TestChebyshevFeatures: T_j(cos th) = cos(j th).
func TestChebyshevFeatures(t *testing.T) {
	phi := make([]float64, 8)
	for _, th := range []float64{0, 0.3, 1.1, 2.9, math.Pi} {
		chebyshev(phi, math.Cos(th))
		for j, v := range phi {
			if math.Abs(v-math.Cos(float64(j)*th)) > 1e-13 {
				t.Errorf("T_%d(cos %v) = %v, want %v", j, th, v, math.Cos(float64(j)*th))
			}
		}
	}
}

// TestLeastSquares checks the incremental QR against gonum's dense
// least-squares solve, the minimum-norm solution of a rank-deficient
// problem against the pseudo-inverse property (orthogonal to the null
// space), and the box-constrained solution against the KKT conditions.
func TestLeastSquares(t *testing.T) {
	rnd := rand.New(rand.NewPCG(4, 4))
	m, rows := 6, 40
	q := newLSQ(m)
	a := mat.NewDense(rows, m, nil)
	y := make([]float64, rows)
	for i := 0; i < rows; i++ {
		for j := 0; j < m; j++ {
			a.Set(i, j, rnd.NormFloat64())
		}
		y[i] = rnd.NormFloat64()
		q.add(a.RawRowView(i), y[i])
	}
	var want mat.VecDense
	if err := want.SolveVec(a, mat.NewVecDense(rows, y)); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, m)
	q.minNorm(got)
	for j := range got {
		if math.Abs(got[j]-want.AtVec(j)) > 1e-12 {
			t.Fatalf("theta[%d] = %v, dense solve %v", j, got[j], want.AtVec(j))
		}
	}
	var r mat.VecDense
	r.MulVec(a, mat.NewVecDense(m, got))
	r.SubVec(&r, mat.NewVecDense(rows, y))
	if rss := mat.Dot(&r, &r); math.Abs(rss-q.rss(got)) > 1e-10*rss {
		t.Errorf("rss %v, direct %v", q.rss(got), rss)
	}

	// Rank deficient: 3 rows, 6 unknowns; the minimum-norm solution lies
	// in the row space and fits exactly.
	q2 := newLSQ(m)
	rowsA := [][]float64{}
	for i := 0; i < 3; i++ {
		row := make([]float64, m)
		for j := range row {
			row[j] = rnd.NormFloat64()
		}
		rowsA = append(rowsA, row)
		q2.add(row, float64(i+1))
	}
	q2.minNorm(got)
	if rss := q2.rss(got); rss > 1e-20 {
		t.Errorf("underdetermined fit has rss %v", rss)
	}
	// Project out the row space: the rest must vanish.
	basis := mat.NewDense(3, m, nil)
	for i, row := range rowsA {
		basis.SetRow(i, row)
	}
	var qr mat.QR
	qr.Factorize(basis.T())
	var qm mat.Dense
	qr.QTo(&qm)
	resid := mat.NewVecDense(m, append([]float64(nil), got...))
	for k := 0; k < 3; k++ {
		col := qm.ColView(k)
		resid.AddScaledVec(resid, -mat.Dot(col, resid), col)
	}
	if mat.Norm(resid, 2) > 1e-12 {
		t.Errorf("minimum-norm solution has a null-space part of norm %v", mat.Norm(resid, 2))
	}

	// Box: KKT conditions on random boxes.
	for trial := 0; trial < 50; trial++ {
		lb, ub := make([]float64, m), make([]float64, m)
		for j := range lb {
			w := 0.3 * rnd.Float64()
			lb[j], ub[j] = -w, w
		}
		x := make([]float64, m)
		q.box(x, lb, ub, got)
		// g = gradient/2 = A^T (A x - y)
		var res mat.VecDense
		res.MulVec(a, mat.NewVecDense(m, x))
		res.SubVec(&res, mat.NewVecDense(rows, y))
		var g mat.VecDense
		g.MulVec(a.T(), &res)
		for j := 0; j < m; j++ {
			gj := g.AtVec(j)
			switch {
			case x[j] < lb[j]-1e-15 || x[j] > ub[j]+1e-15:
				t.Fatalf("trial %d: x[%d] = %v outside [%v, %v]", trial, j, x[j], lb[j], ub[j])
			case x[j] > lb[j] && x[j] < ub[j] && math.Abs(gj) > 1e-9:
				t.Fatalf("trial %d: free x[%d] has gradient %v", trial, j, gj)
			case x[j] == lb[j] && gj < -1e-9:
				t.Fatalf("trial %d: x[%d] at lower bound with gradient %v pointing inward", trial, j, gj)
			case x[j] == ub[j] && gj > 1e-9:
				t.Fatalf("trial %d: x[%d] at upper bound with gradient %v pointing inward", trial, j, gj)
			}
		}
	}
}

// contextual runs a policy on a synthetic contextual bandit: context
// c ~ U[0, 1], arm omega costs 20 + 400 (omega - (1 + 0.9 c))^2 (integer
// part), so the best omega moves with the context. It returns the mean
// cost over the second half and the best fixed arm's mean cost there.
func contextual(p Policy, rounds int, rnd *rand.Rand) (mean, fixed float64) {
	grid := DefaultGrid()
	cost := func(w, c float64) float64 { return math.Floor(20 + 400*math.Pow(w-(1+0.9*c), 2)) }
	tot := make([]float64, len(grid))
	for t := 0; t < rounds; t++ {
		c := rnd.Float64()
		w := p.Choose(c)
		l := cost(w, c)
		p.Update(l)
		if t >= rounds/2 {
			mean += l
			for g, v := range grid {
				tot[g] += cost(v, c)
			}
		}
	}
	half := float64(rounds - rounds/2)
	return mean / half, floats.Min(tot) / half
}

// TestContextualBeatsBestFixed: where the best omega depends on the
// context, both contextual policies must pay less than the best fixed
// omega in hindsight (the paper's claim for its contextual methods).
func TestContextualBeatsBestFixed(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		cheb, _ := NewChebCB(nil, 6, 0, 1, seed)
		cb, _ := NewTsallisINFCB(nil, 5, 0, 1, seed)
		for name, p := range map[string]Policy{"ChebCB": cheb, "Tsallis-INF-CB": cb} {
			mean, fixed := contextual(p, 4000, rand.New(rand.NewPCG(seed, 8)))
			t.Logf("seed %d %s: mean cost %.2f, best fixed %.2f", seed, name, mean, fixed)
			if mean >= fixed {
				t.Errorf("seed %d: %s mean cost %.2f not below the best fixed omega's %.2f", seed, name, mean, fixed)
			}
		}
	}
}

// TestSnapshotRestore: a policy saved mid-run and restored makes the same
// choices as the uninterrupted one, for every policy kind.
func TestSnapshotRestore(t *testing.T) {
	mk := func() []Policy {
		cheb, _ := NewChebCB(nil, 6, 0, 1, 11)
		cb, _ := NewTsallisINFCB(nil, 4, 0, 1, 12)
		return []Policy{Fixed(1.5), &Oracle{Mode: GoldenSection}, NewTsallisINF(nil, 13), cb, cheb}
	}
	cost := func(w, c float64) float64 { return math.Floor(20 + 400*math.Pow(w-(1+0.9*c), 2)) }
	a, b := mk(), mk()
	for i := range a {
		rnd1 := rand.New(rand.NewPCG(1, 1))
		rnd2 := rand.New(rand.NewPCG(1, 1))
		for t := 0; t < 300; t++ {
			c := rnd1.Float64()
			b[i].Update(cost(b[i].Choose(c), c))
			_ = rnd2.Float64()
			a[i].Update(cost(a[i].Choose(c), c))
		}
		s, err := Snapshot(b[i])
		if err != nil {
			t.Fatal(err)
		}
		restored, err := Restore(s)
		if err != nil {
			t.Fatalf("%s: %v", s.Kind, err)
		}
		for t2 := 0; t2 < 300; t2++ {
			c := rnd1.Float64()
			w1, w2 := a[i].Choose(c), restored.Choose(c)
			if w1 != w2 {
				t.Fatalf("%s: round %d after restore chose %v, uninterrupted %v", s.Kind, t2, w2, w1)
			}
			a[i].Update(cost(w1, c))
			restored.Update(cost(w2, c))
		}
	}
	// Damaged states are rejected by name.
	s, _ := Snapshot(NewTsallisINF(nil, 1))
	s.Vectors["k"] = s.Vectors["k"][:3]
	if _, err := Restore(s); err == nil {
		t.Error("a state with a short k vector was accepted")
	}
}

// TestDivergedSolveCostsTheCap: SOR on an indefinite system diverges (its
// residual overflows long before the cap); the policy must be charged the
// cap, not the iterations before the overflow, in Sequence and Compare.
func TestDivergedSolveCostsTheCap(t *testing.T) {
	// tridiag(-1, 0.5, -1): eigenvalues 0.5 - 2 cos(k pi/(n+1)), both signs.
	n := 50
	b := sparse.NewCOO(n, n)
	for i := 0; i < n; i++ {
		b.Add(i, i, 0.5)
		if i > 0 {
			b.Add(i, i-1, -1)
			b.Add(i-1, i, -1)
		}
	}
	in := &Instance{A: b.ToCSR(), B: make([]float64, n)}
	for i := range in.B {
		in.B[i] = 1
	}
	const limit = 5000
	seq := &Sequence{Policy: Fixed(1.5), Control: iterate.Control{MaxIterations: limit}}
	step, err := seq.Solve(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if step.Result.Reason != iterate.Diverged || step.Result.Iterations >= limit || step.Iterations != limit {
		t.Fatalf("%v after %d iterations, charged %d; want diverged before %d and charged %d",
			step.Result.Reason, step.Result.Iterations, step.Iterations, limit, limit)
	}
	c, err := Compare(context.Background(), &listSource{list: []*Instance{in}}, SOR, []Entry{{Name: "fixed", Policy: Fixed(1.5)}},
		&CompareSettings{Control: iterate.Control{MaxIterations: limit}, Grid: []float64{1.5}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Iterations[0][0] != limit || c.GridIterations[0][0] != limit || c.Unconverged() != 1 || c.Diverged() != 1 {
		t.Errorf("Compare charged %d (grid %d), %d unconverged, %d diverged", c.Iterations[0][0], c.GridIterations[0][0], c.Unconverged(), c.Diverged())
	}
}

// listSource is a Source of a fixed list of instances.
type listSource struct {
	list []*Instance
	i    int
}

func (s *listSource) Next([]float64) (*Instance, error) {
	if s.i == len(s.list) {
		return nil, io.EOF
	}
	s.i++
	return s.list[s.i-1], nil
}
