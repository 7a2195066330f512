package ode

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn"
)

// valueField evaluates a Field[float64] outside any tape, as a Func on a
// [batch, n] state flattened.
func valueField(f Field[float64], shape []int) Func {
	return func(dy []float64, t float64, y []float64) {
		tp := nn.NewTape[float64]()
		tp.SetNoGrad(true)
		k := f.Eval(tp, nn.New(append([]float64(nil), y...), shape...), nn.New([]float64{t}))
		copy(dy, k.Data)
	}
}

// TestSolveTapeIsExplicit: the tape solve takes exactly the steps of the
// Explicit integrator (the same states, times and error estimates bit for
// bit, the same evaluations and rejections) on a neural field, with the
// first step chosen by Hairer's algorithm, for three adaptive pairs; the
// regularisers equal their definitions evaluated on the steps.
func TestSolveTapeIsExplicit(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	m := NewTimeMLP[float64](rnd, false, 3, 16, 3)
	for _, w := range m.W {
		for i := range w.Data {
			w.Data[i] *= 8 // lively dynamics: rejections happen
		}
	}
	y0 := nn.New([]float64{0.5, -1, 2, 1, 0.3, -0.7}, 2, 3)
	for _, tab := range []*Tableau{Tsit5, DP5, BS3} {
		set := &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-8}}
		ts := []float64{0, 2}
		tp := nn.NewTape[float64]()
		sol, err := SolveTape(context.Background(), tp, tab, m, y0, ts, set)
		if err != nil {
			t.Fatalf("%s: %v", tab.Name, err)
		}
		ref, err := Solve(context.Background(), tab, valueField(m, y0.Shape), ts[0], ts[1], y0.Data, nil, set)
		if err != nil || ref.Err() != nil {
			t.Fatalf("%s: reference: %v %v", tab.Name, err, ref.Err())
		}
		if sol.Stats.Accepted != ref.Stats.Accepted || sol.Stats.Rejected != ref.Stats.Rejected || sol.Stats.FEvals != ref.Stats.FEvals {
			t.Errorf("%s: tape stats %+v, Explicit %+v", tab.Name, sol.Stats, ref.Stats)
		}
		if ref.Stats.Rejected == 0 && tab == Tsit5 {
			t.Errorf("%s: no rejected step: the test does not reach the rejection path", tab.Name)
		}
		for i, v := range sol.Y[0].Data {
			if w := ref.Y[len(ref.Y)-1][i]; v != w {
				t.Errorf("%s: y(%g)[%d] = %.17g, Explicit %.17g", tab.Name, ts[1], i, v, w)
			}
		}
		if len(sol.Steps) != len(ref.Steps) {
			t.Fatalf("%s: %d steps, Explicit %d", tab.Name, len(sol.Steps), len(ref.Steps))
		}
		if tab == Tsit5 {
			// Intermediate times come from the interpolant, as Solve's.
			ts := []float64{0, 0.7, 1.3, 2}
			sol, err := SolveTape(context.Background(), nn.NewTape[float64](), tab, m, y0, ts, set)
			ref, err2 := Solve(context.Background(), tab, valueField(m, y0.Shape), 0, 2, y0.Data, ts[1:], set)
			if err != nil || err2 != nil {
				t.Fatal(err, err2)
			}
			for j := range ts[1:] {
				for i, v := range sol.Y[j].Data {
					if w := ref.Y[j][i]; math.Abs(v-w) > 1e-15*(1+math.Abs(w)) {
						t.Errorf("y(%g)[%d] = %.17g, Solve's %.17g", ts[j+1], i, v, w)
					}
				}
			}
		}
		var sumE, maxS, sumBoth float64
		for i, s := range sol.Steps {
			r := ref.Steps[i]
			// Bit for bit but for the eigenvalue estimate's last digits
			// (a ratio of square roots here, the root of a ratio there).
			if s.T1 != r.T1 || s.ErrorEstimate != r.ErrorEstimate || math.Abs(s.EigenEstimate-r.EigenEstimate) > 1e-14*r.EigenEstimate {
				t.Errorf("%s: step %d: %+v, Explicit %+v", tab.Name, i, s, r)
			}
			sumE += s.ErrorEstimate * (s.T1 - s.T0)
			maxS = math.Max(maxS, s.EigenEstimate/tab.Stability)
			sumBoth += s.ErrorEstimate*(s.T1-s.T0) + 0.1*s.EigenEstimate/tab.Stability
		}
		n := float64(len(sol.Steps))
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"ErrorReg", sol.ErrorReg.Item(), sumE / n}, {"StiffReg", sol.StiffReg.Item(), maxS}, {"BothReg", sol.BothReg.Item(), sumBoth / n}} {
			if math.Abs(c.got-c.want) > 1e-12*math.Abs(c.want) {
				t.Errorf("%s: %s = %g, from the steps %g", tab.Name, c.name, c.got, c.want)
			}
		}
	}
}

