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
