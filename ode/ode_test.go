package ode

import (
	"context"
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/sparse"
)

// orderConditions returns the residuals of the Runge-Kutta order
// conditions up to order p (at most 5) for weights b (Butcher 2008, the
// 17 conditions of order <= 5).
func orderConditions(a [][]float64, b, c []float64, p int) map[string]float64 {
	// Every rooted tree t = [t_1 ... t_k] up to order p gives the condition
	// sum_i b_i g_t(i) = 1/gamma(t), with g_t = prod_m (A g_{t_m}) (g of the
	// single node is 1) and gamma(t) = |t| prod_m gamma(t_m) (Butcher).
	s := len(b)
	type tree struct {
		name  string
		order int
		gamma float64
		g     []float64
	}
	mulA := func(v []float64) []float64 {
		out := make([]float64, s)
		for i := 0; i < s; i++ {
			for j, aij := range a[i] {
				out[i] += aij * v[j]
			}
		}
		return out
	}
	ones := make([]float64, s)
	for i := range ones {
		ones[i] = 1
	}
	byOrder := [][]tree{nil, {{name: "o", order: 1, gamma: 1, g: ones}}}
	var all []tree
	all = append(all, byOrder[1]...)
	// Trees of order n: multisets of children (indices into all, non-
	// decreasing, so each multiset once) whose orders sum to n-1.
	for n := 2; n <= p; n++ {
		var level []tree
		var rec func(start, left int, kids []int)
		rec = func(start, left int, kids []int) {
			if left == 0 {
				g := append([]float64(nil), ones...)
				gamma := float64(n)
				name := "["
				for _, k := range kids {
					ag := mulA(all[k].g)
					for i := range g {
						g[i] *= ag[i]
					}
					gamma *= all[k].gamma
					name += all[k].name
				}
				level = append(level, tree{name: name + "]", order: n, gamma: gamma, g: g})
				return
			}
			for k := start; k < len(all); k++ {
				if all[k].order <= left {
					rec(k, left-all[k].order, append(kids, k))
				}
			}
		}
		rec(0, n-1, nil)
		byOrder = append(byOrder, level)
		all = append(all, level...)
	}
	out := map[string]float64{}
	for _, t := range all {
		v := 0.0
		for i := range b {
			v += b[i] * t.g[i]
		}
		out[t.name] = v - 1/t.gamma
	}
	return out
}

// TestOrderConditionCount checks the tree generator: 1, 1, 2, 4, 9, 20
// rooted trees of orders 1 to 6.
func TestOrderConditionCount(t *testing.T) {
	want := []int{1, 2, 4, 8, 17, 37}
	for p := 1; p <= 6; p++ {
		if got := len(orderConditions(RK4.A, RK4.B, RK4.C, p)); got != want[p-1] {
			t.Errorf("order %d: %d conditions, want %d", p, got, want[p-1])
		}
	}
}

func TestTableaux(t *testing.T) {
	for _, tab := range []*Tableau{Euler, Midpoint, RK4, BS3, DP5, Tsit5, Vern6} {
		s := tab.Stages()
		// Rounding the coefficients to float64 leaves residuals of order
		// the unit roundoff times the coefficients' size (Vern6's reach
		// 207): the tolerance scales with them; a wrong digit does not fit.
		maxA, maxB := 0.0, 0.0
		for i := 0; i < s; i++ {
			var sum, abs float64
			for _, v := range tab.A[i] {
				sum += v
				abs += math.Abs(v)
				maxA = math.Max(maxA, math.Abs(v))
			}
			maxB = math.Max(maxB, math.Abs(tab.B[i]))
			if math.Abs(sum-tab.C[i]) > 4e-16*(1+abs) {
				t.Errorf("%s: row %d of A sums to %.17g, c = %.17g", tab.Name, i, sum, tab.C[i])
			}
		}
		tol := 1e-14 * (1 + maxA) * (1 + maxB)
		for name, r := range orderConditions(tab.A, tab.B, tab.C, tab.Order) {
			if math.Abs(r) > tol {
				t.Errorf("%s: order condition %s residual %g", tab.Name, name, r)
			}
		}
		if tab.E != nil {
			bhat := make([]float64, s)
			for i := range bhat {
				bhat[i] = tab.B[i] - tab.E[i]
			}
			for name, r := range orderConditions(tab.A, bhat, tab.C, tab.ErrorOrder) {
				if math.Abs(r) > tol {
					t.Errorf("%s: embedded order condition %s residual %g", tab.Name, name, r)
				}
			}
		}
		if tab.FSAL {
			for j, v := range tab.A[s-1] {
				if v != tab.B[j] {
					t.Errorf("%s: FSAL but the last row of A differs from B at %d", tab.Name, j)
				}
			}
		}
		if tab.interp != nil {
			w := make([]float64, s)
			tab.interp(w, 1)
			for i := range w {
				if math.Abs(w[i]-tab.B[i]) > 1e-14 {
					t.Errorf("%s: interpolant at theta = 1 gives weight %g for stage %d, B = %g", tab.Name, w[i], i, tab.B[i])
				}
			}
		}
	}
}

// expSin is y' = y cos t with y = exp(sin t).
func expSin(dy []float64, t float64, y []float64) { dy[0] = y[0] * math.Cos(t) }

