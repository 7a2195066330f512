package nn

import (
	"fmt"
	"math"
)

// MSE returns the mean of (pred - target)^2 over all elements; target is
// data, not differentiated.
func (tp *Tape[T]) MSE(pred, target *Tensor[T]) *Tensor[T] {
	mustSame("MSE", pred, target)
	y := tp.out(nil, pred)
	n := float64(len(pred.Data))
	const grain = 1 << 15
	parts := make([]float64, (len(pred.Data)+grain-1)/grain)
	forRange(len(parts), 1, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			var s float64
			p, t := pred.Data[k*grain:min((k+1)*grain, len(pred.Data))], target.Data[k*grain:]
			for i, v := range p {
				d := float64(v - t[i])
				s += d * d
			}
			parts[k] = s
		}
	})
	var s float64
	for _, v := range parts {
		s += v
	}
	y.Data[0] = T(s / n)
	tp.record(y, func() {
		if y.Grad != nil && pred.needGrad {
			g := tp.grad(pred)
			c := T(2 * float64(y.Grad[0]) / n)
			forRange(len(g), grain, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					g[i] += c * (pred.Data[i] - target.Data[i])
				}
			})
		}
	})
	return y
}

// RelL2 returns the relative L2 error averaged over the samples (the first
// axis): (1/B) sum_b ||pred_b - target_b|| / ||target_b||, the loss of the
// neural-operator papers. A sample whose target is zero is an error of
// the caller and panics.
func (tp *Tape[T]) RelL2(pred, target *Tensor[T]) *Tensor[T] {
	mustSame("RelL2", pred, target)
	if len(pred.Shape) == 0 || pred.Shape[0] == 0 {
		panic(fmt.Sprintf("nn: RelL2 of shape %v, want a leading sample axis", pred.Shape))
	}
	bs := pred.Shape[0]
	m := len(pred.Data) / bs
	y := tp.out(nil, pred)
	num := make([]float64, bs)
	den := make([]float64, bs)
	var s float64
	for b := 0; b < bs; b++ {
		var nn, dd float64
		for i := b * m; i < (b+1)*m; i++ {
			d := float64(pred.Data[i] - target.Data[i])
			nn += d * d
			dd += float64(target.Data[i]) * float64(target.Data[i])
		}
		if dd == 0 {
			panic(fmt.Sprintf("nn: RelL2: sample %d has a zero target", b))
		}
		num[b], den[b] = math.Sqrt(nn), math.Sqrt(dd)
		s += num[b] / den[b]
	}
	y.Data[0] = T(s / float64(bs))
	tp.record(y, func() {
		if y.Grad == nil || !pred.needGrad {
			return
		}
		g := tp.grad(pred)
		for b := 0; b < bs; b++ {
			if num[b] == 0 {
				continue // the norm is not differentiable at 0; take 0
			}
			c := float64(y.Grad[0]) / float64(bs) / (num[b] * den[b])
			for i := b * m; i < (b+1)*m; i++ {
				g[i] += T(c * float64(pred.Data[i]-target.Data[i]))
			}
		}
	})
	return y
}
