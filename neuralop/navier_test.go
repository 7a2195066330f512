package neuralop

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pdekit/pdekit/nn"
)

// nsField returns f(x, y) on the n x n unit-torus grid, x the first axis.
func nsField(n int, f func(x, y float64) float64) []float64 {
	v := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			v[i*n+j] = f(float64(i)/float64(n), float64(j)/float64(n))
		}
	}
	return v
}

// TestNSConvection: for w = sin(2 pi x) + cos(4 pi y) the stream function
// is sin(2 pi x)/(4 pi^2) + cos(4 pi y)/(16 pi^2) and u . grad w =
// 1.5 cos(2 pi x) sin(4 pi y), inside the 2/3 rule on 16 x 16.
func TestNSConvection(t *testing.T) {
	const n = 16
	e, err := NewNSSpectral[float64](n, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	w := nn.New(nsField(n, func(x, y float64) float64 { return math.Sin(2*math.Pi*x) + math.Cos(4*math.Pi*y) }), 1, n, n)
	tp := nn.NewTape[float64]()
	c := tp.IRFFT2(e.Convection(tp, tp.RFFT2(w)), n)
	want := nsField(n, func(x, y float64) float64 { return 1.5 * math.Cos(2*math.Pi*x) * math.Sin(4*math.Pi*y) })
	for i, v := range c.Data {
		if math.Abs(v-want[i]) > 1e-13 {
			t.Fatalf("u . grad w at %d = %.15g, want %.15g", i, v, want[i])
		}
	}
}

// TestNSTaylorGreen: the Taylor-Green vortex w = cos(2 pi x) cos(2 pi y)
// e^{-8 pi^2 visc t} solves the unforced equation (its convection
// vanishes), so the residual with its exact time derivative is zero to
// rounding, and one Crank-Nicolson step multiplies it by the scheme's
// amplification (1 - 4 pi^2 visc dt)/(1 + 4 pi^2 visc dt).
func TestNSTaylorGreen(t *testing.T) {
	const n, visc, dt = 32, 1e-2, 1e-3
	e, _ := NewNSSpectral[float64](n, visc)
	w0 := nsField(n, func(x, y float64) float64 { return math.Cos(2*math.Pi*x) * math.Cos(2*math.Pi*y) })
	wt := make([]float64, len(w0))
	for i, v := range w0 {
		wt[i] = -8 * math.Pi * math.Pi * visc * v
	}
	tp := nn.NewTape[float64]()
	wh, wth := tp.RFFT2(nn.New(w0, 1, n, n)), tp.RFFT2(nn.New(wt, 1, n, n))
	res := tp.IRFFT2(e.Residual(tp, wh, wth, nil), n)
	scale := 8 * math.Pi * math.Pi * visc // the largest |w_t|
	for i, v := range res.Data {
		if math.Abs(v) > 1e-12*scale {
			t.Fatalf("Taylor-Green residual at %d = %g, the terms are of size %g", i, v, scale)
		}
	}
	next, _ := e.CNStep(tp, wh, nil, dt)
	g := 4 * math.Pi * math.Pi * visc * dt
	amp := (1 - g) / (1 + g)
	for i, v := range tp.IRFFT2(next, n).Data {
		if math.Abs(v-amp*w0[i]) > 1e-14 {
			t.Fatalf("after one step at %d: %.16g, want %.16g", i, v, amp*w0[i])
		}
	}
}

// TestNSGradients checks the residual and the Crank-Nicolson step, with
// forcing, by finite differences in the vorticity and its derivative.
func TestNSGradients(t *testing.T) {
	const n = 8
	rnd := rand.New(rand.NewPCG(5, 6))
	e, _ := NewNSSpectral[float64](n, 0.1)
	randField := func() *nn.Tensor[float64] {
		v := make([]float64, 2*n*n)
		for i := range v {
			v[i] = rnd.NormFloat64()
		}
		return nn.Param(v, 2, n, n)
	}
	w, wt, r := randField(), randField(), randField()
	tp := nn.NewTape[float64]()
	fh := append([]float64(nil), tp.RFFT2(nn.New(nsField(n, func(x, y float64) float64 { return math.Sin(2 * math.Pi * (x + y)) }), n, n)).Data...)
	err := nn.CheckGradients([]*nn.Tensor[float64]{w, wt}, func(tp *nn.Tape[float64]) *nn.Tensor[float64] {
		res := e.Residual(tp, tp.RFFT2(w), tp.RFFT2(wt), fh)
		next, d := e.CNStep(tp, tp.RFFT2(w), fh, 0.01)
		sum := tp.Add(tp.Add(tp.IRFFT2(res, n), tp.IRFFT2(next, n)), tp.IRFFT2(d, n))
		return tp.Sum(tp.Mul(sum, r))
	}, 0, 0)
	if err != nil {
		t.Error(err)
	}
}

// TestFrameDerivative: the frame differences of sin(3t + phase) are of
// fourth order (halving the spacing from 0.1 to 0.05 divides the largest
// error, at the one-sided ends, by more than 12; 16 in the limit), and
// the backward pass is the stencils' transpose (gradient check).
func TestFrameDerivative(t *testing.T) {
	const np = 3
	maxErr := func(h float64) float64 {
		nt := int(math.Round(1.2 / h))
		x := nn.Zeros[float64](2, nt, 1, np)
		for b := 0; b < 2; b++ {
			for k := 0; k < nt; k++ {
				for i := 0; i < np; i++ {
					x.Data[(b*nt+k)*np+i] = math.Sin(3*float64(k)*h + float64(i+b))
				}
			}
		}
		d := FrameDerivative(nn.NewTape[float64](), x, h)
		var worst float64
		for b := 0; b < 2; b++ {
			for k := 0; k < nt; k++ {
				for i := 0; i < np; i++ {
					want := 3 * math.Cos(3*float64(k)*h+float64(i+b))
					worst = math.Max(worst, math.Abs(d.Data[(b*nt+k)*np+i]-want))
				}
			}
		}
		return worst
	}
	e1, e2 := maxErr(0.1), maxErr(0.05)
	if !(e1/e2 > 12) || e2 > 1e-3 {
		t.Errorf("largest errors %.3g at h = 0.1 and %.3g at 0.05: ratio %.2f, want about 16", e1, e2, e1/e2)
	}
	const nt, h = 7, 0.2
	w := nn.Param(make([]float64, 2*nt*np), 2, nt, 1, np)
	wts := make([]float64, len(w.Data))
	for i := range wts {
		w.Data[i], wts[i] = math.Sin(float64(i)), math.Cos(float64(i))
	}
	if err := nn.CheckGradients([]*nn.Tensor[float64]{w}, func(tp *nn.Tape[float64]) *nn.Tensor[float64] {
		return tp.Sum(tp.Mul(FrameDerivative(tp, w, h), nn.New(wts, w.Shape...)))
	}, 1e-6, 1e-8); err != nil {
		t.Fatal(err)
	}
}
