package ode

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// orderConditions returns the residuals of the Runge-Kutta order
// conditions up to order p (at most 5) for weights b (Butcher 2008, the
// 17 conditions of order <= 5).
func orderConditions(a [][]float64, b, c []float64, p int) map[string]float64 {
	s := len(b)
	A := func(i, j int) float64 {
		if j < len(a[i]) {
			return a[i][j]
		}
		return 0
	}
	mul := func(v []float64) []float64 { // (A v)_i
		out := make([]float64, s)
		for i := 0; i < s; i++ {
			for j := 0; j < s; j++ {
				out[i] += A(i, j) * v[j]
			}
		}
		return out
	}
	pw := func(k int) []float64 {
		out := make([]float64, s)
		for i := range out {
			out[i] = math.Pow(c[i], float64(k))
		}
		return out
	}
	dot := func(u ...[]float64) float64 {
		var t float64
		for i := 0; i < s; i++ {
			v := b[i]
			for _, x := range u {
				v *= x[i]
			}
			t += v
		}
		return t
	}
	ones := pw(0)
	ac := mul(c)
	out := map[string]float64{"b1": dot(ones) - 1}
	if p >= 2 {
		out["bc"] = dot(c) - 1./2
	}
	if p >= 3 {
		out["bc2"] = dot(pw(2)) - 1./3
		out["bAc"] = dot(ac) - 1./6
	}
	if p >= 4 {
		out["bc3"] = dot(pw(3)) - 1./4
		out["bcAc"] = dot(c, ac) - 1./8
		out["bAc2"] = dot(mul(pw(2))) - 1./12
		out["bAAc"] = dot(mul(ac)) - 1./24
	}
	if p >= 5 {
		out["bc4"] = dot(pw(4)) - 1./5
		out["bc2Ac"] = dot(pw(2), ac) - 1./10
		out["bcAc2"] = dot(c, mul(pw(2))) - 1./15
		out["bcAAc"] = dot(c, mul(ac)) - 1./30
		out["b(Ac)2"] = dot(ac, ac) - 1./20
		out["bAc3"] = dot(mul(pw(3))) - 1./20
		out["bA(cAc)"] = dot(mul(func() []float64 {
			v := make([]float64, s)
			for i := range v {
				v[i] = c[i] * ac[i]
			}
			return v
		}())) - 1./40
		out["bAAc2"] = dot(mul(mul(pw(2)))) - 1./60
		out["bAAAc"] = dot(mul(mul(ac))) - 1./120
	}
	return out
}