// TestObservedOrder halves a fixed step and checks each method's global
// order of convergence within 0.2 of the theory on y' = 1.01 y over [0, 1]
// (the linear test problem of OrdinaryDiffEq's convergence tests), at
// steps where the leading error term dominates and roundoff does not (for
// the 5th-order pairs, 1/32 and 1/64), and that of its dense output at
// interior points on y' = y cos t, y = exp(sin t).
func TestObservedOrder(t *testing.T) {
	lin := func(dy []float64, _ float64, y []float64) { dy[0] = 1.01 * y[0] }
	for _, c := range []struct {
		tab        *Tableau
		n0, d0     int
		denseOrder float64
	}{{Euler, 200, 200, 1}, {Midpoint, 100, 100, 2}, {RK4, 32, 20, 3}, {BS3, 32, 40, 3}, {DP5, 32, 10, 4}, {Tsit5, 32, 10, 4}} {
		var errs []float64
		for _, n := range []int{c.n0, 2 * c.n0} {
			sol, err := Solve(context.Background(), c.tab, lin, 0, 1, []float64{0.5}, nil, &Settings{Dt: 1 / float64(n), Fixed: true})
			if err != nil {
				t.Fatal(err)
			}
			errs = append(errs, math.Abs(sol.Y[len(sol.Y)-1][0]-0.5*math.Exp(1.01)))
		}
		if p := math.Log2(errs[0] / errs[1]); math.Abs(p-float64(c.tab.Order)) > 0.2 {
			t.Errorf("%s: observed order %.2f (errors %g, %g), want %d", c.tab.Name, p, errs[0], errs[1], c.tab.Order)
		}
		const t1 = 2.0
		var derrs []float64
		for _, n := range []int{c.d0, 2 * c.d0, 4 * c.d0} {
			h := t1 / float64(n)
			// Dense output at the 0.37 point of every step.
			var saveAt []float64
			for k := 0; k < n; k++ {
				saveAt = append(saveAt, (float64(k)+0.37)*h)
			}
			sol, err := Solve(context.Background(), c.tab, expSin, 0, t1, []float64{1}, saveAt, &Settings{Dt: h, Fixed: true})
			if err != nil {
				t.Fatal(err)
			}
			var m float64
			for i, tt := range sol.T {
				m = math.Max(m, math.Abs(sol.Y[i][0]-math.Exp(math.Sin(tt))))
			}
			derrs = append(derrs, m)
		}
		for k := 0; k+1 < len(derrs); k++ {
			if p := math.Log2(derrs[k] / derrs[k+1]); p < c.denseOrder-0.2 {
				t.Errorf("%s: dense output order %.2f (errors %g, %g), want at least %g", c.tab.Name, p, derrs[k], derrs[k+1], c.denseOrder)
			}
		}
	}
}

// TestObservedOrderVern6 checks Vern6's 6th order on the logistic equation
// y' = 3 y (1 - y), y(0) = 0.1, over [0, 2] with 16, 32 and 64 steps: both
// halvings within 0.2 of 6. (An "efficient" Verner pair has tiny 7th-order
// error constants, so on y' = 1.01 y the asymptotic range only begins
// where the roundoff of its large weights, |b_7| = 176, takes over.) Its
// cubic Hermite dense output is checked for order 3.
func TestObservedOrderVern6(t *testing.T) {
	f := func(dy []float64, _ float64, y []float64) { dy[0] = 3 * y[0] * (1 - y[0]) }
	exact := 1 / (1 + 9*math.Exp(-6))
	var errs []float64
	for _, n := range []int{16, 32, 64} {
		sol, err := Solve(context.Background(), Vern6, f, 0, 2, []float64{0.1}, nil, &Settings{Dt: 2 / float64(n), Fixed: true})
		if err != nil {
			t.Fatal(err)
		}
		errs = append(errs, math.Abs(sol.Y[len(sol.Y)-1][0]-exact))
	}
	for k := 0; k+1 < len(errs); k++ {
		if p := math.Log2(errs[k] / errs[k+1]); math.Abs(p-6) > 0.2 {
			t.Errorf("Vern6: observed order %.2f (errors %g, %g), want 6", p, errs[k], errs[k+1])
		}
	}
	var derrs []float64
	for _, n := range []int{10, 20, 40} {
		h := 2.0 / float64(n)
		var saveAt []float64
		for k := 0; k < n; k++ {
			saveAt = append(saveAt, (float64(k)+0.37)*h)
		}
		sol, err := Solve(context.Background(), Vern6, expSin, 0, 2, []float64{1}, saveAt, &Settings{Dt: h, Fixed: true})
		if err != nil {
			t.Fatal(err)
		}
		var m float64
		for i, tt := range sol.T {
			m = math.Max(m, math.Abs(sol.Y[i][0]-math.Exp(math.Sin(tt))))
		}
		derrs = append(derrs, m)
	}
	for k := 0; k+1 < len(derrs); k++ {
		if p := math.Log2(derrs[k] / derrs[k+1]); p < 2.8 {
			t.Errorf("Vern6: dense output order %.2f, want at least 3", p)
		}
	}
}

