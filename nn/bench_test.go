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
	rnd := rand.New(rand.NewPCG(3, 4))
	x, y := Zeros[float32](8, 32, 64, 64), Zeros[float32](8, 32, 64, 64)
	for i := range x.Data {
		x.Data[i], y.Data[i] = float32(rnd.NormFloat64()), float32(rnd.NormFloat64())
	}
	w1, w2 := Param(make([]float32, 32*32*12*12*2), 32, 32, 12, 12, 2), Param(make([]float32, 32*32*12*12*2), 32, 32, 12, 12, 2)
	for i := range w1.Data {
		w1.Data[i], w2.Data[i] = float32(rnd.Float64()/1024), float32(rnd.Float64()/1024)
	}
	params := []*Tensor[float32]{w1, w2}
	tp := NewTape[float32]()
	opt := &Adam[float32]{LR: 1e-3}
	for b.Loop() {
		tp.Reset()
		for _, p := range params {
			p.ZeroGrad()
		}
		tp.Backward(tp.MSE(tp.SpectralConv2d(x, w1, w2), y))
		opt.Step(params)
	}
}
