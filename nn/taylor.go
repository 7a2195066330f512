package nn

import "fmt"

// Taylor carries a network's values with their first derivatives and
// Laplacian with respect to the inputs, for physics-informed losses: the
// package's answer to higher-order differentiation is forward-mode Taylor
// propagation recorded on the tape. Every propagation step is made of
// ordinary taped operations, so one reverse pass gives the parameter
// gradient of any loss built from V, D and Lap, including a PDE residual
// with a Laplacian; no double backward is needed.
//
// For inputs x in R^d, V is the value [N, k], D[i] = dV/dx_i and Lap is
// sum_i d^2 V / dx_i^2, all [N, k].
type Taylor[T Float] struct {
	V, Lap *Tensor[T]
	D      []*Tensor[T]
}

// TaylorInput starts the propagation at the inputs x [N, d]: V = x,
// D[i] = e_i in every row, Lap = 0.
func (tp *Tape[T]) TaylorInput(x *Tensor[T]) Taylor[T] {
	if len(x.Shape) != 2 {
		panic(fmt.Sprintf("nn: TaylorInput of shape %v, want [points, dims]", x.Shape))
	}
	n, d := x.Shape[0], x.Shape[1]
	u := Taylor[T]{V: x, Lap: tp.out(x.Shape), D: make([]*Tensor[T], d)}
	for i := 0; i < d; i++ {
		e := tp.out(x.Shape)
		for r := 0; r < n; r++ {
			e.Data[r*d+i] = 1
		}
		u.D[i] = e
	}
	return u
}

// TaylorLinear propagates through x W^T + b: the derivatives and the
// Laplacian are linear in x and get no bias.
func (tp *Tape[T]) TaylorLinear(u Taylor[T], w, b *Tensor[T]) Taylor[T] {
	out := Taylor[T]{V: tp.Linear(u.V, w, b), Lap: tp.Linear(u.Lap, w, nil), D: make([]*Tensor[T], len(u.D))}
	for i, d := range u.D {
		out.D[i] = tp.Linear(d, w, nil)
	}
	return out
}

// taylorAct propagates through an activation s with s1 = s'(a) and
// s2 = s”(a) given as taped tensors: D' = s1 D, Lap' = s2 sum_i D_i^2 + s1 Lap.
func (tp *Tape[T]) taylorAct(u Taylor[T], v, s1, s2 *Tensor[T]) Taylor[T] {
	out := Taylor[T]{V: v, D: make([]*Tensor[T], len(u.D))}
	var sq *Tensor[T]
	for i, d := range u.D {
		out.D[i] = tp.Mul(s1, d)
		if sq == nil {
			sq = tp.Square(d)
		} else {
			sq = tp.Add(sq, tp.Square(d))
		}
	}
	out.Lap = tp.Add(tp.Mul(s1, u.Lap), tp.Mul(s2, sq))
	return out
}

// TaylorTanh propagates through tanh: s' = 1 - t^2, s” = -2 t s'.
func (tp *Tape[T]) TaylorTanh(u Taylor[T]) Taylor[T] {
	t := tp.Tanh(u.V)
	s1 := tp.AddScalar(tp.Scale(tp.Square(t), -1), 1)
	s2 := tp.Scale(tp.Mul(t, s1), -2)
	return tp.taylorAct(u, t, s1, s2)
}

// TaylorSin propagates through sin: s' = cos, s” = -sin.
func (tp *Tape[T]) TaylorSin(u Taylor[T]) Taylor[T] {
	v := tp.Sin(u.V)
	return tp.taylorAct(u, v, tp.Cos(u.V), tp.Scale(v, -1))
}