// TestAdaptive checks the adaptive methods meet their tolerance on the
// closed-form problem, spend fewer evaluations when it is looser, and
// count evaluations exactly: 2 for the first step's choice plus one per
// stage after the first on every attempt (FSAL).
func TestAdaptive(t *testing.T) {
	const t1 = 10.0
	exact := math.Exp(math.Sin(t1))
	for _, tab := range []*Tableau{BS3, DP5, Tsit5, Vern6} {
		var prev int
		for _, tol := range []float64{1e-4, 1e-7, 1e-10} {
			sol, err := Solve(context.Background(), tab, expSin, 0, t1, []float64{1}, nil, &Settings{Control: iterate.Control{Tolerance: tol, AbsTolerance: tol}})
			if err != nil {
				t.Fatal(err)
			}
			got := sol.Y[len(sol.Y)-1][0]
			if e := math.Abs(got - exact); e > 100*tol*math.Max(1, exact) {
				t.Errorf("%s at tol %g: end error %g", tab.Name, tol, e)
			}
			st := sol.Stats
			if want := 2 + (tab.Stages()-1)*(st.Accepted+st.Rejected); st.FEvals != want {
				t.Errorf("%s: %d evaluations, %d accepted and %d rejected steps imply %d", tab.Name, st.FEvals, st.Accepted, st.Rejected, want)
			}
			if st.FEvals <= prev {
				t.Errorf("%s: tolerance %g took %d evaluations, the looser one %d", tab.Name, tol, st.FEvals, prev)
			}
			prev = st.FEvals
			for _, s := range sol.Steps {
				if s.ErrorEstimate > 1 {
					t.Fatalf("%s: an accepted step has error estimate %g", tab.Name, s.ErrorEstimate)
				}
			}
		}
	}
}

// TestEigenEstimate: for y' = -lambda y the stage differences give lambda
// exactly.
func TestEigenEstimate(t *testing.T) {
	const lambda = 50.0
	f := func(dy []float64, _ float64, y []float64) { dy[0] = -lambda * y[0]; dy[1] = -lambda * y[1] }
	sol, err := Solve(context.Background(), Tsit5, f, 0, 1, []float64{1, 2}, nil, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-12}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sol.Steps[:10] {
		if math.Abs(s.EigenEstimate-lambda) > 1e-8*lambda {
			t.Fatalf("eigenvalue estimate %g, want %g", s.EigenEstimate, lambda)
		}
		if want := (s.T1 - s.T0) * lambda / Tsit5.Stability; math.Abs(s.StiffnessRatio-want) > 1e-8*want {
			t.Fatalf("stiffness ratio %g, want %g", s.StiffnessRatio, want)
		}
	}
}

