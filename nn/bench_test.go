package nn

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkPINN is one training step of the case pinn-mlp-2x64x4-n2000-laplace
// of ../shared/peers/nnops.py: a 2-64-64-64-64-1 tanh MLP on 2000 points,
// loss mean((Lap u + 1)^2), backward, Adam, float32.
func BenchmarkPINN(b *testing.B) {
	rnd := rand.New(rand.NewPCG(1, 2))
	x := Zeros[float32](2000, 2)
	for i := range x.Data {
		x.Data[i] = float32(rnd.Float64())
	}
	m := NewMLP[float32](rnd, 2, 64, 64, 64, 64, 1)
	params := m.Params()
	tp := NewTape[float32]()
	opt := &Adam[float32]{LR: 1e-3}
	for b.Loop() {
		PINNStep(tp, m, params, opt, x)
	}
}

// BenchmarkConv2d is one training step of conv2d-b8-c32-64x64-k3.
func BenchmarkConv2d(b *testing.B) {
	rnd := rand.New(rand.NewPCG(1, 2))
	x, y := Zeros[float32](8, 32, 64, 64), Zeros[float32](8, 32, 64, 64)
	for i := range x.Data {
		x.Data[i], y.Data[i] = float32(rnd.NormFloat64()), float32(rnd.NormFloat64())
	}
	w, bias := Param(make([]float32, 32*32*9), 32, 32, 3, 3), Param(make([]float32, 32), 32)
	for i := range w.Data {
		w.Data[i] = float32(rnd.NormFloat64() * 0.05)
	}
	params := []*Tensor[float32]{w, bias}
	tp := NewTape[float32]()
	opt := &Adam[float32]{LR: 1e-3}
	for b.Loop() {
		tp.Reset()
		for _, p := range params {
			p.ZeroGrad()
		}
		tp.Backward(tp.MSE(tp.Conv2d(x, w, bias, Conv2dOpts{Padding: 1}), y))
		opt.Step(params)
	}
}

// BenchmarkSpectralConv2d is the specconv2d-b8-c32-64x64-m12 training step.
func BenchmarkSpectralConv2d(b *testing.B) {
	benchSpectral(b, []int{8, 32, 64, 64}, []int{32, 32, 12, 12, 2}, 2, func(tp *Tape[float32], x *Tensor[float32], w []*Tensor[float32]) *Tensor[float32] {
		return tp.SpectralConv2d(x, w[0], w[1])
	})
}

// BenchmarkSpectralConv3d is the specconv3d-b4-c20-64x64x40-m12x12x8
// training step.
func BenchmarkSpectralConv3d(b *testing.B) {
	benchSpectral(b, []int{4, 20, 64, 64, 40}, []int{20, 20, 12, 12, 8, 2}, 4, func(tp *Tape[float32], x *Tensor[float32], w []*Tensor[float32]) *Tensor[float32] {
		return tp.SpectralConv3d(x, 40, [4]*Tensor[float32](w))
	})
}

// benchSpectral times training steps of a spectral layer on random data
// of shape xs with nw weights of shape ws (the FNO code's initialisation).
func benchSpectral(b *testing.B, xs, ws []int, nw int, layer func(*Tape[float32], *Tensor[float32], []*Tensor[float32]) *Tensor[float32]) {
	rnd := rand.New(rand.NewPCG(3, 4))
	x, y := Zeros[float32](xs...), Zeros[float32](xs...)
	for i := range x.Data {
		x.Data[i], y.Data[i] = float32(rnd.NormFloat64()), float32(rnd.NormFloat64())
	}
	params := make([]*Tensor[float32], nw)
	for k := range params {
		params[k] = Param(make([]float32, size(ws)), ws...)
		for i := range params[k].Data {
			params[k].Data[i] = float32(rnd.Float64() / float64(ws[0]*ws[1]))
		}
	}
	tp := NewTape[float32]()
	opt := &Adam[float32]{LR: 1e-3}
	for b.Loop() {
		tp.Reset()
		for _, p := range params {
			p.ZeroGrad()
		}
		tp.Backward(tp.MSE(layer(tp, x, params), y))
		opt.Step(params)
	}
}
