package fft

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"sync"
	"testing"
)

func init() { SetEffort(Estimate) }

// naiveDFT transforms x (row-major, shape) along every axis by the
// definition sum_j x_j exp(sign 2 pi i j k / n), one axis at a time.
func naiveDFT(x []complex128, shape []int, sign float64) []complex128 {
	cur := append([]complex128(nil), x...)
	stride := 1
	for a := len(shape) - 1; a >= 0; a-- {
		n := shape[a]
		next := make([]complex128, len(cur))
		for base := range cur {
			// base runs over all indices; act on those with axis index 0.
			if (base/stride)%n != 0 {
				continue
			}
			for k := 0; k < n; k++ {
				var s complex128
				for j := 0; j < n; j++ {
					sn, cs := math.Sincos(sign * 2 * math.Pi * float64((j*k)%n) / float64(n))
					s += cur[base+j*stride] * complex(cs, sn)
				}
				next[base+k*stride] = s
			}
		}
		cur = next
		stride *= n
	}
	return cur
}

var shapes = [][]int{
	{1}, {2}, {7}, {64}, {211},
	{1, 7}, {2, 211}, {7, 64}, {64, 64}, {211, 2}, {211, 7},
	{1, 1, 1}, {2, 7, 211}, {7, 2, 64}, {64, 7, 2}, {2, 211, 2},
}

func size(shape []int) int {
	n := 1
	for _, v := range shape {
		n *= v
	}
	return n
}

func maxAbs(x []complex128) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, cmplx.Abs(v))
	}
	return m
}

func TestC2CAgainstNaive(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, sh := range shapes {
		n := size(sh)
		const b = 3
		x := make([]complex128, b*n)
		for i := range x {
			x[i] = complex(rnd.NormFloat64(), rnd.NormFloat64())
		}
		p, err := NewC2C(sh...)
		if err != nil {
			t.Fatal(err)
		}
		y := make([]complex128, b*n)
		p.Forward(y, x)
		for k := 0; k < b; k++ {
			want := naiveDFT(x[k*n:(k+1)*n], sh, -1)
			tol := 1e-12 * maxAbs(want) * math.Log2(float64(n)+1)
			for i := range want {
				if cmplx.Abs(y[k*n+i]-want[i]) > tol+1e-13 {
					t.Fatalf("shape %v batch %d: y[%d] = %v, naive DFT %v", sh, k, i, y[k*n+i], want[i])
				}
			}
		}
		back := make([]complex128, b*n)
		p.Inverse(back, y)
		for i := range x {
			if cmplx.Abs(back[i]-x[i]) > 1e-12*float64(n) {
				t.Fatalf("shape %v: round trip x[%d] = %v, got %v", sh, i, x[i], back[i])
			}
		}
	}
}

func TestR2CAgainstNaive(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, sh := range shapes {
		n := size(sh)
		last := sh[len(sh)-1]
		h := last/2 + 1
		const b = 5
		x := make([]float64, b*n)
		for i := range x {
			x[i] = rnd.NormFloat64()
		}
		p, err := NewR2C(sh...)
		if err != nil {
			t.Fatal(err)
		}
		_, nc := p.Len()
		if nc != n/last*h {
			t.Fatalf("shape %v: %d coefficients, want %d", sh, nc, n/last*h)
		}
		y := make([]complex128, b*nc)
		p.Forward(y, x)
		for k := 0; k < b; k++ {
			xc := make([]complex128, n)
			for i := range xc {
				xc[i] = complex(x[k*n+i], 0)
			}
			full := naiveDFT(xc, sh, -1)
			tol := 1e-12*maxAbs(full)*math.Log2(float64(n)+1) + 1e-13
			for r := 0; r < n/last; r++ {
				for c := 0; c < h; c++ {
					got, want := y[k*nc+r*h+c], full[r*last+c]
					if cmplx.Abs(got-want) > tol {
						t.Fatalf("shape %v batch %d: coefficient (%d, %d) = %v, naive %v", sh, k, r, c, got, want)
					}
				}
			}
		}
		ycopy := append([]complex128(nil), y...)
		back := make([]float64, b*n)
		p.Inverse(back, y)
		for i := range y {
			if y[i] != ycopy[i] {
				t.Fatalf("shape %v: Inverse modified its input", sh)
			}
		}
		for i := range x {
			if math.Abs(back[i]-x[i]) > 1e-12*float64(n) {
				t.Fatalf("shape %v: round trip x[%d] = %g, got %g", sh, i, x[i], back[i])
			}
		}
	}
}

// TestSignAndOrder pins numpy's conventions on a closed form: the spectrum
// of exp(2 pi i k0 j / n) is n at index k0 (and of k0 - n for fftfreq's
// negative frequencies), zero elsewhere.
func TestSignAndOrder(t *testing.T) {
	const n = 12
	p, _ := NewC2C(n)
	for _, k0 := range []int{1, 5, -3} {
		x := make([]complex128, n)
		for j := range x {
			s, c := math.Sincos(2 * math.Pi * float64(k0*j) / n)
			x[j] = complex(c, s)
		}
		y := make([]complex128, n)
		p.Forward(y, x)
		idx := (k0 + n) % n
		for k, v := range y {
			want := 0.0
			if k == idx {
				want = n
			}
			if cmplx.Abs(v-complex(want, 0)) > 1e-12 {
				t.Fatalf("k0 = %d: y[%d] = %v, want %g", k0, k, v, want)
			}
		}
	}
}