func TestErrors(t *testing.T) {
	// y' = y^2, y(0) = 1 blows up at t = 1.
	blow := func(dy []float64, _ float64, y []float64) { dy[0] = y[0] * y[0] }
	// A failed integration is a reason, not an error; the cause is kept.
	sol, err := Solve(context.Background(), Tsit5, blow, 0, 2, []float64{1}, nil, nil)
	if err != nil || (sol.Reason != iterate.Diverged && sol.Reason != iterate.Breakdown) {
		t.Fatalf("blow-up: error %v, reason %v", err, sol.Reason)
	}
	var oe *Error
	if err := sol.Err(); !errors.As(err, &oe) || (oe.Kind != NonFinite && oe.Kind != StepUnderflow) || math.Abs(oe.T-1) > 1e-2 || !errors.Is(err, iterate.ErrNotConverged) {
		t.Fatalf("blow-up: Err() = %v", err)
	}
	if last := sol.T[len(sol.T)-1]; last != oe.T {
		t.Errorf("the solution ends at %g, the failure was at %g", last, oe.T)
	}
	nan := func(dy []float64, t float64, y []float64) {
		dy[0] = 1
		if t > 0.5 {
			dy[0] = math.NaN()
		}
	}
	sol, err = Solve(context.Background(), DP5, nan, 0, 1, []float64{0}, nil, &Settings{DtMax: 0.1})
	if err != nil || sol.Reason != iterate.Diverged || !errors.As(sol.Err(), &oe) || oe.Kind != NonFinite {
		t.Errorf("NaN from f: error %v, reason %v", err, sol.Reason)
	}
	for _, c := range []struct {
		s    *Settings
		tab  *Tableau
		want string
	}{
		{&Settings{Control: iterate.Control{Tolerance: -1}}, Tsit5, "tolerances"},
		{nil, RK4, "needs Settings.Dt"},
		{&Settings{Dt: -0.1}, Tsit5, "Dt = -0.1"},
	} {
		if _, err := Solve(context.Background(), c.tab, expSin, 0, 1, []float64{1}, nil, c.s); err == nil || !contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.s, err, c.want)
		}
	}
	if _, err := Solve(context.Background(), Tsit5, expSin, 0, 1, []float64{1}, []float64{0.5, 0.2}, nil); err == nil {
		t.Error("unordered saveAt accepted")
	}
	sol, err = Solve(context.Background(), Tsit5, expSin, 0, 1, []float64{1}, nil, &Settings{Control: iterate.Control{MaxIterations: 3, Tolerance: 1e-12, AbsTolerance: 1e-12}})
	if err != nil || sol.Reason != iterate.IterationLimit || !errors.Is(sol.Err(), iterate.ErrIterationLimit) || sol.Stats.Accepted+sol.Stats.Rejected != 3 {
		t.Errorf("MaxIterations 3: error %v, reason %v, %+v", err, sol.Reason, sol.Stats)
	}
	// A context cancelled by the callback stops at that step.
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	sol, err = Solve(ctx, Tsit5, expSin, 0, 10, []float64{1}, nil, &Settings{Control: iterate.Control{Callback: func(p iterate.Progress) bool {
		if p.Iteration == 5 {
			cancel()
		}
		steps = p.Iteration
		return true
	}}})
	if err != nil || sol.Reason != iterate.Cancelled || steps != 5 || sol.Iterations != 5 || len(sol.Steps) != 5 || !errors.Is(sol.Err(), context.Canceled) {
		t.Errorf("cancelled at step 5: error %v, reason %v after %d steps (callback saw %d)", err, sol.Reason, len(sol.Steps), steps)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestEvents locates the zero crossings of x = cos t (x” = -x) on [0, 10]
// at pi/2 + k pi, by direction, and ends a free fall h” = -9.81 from
// h = 10 at the terminal ground contact t = sqrt(2 h / g).
func TestEvents(t *testing.T) {
	osc := func(dy []float64, _ float64, y []float64) { dy[0] = y[1]; dy[1] = -y[0] }
	x := func(_ float64, y []float64) float64 { return y[0] }
	set := &Settings{Control: iterate.Control{Tolerance: 1e-10, AbsTolerance: 1e-12}, Events: []Event{{G: x, Direction: -1}, {G: x, Direction: 1}}}
	sol, err := Solve(context.Background(), Tsit5, osc, 0, 10, []float64{1, 0}, nil, set)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		idx int
		t   float64
	}{{0, math.Pi / 2}, {1, 3 * math.Pi / 2}, {0, 5 * math.Pi / 2}}
	if len(sol.Events) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(sol.Events), len(want), sol.Events)
	}
	for i, w := range want {
		ev := sol.Events[i]
		if ev.Index != w.idx || math.Abs(ev.T-w.t) > 1e-8 || math.Abs(ev.Y[0]) > 1e-8 {
			t.Errorf("event %d: index %d at t = %.12g (x = %g), want index %d at %.12g", i, ev.Index, ev.T, ev.Y[0], w.idx, w.t)
		}
	}
	if end := sol.T[len(sol.T)-1]; end != 10 {
		t.Errorf("non-terminal events stopped the run at %g", end)
	}
	const g, h0 = 9.81, 10.0
	fall := func(dy []float64, _ float64, y []float64) { dy[0] = y[1]; dy[1] = -g }
	ground := Event{G: func(_ float64, y []float64) float64 { return y[0] }, Terminal: true}
	sol, err = Solve(context.Background(), DP5, fall, 0, 5, []float64{h0, 0}, nil, &Settings{Control: iterate.Control{Tolerance: 1e-10, AbsTolerance: 1e-12}, Events: []Event{ground}})
	if err != nil {
		t.Fatal(err)
	}
	tc := math.Sqrt(2 * h0 / g)
	if len(sol.Events) != 1 || math.Abs(sol.Events[0].T-tc) > 1e-10 {
		t.Fatalf("ground contact %+v, want t = %.12g", sol.Events, tc)
	}
	if last := sol.T[len(sol.T)-1]; math.Abs(last-tc) > 1e-10 || math.Abs(sol.Y[len(sol.Y)-1][0]) > 1e-9 {
		t.Errorf("the run ends at t = %g, h = %g; want the contact", last, sol.Y[len(sol.Y)-1][0])
	}
}

