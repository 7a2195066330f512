package neuralop

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pdekit/pdekit/nn"
)

// frames returns [b, t, n, n] with f(x, y) in every frame.
func frames(b, t, n int, f func(x, y float64) float64) *nn.Tensor[float64] {
	one := nsField(n, f)
	x := nn.Zeros[float64](b, t, n, n)
	for k := 0; k < b*t; k++ {
		copy(x.Data[k*n*n:], one)
	}
	return x
}

// TestSobolevNorm checks the code's Sobolev loss on single Fourier modes:
// cos(2 pi (x + 2y)) has coefficients 1/2 at k = +-(1, 2), so its absolute
// norm is n sqrt(w^2/2) with w^2 = (alpha + 20 pi^2)^(s/2) (order s) or
// alpha + 20 pi^2 (order 0); adding 0.1 sin(2 pi x) makes a relative
// error of 0.1 w(1, 0)/w(1, 2) over sqrt(T).
func TestSobolevNorm(t *testing.T) {
	const b, nt, n = 2, 3, 16
	u := frames(b, nt, n, func(x, y float64) float64 { return math.Cos(2 * math.Pi * (x + 2*y)) })
	d := frames(b, nt, n, func(x, y float64) float64 { return 0.1 * math.Sin(2*math.Pi*x) })
	tp := nn.NewTape[float64]()
	for _, s := range []SobolevNorm{{Order: 0}, {Order: -1, Alpha: math.Pow(10, -1.5)}, {Order: 2, Alpha: 1}} {
		alpha := s.Alpha
		if alpha == 0 {
			alpha = 0.1
		}
		w2 := func(k2 float64) float64 {
			if s.Order == 0 {
				return alpha + 4*math.Pi*math.Pi*k2
			}
			return math.Pow(alpha+4*math.Pi*math.Pi*k2, s.Order/2)
		}
		if got, want := SobolevAbs(tp, s, u).Data[0], n*math.Sqrt(w2(5)/2); math.Abs(got-want) > 1e-12*want {
			t.Errorf("%+v: absolute %.15g, want %.15g", s, got, want)
		}
		pred := tp.Add(u, d)
		if got, want := SobolevRel(tp, s, pred, u).Data[0], 0.1*math.Sqrt(w2(1)/w2(5))/math.Sqrt(nt); math.Abs(got-want) > 1e-12*want {
			t.Errorf("%+v: relative %.15g, want %.15g", s, got, want)
		}
	}
}

// TestSobolevGradients checks both losses by finite differences.
func TestSobolevGradients(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 11))
	x, y := nn.Zeros[float64](2, 2, 6, 6), nn.Zeros[float64](2, 2, 6, 6)
	for i := range x.Data {
		x.Data[i], y.Data[i] = rnd.NormFloat64(), rnd.NormFloat64()
	}
	x = nn.Param(x.Data, x.Shape...)
	s := SobolevNorm{Order: -1, Alpha: 0.03}
	if err := nn.CheckGradients([]*nn.Tensor[float64]{x}, func(tp *nn.Tape[float64]) *nn.Tensor[float64] {
		return tp.Add(SobolevAbs(tp, s, x), SobolevRel(tp, SobolevNorm{}, x, y))
	}, 0, 0); err != nil {
		t.Error(err)
	}
}
