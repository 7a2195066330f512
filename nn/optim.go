package nn

import (
	"math"

	"github.com/pdekit/pdekit/internal/parallel"
)

// Optimizer updates parameters from their gradients.
type Optimizer[T Float] interface {
	// Step updates every parameter from its Grad; it does not zero the
	// gradients.
	Step(params []*Tensor[T])
}

// SGD is stochastic gradient descent with optional momentum and (coupled,
// L2) weight decay, PyTorch's torch.optim.SGD without dampening or
// Nesterov: v = mu v + (g + wd p), p -= lr v.
type SGD[T Float] struct {
	LR, Momentum, WeightDecay float64

	vel map[*Tensor[T]][]float64
}

// Step implements Optimizer.
func (o *SGD[T]) Step(params []*Tensor[T]) {
	if o.vel == nil {
		o.vel = map[*Tensor[T]][]float64{}
	}
	for _, p := range params {
		v := o.vel[p]
		if v == nil && o.Momentum != 0 {
			v = make([]float64, len(p.Data))
			o.vel[p] = v
		}
		for i, g := range p.Grad {
			d := float64(g) + o.WeightDecay*float64(p.Data[i])
			if v != nil {
				v[i] = o.Momentum*v[i] + d
				d = v[i]
			}
			p.Data[i] -= T(o.LR * d)
		}
	}
}

// Adam is the Adam optimizer (Kingma and Ba), with PyTorch's defaults for
// zero fields: betas 0.9 and 0.999, eps 1e-8. WeightDecay is coupled (added
// to the gradient) unless Decoupled is set, which makes it AdamW
// (Loshchilov and Hutter): p -= lr wd p before the Adam step.
type Adam[T Float] struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Decoupled                          bool

	t    int
	m, v map[*Tensor[T]][]float64
}

// NewAdamW returns Adam with decoupled weight decay (PyTorch's AdamW
// default decay is 0.01).
func NewAdamW[T Float](lr, weightDecay float64) *Adam[T] {
	return &Adam[T]{LR: lr, WeightDecay: weightDecay, Decoupled: true}
}

// Step implements Optimizer.
func (o *Adam[T]) Step(params []*Tensor[T]) {
	b1, b2, eps := o.Beta1, o.Beta2, o.Eps
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	if o.m == nil {
		o.m, o.v = map[*Tensor[T]][]float64{}, map[*Tensor[T]][]float64{}
	}
	o.t++
	c1 := 1 - math.Pow(b1, float64(o.t))
	c2 := 1 - math.Pow(b2, float64(o.t))
	// p -= lr (m/c1) / (sqrt(v/c2) + eps), as PyTorch, with the bias
	// corrections folded into two constants.
	step, ic2 := o.LR/c1, 1/c2
	decay := 1 - o.LR*o.WeightDecay
	for _, p := range params {
		m, v := o.m[p], o.v[p]
		if m == nil {
			m, v = make([]float64, len(p.Data)), make([]float64, len(p.Data))
			o.m[p], o.v[p] = m, v
		}
		parallel.For(len(p.Data), 1<<14, func(lo, hi int) {
			data, grad := p.Data[lo:hi], p.Grad[lo:hi]
			m, v := m[lo:hi], v[lo:hi]
			for i, gt := range grad {
				g := float64(gt)
				w := float64(data[i])
				if o.Decoupled {
					w *= decay
				} else {
					g += o.WeightDecay * w
				}
				mi := b1*m[i] + (1-b1)*g
				vi := b2*v[i] + (1-b2)*g*g
				m[i], v[i] = mi, vi
				w -= step * mi / (math.Sqrt(vi*ic2) + eps)
				data[i] = T(w)
			}
		})
	}
}
