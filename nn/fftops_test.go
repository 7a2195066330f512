package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestRFFT2 checks RFFT2 against a naive DFT, IRFFT2 as its inverse, and
// a spectral derivative on the unit torus: the x-derivative of
// sin(2 pi (2x + 3y)) taken by CMul with i 2 pi kx is 4 pi cos(...) to
// rounding. Odd and even widths.
func TestRFFT2(t *testing.T) {
	rnd := rand.New(rand.NewPCG(21, 22))
	for _, g := range [][2]int{{6, 8}, {5, 7}} {
		h, w := g[0], g[1]
		wc := w/2 + 1
		x := randParam(rnd, 2, h, w)
		tp := NewTape[float64]()
		s := tp.RFFT2(x)
		var maxErr float64
		for b := 0; b < 2; b++ {
			for kx := 0; kx < h; kx++ {
				for c := 0; c < wc; c++ {
					var v complex128
					for n0 := 0; n0 < h; n0++ {
						for n1 := 0; n1 < w; n1++ {
							th := -2 * math.Pi * (float64(kx*n0)/float64(h) + float64(c*n1)/float64(w))
							v += complex(x.Data[(b*h+n0)*w+n1]*math.Cos(th), x.Data[(b*h+n0)*w+n1]*math.Sin(th))
						}
					}
					q := 2 * ((b*h+kx)*wc + c)
					maxErr = math.Max(maxErr, math.Hypot(s.Data[q]-real(v), s.Data[q+1]-imag(v)))
				}
			}
		}
		if maxErr > 1e-12 {
			t.Errorf("%dx%d: RFFT2 differs from the DFT by %g", h, w, maxErr)
		}
		back := tp.IRFFT2(s, w)
		for i, v := range back.Data {
			if math.Abs(v-x.Data[i]) > 1e-14 {
				t.Fatalf("%dx%d: IRFFT2(RFFT2(x))[%d] = %g, want %g", h, w, i, v, x.Data[i])
			}
		}
	}
	const n = 16
	u := Zeros[float64](n, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			u.Data[i*n+j] = math.Sin(2 * math.Pi * (2*float64(i)/n + 3*float64(j)/n))
		}
	}
	ikx := make([]float64, 2*n*(n/2+1))
	for i := 0; i < n; i++ {
		k := i
		if i > n/2 {
			k -= n
		}
		for c := 0; c <= n/2; c++ {
			ikx[2*(i*(n/2+1)+c)+1] = 2 * math.Pi * float64(k)
		}
	}
	tp := NewTape[float64]()
	du := tp.IRFFT2(tp.CMul(tp.RFFT2(u), ikx), n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			want := 4 * math.Pi * math.Cos(2*math.Pi*(2*float64(i)/n+3*float64(j)/n))
			if got := du.Data[i*n+j]; math.Abs(got-want) > 1e-12 {
				t.Fatalf("d/dx at (%d, %d) = %g, want %g", i, j, got, want)
			}
		}
	}
}

// TestFFTGradients checks RFFT2, IRFFT2 (on spectra that are not
// Hermitian on the unpaired indices, whose imaginary parts it ignores) and
// CMul by finite differences, odd and even widths.
func TestFFTGradients(t *testing.T) {
	rnd := rand.New(rand.NewPCG(23, 24))
	for _, g := range [][2]int{{4, 6}, {5, 5}} {
		h, w := g[0], g[1]
		wc := w/2 + 1
		x := randParam(rnd, 2, h, w)
		s := randParam(rnd, 2, h, wc, 2)
		c := randTensor(rnd, h, wc, 2).Data
		r1, r2 := randTensor(rnd, 2, h, wc, 2), randTensor(rnd, 2, h, w)
		gradCheck(t, fmt.Sprintf("RFFT2 %dx%d", h, w), []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] {
			return tp.Sum(tp.Mul(tp.RFFT2(x), r1))
		})
		gradCheck(t, fmt.Sprintf("IRFFT2 %dx%d", h, w), []*Tensor[float64]{s}, func(tp *Tape[float64]) *Tensor[float64] {
			return tp.Sum(tp.Mul(tp.IRFFT2(s, w), r2))
		})
		gradCheck(t, fmt.Sprintf("CMul %dx%d", h, w), []*Tensor[float64]{s}, func(tp *Tape[float64]) *Tensor[float64] {
			return tp.Sum(tp.Mul(tp.CMul(s, c), r1))
		})
	}
}
