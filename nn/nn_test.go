package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func randTensor(rnd *rand.Rand, shape ...int) *Tensor[float64] {
	t := Zeros[float64](shape...)
	for i := range t.Data {
		t.Data[i] = rnd.NormFloat64()
	}
	return t
}

func randParam(rnd *rand.Rand, shape ...int) *Tensor[float64] {
	t := randTensor(rnd, shape...)
	return Param(t.Data, shape...)
}

// gradCheck checks the gradients of the loss f builds (CheckGradients).
func gradCheck(t *testing.T, name string, params []*Tensor[float64], f func(tp *Tape[float64]) *Tensor[float64]) {
	t.Helper()
	if err := CheckGradients(params, f, 0, 0); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

func TestGradients(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	x := randParam(rnd, 4, 3)
	y := randParam(rnd, 4, 3)
	w := randParam(rnd, 5, 3)
	b := randParam(rnd, 5)
	m := randParam(rnd, 3, 6)
	w2 := randParam(rnd, 3, 5)
	r := randTensor(rnd, 4, 3)  // a fixed weighting makes every gradient entry distinct
	r5 := randTensor(rnd, 4, 5) //
	target := randTensor(rnd, 4, 3)
	s1 := randParam(rnd, 1)
	r235, r212 := randTensor(rnd, 2, 3, 5), randTensor(rnd, 2, 1, 2)
	away := Param(make([]float64, 12), 4, 3) // ReLU away from its kink
	for i := range away.Data {
		away.Data[i] = (0.2 + rnd.Float64()) * float64(1-2*(i%2))
	}
	weighted := func(tp *Tape[float64], z *Tensor[float64], r *Tensor[float64]) *Tensor[float64] {
		return tp.Sum(tp.Mul(z, r))
	}
	cases := []struct {
		name   string
		params []*Tensor[float64]
		f      func(tp *Tape[float64]) *Tensor[float64]
	}{
		{"Linear", []*Tensor[float64]{x, w, b}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.Linear(x, w, b), r5) }},
		{"Linear without bias", []*Tensor[float64]{x, w}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.Linear(x, w, nil), r5) }},
		{"MatMul", []*Tensor[float64]{x, m}, func(tp *Tape[float64]) *Tensor[float64] {
			return tp.Sum(tp.Tanh(tp.MatMul(x, m)))
		}},
		{"Add", []*Tensor[float64]{x, y}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.Add(x, y), r) }},
		{"Sub", []*Tensor[float64]{x, y}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.Sub(x, y), r) }},
		{"Mul", []*Tensor[float64]{x, y}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.Mul(x, y), r) }},
		{"Scale", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.Scale(x, -2.5), r) }},
		{"Reshape", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] {
			return weighted(tp, tp.Reshape(tp.Sin(x), 4, 3), r)
		}},
		{"Tanh", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.Tanh(x), r) }},
		{"Sin", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.Sin(x), r) }},
		{"Cos", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.Cos(x), r) }},
		{"Exp", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.Exp(x), r) }},
		{"Sigmoid", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.Sigmoid(x), r) }},
		{"Softplus", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.Softplus(x), r) }},
		{"GELU", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.GELU(x), r) }},
		{"ReLU", []*Tensor[float64]{away}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.ReLU(away), r) }},
		{"Mean", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] { return tp.Mean(tp.Mul(x, x)) }},
		{"MSE", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] { return tp.MSE(x, target) }},
		{"RelL2", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] { return tp.RelL2(x, target) }},
		{"Affine", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] {
			return weighted(tp, tp.Affine(x, []float64{2, -1, 0.5}, []float64{0.1, 0.2, 0.3}), r)
		}},
		{"Pad2d", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] {
			return weighted(tp, tp.Pad2d(tp.Reshape(x, 2, 2, 3), 1, 2), r235)
		}},
		{"Crop2d", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] {
			return weighted(tp, tp.Crop2d(tp.Reshape(x, 2, 2, 3), 1, 2), r212)
		}},
		{"LinComb", []*Tensor[float64]{x, y, away}, func(tp *Tape[float64]) *Tensor[float64] {
			return weighted(tp, tp.LinComb([]float64{0.5, 0, -2}, x, y, away), r)
		}},
		{"ScaleBy", []*Tensor[float64]{x, s1}, func(tp *Tape[float64]) *Tensor[float64] { return weighted(tp, tp.ScaleBy(tp.Sin(x), s1), r) }},
		{"CrossEntropy", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] {
			return tp.CrossEntropy(tp.Scale(x, 3), []int{2, 0, 1, 1})
		}},
		{"Op (x^2 y, elementwise)", []*Tensor[float64]{x, y}, func(tp *Tape[float64]) *Tensor[float64] {
			z := tp.Op(x.Shape, []*Tensor[float64]{x, y}, func(out []float64) {
				for i := range out {
					out[i] = x.Data[i] * x.Data[i] * y.Data[i]
				}
			}, func(g []float64, gin [][]float64) {
				for i, v := range g {
					gin[0][i] += 2 * v * x.Data[i] * y.Data[i]
					gin[1][i] += v * x.Data[i] * x.Data[i]
				}
			})
			return weighted(tp, z, r)
		}},
		{"MLP", []*Tensor[float64]{x, w, b, w2}, func(tp *Tape[float64]) *Tensor[float64] {
			h := tp.GELU(tp.Linear(x, w, b))
			return tp.MSE(tp.Linear(h, w2, nil), target)
		}},
	}
	for _, c := range cases {
		gradCheck(t, c.name, c.params, c.f)
	}
}

