package transport

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/pdekit/pdekit/iterate"
)

func TestWasserstein1DClosedForms(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	const n = 50
	x, y := make([]float64, n), make([]float64, n)
	w := make([]float64, n)
	for i := range x {
		x[i], y[i], w[i] = rnd.NormFloat64(), 2+0.5*rnd.NormFloat64(), 1
	}
	xs, ys := append([]float64(nil), x...), append([]float64(nil), y...)
	sort.Float64s(xs)
	sort.Float64s(ys)
	for _, p := range []float64{1, 2, 3} {
		var s float64
		for i := range xs {
			s += math.Pow(math.Abs(xs[i]-ys[i]), p) / n
		}
		want := math.Pow(s, 1/p)
		got, err := Wasserstein1D(x, w, y, w, p)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("W%g = %.15g, sorted-quantile form %.15g", p, got, want)
		}
	}
	// One atom at 0 against atoms 1 and 3 with half the mass each.
	w1, _ := Wasserstein1D([]float64{0}, []float64{1}, []float64{1, 3}, []float64{0.5, 0.5}, 1)
	w2, _ := Wasserstein1D([]float64{0}, []float64{2}, []float64{3, 1}, []float64{1, 1}, 2)
	if math.Abs(w1-2) > 1e-15 || math.Abs(w2-math.Sqrt(5)) > 1e-15 {
		t.Errorf("W1 = %g (want 2), W2 = %g (want sqrt 5)", w1, w2)
	}
}

// clouds1D returns n points on a line each side with uniform weights and
// the squared-distance cost.
func clouds1D(n int) (x, y, a, b, c []float64) {
	rnd := rand.New(rand.NewPCG(3, 4))
	x, y = make([]float64, n), make([]float64, n)
	a, b = make([]float64, n), make([]float64, n)
	for i := range x {
		x[i], y[i] = rnd.Float64(), 0.3+0.5*rnd.Float64()
		a[i], b[i] = 1/float64(n), 1/float64(n)
	}
	c, _ = CostMatrix(x, y, 1, SqEuclidean)
	return
}

// TestEntropicConvergesToExact: on the line the exact cost is W2^2 by the
// closed form; the entropic cost approaches it at the rate O(eps) as the
// regularisation shrinks by factors of about 3 (each gap 2 to 5 times the
// next), and every run meets its marginal tolerance.
func TestEntropicConvergesToExact(t *testing.T) {
	x, y, a, b, c := clouds1D(40)
	w2, _ := Wasserstein1D(x, a, y, b, 2)
	exact := w2 * w2
	prev := math.Inf(1)
	for _, eps := range []float64{1e-1, 3e-2, 1e-2, 3e-3, 1e-3} {
		res, err := SinkhornLog(context.Background(), a, b, c, eps, &Settings{Control: iterate.Control{Tolerance: 1e-10}})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Reason.Converged() || res.MarginalError > 1e-10 {
			t.Fatalf("eps %g: converged %v, marginal error %g", eps, res.Reason.Converged(), res.MarginalError)
		}
		gap := res.Cost - exact
		if gap <= 0 {
			t.Errorf("eps %g: entropic cost %g below the exact %g", eps, res.Cost, exact)
		}
		if r := prev / gap; !math.IsInf(prev, 1) && (r < 2 || r > 5) {
			t.Errorf("eps %g: gap %g is 1/%.2f of the previous; O(eps) convergence gives about 1/3", eps, gap, r)
		}
		prev = gap
	}
}

