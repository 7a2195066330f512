package neuralop

import (
	"math/rand/v2"
	"testing"

	"github.com/pdekit/pdekit/internal/openblas"
	"github.com/pdekit/pdekit/nn"
)

// benchStep times one training step (forward, MSE, backward, Adam) of the
// default model of a kind on a batch of 8 64 x 64 fields: the nnops.py
// cases fno2d-b8-64x64-w32-m12 and mgno2d-b8-64x64-c24-l5-v5.
func benchStep(b *testing.B, kind string) {
	openblas.SetThreads(1)
	rnd := rand.New(rand.NewPCG(1, 1))
	m, err := New[float32](Config{Kind: kind, H: 64, W: 64}, rnd)
	if err != nil {
		b.Fatal(err)
	}
	x, y := nn.Zeros[float32](8, 1, 64, 64), nn.Zeros[float32](8, 1, 64, 64)
	for i := range x.Data {
		x.Data[i], y.Data[i] = float32(rnd.NormFloat64()), float32(rnd.NormFloat64())
	}
	ps := nn.Tensors(m.Params())
	tp := nn.NewTape[float32]()
	opt := &nn.Adam[float32]{LR: 1e-3}
	step := func() {
		tp.Reset()
		for _, p := range ps {
			p.ZeroGrad()
		}
		tp.Backward(tp.MSE(m.Forward(tp, x), y))
		opt.Step(ps)
	}
	step()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
}

func BenchmarkFNOStep(b *testing.B)  { benchStep(b, "fno") }
func BenchmarkMgNOStep(b *testing.B) { benchStep(b, "mgno") }
