package nn

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/internal/parallel"
)

// Taylor carries a network's values with their first derivatives and
// Laplacian with respect to the inputs, for physics-informed losses: the
// package's answer to higher-order differentiation is forward-mode Taylor
// propagation recorded on the tape. Every propagation step is a taped
// operation with a hand-written backward, so one reverse pass gives the
// parameter gradient of any loss built from the value, the input gradient
// and the Laplacian; no double backward is needed.
//
// For inputs x in R^d and values [N, k], V is the value and J stacks d+1
// blocks of [N, k]: dV/dx_1, ..., dV/dx_d, then the Laplacian
// sum_i d^2 V/dx_i^2. A linear layer maps all blocks with one product.
type Taylor[T Float] struct {
	V, J *Tensor[T]
	d    int
}

// Dims returns the number of inputs d.
func (u Taylor[T]) Dims() int { return u.d }

// TaylorInput starts the propagation at the inputs x [N, d]: V = x, the
// derivative blocks are the unit vectors e_i, the Laplacian is 0.
func (tp *Tape[T]) TaylorInput(x *Tensor[T]) Taylor[T] {
	if len(x.Shape) != 2 {
		panic(fmt.Sprintf("nn: TaylorInput of shape %v, want [points, dims]", x.Shape))
	}
	n, d := x.Shape[0], x.Shape[1]
	j := tp.out([]int{(d + 1) * n, d})
	for i := 0; i < d; i++ {
		for r := 0; r < n; r++ {
			j.Data[(i*n+r)*d+i] = 1
		}
	}
	return Taylor[T]{V: x, J: j, d: d}
}

// TaylorLinear propagates through x W^T + b: the derivative and Laplacian
// blocks are linear in x and get no bias.
func (tp *Tape[T]) TaylorLinear(u Taylor[T], w, b *Tensor[T]) Taylor[T] {
	return Taylor[T]{V: tp.Linear(u.V, w, b), J: tp.Linear(u.J, w, nil), d: u.d}
}

// block returns block i of J as an [N, k] tensor (a copy whose gradient
// flows back).
func (tp *Tape[T]) block(u Taylor[T], i int) *Tensor[T] {
	n, k := u.V.Shape[0], u.V.Shape[1]
	y := tp.outRaw([]int{n, k}, u.J)
	copy(y.Data, u.J.Data[i*n*k:(i+1)*n*k])
	tp.record(y, func() {
		if y.Grad != nil && u.J.needGrad {
			g := tp.grad(u.J)[i*n*k : (i+1)*n*k]
			for p, v := range y.Grad {
				g[p] += v
			}
		}
	})
	return y
}

// TaylorGrad returns dV/dx_i, [N, k].
func (tp *Tape[T]) TaylorGrad(u Taylor[T], i int) *Tensor[T] {
	if i < 0 || i >= u.d {
		panic(fmt.Sprintf("nn: TaylorGrad(%d) with %d inputs", i, u.d))
	}
	return tp.block(u, i)
}

// TaylorLaplacian returns the Laplacian of V, [N, k].
func (tp *Tape[T]) TaylorLaplacian(u Taylor[T]) *Tensor[T] { return tp.block(u, u.d) }

// activation is an activation for Taylor propagation: fwd gives s(a) and
// its first two derivatives s1, s2; bwd gives s1, s2 and the third, s3,
// at a, knowing s = s(a) (tanh needs nothing else, so its backward
// evaluates no transcendental).
type activation interface {
	fwd(a float64) (s, s1, s2 float64)
	bwd(a, s float64) (s1, s2, s3 float64)
}

type tanhAct struct{}

func (tanhAct) fwd(a float64) (s, s1, s2 float64) {
	t := math.Tanh(a)
	s1 = 1 - t*t
	return t, s1, -2 * t * s1
}

func (tanhAct) bwd(_, t float64) (s1, s2, s3 float64) {
	s1 = 1 - t*t
	return s1, -2 * t * s1, -2*s1*s1 + 4*t*t*s1
}

