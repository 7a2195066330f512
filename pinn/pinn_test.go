package pinn

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
)

// fdOperator applies a problem's operator to a function by central
// differences of step h: L = -Lap (Peak, Exp) or Lap - 2 x . grad - 4
// (TwoPeak).
func fdOperator(p Problem, u func([]float64) float64, x []float64, h float64) float64 {
	d := len(x)
	y := append([]float64(nil), x...)
	var lap, xgrad float64
	u0 := u(x)
	for i := 0; i < d; i++ {
		y[i] = x[i] + h
		up := u(y)
		y[i] = x[i] - h
		um := u(y)
		y[i] = x[i]
		lap += (up - 2*u0 + um) / (h * h)
		xgrad += x[i] * (up - um) / (2 * h)
	}
	if _, ok := p.(TwoPeak); ok {
		return lap - 2*xgrad - 4*u0
	}
	return -lap
}

// TestSources: the exact solution's residual vanishes: the problem's
// operator applied to it by finite differences equals the source its
// Residual subtracts (checked through a network whose Taylor values are
// replaced: Residual of the zero network is -f), to 1e-6 of the source's
// size, at random points and near the peaks.
func TestSources(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, p := range []Problem{Peak{}, TwoPeak{}, Exp{D: 2}, Exp{D: 5}} {
		d := p.Dim()
		pts := Uniform(d, 20, rnd)
		if d == 2 {
			for i := 0; i < 10; i++ { // near the peaks
				pts.Data[2*i] = 0.5 + 0.05*rnd.NormFloat64()
				pts.Data[2*i+1] = 0.5 + 0.05*rnd.NormFloat64()
				if i%2 == 1 {
					pts.Data[2*i], pts.Data[2*i+1] = -pts.Data[2*i], -pts.Data[2*i+1]
				}
			}
		}
		// The zero network: its residual is -f.
		zero, _ := New(p, 2, 1, rnd)
		for _, w := range append(zero.Net.W, zero.Net.B...) {
			clear(w.Data)
		}
		tp := nn.NewTape[float64]()
		minusF := p.Residual(tp, zero.Net.Taylor(tp, tp.TaylorInput(pts)), pts)
		var scale float64
		for _, v := range minusF.Data {
			scale = math.Max(scale, math.Abs(v))
		}
		for i := 0; i < pts.Shape[0]; i++ {
			x := pts.Data[i*d : (i+1)*d]
			lu := fdOperator(p, p.Exact, x, 1e-5)
			if math.Abs(lu+minusF.Data[i]) > 1e-6*scale {
				t.Errorf("%s at %v: L u = %.10g, f = %.10g", p.Name(), x, lu, -minusF.Data[i])
			}
		}
	}
}

// TestResidual: the residual of a random network through Taylor mode
// equals its operator by finite differences minus the source.
func TestResidual(t *testing.T) {
	rnd := rand.New(rand.NewPCG(2, 2))
	for _, p := range []Problem{Peak{}, TwoPeak{}, Exp{D: 3}} {
		m, _ := New(p, 8, 2, rnd)
		d := p.Dim()
		pts := Uniform(d, 10, rnd)
		tp := nn.NewTape[float64]()
		r := p.Residual(tp, m.Net.Taylor(tp, tp.TaylorInput(pts)), pts)
		zero, _ := New(p, 2, 1, rnd)
		for _, w := range append(zero.Net.W, zero.Net.B...) {
			clear(w.Data)
		}
		minusF := p.Residual(tp, zero.Net.Taylor(tp, tp.TaylorInput(pts)), pts)
		net := func(x []float64) float64 { return m.Predict(nn.New(append([]float64(nil), x...), 1, d))[0] }
		for i := 0; i < 10; i++ {
			x := pts.Data[i*d : (i+1)*d]
			want := fdOperator(p, net, x, 1e-4) + minusF.Data[i]
			if math.Abs(r.Data[i]-want) > 1e-5*(1+math.Abs(want)) {
				t.Errorf("%s at %v: residual %.10g, by differences %.10g", p.Name(), x, r.Data[i], want)
			}
		}
	}
}

// TestTrainExp: a small PINN (3 hidden layers of 16) trained for 1500
// full-batch Adam steps (rate 3e-3) on 500 uniform interior and 200
// boundary points of the smooth two-dimensional problem (seed 1) lowers
// its relative L2 error on the 101 x 101 grid tenfold.
func TestTrainExp(t *testing.T) {
	p := Exp{D: 2}
	m, err := New(p, 16, 3, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	grid := Grid(2, 101)
	before := m.Error(grid)
	res, err := Train(context.Background(), m, &Settings{Interior: 500, Boundary: 200, Validation: Grid(2, 41),
		Settings: train.Settings{Control: iterate.Control{MaxIterations: 1500}, LR: 3e-3, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	after := m.Error(grid)
	t.Logf("relative L2 error %.4f -> %.4f (best %.4f at epoch %d)", before, after, res.BestValidation, res.BestEpoch)
	if !(after < before/10) {
		t.Errorf("relative L2 error %.4f after training, %.4f before", after, before)
	}
}