func TestSinglePrecision(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, sh := range [][]int{{7}, {64}, {211}, {64, 64}, {2, 7, 211}} {
		n := size(sh)
		x := make([]float32, 2*n)
		for i := range x {
			x[i] = float32(rnd.NormFloat64())
		}
		p, err := NewR2C32(sh...)
		if err != nil {
			t.Fatal(err)
		}
		q, _ := NewR2C(sh...)
		_, nc := p.Len()
		y := make([]complex64, 2*nc)
		p.Forward(y, x)
		x64 := make([]float64, len(x))
		for i, v := range x {
			x64[i] = float64(v)
		}
		y64 := make([]complex128, 2*nc)
		q.Forward(y64, x64)
		var scale float64
		for _, v := range y64 {
			scale = math.Max(scale, cmplx.Abs(v))
		}
		for i := range y {
			if cmplx.Abs(complex128(y[i])-y64[i]) > 1e-5*scale {
				t.Fatalf("shape %v: float32 coefficient %d = %v, float64 %v", sh, i, y[i], y64[i])
			}
		}
		back := make([]float32, 2*n)
		p.Inverse(back, y)
		for i := range x {
			if math.Abs(float64(back[i]-x[i])) > 1e-5*(1+math.Abs(float64(x[i]))) {
				t.Fatalf("shape %v: float32 round trip %g -> %g", sh, x[i], back[i])
			}
		}
		c, _ := NewC2C32(sh...)
		xc := make([]complex64, n)
		for i := range xc {
			xc[i] = complex(x[i], 0)
		}
		yc := make([]complex64, n)
		c.Forward(yc, xc)
		last := sh[len(sh)-1]
		h := last/2 + 1
		for r := 0; r < n/last; r++ {
			for k := 0; k < h; k++ {
				if cmplx.Abs(complex128(yc[r*last+k]-y[r*h+k])) > 1e-5*scale {
					t.Fatalf("shape %v: C2C32 and R2C32 disagree at (%d, %d)", sh, r, k)
				}
			}
		}
		c.Inverse(xc, yc)
		for i := range xc {
			if math.Abs(float64(real(xc[i])-x[i])) > 1e-5*(1+math.Abs(float64(x[i]))) {
				t.Fatalf("shape %v: C2C32 round trip", sh)
			}
		}
	}
}

// naiveDCT applies the scipy definition of DCT type t along every axis.
func naiveDCT(x []float64, shape []int, t DCTType) []float64 {
	cur := append([]float64(nil), x...)
	stride := 1
	for a := len(shape) - 1; a >= 0; a-- {
		n := shape[a]
		next := make([]float64, len(cur))
		for base := range cur {
			if (base/stride)%n != 0 {
				continue
			}
			for k := 0; k < n; k++ {
				var s float64
				for j := 0; j < n; j++ {
					v := cur[base+j*stride]
					switch t {
					case DCT1:
						w := 2.0
						if j == 0 || j == n-1 {
							w = 1
						}
						s += w * v * math.Cos(math.Pi*float64(j*k)/float64(n-1))
					case DCT2:
						s += 2 * v * math.Cos(math.Pi*float64(k*(2*j+1))/float64(2*n))
					}
				}
				next[base+k*stride] = s
			}
		}
		cur = next
		stride *= n
	}
	return cur
}

func TestDCTAgainstNaive(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	for _, typ := range []DCTType{DCT1, DCT2} {
		for _, sh := range [][]int{{2}, {7}, {64}, {211}, {2, 7}, {7, 64}, {2, 7, 13}} {
			n := size(sh)
			x := make([]float64, 2*n)
			for i := range x {
				x[i] = rnd.NormFloat64()
			}
			p, err := NewDCT(typ, sh...)
			if err != nil {
				t.Fatal(err)
			}
			y := make([]float64, 2*n)
			p.Forward(y, x)
			for k := 0; k < 2; k++ {
				want := naiveDCT(x[k*n:(k+1)*n], sh, typ)
				var m float64
				for _, v := range want {
					m = math.Max(m, math.Abs(v))
				}
				for i := range want {
					if math.Abs(y[k*n+i]-want[i]) > 1e-12*m*math.Log2(float64(n)+1)+1e-13 {
						t.Fatalf("DCT-%d shape %v: y[%d] = %g, naive %g", typ, sh, i, y[k*n+i], want[i])
					}
				}
			}
			back := make([]float64, 2*n)
			p.Inverse(back, y)
			for i := range x {
				if math.Abs(back[i]-x[i]) > 1e-12*float64(n) {
					t.Fatalf("DCT-%d shape %v: round trip %g -> %g", typ, sh, x[i], back[i])
				}
			}
		}
	}
	if _, err := NewDCT(DCT1, 1); err == nil {
		t.Error("DCT-I of 1 point accepted")
	}
}

// TestConcurrentUse transforms from several goroutines at once with one
// transform value; every result must equal the serial one.
func TestConcurrentUse(t *testing.T) {
	p, err := NewR2C(64, 64)
	if err != nil {
		t.Fatal(err)
	}
	n, nc := p.Len()
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Sin(float64(i) * 0.37)
	}
	want := make([]complex128, nc)
	p.Forward(want, x)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			y := make([]complex128, nc)
			back := make([]float64, n)
			for it := 0; it < 50; it++ {
				p.Forward(y, x)
				for i := range y {
					if y[i] != want[i] {
						errs <- "forward differs"
						return
					}
				}
				p.Inverse(back, y)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestBadShapes(t *testing.T) {
	for _, sh := range [][]int{{}, {0}, {4, -1}, {2, 2, 2, 2}} {
		if _, err := NewR2C(sh...); err == nil {
			t.Errorf("shape %v accepted", sh)
		}
	}
	p, _ := NewC2C(4)
	defer func() {
		if recover() == nil {
			t.Error("mismatched lengths did not panic")
		}
	}()
	p.Forward(make([]complex128, 4), make([]complex128, 6))
}