// TestStiff integrates Robertson's kinetics to t = 1e5 and Van der Pol
// with mu = 1000 to t = 3000 with Rosenbrock23 (finite-difference and
// exact Jacobians) against references from SciPy 1.10.1's Radau at
// rtol = 1e-12, atol = 1e-14.
func TestStiff(t *testing.T) {
	rob := func(dy []float64, _ float64, y []float64) {
		dy[0] = -0.04*y[0] + 1e4*y[1]*y[2]
		dy[1] = 0.04*y[0] - 1e4*y[1]*y[2] - 3e7*y[1]*y[1]
		dy[2] = 3e7 * y[1] * y[1]
	}
	robJac := func(j *mat.Dense, _ float64, y []float64) {
		j.Set(0, 0, -0.04)
		j.Set(0, 1, 1e4*y[2])
		j.Set(0, 2, 1e4*y[1])
		j.Set(1, 0, 0.04)
		j.Set(1, 1, -1e4*y[2]-6e7*y[1])
		j.Set(1, 2, -1e4*y[1])
		j.Set(2, 0, 0)
		j.Set(2, 1, 6e7*y[1])
		j.Set(2, 2, 0)
	}
	const mu = 1000
	vdp := func(dy []float64, _ float64, y []float64) { dy[0] = y[1]; dy[1] = mu*(1-y[0]*y[0])*y[1] - y[0] }
	for _, c := range []struct {
		name string
		f    Func
		m    Method
		y0   []float64
		t1   float64
		ref  []float64
		set  *Settings
		tol  float64
	}{
		{"robertson FD", rob, Rosenbrock23{}, []float64{1, 0, 0}, 1e5, []float64{0.01786592114216765, 7.274751468464569e-08, 0.9821340061103165}, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-10}}, 1e-4},
		{"robertson exact J", rob, Rosenbrock23{Jac: robJac}, []float64{1, 0, 0}, 1e5, []float64{0.01786592114216765, 7.274751468464569e-08, 0.9821340061103165}, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-10}}, 1e-4},
		{"vanderpol mu=1000", vdp, Rosenbrock23{}, []float64{2, 0}, 3000, []float64{-1.5106069367440846, 0.0011783800007309656}, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-9}}, 1e-3},
		{"robertson Rodas4", rob, Rodas4{}, []float64{1, 0, 0}, 1e5, []float64{0.01786592114216765, 7.274751468464569e-08, 0.9821340061103165}, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-10}}, 1e-5},
		{"robertson Rodas4 tight", rob, Rodas4{Jac: robJac}, []float64{1, 0, 0}, 1e5, []float64{0.01786592114216765, 7.274751468464569e-08, 0.9821340061103165}, &Settings{Control: iterate.Control{Tolerance: 1e-9, AbsTolerance: 1e-14}}, 1e-8},
		{"vanderpol mu=1000 Rodas4", vdp, Rodas4{}, []float64{2, 0}, 3000, []float64{-1.5106069367440846, 0.0011783800007309656}, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-9}}, 1e-4},
		{"vanderpol mu=1000 Rodas4 tight", vdp, Rodas4{}, []float64{2, 0}, 3000, []float64{-1.5106069367440846, 0.0011783800007309656}, &Settings{Control: iterate.Control{Tolerance: 1e-9, AbsTolerance: 1e-12}}, 1e-7},
		{"robertson Rodas5", rob, Rodas5{}, []float64{1, 0, 0}, 1e5, []float64{0.01786592114216765, 7.274751468464569e-08, 0.9821340061103165}, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-10}}, 1e-5},
		{"robertson Rodas5 tight", rob, Rodas5{Jac: robJac}, []float64{1, 0, 0}, 1e5, []float64{0.01786592114216765, 7.274751468464569e-08, 0.9821340061103165}, &Settings{Control: iterate.Control{Tolerance: 1e-9, AbsTolerance: 1e-14}}, 1e-8},
		{"vanderpol mu=1000 Rodas5", vdp, Rodas5{}, []float64{2, 0}, 3000, []float64{-1.5106069367440846, 0.0011783800007309656}, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-9}}, 1e-4},
		{"vanderpol mu=1000 Rodas5 tight", vdp, Rodas5{}, []float64{2, 0}, 3000, []float64{-1.5106069367440846, 0.0011783800007309656}, &Settings{Control: iterate.Control{Tolerance: 1e-9, AbsTolerance: 1e-12}}, 1e-7},
		{"robertson Rodas5P", rob, Rodas5P{}, []float64{1, 0, 0}, 1e5, []float64{0.01786592114216765, 7.274751468464569e-08, 0.9821340061103165}, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-10}}, 1e-5},
		{"robertson Rodas5P tight", rob, Rodas5P{Jac: robJac}, []float64{1, 0, 0}, 1e5, []float64{0.01786592114216765, 7.274751468464569e-08, 0.9821340061103165}, &Settings{Control: iterate.Control{Tolerance: 1e-9, AbsTolerance: 1e-14}}, 1e-8},
		{"vanderpol mu=1000 Rodas5P", vdp, Rodas5P{}, []float64{2, 0}, 3000, []float64{-1.5106069367440846, 0.0011783800007309656}, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-9}}, 1e-4},
		{"vanderpol mu=1000 Rodas5P tight", vdp, Rodas5P{}, []float64{2, 0}, 3000, []float64{-1.5106069367440846, 0.0011783800007309656}, &Settings{Control: iterate.Control{Tolerance: 1e-9, AbsTolerance: 1e-12}}, 1e-7},
		{"robertson Radau5", rob, Radau5{}, []float64{1, 0, 0}, 1e5, []float64{0.01786592114216765, 7.274751468464569e-08, 0.9821340061103165}, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-10}}, 1e-5},
		{"robertson Radau5 tight", rob, Radau5{Jac: robJac}, []float64{1, 0, 0}, 1e5, []float64{0.01786592114216765, 7.274751468464569e-08, 0.9821340061103165}, &Settings{Control: iterate.Control{Tolerance: 1e-9, AbsTolerance: 1e-14}}, 1e-8},
		{"vanderpol mu=1000 Radau5", vdp, Radau5{}, []float64{2, 0}, 3000, []float64{-1.5106069367440846, 0.0011783800007309656}, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-9}}, 1e-4},
		{"vanderpol mu=1000 Radau5 tight", vdp, Radau5{}, []float64{2, 0}, 3000, []float64{-1.5106069367440846, 0.0011783800007309656}, &Settings{Control: iterate.Control{Tolerance: 1e-9, AbsTolerance: 1e-12}}, 1e-7},
	} {
		sol, err := Solve(context.Background(), c.m, c.f, 0, c.t1, c.y0, nil, c.set)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		y := sol.Y[len(sol.Y)-1]
		var rel float64
		for i := range y {
			rel = math.Max(rel, math.Abs(y[i]-c.ref[i])/math.Max(math.Abs(c.ref[i]), 1))
		}
		if rel > c.tol {
			t.Errorf("%s: end error %g against the reference (y = %v)", c.name, rel, y)
		}
		st := sol.Stats
		t.Logf("%s: %d evaluations (%d for Jacobians), %d Jacobians, %d solves, %d accepted, %d rejected, end error %.2g", c.name, st.FEvals, st.JacFEvals, st.JacEvals, st.LinearSolves, st.Accepted, st.Rejected, rel)
		// A finite-difference Jacobian costs one evaluation per column, two
		// by central differences (Rodas5's always).
		want := len(c.y0) * st.JacEvals
		switch m := c.m.(type) {
		case Rosenbrock23:
			if m.Jac != nil {
				want = 0
			}
		case Rodas4:
			if m.Jac != nil {
				want = 0
			}
		case Rodas5:
			want *= 2
			if m.Jac != nil {
				want = 0
			}
		case Rodas5P:
			want *= 2
			if m.Jac != nil {
				want = 0
			}
		case Radau5:
			if m.Jac != nil {
				want = 0
			}
		}
		if st.JacFEvals != want {
			t.Errorf("%s: %d Jacobian evaluations of f, want %d", c.name, st.JacFEvals, want)
		}
		// A Rosenbrock method factors W on every attempt; Radau5 keeps its
		// pair while the step stays, so fewer.
		attempts := st.Accepted + st.Rejected
		if _, radau := c.m.(Radau5); radau && !(st.Factorizations >= 1 && st.Factorizations < attempts) || !radau && st.Factorizations != attempts {
			t.Errorf("%s: %d factorisations in %d attempts", c.name, st.Factorizations, attempts)
		}
	}
}

