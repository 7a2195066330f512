package nn

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/internal/parallel"
)

// GroupNorm normalizes x [B, C, ...] over groups of C/groups channels and
// all spatial points, per sample, then scales and shifts each channel by
// gamma and beta [C] (PyTorch nn.GroupNorm, eps 1e-5 when zero).
func (tp *Tape[T]) GroupNorm(x *Tensor[T], groups int, gamma, beta *Tensor[T], eps float64) *Tensor[T] {
	if len(x.Shape) < 2 || groups < 1 || x.Shape[1]%groups != 0 {
		panic(fmt.Sprintf("nn: GroupNorm of shape %v into %d groups", x.Shape, groups))
	}
	c := x.Shape[1]
	s := size(x.Shape[2:])
	return tp.normBlocks(x, x.Shape[0]*groups, groups, c/groups, s, c, gamma, beta, eps)
}

// LayerNorm normalizes x over its last axis and applies gamma and beta of
// that axis's length (PyTorch nn.LayerNorm over the last dimension, eps
// 1e-5 when zero).
func (tp *Tape[T]) LayerNorm(x *Tensor[T], gamma, beta *Tensor[T], eps float64) *Tensor[T] {
	if len(x.Shape) == 0 {
		panic("nn: LayerNorm of a scalar")
	}
	d := x.Shape[len(x.Shape)-1]
	return tp.normBlocks(x, len(x.Data)/d, 1, d, 1, d, gamma, beta, eps)
}

// normBlocks normalizes nb contiguous blocks of cpb channels x s points;
// block k's first channel is (k mod g) cpb.
func (tp *Tape[T]) normBlocks(x *Tensor[T], nb, g, cpb, s, c int, gamma, beta *Tensor[T], eps float64) *Tensor[T] {
	if len(gamma.Data) != c || len(beta.Data) != c {
		panic(fmt.Sprintf("nn: normalization of %d channels with gamma %v and beta %v", c, gamma.Shape, beta.Shape))
	}
	if eps == 0 {
		eps = 1e-5
	}
	m := cpb * s
	y := tp.out(x.Shape, x, gamma, beta)
	xhat := tp.buf(len(x.Data))
	inv := make([]float64, nb)
	parallel.For(nb, 1, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			blk := x.Data[k*m : (k+1)*m]
			var mean, sq float64
			for _, v := range blk {
				mean += float64(v)
			}
			mean /= float64(m)
			for _, v := range blk {
				d := float64(v) - mean
				sq += d * d
			}
			is := 1 / math.Sqrt(sq/float64(m)+eps)
			inv[k] = is
			c0 := (k % g) * cpb
			for j, v := range blk {
				xh := (float64(v) - mean) * is
				xhat[k*m+j] = T(xh)
				ch := c0 + j/s
				y.Data[k*m+j] = T(xh)*gamma.Data[ch] + beta.Data[ch]
			}
		}
	})
	tp.record(y, func() {
		dy := y.Grad
		if dy == nil {
			return
		}
		if gamma.needGrad || beta.needGrad {
			gg, gb := tp.grad(gamma), tp.grad(beta)
			for k := 0; k < nb; k++ {
				c0 := (k % g) * cpb
				for j := 0; j < m; j++ {
					ch := c0 + j/s
					gg[ch] += dy[k*m+j] * xhat[k*m+j]
					gb[ch] += dy[k*m+j]
				}
			}
		}
		if !x.needGrad {
			return
		}
		dx := tp.grad(x)
		parallel.For(nb, 1, func(lo, hi int) {
			for k := lo; k < hi; k++ {
				c0 := (k % g) * cpb
				// dxhat = dy gamma; dx = inv (dxhat - mean(dxhat) - xhat mean(dxhat xhat)).
				var a, b float64
				for j := 0; j < m; j++ {
					d := float64(dy[k*m+j] * gamma.Data[c0+j/s])
					a += d
					b += d * float64(xhat[k*m+j])
				}
				a /= float64(m)
				b /= float64(m)
				for j := 0; j < m; j++ {
					d := float64(dy[k*m+j] * gamma.Data[c0+j/s])
					dx[k*m+j] += T(inv[k] * (d - a - float64(xhat[k*m+j])*b))
				}
			}
		})
	})
	return y
}

// Concat joins tensors along axis; the other dimensions must agree.
func (tp *Tape[T]) Concat(axis int, xs ...*Tensor[T]) *Tensor[T] {
	if len(xs) == 0 {
		panic("nn: Concat of nothing")
	}
	xs = append([]*Tensor[T](nil), xs...) // kept for the backward pass
	rank := len(xs[0].Shape)
	if axis < 0 || axis >= rank {
		panic(fmt.Sprintf("nn: Concat along axis %d of rank-%d tensors", axis, rank))
	}
	shape := append([]int(nil), xs[0].Shape...)
	shape[axis] = 0
	for _, x := range xs {
		if len(x.Shape) != rank {
			panic(fmt.Sprintf("nn: Concat of shapes %v and %v", xs[0].Shape, x.Shape))
		}
		for a := range x.Shape {
			if a != axis && x.Shape[a] != xs[0].Shape[a] {
				panic(fmt.Sprintf("nn: Concat along %d of shapes %v and %v", axis, xs[0].Shape, x.Shape))
			}
		}
		shape[axis] += x.Shape[axis]
	}
	outer := size(shape[:axis])
	inner := size(shape[axis+1:])
	y := tp.outRaw(shape, xs...) // every element is written
	rowY := shape[axis] * inner
	off := 0
	for _, x := range xs {
		w := x.Shape[axis] * inner
		for o := 0; o < outer; o++ {
			copy(y.Data[o*rowY+off:o*rowY+off+w], x.Data[o*w:(o+1)*w])
		}
		off += w
	}
	tp.record(y, func() {
		if y.Grad == nil {
			return
		}
		off := 0
		for _, x := range xs {
			w := x.Shape[axis] * inner
			if x.needGrad {
				g := tp.grad(x)
				for o := 0; o < outer; o++ {
					src := y.Grad[o*rowY+off : o*rowY+off+w]
					for i, v := range src {
						g[o*w+i] += v
					}
				}
			}
			off += w
		}
	})
	return y
}