// TestTrainSine fits a 1-32-32-1 tanh network to sin on [-pi, pi] in
// float32 with Adam (lr 1e-2, PyTorch's defaults otherwise): the mean
// squared error must fall at least 100-fold from its initial value, and
// the tape, reset every step, stops allocating buffers after the first.
func TestTrainSine(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	const n = 128
	x := Zeros[float32](n, 1)
	y := Zeros[float32](n, 1)
	for i := 0; i < n; i++ {
		v := -math.Pi + 2*math.Pi*float64(i)/(n-1)
		x.Data[i], y.Data[i] = float32(v), float32(math.Sin(v))
	}
	layer := func(out, in int) (*Tensor[float32], *Tensor[float32]) {
		w := make([]float32, out*in)
		bound := 1 / math.Sqrt(float64(in))
		for i := range w {
			w[i] = float32((2*rnd.Float64() - 1) * bound)
		}
		return Param(w, out, in), Param(make([]float32, out), out)
	}
	w1, b1 := layer(32, 1)
	w2, b2 := layer(32, 32)
	w3, b3 := layer(1, 32)
	params := []*Tensor[float32]{w1, b1, w2, b2, w3, b3}
	tp := NewTape[float32]()
	opt := &Adam[float32]{LR: 1e-2}
	step := func() float32 {
		tp.Reset()
		for _, p := range params {
			p.ZeroGrad()
		}
		h := tp.Tanh(tp.Linear(x, w1, b1))
		h = tp.Tanh(tp.Linear(h, w2, b2))
		loss := tp.MSE(tp.Linear(h, w3, b3), y)
		tp.Backward(loss)
		opt.Step(params)
		return loss.Item()
	}
	first := step()
	var last float32
	for i := 0; i < 1500; i++ {
		last = step()
	}
	if !(last < first/100) {
		t.Errorf("MSE %g after 1500 Adam steps, initially %g", last, first)
	}
	tp.Reset()
	after := 0
	for _, l := range tp.free {
		after += len(l)
	}
	step()
	tp.Reset()
	again := 0
	for _, l := range tp.free {
		again += len(l)
	}
	if again != after {
		t.Errorf("a step after warm-up grew the pool from %d to %d buffers", after, again)
	}
	t.Logf("MSE %g -> %g", first, last)
}

// mlp is a small tanh network 2-8-8-1 for the PINN tests.
type mlp struct{ w1, b1, w2, b2, w3, b3 *Tensor[float64] }

func newMLP(rnd *rand.Rand) *mlp {
	return &mlp{randParam(rnd, 8, 2), randParam(rnd, 8), randParam(rnd, 8, 8), randParam(rnd, 8), randParam(rnd, 1, 8), randParam(rnd, 1)}
}

func (m *mlp) params() []*Tensor[float64] {
	return []*Tensor[float64]{m.w1, m.b1, m.w2, m.b2, m.w3, m.b3}
}

func (m *mlp) taylor(tp *Tape[float64], x *Tensor[float64]) Taylor[float64] {
	u := tp.TaylorTanh(tp.TaylorLinear(tp.TaylorInput(x), m.w1, m.b1))
	u = tp.TaylorSin(tp.TaylorLinear(u, m.w2, m.b2))
	return tp.TaylorLinear(u, m.w3, m.b3)
}

func (m *mlp) value(tp *Tape[float64], x *Tensor[float64]) *Tensor[float64] {
	h := tp.Tanh(tp.Linear(x, m.w1, m.b1))
	h = tp.Sin(tp.Linear(h, m.w2, m.b2))
	return tp.Linear(h, m.w3, m.b3)
}

// TestTaylorLaplacian checks the propagated value, gradient and Laplacian
// of a small MLP against the plain forward pass and central differences
// in x (second differences for the Laplacian).
func TestTaylorLaplacian(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	m := newMLP(rnd)
	x := randTensor(rnd, 6, 2)
	tp := NewTape[float64]()
	u := m.taylor(tp, x)
	plain := m.value(tp, x)
	grads := []*Tensor[float64]{tp.TaylorGrad(u, 0), tp.TaylorGrad(u, 1)}
	lapT := tp.TaylorLaplacian(u)
	at := func(p []float64) float64 {
		return m.value(NewTape[float64](), New(append([]float64(nil), p...), 1, 2)).Item()
	}
	const h = 1e-4
	for r := 0; r < 6; r++ {
		if d := math.Abs(u.V.Data[r] - plain.Data[r]); d > 1e-14 {
			t.Fatalf("point %d: Taylor value %g, forward %g", r, u.V.Data[r], plain.Data[r])
		}
		p := []float64{x.Data[2*r], x.Data[2*r+1]}
		f0 := at(p)
		var lap float64
		for i := 0; i < 2; i++ {
			// First differences with a small step, second with a larger
			// one: each balances truncation against rounding.
			const h1 = 1e-6
			q := append([]float64(nil), p...)
			q[i] += h1
			g := at(q)
			q[i] -= 2 * h1
			g = (g - at(q)) / (2 * h1)
			if d := math.Abs(grads[i].Data[r] - g); d > 1e-7 {
				t.Errorf("point %d: du/dx%d = %g, central difference %g", r, i, grads[i].Data[r], g)
			}
			q = append([]float64(nil), p...)
			q[i] += h
			fp := at(q)
			q[i] -= 2 * h
			fm := at(q)
			lap += (fp - 2*f0 + fm) / (h * h)
		}
		if d := math.Abs(lapT.Data[r] - lap); d > 1e-5*math.Max(1, math.Abs(lap)) {
			t.Errorf("point %d: Laplacian %g, second differences %g", r, lapT.Data[r], lap)
		}
	}
}

// TestPINNGradient checks the parameter gradient of the PINN loss
// mean((Lap u + 1)^2), which contains input derivatives, against central
// differences in the parameters.
func TestPINNGradient(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	m := newMLP(rnd)
	x := randTensor(rnd, 10, 2)
	gradCheck(t, "PINN", m.params(), func(tp *Tape[float64]) *Tensor[float64] {
		u := m.taylor(tp, x)
		// The loss uses the gradient too, so every block's backward is
		// exercised.
		r := tp.Mean(tp.Square(tp.AddScalar(tp.TaylorLaplacian(u), 1)))
		return tp.Add(r, tp.Scale(tp.Mean(tp.Square(tp.TaylorGrad(u, 1))), 0.3))
	})
}