type sinAct struct{}

func (sinAct) fwd(a float64) (s, s1, s2 float64) {
	sn, cs := math.Sincos(a)
	return sn, cs, -sn
}

func (sinAct) bwd(a, sn float64) (s1, s2, s3 float64) {
	cs := math.Cos(a)
	return cs, -sn, -cs
}

func isTanh(f activation) bool { _, ok := f.(tanhAct); return ok }

// TaylorTanh propagates through tanh.
func (tp *Tape[T]) TaylorTanh(u Taylor[T]) Taylor[T] { return tp.taylorAct(u, tanhAct{}) }

// TaylorSin propagates through sin.
func (tp *Tape[T]) TaylorSin(u Taylor[T]) Taylor[T] { return tp.taylorAct(u, sinAct{}) }

// taylorAct is the fused activation step: with s1 = s'(a), s2 = s”(a),
// V' = s(V), D'_i = s1 D_i and L' = s1 L + s2 sum_i D_i^2. Backward, with
// ds1 = sum_i gD'_i D_i + gL' L and ds2 = gL' sum_i D_i^2:
// gV = gV' s1 + ds1 s2 + ds2 s3, gD_i = s1 gD'_i + 2 s2 gL' D_i, gL = s1 gL'.
func (tp *Tape[T]) taylorAct(u Taylor[T], f activation) Taylor[T] {
	n, k := u.V.Shape[0], u.V.Shape[1]
	nk := n * k
	d := u.d
	v := tp.outRaw(u.V.Shape, u.V, u.J) // every element is written
	j := tp.outRaw(u.J.Shape, u.V, u.J)
	fw := &taylorFwd[T]{a: u.V.Data, j: u.J.Data, v: v.Data, jo: j.Data, nk: nk, d: d, f: f}
	parallel.Run(parallel.Parts(nk*(d+2), 1<<14), fw)
	y := Taylor[T]{V: v, J: j, d: d}
	// One backward for both outputs, recorded on the second.
	tp.record(j, func() {
		if v.Grad == nil && j.Grad == nil {
			return
		}
		bw := &taylorBwd[T]{taylorFwd: *fw, gv: v.Grad, gj: j.Grad}
		fused := isTanh(f) && j.Grad != nil && u.V.needGrad && u.J.needGrad
		if u.V.needGrad {
			// tanhAll writes every element: a first gradient needs
			// neither zeroing nor reading.
			bw.setA = fused && u.V.Grad == nil
			bw.ga = tp.gradRaw(u.V, bw.setA)
		}
		if u.J.needGrad {
			bw.setJ = fused && u.J.Grad == nil
			bw.gjin = tp.gradRaw(u.J, bw.setJ)
		}
		parallel.Run(parallel.Parts(nk*(d+2), 1<<14), bw)
	})
	return y
}

type taylorFwd[T Float] struct {
	a, j, v, jo []T
	nk, d       int
	f           activation
}

func (t *taylorFwd[T]) Do(part, parts int) {
	lo, hi := parallel.Range(t.nk, part, parts)
	nk, d := t.nk, t.d
	if isTanh(t.f) {
		t.tanh(lo, hi)
		return
	}
	for p := lo; p < hi; p++ {
		s, s1, s2 := t.f.fwd(float64(t.a[p]))
		t.v[p] = T(s)
		var q float64
		for i := 0; i < d; i++ {
			di := float64(t.j[i*nk+p])
			q += di * di
			t.jo[i*nk+p] = T(s1 * di)
		}
		t.jo[d*nk+p] = T(s1*float64(t.j[d*nk+p]) + s2*q)
	}
}