// TestAutonomous checks that declaring an autonomous problem skips the
// time derivative: the same steps and state, one evaluation fewer per step.
func TestAutonomous(t *testing.T) {
	vdp := func(dy []float64, _ float64, y []float64) { dy[0] = y[1]; dy[1] = 1000*(1-y[0]*y[0])*y[1] - y[0] }
	set := &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-9}}
	for _, pair := range [][2]Method{{Rodas4{}, Rodas4{Autonomous: true}}, {Rodas5{}, Rodas5{Autonomous: true}}, {Rodas5P{}, Rodas5P{Autonomous: true}}, {Rosenbrock23{}, Rosenbrock23{Autonomous: true}}} {
		a, err1 := Solve(context.Background(), pair[0], vdp, 0, 300, []float64{2, 0}, nil, set)
		b, err2 := Solve(context.Background(), pair[1], vdp, 0, 300, []float64{2, 0}, nil, set)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		ya, yb := a.Y[len(a.Y)-1], b.Y[len(b.Y)-1]
		if ya[0] != yb[0] || ya[1] != yb[1] || a.Stats.Accepted != b.Stats.Accepted {
			t.Errorf("%T: end states %v and %v, steps %d and %d", pair[0], ya, yb, a.Stats.Accepted, b.Stats.Accepted)
		}
		if d := a.Stats.FEvals - b.Stats.FEvals; d != a.Stats.Accepted {
			t.Errorf("%T: %d evaluations saved, want one per step (%d)", pair[0], d, a.Stats.Accepted)
		}
	}
}

// TestRosenbrockOrders checks the observed orders with fixed steps on the
// logistic equation: 2 for Rosenbrock23, 4 for Rodas4, and Rodas4's dense
// output at least 3.
func TestRosenbrockOrders(t *testing.T) {
	logistic := func(dy []float64, _ float64, y []float64) { dy[0] = 3 * y[0] * (1 - y[0]) }
	logisticExact := func(t float64) float64 { return 1 / (1 + 9*math.Exp(-3*t)) }
	expSinExact := func(t float64) float64 { return math.Exp(math.Sin(t)) }
	for _, c := range []struct {
		name  string
		m     Method
		order float64
		ns    []int
		f     Func
		y0    float64
		exact func(float64) float64
	}{
		{"Rosenbrock23", Rosenbrock23{}, 2, []int{40, 80, 160}, logistic, 0.1, logisticExact},
		{"Rodas4", Rodas4{}, 4, []int{40, 80, 160}, logistic, 0.1, logisticExact},
		// Rodas5 on y' = y cos t (non-autonomous, so its time-derivative
		// terms are exercised too), with errors above the floor of about
		// 1e-11 that the finite-difference Jacobian and time derivative
		// set (below it the error changes sign).
		{"Rodas5", Rodas5{}, 5, []int{10, 20, 40}, expSin, 1, expSinExact},
		{"Rodas5P", Rodas5P{}, 5, []int{10, 20, 40}, expSin, 1, expSinExact},
		// Radau5 from 20 steps (at 10 the observed order is 5.2), its
		// Newton iteration converged far below the errors.
		{"Radau5", Radau5{}, 5, []int{20, 40, 80}, expSin, 1, expSinExact},
	} {
		var errs, derrs []float64
		for _, n := range c.ns {
			h := 2 / float64(n)
			var saveAt []float64
			for k := 0; k < n; k++ {
				saveAt = append(saveAt, (float64(k)+0.37)*h)
			}
			saveAt = append(saveAt, 2)
			set := &Settings{Dt: h, Fixed: true}
			if _, ok := c.m.(Radau5); ok {
				set.Tolerance, set.AbsTolerance = 1e-13, 1e-13
			}
			sol, err := Solve(context.Background(), c.m, c.f, 0, 2, []float64{c.y0}, saveAt, set)
			if err != nil {
				t.Fatal(err)
			}
			errs = append(errs, math.Abs(sol.Y[len(sol.Y)-1][0]-c.exact(2)))
			m := 0.0
			for i, tt := range sol.T[:len(sol.T)-1] {
				m = math.Max(m, math.Abs(sol.Y[i][0]-c.exact(tt)))
			}
			derrs = append(derrs, m)
		}
		t.Logf("%s: end errors %.3g, dense errors %.3g", c.name, errs, derrs)
		for k := 0; k+1 < len(errs); k++ {
			if p := math.Log2(errs[k] / errs[k+1]); math.Abs(p-c.order) > 0.2 {
				t.Errorf("%s: observed order %.2f (errors %g, %g), want %g", c.name, p, errs[k], errs[k+1], c.order)
			}
			if p := math.Log2(derrs[k] / derrs[k+1]); p < math.Min(c.order, 3)-0.2 {
				t.Errorf("%s: dense output order %.2f (errors %g, %g)", c.name, p, derrs[k], derrs[k+1])
			}
		}
	}
}