// TestPINNGradientTanh checks the parameter gradient through nn.MLP's
// tanh layers, whose Taylor step has its own fused backward, once with a
// loss of the Laplacian alone (the last layer's values get no gradient)
// and once with the values too.
func TestPINNGradientTanh(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	m := NewMLP[float64](rnd, 2, 5, 4, 1)
	x := randTensor(rnd, 7, 2)
	for _, withValue := range []bool{false, true} {
		gradCheck(t, "PINN tanh", m.Params(), func(tp *Tape[float64]) *Tensor[float64] {
			u := m.Taylor(tp, tp.TaylorInput(x))
			r := tp.Mean(tp.Square(tp.AddScalar(tp.TaylorLaplacian(u), 1)))
			if withValue {
				r = tp.Add(r, tp.Mean(tp.Square(u.V)))
			}
			return r
		})
	}
}

// naiveConv2d is the definition: y[b,o,i,j] = bias[o] + sum_{c,u,v}
// w[o,c,u,v] x[b, c, pad(i s - p + u), pad(j s - p + v)].
func naiveConv2d(x, w, b *Tensor[float64], o Conv2dOpts) []float64 {
	s := max(o.Stride, 1)
	bs, cin, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	cout, kh, kw := w.Shape[0], w.Shape[2], w.Shape[3]
	ho, wo := (h+2*o.Padding-kh)/s+1, (wd+2*o.Padding-kw)/s+1
	out := make([]float64, bs*cout*ho*wo)
	for bi := 0; bi < bs; bi++ {
		for oc := 0; oc < cout; oc++ {
			for i := 0; i < ho; i++ {
				for j := 0; j < wo; j++ {
					v := 0.0
					if b != nil {
						v = b.Data[oc]
					}
					for c := 0; c < cin; c++ {
						for u := 0; u < kh; u++ {
							for q := 0; q < kw; q++ {
								iy := padIndex(i*s-o.Padding+u, h, o.Mode)
								ix := padIndex(j*s-o.Padding+q, wd, o.Mode)
								if iy < 0 || ix < 0 {
									continue
								}
								v += w.Data[((oc*cin+c)*kh+u)*kw+q] * x.Data[((bi*cin+c)*h+iy)*wd+ix]
							}
						}
					}
					out[((bi*cout+oc)*ho+i)*wo+j] = v
				}
			}
		}
	}
	return out
}

func TestConv2d(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	for _, c := range []struct {
		o      Conv2dOpts
		kh, kw int
	}{
		{Conv2dOpts{Stride: 1, Padding: 1, Mode: PadZeros}, 3, 3},
		{Conv2dOpts{Stride: 2, Padding: 1, Mode: PadZeros}, 3, 3},
		{Conv2dOpts{Stride: 1, Padding: 2, Mode: PadCircular}, 3, 3},
		{Conv2dOpts{Stride: 2, Padding: 1, Mode: PadReflect}, 3, 3},
		{Conv2dOpts{Stride: 1, Padding: 0}, 3, 3},
		{Conv2dOpts{Stride: 2, Padding: 2, Mode: PadCircular}, 3, 3},
		{Conv2dOpts{Stride: 3, Padding: 2, Mode: PadZeros}, 3, 2},
		{Conv2dOpts{Stride: 2, Padding: 1, Mode: PadZeros}, 4, 4},
		{Conv2dOpts{Stride: 3, Padding: 0, Mode: PadReflect}, 2, 5},
		{Conv2dOpts{}, 1, 1},
		{Conv2dOpts{Stride: 2}, 1, 1},
	} {
		o := c.o
		x := randParam(rnd, 2, 3, 7, 6)
		w := randParam(rnd, 4, 3, c.kh, c.kw)
		b := randParam(rnd, 4)
		tp := NewTape[float64]()
		y := tp.Conv2d(x, w, b, o)
		want := naiveConv2d(x, w, b, o)
		if len(y.Data) != len(want) {
			t.Fatalf("%+v: output %v has %d values, the definition %d", c, y.Shape, len(y.Data), len(want))
		}
		for i := range want {
			if math.Abs(y.Data[i]-want[i]) > 1e-12 {
				t.Fatalf("%+v: y[%d] = %g, definition %g", o, i, y.Data[i], want[i])
			}
		}
		r := randTensor(rnd, y.Shape...)
		gradCheck(t, fmt.Sprintf("Conv2d %+v", o), []*Tensor[float64]{x, w, b}, func(tp *Tape[float64]) *Tensor[float64] {
			return tp.Sum(tp.Mul(tp.Conv2d(x, w, b, o), r))
		})
	}
	if got := []int{padIndex(-1, 5, PadReflect), padIndex(5, 5, PadReflect), padIndex(-2, 5, PadCircular), padIndex(-1, 5, PadZeros)}; got[0] != 1 || got[1] != 3 || got[2] != 3 || got[3] != -1 {
		t.Errorf("padIndex: reflect(-1), reflect(5), circular(-2), zeros(-1) = %v, want [1 3 3 -1]", got)
	}
}

