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
	var params []*Tensor[float32]
	layer := func(out, in int) (*Tensor[float32], *Tensor[float32]) {
		w := make([]float32, out*in)
		for i := range w {
			w[i] = float32(rnd.NormFloat64() * 0.2)
		}
		wt, bt := Param(w, out, in), Param(make([]float32, out), out)
		params = append(params, wt, bt)
		return wt, bt
	}
	type lin struct{ w, b *Tensor[float32] }
	var ls []lin
	in := 2
	for range 4 {
		w, bb := layer(64, in)
		ls = append(ls, lin{w, bb})
		in = 64
	}
	wo, bo := layer(1, 64)
	tp := NewTape[float32]()
	opt := &Adam[float32]{LR: 1e-3}
	for b.Loop() {
		tp.Reset()
		for _, p := range params {
			p.ZeroGrad()
		}
		u := tp.TaylorInput(x)
		for _, l := range ls {
			u = tp.TaylorTanh(tp.TaylorLinear(u, l.w, l.b))
		}
		u = tp.TaylorLinear(u, wo, bo)
		loss := tp.Mean(tp.Square(tp.AddScalar(tp.TaylorLaplacian(u), 1)))
		tp.Backward(loss)
		opt.Step(params)
	}
}