func TestLogAndPlainAgree(t *testing.T) {
	_, _, a, b, c := clouds1D(30)
	for _, eps := range []float64{0.05, 0.01} {
		lg, err := SinkhornLog(context.Background(), a, b, c, eps, &Settings{Control: iterate.Control{Tolerance: 1e-12}})
		if err != nil {
			t.Fatal(err)
		}
		pl, err := Sinkhorn(context.Background(), a, b, c, eps, &Settings{Control: iterate.Control{Tolerance: 1e-12}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range lg.Plan {
			if math.Abs(lg.Plan[i]-pl.Plan[i]) > 1e-10 {
				t.Fatalf("eps %g: plans differ at %d: %g and %g", eps, i, lg.Plan[i], pl.Plan[i])
			}
		}
		if math.Abs(lg.Cost-pl.Cost) > 1e-12 {
			t.Errorf("eps %g: costs %g and %g", eps, lg.Cost, pl.Cost)
		}
	}
	// At a regularisation where exp(-C/eps) underflows, the plain kernel
	// fails with a message that names the remedy, and the log domain works.
	res, err := Sinkhorn(context.Background(), a, b, c, 1e-4, nil)
	if err != nil || res.Reason != iterate.Diverged || !strings.Contains(res.Message, "SinkhornLog") {
		t.Errorf("plain Sinkhorn at eps 1e-4: error %v, result %+v", err, res)
	}
	if err := res.Err(); !errors.Is(err, iterate.ErrDiverged) || !errors.Is(err, iterate.ErrNotConverged) {
		t.Errorf("plain Sinkhorn at eps 1e-4: Err() = %v, want it to match ErrDiverged and ErrNotConverged", err)
	}
}

func TestBadInput(t *testing.T) {
	ok := []float64{0.5, 0.5}
	c := []float64{0, 1, 1, 0}
	for _, tc := range []struct {
		a, b, c []float64
		reg     float64
		s       *Settings
		want    string
	}{
		{[]float64{0.5, -0.5}, ok, c, 1, nil, "a[1] = -0.5"},
		{ok, []float64{math.NaN(), 1}, c, 1, nil, "b[0] = NaN"},
		{ok, []float64{0.5, 0.6}, c, 1, nil, "masses"},
		{ok, ok, c[:3], 1, nil, "3 entries"},
		{ok, ok, c, 0, nil, "regularisation 0"},
		{ok, ok, c, math.Inf(1), nil, "regularisation +Inf"},
		{ok, ok, c, 1, &Settings{Control: iterate.Control{Tolerance: -1}}, "Tolerance = -1"},
		{ok, ok, c, 1, &Settings{CheckEvery: -2}, "CheckEvery = -2"},
		{ok, ok, []float64{0, math.NaN(), 1, 0}, 1, nil, "cost[1] = NaN (row 0, column 1)"},
	} {
		for _, f := range []func(context.Context, []float64, []float64, []float64, float64, *Settings) (*Result, error){Sinkhorn, SinkhornLog, SinkhornEpsScaling, SinkhornNewtonSparse} {
			if _, err := f(context.Background(), tc.a, tc.b, tc.c, tc.reg, tc.s); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to mention %q", err, tc.want)
			}
		}
	}
	if _, err := CostMatrix([]float64{1, 2, 3}, []float64{1, 2}, 2, SqEuclidean); err == nil {
		t.Error("ragged cloud accepted")
	}
}

// TestSmallRegularisation: at eps 1e-5 on a cost normalised to [0, 1],
// exp(-C/eps) underflows to zero on whole rows (from zero potentials the
// scalings were infinite and the log-domain solver returned NaN). From
// c-transform potentials log-domain Sinkhorn, slow at such eps, stays
// finite and makes progress; at eps 1e-3 it reaches the plan exact
// transport approaches as eps -> 0 (costs within O(eps log n)).
func TestSmallRegularisation(t *testing.T) {
	const n = 60
	rnd := rand.New(rand.NewPCG(11, 12))
	x, y := make([]float64, 2*n), make([]float64, 2*n)
	for i := range x {
		x[i], y[i] = rnd.Float64(), 0.5+rnd.Float64()
	}
	c, err := CostMatrix(x, y, 2, SqEuclidean)
	if err != nil {
		t.Fatal(err)
	}
	top := 0.0
	for _, v := range c {
		top = math.Max(top, v)
	}
	for i := range c {
		c[i] /= top
	}
	w := make([]float64, n)
	for i := range w {
		w[i] = 1.0 / n
	}
	exact, err := EMD(context.Background(), w, w, c, nil)
	if err != nil || !exact.Reason.Converged() {
		t.Fatal(err, exact.Reason)
	}
	r, err := SinkhornLog(context.Background(), w, w, c, 1e-3, nil)
	if err != nil || !r.Reason.Converged() {
		t.Fatalf("log-domain Sinkhorn at eps 1e-3: %v, %v (%s)", err, r.Reason, r.Message)
	}
	if d := math.Abs(r.Cost - exact.Cost); d > 2e-3*math.Log(n) {
		t.Errorf("cost %.9g, exact %.9g: differ by %.3g > 2 eps log n", r.Cost, exact.Cost, d)
	}
	const eps = 1e-5
	r, err = SinkhornLog(context.Background(), w, w, c, eps, &Settings{Control: iterate.Control{Tolerance: 1e-9, MaxIterations: 2000, History: true}})
	if err != nil || r.Reason != iterate.IterationLimit || math.IsNaN(r.Cost) || math.IsNaN(r.MarginalError) {
		t.Fatalf("log-domain Sinkhorn at eps %g: %v, %v (%s), cost %g", eps, err, r.Reason, r.Message, r.Cost)
	}
	if h := r.History; !(h[len(h)-1] < h[0]/2) {
		t.Errorf("log-domain Sinkhorn: marginal error %g at the start, %g after 2000 iterations", h[0], h[len(h)-1])
	}
}