// TestSpectralConv2d checks the layer against its definition computed with
// a naive 2-D DFT (the kept modes multiplied, the rest dropped, the
// inverse taken as the real part of the full Hermitian sum, as irfft2
// does), and its gradients by finite differences, on odd and even grids.
func TestSpectralConv2d(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 12))
	for _, g := range [][2]int{{8, 6}, {7, 9}} {
		h, w := g[0], g[1]
		const bs, cin, cout, m1, m2 = 2, 2, 3, 2, 2
		x := randParam(rnd, bs, cin, h, w)
		w1 := randParam(rnd, cin, cout, m1, m2, 2)
		w2 := randParam(rnd, cin, cout, m1, m2, 2)
		tp := NewTape[float64]()
		y := tp.SpectralConv2d(x, w1, w2)
		// Definition: full spectrum S of the output, Hermitian-completed.
		for b := 0; b < bs; b++ {
			for o := 0; o < cout; o++ {
				S := make([]complex128, h*w)
				for i := 0; i < cin; i++ {
					X := make([]complex128, h*w)
					for kx := 0; kx < h; kx++ {
						for ky := 0; ky < w; ky++ {
							var s complex128
							for n0 := 0; n0 < h; n0++ {
								for n1 := 0; n1 < w; n1++ {
									th := -2 * math.Pi * (float64(kx*n0)/float64(h) + float64(ky*n1)/float64(w))
									s += complex(x.Data[((b*cin+i)*h+n0)*w+n1], 0) * complex(math.Cos(th), math.Sin(th))
								}
							}
							X[kx*w+ky] = s
						}
					}
					for blk, wt := range []*Tensor[float64]{w1, w2} {
						for r := 0; r < m1; r++ {
							row := r
							if blk == 1 {
								row = h - m1 + r
							}
							for c := 0; c < m2; c++ {
								q := (((i*cout+o)*m1+r)*m2 + c) * 2
								S[row*w+c] += X[row*w+c] * complex(wt.Data[q], wt.Data[q+1])
							}
						}
					}
				}
				// irfft2 of the half spectrum = real part of the sum where each
				// kept column c > 0 (and not Nyquist) stands for itself and
				// its conjugate mirror.
				for n0 := 0; n0 < h; n0++ {
					for n1 := 0; n1 < w; n1++ {
						var v float64
						for kx := 0; kx < h; kx++ {
							for c := 0; c < m2; c++ {
								th := 2 * math.Pi * (float64(kx*n0)/float64(h) + float64(c*n1)/float64(w))
								term := real(S[kx*w+c] * complex(math.Cos(th), math.Sin(th)))
								if c > 0 && !(w%2 == 0 && c == w/2) {
									term *= 2
								}
								v += term
							}
						}
						v /= float64(h * w)
						if got := y.Data[((b*cout+o)*h+n0)*w+n1]; math.Abs(got-v) > 1e-10 {
							t.Fatalf("grid %dx%d: y[%d,%d,%d,%d] = %g, definition %g", h, w, b, o, n0, n1, got, v)
						}
					}
				}
			}
		}
		r := randTensor(rnd, y.Shape...)
		gradCheck(t, fmt.Sprintf("SpectralConv2d %dx%d", h, w), []*Tensor[float64]{x, w1, w2}, func(tp *Tape[float64]) *Tensor[float64] {
			return tp.Sum(tp.Mul(tp.SpectralConv2d(x, w1, w2), r))
		})
	}
}

// TestSpectralConv3d checks the FNO-3D layer against its definition with
// a naive 3-D DFT (the four corner blocks multiplied, the rest dropped,
// the inverse the real part of the Hermitian sum over an output last axis
// of nt points, divided by X Y nt, as torch's irfftn(s=...) does), with
// the last axis kept, zero-padded (6 -> 9) and truncated (6 -> 4, where
// the top kept index is the output's Nyquist), and its gradients by
// finite differences; in the zero-padded case with SFNO's spectral bias.
func TestSpectralConv3d(t *testing.T) {
	rnd := rand.New(rand.NewPCG(13, 14))
	const bs, cin, cout, X, Y, T, m1, m2, m3 = 2, 2, 3, 6, 5, 6, 2, 2, 3
	for _, nt := range []int{T, 9, 4} {
		x := randParam(rnd, bs, cin, X, Y, T)
		var ws, bias [4]*Tensor[float64]
		for i := range ws {
			ws[i] = randParam(rnd, cin, cout, m1, m2, m3, 2)
			if nt == 9 { // with SFNO's spectral bias
				bias[i] = randParam(rnd, m1, m2, m3, 2)
			}
		}
		const delta = 0.3
		tp := NewTape[float64]()
		y := tp.SpectralConv3dBias(x, nt, ws, bias, delta)
		if want := []int{bs, cout, X, Y, nt}; !slices.Equal(y.Shape, want) {
			t.Fatalf("nt %d: shape %v, want %v", nt, y.Shape, want)
		}
		cis := func(th float64) complex128 { return complex(math.Cos(th), math.Sin(th)) }
		var maxErr float64
		for b := 0; b < bs; b++ {
			for o := 0; o < cout; o++ {
				S := map[[3]int]complex128{}
				for i := 0; i < cin; i++ {
					for blk, wt := range ws {
						for r1 := 0; r1 < m1; r1++ {
							for r2 := 0; r2 < m2; r2++ {
								for c := 0; c < m3; c++ {
									kx, ky := r1, r2
									if blk&1 == 1 {
										kx += X - m1
									}
									if blk&2 == 2 {
										ky += Y - m2
									}
									var xk complex128
									for n0 := 0; n0 < X; n0++ {
										for n1 := 0; n1 < Y; n1++ {
											for n2 := 0; n2 < T; n2++ {
												th := -2 * math.Pi * (float64(kx*n0)/X + float64(ky*n1)/Y + float64(c*n2)/T)
												xk += complex(x.Data[(((b*cin+i)*X+n0)*Y+n1)*T+n2], 0) * cis(th)
											}
										}
									}
									q := ((((i*cout+o)*m1+r1)*m2+r2)*m3 + c) * 2
									S[[3]int{kx, ky, c}] += xk * complex(wt.Data[q], wt.Data[q+1])
									if i == 0 && bias[blk] != nil {
										q := ((r1*m2+r2)*m3 + c) * 2
										S[[3]int{kx, ky, c}] += delta * complex(bias[blk].Data[q], bias[blk].Data[q+1])
									}
								}
							}
						}
					}
				}
				for n0 := 0; n0 < X; n0++ {
					for n1 := 0; n1 < Y; n1++ {
						for n2 := 0; n2 < nt; n2++ {
							var v float64
							for k, sk := range S {
								term := real(sk * cis(2*math.Pi*(float64(k[0]*n0)/X+float64(k[1]*n1)/Y+float64(k[2]*n2)/float64(nt))))
								if k[2] > 0 && !(nt%2 == 0 && k[2] == nt/2) {
									term *= 2
								}
								v += term
							}
							v /= float64(X * Y * nt)
							maxErr = math.Max(maxErr, math.Abs(y.Data[(((b*cout+o)*X+n0)*Y+n1)*nt+n2]-v))
						}
					}
				}
			}
		}
		if maxErr > 1e-10 {
			t.Errorf("nt %d: largest difference from the definition %g", nt, maxErr)
		}
		r := randTensor(rnd, y.Shape...)
		params := []*Tensor[float64]{x, ws[0], ws[1], ws[2], ws[3]}
		if bias[0] != nil {
			params = append(params, bias[:]...)
		}
		gradCheck(t, fmt.Sprintf("SpectralConv3d to %d", nt), params, func(tp *Tape[float64]) *Tensor[float64] {
			return tp.Sum(tp.Mul(tp.SpectralConv3dBias(x, nt, ws, bias, delta), r))
		})
	}
}