// heat1D is u_t = u_xx on (0, 1), u = 0 at both ends, on n interior points.
func heat1D(n int) (Func, *sparse.CSR) {
	h := 1 / float64(n+1)
	f := func(dy []float64, _ float64, y []float64) {
		for i := range y {
			l, r := 0.0, 0.0
			if i > 0 {
				l = y[i-1]
			}
			if i+1 < n {
				r = y[i+1]
			}
			dy[i] = (l - 2*y[i] + r) / (h * h)
		}
	}
	var rows, cols []int
	var vals []float64
	for i := 0; i < n; i++ {
		for j := max(0, i-1); j <= min(n-1, i+1); j++ {
			rows, cols, vals = append(rows, i), append(cols, j), append(vals, 1)
		}
	}
	p, _ := sparse.FromTriplets(n, n, rows, cols, vals)
	return f, p
}

// TestRosenbrockSparse integrates the method-of-lines heat equation with
// 2000 unknowns through a coloured finite-difference Jacobian (3 colours)
// and GMRES, against the exact semi-discrete solution e^{-lambda_h t}
// sin(pi x) with lambda_h = 4/h^2 sin^2(pi h/2); and checks on the
// Brusselator that the sparse and dense paths agree.
func TestRosenbrockSparse(t *testing.T) {
	const n = 2000
	f, p := heat1D(n)
	h := 1 / float64(n+1)
	y0 := make([]float64, n)
	for i := range y0 {
		y0[i] = math.Sin(math.Pi * float64(i+1) * h)
	}
	s2 := math.Sin(math.Pi * h / 2)
	decay := math.Exp(-4 / (h * h) * s2 * s2 * 0.1)
	var errs []float64
	for _, tol := range []float64{1e-6, 1e-8} {
		sol, err := Solve(context.Background(), Rosenbrock23{Sparsity: p}, f, 0, 0.1, y0, nil, &Settings{Control: iterate.Control{Tolerance: tol, AbsTolerance: tol * 1e-3}})
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i, v := range sol.Y[len(sol.Y)-1] {
			worst = math.Max(worst, math.Abs(v-decay*y0[i]))
		}
		errs = append(errs, worst)
		st := sol.Stats
		t.Logf("heat n=%d rtol %g: error %.3g (solution %.3g), %d steps, %d rejected, %d f evals, %d Jacobians, %d solves",
			n, tol, worst, decay, st.Accepted, st.Rejected, st.FEvals, st.JacEvals, st.LinearSolves)
		// Three colours: 3 evaluations per Jacobian, plus df/dt and two
		// stages per attempt (the third is the next step's first).
		if max := 3*st.JacEvals + 4*(st.Accepted+st.Rejected) + 4; st.FEvals > max {
			t.Errorf("%d evaluations, more than the coloured Jacobian allows (%d)", st.FEvals, max)
		}
	}
	// The global error follows the tolerance: within 1e-4 of the solution
	// at rtol 1e-6 (50 steps of a second-order method) and at least 10
	// times smaller at 1e-8 (about tol^(2/3) for an order-2 method: 21x).
	if errs[0] > 1e-4*decay || errs[1] > errs[0]/10 {
		t.Errorf("errors %.3g (rtol 1e-6) and %.3g (rtol 1e-8) against the semi-discrete solution %.3g", errs[0], errs[1], decay)
	}

	// Brusselator (Hairer and Wanner II), u and v interleaved.
	const m = 40
	alpha := 0.02
	dx := 1 / float64(m+1)
	bru := func(dy []float64, _ float64, y []float64) {
		for i := 0; i < m; i++ {
			u, v := y[2*i], y[2*i+1]
			ul, ur, vl, vr := 1.0, 1.0, 3.0, 3.0
			if i > 0 {
				ul, vl = y[2*i-2], y[2*i-1]
			}
			if i+1 < m {
				ur, vr = y[2*i+2], y[2*i+3]
			}
			dy[2*i] = 1 + u*u*v - 4*u + alpha*(ul-2*u+ur)/(dx*dx)
			dy[2*i+1] = 3*u - u*u*v + alpha*(vl-2*v+vr)/(dx*dx)
		}
	}
	var rows, cols []int
	var vals []float64
	for i := 0; i < 2*m; i++ {
		for j := max(0, i-2); j <= min(2*m-1, i+2); j++ {
			rows, cols, vals = append(rows, i), append(cols, j), append(vals, 1)
		}
	}
	bp, _ := sparse.FromTriplets(2*m, 2*m, rows, cols, vals)
	b0 := make([]float64, 2*m)
	for i := 0; i < m; i++ {
		b0[2*i], b0[2*i+1] = 1+math.Sin(2*math.Pi*float64(i+1)*dx), 3
	}
	set := &Settings{Control: iterate.Control{Tolerance: 1e-8, AbsTolerance: 1e-10}}
	dense, err1 := Solve(context.Background(), Rosenbrock23{}, bru, 0, 10, b0, nil, set)
	sp, err2 := Solve(context.Background(), Rosenbrock23{Sparsity: bp}, bru, 0, 10, b0, nil, set)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	d := 0.0
	for i, v := range sp.Y[len(sp.Y)-1] {
		d = math.Max(d, math.Abs(v-dense.Y[len(dense.Y)-1][i]))
	}
	t.Logf("Brusselator: sparse and dense end states differ by %.3g; f evals %d (sparse) vs %d (dense)", d, sp.Stats.FEvals, dense.Stats.FEvals)
	if d > 1e-7 {
		t.Errorf("sparse and dense paths differ by %.3g", d)
	}
	if sp.Stats.FEvals >= dense.Stats.FEvals {
		t.Errorf("coloured Jacobian used %d evaluations, dense %d", sp.Stats.FEvals, dense.Stats.FEvals)
	}
}