// TestTsit5StepRegularisers: one Tsit5 step of a linear ODE y' = M y
// computed by hand (stages written out with the published coefficients):
// EEst dt and the eigenvalue estimate over 3.5068 equal the regularisers.
func TestTsit5StepRegularisers(t *testing.T) {
	M := [][]float64{{-1, 2}, {-3, -0.5}}
	y0 := []float64{1, -0.5}
	const dt, atol, rtol = 0.05, 1e-3, 1e-3
	mul := func(y []float64) []float64 {
		return []float64{M[0][0]*y[0] + M[0][1]*y[1], M[1][0]*y[0] + M[1][1]*y[1]}
	}
	a := [][]float64{{}, {0.161}, {-0.008480655492356989, 0.335480655492357},
		{2.8971530571054935, -6.359448489975075, 4.3622954328695815},
		{5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525},
		{5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383},
		{0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774}}
	btilde := []float64{-0.00178001105222577714, -0.0008164344596567469, 0.007880878010261995, -0.1447110071732629,
		0.5823571654525552, -0.45808210592918697, 1. / 66}
	k := [][]float64{mul(y0)}
	var g, gPrev []float64
	for i := 1; i < 7; i++ {
		gPrev = g
		g = append([]float64(nil), y0...)
		for j, aij := range a[i] {
			g[0] += dt * aij * k[j][0]
			g[1] += dt * aij * k[j][1]
		}
		k = append(k, mul(g))
	}
	var e2 float64
	for c := 0; c < 2; c++ {
		var u float64
		for j, b := range btilde {
			u += dt * b * k[j][c]
		}
		sc := atol + rtol*math.Max(math.Abs(y0[c]), math.Abs(g[c]))
		e2 += (u / sc) * (u / sc)
	}
	eest := math.Sqrt(e2 / 2)
	dk := math.Hypot(k[6][0]-k[5][0], k[6][1]-k[5][1])
	dg := math.Hypot(g[0]-gPrev[0], g[1]-gPrev[1])
	stiff := dk / dg / 3.5068

	mt := nn.New([]float64{M[0][0], M[1][0], M[0][1], M[1][1]}, 2, 2) // M^T: rows are states
	f := linearField{mt}
	sol, err := SolveTape(context.Background(), nn.NewTape[float64](), Tsit5, f, nn.New(append([]float64(nil), y0...), 1, 2), []float64{0, dt},
		&Settings{Control: iterate.Control{Tolerance: rtol, AbsTolerance: atol}, Dt: dt})
	if err != nil {
		t.Fatal(err)
	}
	if sol.Stats.Accepted != 1 || sol.Stats.FEvals != 7 {
		t.Fatalf("stats %+v, want one step of 7 evaluations", sol.Stats)
	}
	// The error estimate cancels stage terms of size dt |k| ~ 0.05 down
	// to ~1e-8: rounding alone leaves a relative 1e-16 * 0.05 / 1e-8.
	if got := sol.ErrorReg.Item(); math.Abs(got-eest*dt) > 1e-8*eest*dt {
		t.Errorf("ErrorReg %.16g, by hand EEst dt = %.16g", got, eest*dt)
	}
	if got := sol.StiffReg.Item(); math.Abs(got-stiff) > 1e-12*stiff {
		t.Errorf("StiffReg %.16g, by hand %.16g", got, stiff)
	}
	for c := range 2 {
		if d := math.Abs(sol.Y[0].Data[c] - g[c]); d > 1e-15 {
			t.Errorf("y1[%d] = %.17g, by hand %.17g", c, sol.Y[0].Data[c], g[c])
		}
	}
}

// linearField is f(y) = y M^T for a state [batch, n] (M^T given).
type linearField struct{ mt *nn.Tensor[float64] }

func (f linearField) Eval(tp *nn.Tape[float64], y, _ *nn.Tensor[float64]) *nn.Tensor[float64] {
	return tp.MatMul(y, f.mt)
}