// TestSpectralConv3dDt: the spectral time derivative equals central
// differences of the same layer resampled 32 times finer over the same
// period (the layer is a trigonometric polynomial in time: the finer
// resampling evaluates it between the points), and its gradients pass the
// finite-difference check.
func TestSpectralConv3dDt(t *testing.T) {
	rnd := rand.New(rand.NewPCG(15, 16))
	const bs, cin, cout, X, Y, T, m1, m2, m3 = 1, 2, 2, 4, 4, 8, 2, 2, 3
	const nt, fine, dt = 10, 32, 0.2 // output points, refinement, spacing
	x := randParam(rnd, bs, cin, X, Y, T)
	var ws, bias [4]*Tensor[float64]
	for i := range ws {
		ws[i] = randParam(rnd, cin, cout, m1, m2, m3, 2)
		bias[i] = randParam(rnd, m1, m2, m3, 2)
	}
	const delta = 0.5
	omega := 2 * math.Pi / (nt * dt)
	tp := NewTape[float64]()
	d := tp.SpectralConv3dBiasDt(x, nt, ws, bias, delta, omega)
	// The same layer on fine*nt points: its values scale with the point
	// count (the inverse transform divides by it), so rescale by fine.
	yf := tp.SpectralConv3dBias(x, fine*nt, ws, bias, delta)
	h := dt / fine
	var maxErr, big float64
	for c := 0; c < bs*cout*X*Y; c++ {
		for j := 0; j < nt; j++ {
			at := func(k int) float64 { return fine * yf.Data[c*fine*nt+(k+fine*nt)%(fine*nt)] }
			k := j * fine
			fd := (at(k+1) - at(k-1)) / (2 * h)
			maxErr = math.Max(maxErr, math.Abs(d.Data[c*nt+j]-fd))
			big = math.Max(big, math.Abs(fd))
		}
	}
	if maxErr > 1e-3*big {
		t.Errorf("spectral derivative against central differences: largest difference %.3g (largest derivative %.3g)", maxErr, big)
	}
	r := randTensor(rnd, d.Shape...)
	params := append([]*Tensor[float64]{x, ws[0], ws[1], ws[2], ws[3]}, bias[:]...)
	gradCheck(t, "SpectralConv3dBiasDt", params, func(tp *Tape[float64]) *Tensor[float64] {
		return tp.Sum(tp.Mul(tp.SpectralConv3dBiasDt(x, nt, ws, bias, delta, omega), r))
	})
}

// TestCheckpointResume trains 20 Adam steps straight, and 8 steps, a save,
// a fresh model and optimizer loaded from the file, then 12 more; the
// parameters must be bit-identical.
func TestCheckpointResume(t *testing.T) {
	x := Zeros[float32](64, 1)
	y := Zeros[float32](64, 1)
	for i := range x.Data {
		v := -3 + 6*float64(i)/63
		x.Data[i], y.Data[i] = float32(v), float32(math.Cos(v))
	}
	named := func(m *MLP[float32]) []Named[float32] {
		var out []Named[float32]
		for l := range m.W {
			out = append(out, Named[float32]{fmt.Sprintf("layer%d/weight", l), m.W[l]}, Named[float32]{fmt.Sprintf("layer%d/bias", l), m.B[l]})
		}
		return out
	}
	train := func(m *MLP[float32], opt *Adam[float32], steps int) {
		tp := NewTape[float32]()
		params := m.Params()
		for range steps {
			tp.Reset()
			for _, p := range params {
				p.ZeroGrad()
			}
			tp.Backward(tp.MSE(m.Forward(tp, x), y))
			opt.Step(params)
		}
	}
	straight := NewMLP[float32](rand.New(rand.NewPCG(1, 1)), 1, 16, 16, 1)
	train(straight, &Adam[float32]{LR: 1e-2, WeightDecay: 1e-3, Decoupled: true}, 20)

	first := NewMLP[float32](rand.New(rand.NewPCG(1, 1)), 1, 16, 16, 1)
	opt := &Adam[float32]{LR: 1e-2, WeightDecay: 1e-3, Decoupled: true}
	train(first, opt, 8)
	path := t.TempDir() + "/ckpt.h5"
	if err := SaveCheckpoint(path, false, named(first), opt); err != nil {
		t.Fatal(err)
	}
	resumed := NewMLP[float32](rand.New(rand.NewPCG(99, 99)), 1, 16, 16, 1) // different initial values
	opt2 := &Adam[float32]{LR: 1e-2, WeightDecay: 1e-3, Decoupled: true}
	if err := LoadCheckpoint(path, named(resumed), opt2); err != nil {
		t.Fatal(err)
	}
	train(resumed, opt2, 12)
	for i, p := range straight.Params() {
		q := resumed.Params()[i]
		for j := range p.Data {
			if math.Float32bits(p.Data[j]) != math.Float32bits(q.Data[j]) {
				t.Fatalf("parameter %d element %d: straight %v, resumed %v", i, j, p.Data[j], q.Data[j])
			}
		}
	}
	// A model of another shape is refused and left untouched.
	other := NewMLP[float32](rand.New(rand.NewPCG(2, 2)), 1, 8, 16, 1)
	before := append([]float32(nil), other.W[0].Data...)
	err := LoadCheckpoint(path, named(other), &Adam[float32]{})
	if err == nil || !strings.Contains(err.Error(), `"layer0/weight" has shape [16 1]`) {
		t.Errorf("loading into another shape: %v", err)
	}
	for i := range before {
		if before[i] != other.W[0].Data[i] {
			t.Fatal("a failed load modified the model")
		}
	}
}