// TestFiniteDifferenceJacobian compares the forward- and central-difference
// Jacobians with Robertson's exact one at a state with a small component.
func TestFiniteDifferenceJacobian(t *testing.T) {
	rob := func(dy []float64, _ float64, y []float64) {
		dy[0] = -0.04*y[0] + 1e4*y[1]*y[2]
		dy[1] = 0.04*y[0] - 1e4*y[1]*y[2] - 3e7*y[1]*y[1]
		dy[2] = 3e7 * y[1] * y[1]
	}
	y := []float64{0.9, 3.6e-5, 0.1}
	exact := [3][3]float64{{-0.04, 1e4 * y[2], 1e4 * y[1]}, {0.04, -1e4*y[2] - 6e7*y[1], -1e4 * y[1]}, {0, 6e7 * y[1], 0}}
	for _, c := range []struct {
		central bool
		tol     float64
	}{{false, 1e-5}, {true, 1e-9}} {
		r := Rodas4{CentralDiff: c.central}.newIntegrator(rob, nil).(*rosenbrock)
		if err := r.Init(0, y, 1); err != nil {
			t.Fatal(err)
		}
		if err := r.eval(r.f0, 0, r.y); err != nil {
			t.Fatal(err)
		}
		before := r.stats.JacFEvals
		if err := r.jacobian(); err != nil {
			t.Fatal(err)
		}
		if got, want := r.stats.JacFEvals-before, map[bool]int{false: 3, true: 6}[c.central]; got != want {
			t.Errorf("central %v: %d evaluations, want %d", c.central, got, want)
		}
		worst := 0.0
		for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				worst = math.Max(worst, math.Abs(r.J.At(i, j)-exact[i][j])/math.Max(math.Abs(exact[i][j]), 1))
			}
		}
		t.Logf("central %v: largest relative Jacobian error %.3g", c.central, worst)
		if worst > c.tol {
			t.Errorf("central %v: Jacobian error %.3g, want below %g", c.central, worst, c.tol)
		}
	}
}

// TestEvaluationCounts: the cost of a Runge-Kutta step is a claim the
// benchmarks against SciPy rely on. With n fixed steps a method of s
// stages evaluates f s times per step; an FSAL method reuses its last
// stage as the next first one, so it pays s-1 per step and one at the
// start.
func TestEvaluationCounts(t *testing.T) {
	const n = 40
	for _, tab := range []*Tableau{Euler, Midpoint, RK4, BS3, DP5, Tsit5, Vern6} {
		sol, err := Solve(context.Background(), tab, expSin, 0, 2, []float64{1}, nil, &Settings{Dt: 2.0 / n, Fixed: true})
		if err != nil || sol.Reason != iterate.Completed {
			t.Fatalf("%s: %v %v", tab.Name, err, sol.Reason)
		}
		want := n * tab.Stages()
		if tab.FSAL {
			want = 1 + n*(tab.Stages()-1)
		}
		if sol.Stats.FEvals != want || sol.Stats.Accepted != n || sol.Iterations != n {
			t.Errorf("%s: %d evaluations, %d accepted steps (Iterations %d); want %d and %d", tab.Name, sol.Stats.FEvals, sol.Stats.Accepted, sol.Iterations, want, n)
		}
	}
}