// TestSolveTapeGradient: the discrete adjoint through a whole adaptive
// Tsit5 solve (a rejected first attempt included) agrees with central
// differences of the same solve, for a loss on the states at two times
// plus all three regularisers, in every parameter of a TimeMLP and in the
// initial state. The first step is given (0.6, rejected), so that it does
// not depend on the parameters; the perturbations leave the accept
// pattern unchanged. The difference quotients are accurate to a few
// 1e-6 only: the error estimate cancels stage terms ~1e4 times its size
// (rounding noise ~5e-6 in a quotient at step 1e-4), the regularisers
// curve strongly (truncation ~2e-6 at 1e-4, 8e-5 at 3e-4) and the max of
// the stiffness one has kinks; every element was seen to converge to the
// backward value as the step shrinks. Hence the tolerance 1e-5 (a stage
// overwritten before the backward pass gave errors of 1e-2 to 1e0). The
// integration tolerances are loose to keep the cancellation small.
func TestSolveTapeGradient(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	m := NewTimeMLP[float64](rnd, true, 2, 6, 2)
	for _, w := range m.W {
		for i := range w.Data {
			w.Data[i] *= 5
		}
	}
	y0 := nn.Param([]float64{0.4, -0.9, 1.1, 0.2}, 2, 2)
	r1 := []float64{0.3, -1.2, 0.8, 0.5}
	r2 := []float64{-0.7, 0.4, 1.5, -0.2}
	set := &Settings{Control: iterate.Control{Tolerance: 1e-3, AbsTolerance: 1e-4}, Dt: 0.6}
	var stats Stats
	loss := func(tp *nn.Tape[float64]) *nn.Tensor[float64] {
		sol, err := SolveTape(context.Background(), tp, Tsit5, m, y0, []float64{0, 0.6, 1.5}, set)
		if err != nil {
			t.Fatal(err)
		}
		stats = sol.Stats
		l := tp.Add(tp.Sum(tp.Mul(sol.Y[0], nn.New(r1, 2, 2))), tp.Sum(tp.Mul(sol.Y[1], nn.New(r2, 2, 2))))
		l = tp.Add(l, tp.Scale(sol.ErrorReg, 10))
		l = tp.Add(l, tp.Scale(sol.StiffReg, 0.5))
		return tp.Add(l, tp.Scale(sol.BothReg, 10))
	}
	if err := nn.CheckGradients(append(m.Params(), y0), loss, 1e-4, 1e-5); err != nil {
		t.Error(err)
	}
	if stats.Rejected == 0 || stats.Accepted < 5 {
		t.Errorf("stats %+v: the test should pass through a rejection and several steps", stats)
	}
}

// BenchmarkSolveTape is one training step of the papers' MNIST neural ODE
// (dynamics 784-100-784 with tanh and time inputs, float32): forward
// solve, linear head, cross entropy, backward pass, Adam. "fixed10-b512"
// takes 10 Tsit5 steps (61 evaluations) at batch 512, the case of the
// PyTorch peer script in the note; "tol1e-6-b128" is adaptive.
func BenchmarkSolveTape(b *testing.B) {
	nn.SetBLASThreads(1) // as simulate runs: nn's pool parallelises the products
	for _, c := range []struct {
		name  string
		batch int
		set   *Settings
	}{
		{"fixed10-b512", 512, &Settings{Fixed: true, Dt: 0.1}},
		{"tol1e-6-b128", 128, &Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-6}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			rnd := rand.New(rand.NewPCG(1, 2))
			m := NewTimeMLP[float32](rnd, true, 784, 100, 784)
			hw, hb := nn.Param(make([]float32, 7840), 10, 784), nn.Param(make([]float32, 10), 10)
			x := nn.Zeros[float32](c.batch, 784)
			labels := make([]int, c.batch)
			for i := range x.Data {
				x.Data[i] = float32(rnd.Float64())
			}
			for i := range labels {
				labels[i] = rnd.IntN(10)
			}
			params := append(m.Params(), hw, hb)
			opt := &nn.Adam[float32]{LR: 1e-3}
			tp := nn.NewTape[float32]()
			var nfe int
			for b.Loop() {
				tp.Reset()
				for _, p := range params {
					p.ZeroGrad()
				}
				sol, err := SolveTape(context.Background(), tp, Tsit5, m, x, []float64{0, 1}, c.set)
				if err != nil {
					b.Fatal(err)
				}
				tp.Backward(tp.CrossEntropy(tp.Linear(sol.Y[0], hw, hb), labels))
				opt.Step(params)
				nfe = sol.Stats.FEvals
			}
			b.ReportMetric(float64(nfe), "nfe")
		})
	}
}

