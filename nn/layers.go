package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// MLP is a fully connected network with tanh between its layers, the
// usual PINN model: sizes [in, h1, ..., out].
type MLP[T Float] struct {
	W, B []*Tensor[T]
}

// NewMLP returns an MLP with PyTorch's default initialisation of
// nn.Linear: weights and biases uniform in +-1/sqrt(fan_in), drawn from
// rnd (seeded, so runs repeat).
func NewMLP[T Float](rnd *rand.Rand, sizes ...int) *MLP[T] {
	if len(sizes) < 2 {
		panic(fmt.Sprintf("nn: MLP with sizes %v; want at least input and output", sizes))
	}
	m := &MLP[T]{}
	for l := 0; l+1 < len(sizes); l++ {
		in, out := sizes[l], sizes[l+1]
		bound := 1 / math.Sqrt(float64(in))
		w := make([]T, out*in)
		for i := range w {
			w[i] = T((2*rnd.Float64() - 1) * bound)
		}
		b := make([]T, out)
		for i := range b {
			b[i] = T((2*rnd.Float64() - 1) * bound)
		}
		m.W = append(m.W, Param(w, out, in))
		m.B = append(m.B, Param(b, out))
	}
	return m
}

// Params returns the weights and biases, layer by layer.
func (m *MLP[T]) Params() []*Tensor[T] {
	var ps []*Tensor[T]
	for l := range m.W {
		ps = append(ps, m.W[l], m.B[l])
	}
	return ps
}

// Forward returns the network's output for x [N, in].
func (m *MLP[T]) Forward(tp *Tape[T], x *Tensor[T]) *Tensor[T] {
	h := x
	for l := range m.W {
		h = tp.Linear(h, m.W[l], m.B[l])
		if l+1 < len(m.W) {
			h = tp.Tanh(h)
		}
	}
	return h
}

// Taylor propagates values, input gradients and the Laplacian through the
// network (see Taylor).
func (m *MLP[T]) Taylor(tp *Tape[T], u Taylor[T]) Taylor[T] {
	for l := range m.W {
		u = tp.TaylorLinear(u, m.W[l], m.B[l])
		if l+1 < len(m.W) {
			u = tp.TaylorTanh(u)
		}
	}
	return u
}

// PINNStep is one training step of a PINN for the Poisson problem
// Lap u = -1 in residual form: loss mean((Lap u + 1)^2) over the points x
// [N, d], backward, and an optimizer step. It returns the loss; it is the
// benchmark case pinn-mlp-*-laplace of ../shared/peers/nnops.py.
func PINNStep[T Float](tp *Tape[T], m *MLP[T], params []*Tensor[T], opt Optimizer[T], x *Tensor[T]) T {
	tp.Reset()
	for _, p := range params {
		p.ZeroGrad()
	}
	u := m.Taylor(tp, tp.TaylorInput(x))
	loss := tp.Mean(tp.Square(tp.AddScalar(tp.TaylorLaplacian(u), 1)))
	tp.Backward(loss)
	opt.Step(params)
	return loss.Item()
}