// TestSchedules checks the schedules against their closed forms at the
// points PyTorch's definitions pin down.
func TestSchedules(t *testing.T) {
	near := func(name string, got, want float64) {
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.15g, want %.15g", name, got, want)
		}
	}
	st := StepLR{Base: 0.1, StepSize: 10, Gamma: 0.5}
	near("StepLR(9)", st.LR(9), 0.1)
	near("StepLR(10)", st.LR(10), 0.05)
	near("StepLR(25)", st.LR(25), 0.025)
	c := CosineLR{Base: 1, Min: 0.1, Steps: 100}
	near("Cosine(0)", c.LR(0), 1)
	near("Cosine(50)", c.LR(50), 0.55)
	near("Cosine(100)", c.LR(100), 0.1)
	o := OneCycleLR{Max: 0.01, Steps: 1000}
	near("OneCycle(0)", o.LR(0), 0.01/25)
	near("OneCycle(299)", o.LR(299), 0.01)
	near("OneCycle(999)", o.LR(999), 0.01/25/1e4)
	if !(o.LR(150) > o.LR(100) && o.LR(600) < o.LR(400)) {
		t.Error("OneCycle is not rising then falling")
	}
}

// TestLBFGS minimises the Rosenbrock function written with tape
// operations, from (-1.2, 1), to its minimum at (1, 1).
func TestLBFGS(t *testing.T) {
	x := Param([]float64{-1.2}, 1)
	y := Param([]float64{1}, 1)
	one := New([]float64{1}, 1)
	rosen := func(tp *Tape[float64]) *Tensor[float64] {
		a := tp.Sub(one, x)
		b := tp.Sub(y, tp.Square(x))
		return tp.Sum(tp.Add(tp.Square(a), tp.Scale(tp.Square(b), 100)))
	}
	var iters []int
	var losses []float64
	res, err := LBFGS(context.Background(), []*Tensor[float64]{x, y}, rosen, &LBFGSSettings{OnIteration: func(k int, f float64) {
		iters, losses = append(iters, k), append(losses, f)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(x.Data[0]-1) > 1e-6 || math.Abs(y.Data[0]-1) > 1e-6 {
		t.Errorf("minimum at (%g, %g), want (1, 1); %v after %d iterations", x.Data[0], y.Data[0], res.Status, res.Stats.MajorIterations)
	}
	// Every iteration reported, numbered from 1, the last loss the result's.
	if len(iters) != res.Stats.MajorIterations || iters[0] != 1 || iters[len(iters)-1] != len(iters) || losses[len(losses)-1] != res.F {
		t.Errorf("OnIteration saw iterations %v, losses ending %v; the result %d iterations, loss %v", iters, losses[len(losses)-1], res.Stats.MajorIterations, res.F)
	}
	// Cancelled after its third iteration, it stops there with the
	// context's error and the parameters at the best point so far.
	x.Data[0], y.Data[0] = -1.2, 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err = LBFGS(ctx, []*Tensor[float64]{x, y}, rosen, &LBFGSSettings{OnIteration: func(k int, _ float64) {
		if k == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || res == nil || res.Stats.MajorIterations != 3 || x.Data[0] != res.X[0] {
		t.Errorf("cancelled: error %v, result %+v, x %v", err, res, x.Data)
	}
}

func TestNormsAndConcat(t *testing.T) {
	rnd := rand.New(rand.NewPCG(13, 14))
	x := randParam(rnd, 2, 4, 3, 5)
	gamma, beta := randParam(rnd, 4), randParam(rnd, 4)
	// With gamma = 1 and beta = 0 each sample's group has zero mean and
	// unit variance (up to eps).
	tp := NewTape[float64]()
	ones, zeros := New([]float64{1, 1, 1, 1}, 4), New([]float64{0, 0, 0, 0}, 4)
	y := tp.GroupNorm(x, 2, ones, zeros, 1e-12)
	for k := 0; k < 4; k++ {
		blk := y.Data[k*30 : (k+1)*30]
		var m, v float64
		for _, e := range blk {
			m += e / 30
		}
		for _, e := range blk {
			v += (e - m) * (e - m) / 30
		}
		if math.Abs(m) > 1e-12 || math.Abs(v-1) > 1e-9 {
			t.Errorf("group %d: mean %g, variance %g", k, m, v)
		}
	}
	r := randTensor(rnd, 2, 4, 3, 5)
	gradCheck(t, "GroupNorm", []*Tensor[float64]{x, gamma, beta}, func(tp *Tape[float64]) *Tensor[float64] {
		return tp.Sum(tp.Mul(tp.GroupNorm(x, 2, gamma, beta, 0), r))
	})
	l := randParam(rnd, 3, 6)
	lg, lb := randParam(rnd, 6), randParam(rnd, 6)
	rl := randTensor(rnd, 3, 6)
	gradCheck(t, "LayerNorm", []*Tensor[float64]{l, lg, lb}, func(tp *Tape[float64]) *Tensor[float64] {
		return tp.Sum(tp.Mul(tp.LayerNorm(l, lg, lb, 0), rl))
	})
	a, b := randParam(rnd, 2, 3, 4), randParam(rnd, 2, 5, 4)
	c := tp.Concat(1, a, b)
	if !slices.Equal(c.Shape, []int{2, 8, 4}) || c.Data[1*32+3*4+2] != b.Data[1*20+0*4+2] || c.Data[0*32+2*4+1] != a.Data[0*12+2*4+1] {
		t.Errorf("Concat: shape %v or values wrong", c.Shape)
	}
	rc := randTensor(rnd, 2, 8, 4)
	gradCheck(t, "Concat", []*Tensor[float64]{a, b}, func(tp *Tape[float64]) *Tensor[float64] {
		return tp.Sum(tp.Mul(tp.Concat(1, tp.Tanh(a), b), rc))
	})
}

// TestConvTranspose2d checks against the definition
// y[b,o,i s - p + u, j s - p + v] += x[b,c,i,j] w[c,o,u,v] and by
// gradient checks, including the MgNO prolongation (4x4, stride 2, pad 1).
func TestConvTranspose2d(t *testing.T) {
	rnd := rand.New(rand.NewPCG(15, 16))
	for _, c := range []struct{ k, s, p int }{{4, 2, 1}, {3, 1, 1}, {3, 2, 0}, {3, 2, 1}, {5, 3, 2}, {2, 2, 0}, {1, 1, 0}} {
		x := randParam(rnd, 2, 3, 4, 5)
		w := randParam(rnd, 3, 2, c.k, c.k)
		b := randParam(rnd, 2)
		tp := NewTape[float64]()
		y := tp.ConvTranspose2d(x, w, b, c.s, c.p)
		ho, wo := 3*c.s-2*c.p+c.k, 4*c.s-2*c.p+c.k
		if !slices.Equal(y.Shape, []int{2, 2, ho, wo}) {
			t.Fatalf("%+v: shape %v, want [2 2 %d %d]", c, y.Shape, ho, wo)
		}
		want := make([]float64, len(y.Data))
		for bi := 0; bi < 2; bi++ {
			for o := 0; o < 2; o++ {
				for i := 0; i < ho*wo; i++ {
					want[(bi*2+o)*ho*wo+i] = b.Data[o]
				}
				for ci := 0; ci < 3; ci++ {
					for i := 0; i < 4; i++ {
						for j := 0; j < 5; j++ {
							for u := 0; u < c.k; u++ {
								for v := 0; v < c.k; v++ {
									yi, yj := i*c.s-c.p+u, j*c.s-c.p+v
									if yi < 0 || yi >= ho || yj < 0 || yj >= wo {
										continue
									}
									want[((bi*2+o)*ho+yi)*wo+yj] += x.Data[((bi*3+ci)*4+i)*5+j] * w.Data[((ci*2+o)*c.k+u)*c.k+v]
								}
							}
						}
					}
				}
			}
		}
		for i := range want {
			if math.Abs(y.Data[i]-want[i]) > 1e-12 {
				t.Fatalf("%+v: y[%d] = %g, definition %g", c, i, y.Data[i], want[i])
			}
		}
		r := randTensor(rnd, y.Shape...)
		gradCheck(t, fmt.Sprintf("ConvTranspose2d %+v", c), []*Tensor[float64]{x, w, b}, func(tp *Tape[float64]) *Tensor[float64] {
			return tp.Sum(tp.Mul(tp.ConvTranspose2d(x, w, b, c.s, c.p), r))
		})
	}
}

// TestRelH1 checks the value against the definition with a naive full 2-D
// DFT, and the gradient by finite differences, on odd and even grids (one
// grid past the truncation at 20).
func TestRelH1(t *testing.T) {
	rnd := rand.New(rand.NewPCG(17, 18))
	for _, g := range [][2]int{{6, 5}, {7, 8}, {3, 44}} {
		h, w := g[0], g[1]
		p := randParam(rnd, 2, 2, h, w)
		q := randTensor(rnd, 2, 2, h, w)
		tp := NewTape[float64]()
		got := tp.RelH1(p, q).Item()
		var want float64
		for b := 0; b < 2; b++ {
			var num, den float64
			for c := 0; c < 2; c++ {
				for kx := 0; kx < h; kx++ {
					for ky := 0; ky < w; ky++ {
						var fe, ft complex128
						for n0 := 0; n0 < h; n0++ {
							for n1 := 0; n1 < w; n1++ {
								i := ((b*2+c)*h+n0)*w + n1
								th := -2 * math.Pi * (float64(kx*n0)/float64(h) + float64(ky*n1)/float64(w))
								e := complex(math.Cos(th), math.Sin(th))
								fe += complex(p.Data[i]-q.Data[i], 0) * e
								ft += complex(q.Data[i], 0) * e
							}
						}
						wt := h1Weight2(kx, ky, h, w)
						num += wt * (real(fe)*real(fe) + imag(fe)*imag(fe))
						den += wt * (real(ft)*real(ft) + imag(ft)*imag(ft))
					}
				}
			}
			want += math.Sqrt(num/den) / 2
		}
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("%dx%d: RelH1 %.15g, definition %.15g", h, w, got, want)
		}
		gradCheck(t, fmt.Sprintf("RelH1 %dx%d", h, w), []*Tensor[float64]{p}, func(tp *Tape[float64]) *Tensor[float64] {
			return tp.RelH1(p, q)
		})
	}
	if h1Weight2(0, 25, 1, 50) != 1 || h1Weight2(3, 45, 8, 50) != 1+9+25 {
		t.Error("h1Weight2: wavenumbers or truncation wrong")
	}
}

// TestConv3d checks against the definition and by gradient checks.
func TestConv3d(t *testing.T) {
	rnd := rand.New(rand.NewPCG(19, 20))
	for _, o := range []Conv2dOpts{{Stride: 1, Padding: 1}, {Stride: 2, Padding: 1, Mode: PadCircular}, {Stride: 1, Padding: 1, Mode: PadReflect}} {
		x := randParam(rnd, 2, 2, 4, 5, 3)
		w := randParam(rnd, 3, 2, 3, 3, 2)
		b := randParam(rnd, 3)
		tp := NewTape[float64]()
		y := tp.Conv3d(x, w, b, o)
		s := max(o.Stride, 1)
		od, oh, ow := (4+2*o.Padding-3)/s+1, (5+2*o.Padding-3)/s+1, (3+2*o.Padding-2)/s+1
		if !slices.Equal(y.Shape, []int{2, 3, od, oh, ow}) {
			t.Fatalf("%+v: shape %v", o, y.Shape)
		}
		for bi := 0; bi < 2; bi++ {
			for oc := 0; oc < 3; oc++ {
				for z := 0; z < od; z++ {
					for i := 0; i < oh; i++ {
						for j := 0; j < ow; j++ {
							v := b.Data[oc]
							for c := 0; c < 2; c++ {
								for u := 0; u < 3; u++ {
									for q := 0; q < 3; q++ {
										for r := 0; r < 2; r++ {
											iz := padIndex(z*s-o.Padding+u, 4, o.Mode)
											iy := padIndex(i*s-o.Padding+q, 5, o.Mode)
											ix := padIndex(j*s-o.Padding+r, 3, o.Mode)
											if iz < 0 || iy < 0 || ix < 0 {
												continue
											}
											v += w.Data[(((oc*2+c)*3+u)*3+q)*2+r] * x.Data[(((bi*2+c)*4+iz)*5+iy)*3+ix]
										}
									}
								}
							}
							if got := y.Data[(((bi*3+oc)*od+z)*oh+i)*ow+j]; math.Abs(got-v) > 1e-12 {
								t.Fatalf("%+v: y = %g, definition %g", o, got, v)
							}
						}
					}
				}
			}
		}
		rr := randTensor(rnd, y.Shape...)
		gradCheck(t, fmt.Sprintf("Conv3d %+v", o), []*Tensor[float64]{x, w, b}, func(tp *Tape[float64]) *Tensor[float64] {
			return tp.Sum(tp.Mul(tp.Conv3d(x, w, b, o), rr))
		})
	}
}

// TestPadCrop: Pad2d puts the field in the leading window with zeros
// after it, Crop2d takes the window back.
func TestPadCrop(t *testing.T) {
	tp := NewTape[float64]()
	x := New([]float64{1, 2, 3, 4, 5, 6}, 1, 2, 3)
	p := tp.Pad2d(x, 1, 1)
	want := []float64{1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0, 0}
	if !slices.Equal(p.Data, want) || !slices.Equal(p.Shape, []int{1, 3, 4}) {
		t.Fatalf("Pad2d: %v %v", p.Shape, p.Data)
	}
	if c := tp.Crop2d(p, 2, 3); !slices.Equal(c.Data, x.Data) {
		t.Errorf("Crop2d: %v", c.Data)
	}
	a := tp.Affine(New([]float64{1, 2, 3, 4}, 2, 2), []float64{10, 100}, []float64{1, 2})
	if !slices.Equal(a.Data, []float64{11, 202, 31, 402}) {
		t.Errorf("Affine: %v", a.Data)
	}
}

// TestPhiTable: the float32 GELU's interpolated normal CDF and density
// are within 1e-9 of the exact ones everywhere (checked on a grid 37
// times finer than the table's, with the ends and beyond).
func TestPhiTable(t *testing.T) {
	worst := 0.0
	for k := -12 * 64 * 37; k <= 12*64*37; k++ {
		x := float64(k) / (64 * 37)
		p, q := phiTable(x)
		ep := math.Abs(p - normCDF(x))
		eq := math.Abs(q - math.Exp(-x*x/2)/math.Sqrt(2*math.Pi))
		worst = math.Max(worst, math.Max(ep, eq))
	}
	if worst > 1e-9 {
		t.Errorf("largest error %.3g", worst)
	}
	tp := NewTape[float32]()
	x := Param([]float32{-3, -0.5, 0, 0.7, 2.5}, 5)
	y := tp.GELU(x)
	tp.Backward(tp.Sum(y))
	for i, v := range x.Data {
		w := float64(v)
		want := w * normCDF(w)
		dwant := normCDF(w) + w*math.Exp(-w*w/2)/math.Sqrt(2*math.Pi)
		if math.Abs(float64(y.Data[i])-want) > 1e-6 || math.Abs(float64(x.Grad[i])-dwant) > 1e-6 {
			t.Errorf("GELU(%g) = %g, %g; want %g, %g", w, y.Data[i], x.Grad[i], want, dwant)
		}
	}
}

// TestNoGrad: a no-grad tape computes the same forward values, records
// nothing and leaves parameters' gradients alone.
func TestNoGrad(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	w := randParam(rnd, 4, 3, 3, 3)
	x := randTensor(rnd, 2, 3, 6, 6)
	f := func(tp *Tape[float64]) *Tensor[float64] {
		return tp.Sum(tp.GELU(tp.Reshape(tp.Conv2d(x, w, nil, Conv2dOpts{Padding: 1}), 2, 4*36)))
	}
	want := f(NewTape[float64]()).Item()
	tp := NewTape[float64]()
	tp.SetNoGrad(true)
	y := f(tp)
	if y.Item() != want || len(tp.back) != 0 || y.needGrad {
		t.Errorf("no-grad forward %v (want %v), %d backward functions, needGrad %v", y.Item(), want, len(tp.back), y.needGrad)
	}
}