// TestLocalStep: the local regularisers' step is the step a fresh
// integrator takes at t (Hairer's first step): its EEst dt and stiffness
// estimate, and their gradients, equal those of a one-step SolveTape given
// that step size.
func TestLocalStep(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	m := NewTimeMLP[float64](rnd, true, 3, 8, 3)
	y := nn.Param([]float64{0.3, -0.8, 1.2, 0.1, 0.5, -0.4}, 2, 3)
	set := &Settings{Control: iterate.Control{Tolerance: 1e-4, AbsTolerance: 1e-6}}
	const t0, tEnd = 0.3, 1.0
	e := NewExplicit(Tsit5, valueField(m, y.Shape), set)
	if err := e.Init(t0, y.Data, tEnd); err != nil {
		t.Fatal(err)
	}
	h := e.h
	grads := func(loss func(tp *nn.Tape[float64]) *nn.Tensor[float64]) (float64, [][]float64) {
		ps := append(m.Params(), y)
		for _, p := range ps {
			p.ZeroGrad()
		}
		tp := nn.NewTape[float64]()
		l := loss(tp)
		tp.Backward(l)
		var g [][]float64
		for _, p := range ps {
			g = append(g, append([]float64(nil), p.Grad...))
		}
		return l.Item(), g
	}
	var nfe int
	local, lg := grads(func(tp *nn.Tape[float64]) *nn.Tensor[float64] {
		er, sr, n, err := LocalStep(context.Background(), tp, Tsit5, m, y, t0, tEnd, set)
		if err != nil {
			t.Fatal(err)
		}
		nfe = n
		return tp.Add(tp.Scale(er, 100), sr)
	})
	one := *set
	one.Dt = h
	ref, rg := grads(func(tp *nn.Tape[float64]) *nn.Tensor[float64] {
		sol, err := SolveTape(context.Background(), tp, Tsit5, m, y, []float64{t0, t0 + h}, &one)
		if err != nil || sol.Stats.Accepted != 1 || sol.Stats.Rejected != 0 {
			t.Fatalf("%v %+v", err, sol.Stats)
		}
		return tp.Add(tp.Scale(sol.ErrorReg, 100), sol.StiffReg)
	})
	if nfe != 8 {
		t.Errorf("%d evaluations, want 8 (first-step choice 2, stages 6)", nfe)
	}
	// The solve's step is (t0 + h) - t0, h rounded: agreement to ~1e-12.
	if math.Abs(local-ref) > 1e-10*math.Abs(ref) {
		t.Errorf("local regularisers %.16g, one-step solve %.16g", local, ref)
	}
	for i := range lg {
		for j := range lg[i] {
			if d := math.Abs(lg[i][j] - rg[i][j]); d > 1e-9*(1+math.Abs(rg[i][j])) {
				t.Fatalf("gradient %d[%d]: %g, one-step solve %g", i, j, lg[i][j], rg[i][j])
			}
		}
	}
}

func (f linearField) Params() []*nn.Tensor[float64] { return []*nn.Tensor[float64]{f.mt} }