// tanh is Do for tanh without the interface call, which cost as much as
// the arithmetic.
func (t *taylorFwd[T]) tanh(lo, hi int) {
	nk, d := t.nk, t.d
	j, jo := t.j[:(d+1)*nk], t.jo[:(d+1)*nk]
	a, v := t.a[:nk], t.v[:nk]
	for p := lo; p < hi; p++ {
		s := math.Tanh(float64(a[p]))
		s1 := 1 - s*s
		v[p] = T(s)
		var q float64
		for o := p; o < d*nk; o += nk {
			di := float64(j[o])
			q += di * di
			jo[o] = T(s1 * di)
		}
		jo[d*nk+p] = T(s1*float64(j[d*nk+p]) - 2*s*s1*q)
	}
}

type taylorBwd[T Float] struct {
	taylorFwd[T]
	gv, gj     []T  // output gradients (either may be nil)
	ga, gjin   []T  // input gradients (nil when not needed)
	setA, setJ bool // ga, gjin are fresh: tanhAll stores instead of adding
}

func (t *taylorBwd[T]) Do(part, parts int) {
	lo, hi := parallel.Range(t.nk, part, parts)
	nk, d := t.nk, t.d
	if t.ga == nil && t.gjin == nil {
		return // the inputs need no gradient (a network's first layer)
	}
	if t.setA || t.setJ || t.gj != nil && t.ga != nil && t.gjin != nil && isTanh(t.f) {
		t.tanhAll(lo, hi)
		return
	}
	for p := lo; p < hi; p++ {
		s1, s2, s3 := t.f.bwd(float64(t.a[p]), float64(t.v[p]))
		var gL, ds1, q float64
		if t.gj != nil {
			gL = float64(t.gj[d*nk+p])
			ds1 = gL * float64(t.j[d*nk+p])
			for i := 0; i < d; i++ {
				di := float64(t.j[i*nk+p])
				ds1 += float64(t.gj[i*nk+p]) * di
				q += di * di
			}
		}
		if t.ga != nil {
			g := ds1*s2 + gL*q*s3
			if t.gv != nil {
				g += float64(t.gv[p]) * s1
			}
			t.ga[p] += T(g)
		}
		if t.gjin != nil && t.gj != nil {
			for i := 0; i < d; i++ {
				t.gjin[i*nk+p] += T(s1*float64(t.gj[i*nk+p]) + 2*s2*gL*float64(t.j[i*nk+p]))
			}
			t.gjin[d*nk+p] += T(s1 * gL)
		}
	}
}

// tanhAll is Do for tanh when the inputs' gradients are wanted (the
// hidden layers of a PINN): one pass over the derivative blocks instead of two, and no
// interface call.
func (t *taylorBwd[T]) tanhAll(lo, hi int) {
	nk, d := t.nk, t.d
	j, gj, gjin := t.j[:(d+1)*nk], t.gj[:(d+1)*nk], t.gjin[:(d+1)*nk]
	jL, gjL, gjinL := j[d*nk:], gj[d*nk:], gjin[d*nk:]
	v, ga, gv := t.v[:nk], t.ga[:nk], t.gv
	if gv != nil {
		gv = gv[:nk]
	}
	for p := lo; p < hi; p++ {
		s := float64(v[p])
		s1 := 1 - s*s
		s2 := -2 * s * s1
		s3 := -2*s1*s1 + 4*s*s*s1
		gL := float64(gjL[p])
		ds1 := gL * float64(jL[p])
		var q float64
		for o := p; o < d*nk; o += nk {
			di, g := float64(j[o]), float64(gj[o])
			ds1 += g * di
			q += di * di
			if t.setJ {
				gjin[o] = T(s1*g + 2*s2*gL*di)
			} else {
				gjin[o] += T(s1*g + 2*s2*gL*di)
			}
		}
		g := ds1*s2 + gL*q*s3
		if gv != nil { // nil when only the derivatives reach the loss
			g += float64(gv[p]) * s1
		}
		if t.setA {
			ga[p] = T(g)
		} else {
			ga[p] += T(g)
		}
		if t.setJ {
			gjinL[p] = T(s1 * gL)
		} else {
			gjinL[p] += T(s1 * gL)
		}
	}
}