func TestTableaux(t *testing.T) {
	for _, tab := range []*Tableau{Euler, Midpoint, RK4, BS3, DP5, Tsit5} {
		s := tab.Stages()
		for i := 0; i < s; i++ {
			var sum float64
			for _, v := range tab.A[i] {
				sum += v
			}
			if math.Abs(sum-tab.C[i]) > 1e-14 {
				t.Errorf("%s: row %d of A sums to %.17g, c = %.17g", tab.Name, i, sum, tab.C[i])
			}
		}
		for name, r := range orderConditions(tab.A, tab.B, tab.C, tab.Order) {
			if math.Abs(r) > 1e-14 {
				t.Errorf("%s: order condition %s residual %g", tab.Name, name, r)
			}
		}
		if tab.E != nil {
			bhat := make([]float64, s)
			for i := range bhat {
				bhat[i] = tab.B[i] - tab.E[i]
			}
			for name, r := range orderConditions(tab.A, bhat, tab.C, tab.ErrorOrder) {
				if math.Abs(r) > 1e-14 {
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
			sol, err := Solve(c.tab, lin, 0, 1, []float64{0.5}, nil, &Settings{Dt: 1 / float64(n), Fixed: true})
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
			sol, err := Solve(c.tab, expSin, 0, t1, []float64{1}, saveAt, &Settings{Dt: h, Fixed: true})
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

// TestAdaptive checks the adaptive methods meet their tolerance on the
// closed-form problem, spend fewer evaluations when it is looser, and
// count evaluations exactly: 2 for the first step's choice plus one per
// stage after the first on every attempt (FSAL).
func TestAdaptive(t *testing.T) {
	const t1 = 10.0
	exact := math.Exp(math.Sin(t1))
	for _, tab := range []*Tableau{BS3, DP5, Tsit5} {
		var prev int
		for _, tol := range []float64{1e-4, 1e-7, 1e-10} {
			sol, err := Solve(tab, expSin, 0, t1, []float64{1}, nil, &Settings{RTol: tol, ATol: tol})
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
	sol, err := Solve(Tsit5, f, 0, 1, []float64{1, 2}, nil, &Settings{RTol: 1e-6, ATol: 1e-12})
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
	sol, err := Solve(Tsit5, blow, 0, 2, []float64{1}, nil, nil)
	var oe *Error
	if !errors.As(err, &oe) || (oe.Kind != NonFinite && oe.Kind != StepUnderflow) || math.Abs(oe.T-1) > 1e-2 {
		t.Fatalf("blow-up: error %v", err)
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
	_, err = Solve(DP5, nan, 0, 1, []float64{0}, nil, &Settings{DtMax: 0.1})
	if !errors.As(err, &oe) || oe.Kind != NonFinite {
		t.Errorf("NaN from f: error %v", err)
	}
	for _, c := range []struct {
		s    *Settings
		tab  *Tableau
		want string
	}{
		{&Settings{RTol: -1}, Tsit5, "tolerances"},
		{nil, RK4, "needs Settings.Dt"},
		{&Settings{Dt: -0.1}, Tsit5, "Dt = -0.1"},
	} {
		if _, err := Solve(c.tab, expSin, 0, 1, []float64{1}, nil, c.s); err == nil || !contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.s, err, c.want)
		}
	}
	if _, err := Solve(Tsit5, expSin, 0, 1, []float64{1}, []float64{0.5, 0.2}, nil); err == nil {
		t.Error("unordered saveAt accepted")
	}
	_, err = Solve(Tsit5, expSin, 0, 1, []float64{1}, nil, &Settings{MaxSteps: 3, RTol: 1e-12, ATol: 1e-12})
	if !errors.As(err, &oe) || oe.Kind != TooManySteps {
		t.Errorf("MaxSteps: error %v", err)
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
	set := &Settings{RTol: 1e-10, ATol: 1e-12, Events: []Event{{G: x, Direction: -1}, {G: x, Direction: 1}}}
	sol, err := Solve(Tsit5, osc, 0, 10, []float64{1, 0}, nil, set)
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
	sol, err = Solve(DP5, fall, 0, 5, []float64{h0, 0}, nil, &Settings{RTol: 1e-10, ATol: 1e-12, Events: []Event{ground}})
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
		{"robertson FD", rob, Rosenbrock23{}, []float64{1, 0, 0}, 1e5, []float64{0.01786592114216765, 7.274751468464569e-08, 0.9821340061103165}, &Settings{RTol: 1e-6, ATol: 1e-10}, 1e-4},
		{"robertson exact J", rob, Rosenbrock23{Jac: robJac}, []float64{1, 0, 0}, 1e5, []float64{0.01786592114216765, 7.274751468464569e-08, 0.9821340061103165}, &Settings{RTol: 1e-6, ATol: 1e-10}, 1e-4},
		{"vanderpol mu=1000", vdp, Rosenbrock23{}, []float64{2, 0}, 3000, []float64{-1.5106069367440846, 0.0011783800007309656}, &Settings{RTol: 1e-6, ATol: 1e-9}, 1e-3},
	} {
		sol, err := Solve(c.m, c.f, 0, c.t1, c.y0, nil, c.set)
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
		t.Logf("%s: %d evaluations, %d Jacobians, %d solves, %d accepted, %d rejected, end error %.2g", c.name, st.FEvals, st.JacEvals, st.LinearSolves, st.Accepted, st.Rejected, rel)
	}
}