// TestAdjointMatchesDiscrete: on a linear ODE y' = y M^T (a rotation with
// decay: closed form y0 exp(M^T t)), the continuous adjoint's gradient of a
// loss on the states at three times equals the discrete adjoint's to the
// solver's tolerance, in M and in y0; the states equal the closed form to
// the tolerance.
func TestAdjointMatchesDiscrete(t *testing.T) {
	for _, tol := range []float64{1e-6, 1e-9} {
		mt := nn.Param([]float64{-0.2, -1, 1, -0.2}, 2, 2) // M^T
		y0 := nn.Param([]float64{1, 0.5, -0.3, 2}, 2, 2)
		f := linearField{mt}
		r := [][]float64{{0.3, -1.2, 0.8, 0.5}, {1, 0.2, -0.4, 0.7}, {-0.6, 0.9, 0.1, 1.1}}
		set := &Settings{Control: iterate.Control{Tolerance: tol, AbsTolerance: tol}}
		ts := []float64{0, 0.5, 1.7, 3}
		run := func(solve func(tp *nn.Tape[float64]) (*TapeSolution[float64], error)) ([]float64, *TapeSolution[float64]) {
			mt.ZeroGrad()
			y0.ZeroGrad()
			tp := nn.NewTape[float64]()
			sol, err := solve(tp)
			if err != nil {
				t.Fatal(err)
			}
			l := tp.Sum(tp.Mul(sol.Y[0], nn.New(r[0], 2, 2)))
			for j := 1; j < 3; j++ {
				l = tp.Add(l, tp.Sum(tp.Mul(sol.Y[j], nn.New(r[j], 2, 2))))
			}
			tp.Backward(l)
			if err := sol.BackwardErr(); err != nil {
				t.Fatal(err)
			}
			return append(append([]float64(nil), mt.Grad...), y0.Grad...), sol
		}
		disc, _ := run(func(tp *nn.Tape[float64]) (*TapeSolution[float64], error) {
			return SolveTape(context.Background(), tp, Tsit5, f, y0, ts, set)
		})
		cont, sol := run(func(tp *nn.Tape[float64]) (*TapeSolution[float64], error) {
			return SolveAdjoint(context.Background(), tp, Tsit5, f, y0, ts, set)
		})
		var worst float64
		for i := range disc {
			worst = math.Max(worst, math.Abs(disc[i]-cont[i])/(1+math.Abs(disc[i])))
			if d := math.Abs(disc[i] - cont[i]); d > 10*tol*(1+math.Abs(disc[i])) {
				t.Errorf("tol %g: gradient %d: continuous %.12g, discrete %.12g", tol, i, cont[i], disc[i])
			}
		}
		t.Logf("tol %g: continuous and discrete gradients differ by %.2g at most", tol, worst)
		// Closed form: u' = -0.2 u + v, v' = -u - 0.2 v, so u + iv =
		// e^{-(0.2 + i) t} (u0 + i v0).
		for j, tj := range ts[1:] {
			c, s, d := math.Cos(tj), math.Sin(tj), math.Exp(-0.2*tj)
			for b := 0; b < 2; b++ {
				u, v := y0.Data[2*b], y0.Data[2*b+1]
				want := []float64{d * (u*c + v*s), d * (v*c - u*s)}
				for k := range want {
					if got := sol.Y[j].Data[2*b+k]; math.Abs(got-want[k]) > 100*tol {
						t.Errorf("tol %g: y(%g)[%d][%d] = %.12g, closed form %.12g", tol, tj, b, k, got, want[k])
					}
				}
			}
		}
	}
}

func (f linearField) EvalJVP(tp *nn.Tape[float64], y, t, v *nn.Tensor[float64]) (*nn.Tensor[float64], *nn.Tensor[float64]) {
	return tp.MatMul(y, f.mt), tp.MatMul(v, f.mt)
}

// TestKinetic: the kinetic regularisers on y' = y M^T (M a rotation with
// decay) equal their closed forms to the tolerance (||f||^2 = |M y|^2
// integrates exactly; the Jacobian term is |M^T e|^2 times the
// interval); TimeMLP's JVP equals central differences of its Eval; the
// gradient through the regularisers agrees with central differences.
func TestKinetic(t *testing.T) {
	mt := nn.Param([]float64{-0.2, -1, 1, -0.2}, 2, 2)
	y0 := nn.Param([]float64{1, 0.5, -0.3, 2}, 2, 2)
	set := &Settings{Control: iterate.Control{Tolerance: 1e-9, AbsTolerance: 1e-9}}
	noise := func() *rand.Rand { return rand.New(rand.NewPCG(3, 3)) }
	sol, err := SolveTapeWith(context.Background(), nn.NewTape[float64](), Tsit5, linearField{mt}, y0, []float64{0, 2}, set, &TapeOptions{Kinetic: true, Noise: noise()})
	if err != nil {
		t.Fatal(err)
	}
	// |f|^2 = |M y|^2 = (0.04 + 1) |y|^2 = 1.04 |y0|^2 e^{-0.4 t}; mean
	// over the 2 rows, integrated over [0, 2].
	var y2 float64
	for _, v := range y0.Data {
		y2 += v * v
	}
	kin := 1.04 * y2 / 2 * (1 - math.Exp(-0.8)) / 0.4
	e := nn.Zeros[float64](2, 2)
	r := noise()
	for i := range e.Data {
		e.Data[i] = r.NormFloat64()
	}
	var e2 float64
	for _, v := range e.Data {
		e2 += v * v
	}
	jac := 1.04 * e2 / 2 * 2
	if got := sol.KineticReg.Item(); math.Abs(got-kin) > 1e-8*kin {
		t.Errorf("kinetic energy %.12g, closed form %.12g", got, kin)
	}
	if got := sol.JacobianReg.Item(); math.Abs(got-jac) > 1e-8*jac {
		t.Errorf("Jacobian term %.12g, closed form %.12g", got, jac)
	}
	rnd := rand.New(rand.NewPCG(11, 12))
	m := NewTimeMLP[float64](rnd, true, 3, 5, 3)
	y := nn.New([]float64{0.2, -0.5, 0.9, 0.4, 0.1, -0.3}, 2, 3)
	v := nn.New([]float64{1, -2, 0.5, 0.3, 0.7, -1}, 2, 3)
	tt := nn.New([]float64{0.4})
	tp := nn.NewTape[float64]()
	_, jv := m.EvalJVP(tp, y, tt, v)
	const d = 1e-6
	yp, ym := nn.Zeros[float64](2, 3), nn.Zeros[float64](2, 3)
	for i := range y.Data {
		yp.Data[i], ym.Data[i] = y.Data[i]+d*v.Data[i], y.Data[i]-d*v.Data[i]
	}
	fp, fm := m.Eval(tp, yp, tt), m.Eval(tp, ym, tt)
	for i := range jv.Data {
		if fd := (fp.Data[i] - fm.Data[i]) / (2 * d); math.Abs(jv.Data[i]-fd) > 1e-8 {
			t.Errorf("JVP[%d] = %g, central difference %g", i, jv.Data[i], fd)
		}
	}
	loss := func(tp *nn.Tape[float64]) *nn.Tensor[float64] {
		sol, err := SolveTapeWith(context.Background(), tp, Tsit5, m, y, []float64{0, 1}, &Settings{Control: iterate.Control{Tolerance: 1e-4, AbsTolerance: 1e-5}, Dt: 0.1},
			&TapeOptions{Kinetic: true, Noise: noise()})
		if err != nil {
			t.Fatal(err)
		}
		return tp.Add(sol.KineticReg, sol.JacobianReg)
	}
	if err := nn.CheckGradients(m.Params(), loss, 1e-5, 1e-6); err != nil {
		t.Error(err)
	}
}

// TestSolveTapeLean: without gradients the solve runs on a tape of its
// own, emptied step by step: the same saves, states, regularisers and
// counts bit for bit as with gradients (float32, rejections, saves inside
// steps), and the caller's tape holds none of the solve's buffers.
func TestSolveTapeLean(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	m := NewTimeMLP[float32](rnd, true, 4, 12, 4)
	for _, w := range m.W {
		for i := range w.Data {
			w.Data[i] *= 10 // lively dynamics: rejections happen
		}
	}
	y0 := nn.New([]float32{0.5, -1, 2, 1, 0.3, -0.7, 0.1, 0.9}, 2, 4)
	ts := []float64{0, 0.4, 1.1, 2}
	set := &Settings{Control: iterate.Control{Tolerance: 1e-5, AbsTolerance: 1e-6}}
	full, err := SolveTape(context.Background(), nn.NewTape[float32](), Tsit5, m, y0, ts, set)
	if err != nil {
		t.Fatal(err)
	}
	tp := nn.NewTape[float32]()
	tp.SetNoGrad(true)
	lean, err := SolveTape(context.Background(), tp, Tsit5, m, y0, ts, set)
	if err != nil {
		t.Fatal(err)
	}
	if full.Stats != lean.Stats || full.Stats.Rejected == 0 || len(full.States) != len(lean.States) {
		t.Fatalf("stats %+v and %+v, %d and %d states", full.Stats, lean.Stats, len(full.States), len(lean.States))
	}
	same := func(what string, a, b *nn.Tensor[float32]) {
		if !slices.Equal(a.Data, b.Data) {
			t.Errorf("%s: %v with gradients, %v without", what, a.Data, b.Data)
		}
	}
	for i := range full.Y {
		same(fmt.Sprintf("y(%g)", ts[i+1]), full.Y[i], lean.Y[i])
	}
	for i := range full.States {
		same(fmt.Sprintf("state %d", i), full.States[i], lean.States[i])
	}
	same("ErrorReg", full.ErrorReg, lean.ErrorReg)
	same("StiffReg", full.StiffReg, lean.StiffReg)
	same("BothReg", full.BothReg, lean.BothReg)
}
