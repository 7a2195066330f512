package nn

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/internal/parallel"
)

// MSE returns the mean of (pred - target)^2 over all elements; target is
// data, not differentiated.
func (tp *Tape[T]) MSE(pred, target *Tensor[T]) *Tensor[T] {
	mustSame("MSE", pred, target)
	y := tp.out(nil, pred)
	n := float64(len(pred.Data))
	const grain = 1 << 15
	parts := make([]float64, (len(pred.Data)+grain-1)/grain)
	parallel.For(len(parts), 1, func(lo, hi int) {
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
			parallel.For(len(g), grain, func(lo, hi int) {
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

// h1Weight2 returns the squared H1 weight 1 + kx^2 + ky^2 of MgNO's
// HsLoss(d=2, p=2, k=1): integer wavenumbers in fftfreq order, each axis
// truncated to 0 where |k| >= 20. (MgNO builds the wavenumbers of an odd
// axis with one more negative than fftfreq; the two agree on every grid
// of 40 or more points, where that index is truncated anyway.)
func h1Weight2(kx, ky, h, w int) float64 {
	fx, fy := kx, ky
	if fx >= (h+1)/2 {
		fx -= h
	}
	if fy >= (w+1)/2 {
		fy -= w
	}
	tr := func(k int) float64 {
		if k < 0 {
			k = -k
		}
		if k >= 20 {
			return 0
		}
		return float64(k)
	}
	x, y := tr(fx), tr(fy)
	return 1 + x*x + y*y
}

// RelH1 returns the relative H1 error of the fields in the last two axes,
// averaged over the samples (the first axis), as MgNO's spectral HsLoss
// (d=2, p=2, k=1) defines it per sample:
// ||sqrt(1+kx^2+ky^2) F(pred-target)|| / ||sqrt(1+kx^2+ky^2) F(target)||
// over the full 2-D spectrum of every channel, with integer wavenumbers
// truncated at 20. (MgNO sums over the batch; this is the mean.) The FFT
// normalisation cancels in the ratio.
func (tp *Tape[T]) RelH1(pred, target *Tensor[T]) *Tensor[T] {
	mustSame("RelH1", pred, target)
	r := len(pred.Shape)
	if r < 3 {
		panic(fmt.Sprintf("nn: RelH1 of shape %v, want [B, ..., H, W]", pred.Shape))
	}
	bs, h, w := pred.Shape[0], pred.Shape[r-2], pred.Shape[r-1]
	f := getR2C[T](h, w)
	nf := len(pred.Data) / (h * w) // fields
	per := nf / bs
	wc := w/2 + 1
	e := tp.buf(len(pred.Data))
	for i, v := range pred.Data {
		e[i] = v - target.Data[i]
	}
	es := tp.buf(nf * 2 * f.nc)
	ts := tp.buf(nf * 2 * f.nc)
	f.forward(es, e)
	f.forward(ts, target.Data)
	// norm2 sums W^2 |X|^2 over the full spectrum of one field's half
	// spectrum: the columns standing for conjugate pairs count twice.
	norm2 := func(x []T) float64 {
		var s float64
		for kx := 0; kx < h; kx++ {
			for c := 0; c < wc; c++ {
				m := 2.0
				if c == 0 || (w%2 == 0 && c == w/2) {
					m = 1
				}
				re, im := float64(x[2*(kx*wc+c)]), float64(x[2*(kx*wc+c)+1])
				s += m * h1Weight2(kx, c, h, w) * (re*re + im*im)
			}
		}
		return s
	}
	num := make([]float64, bs)
	den := make([]float64, bs)
	y := tp.out(nil, pred)
	var total float64
	for b := 0; b < bs; b++ {
		for j := 0; j < per; j++ {
			fi := b*per + j
			num[b] += norm2(es[fi*2*f.nc : (fi+1)*2*f.nc])
			den[b] += norm2(ts[fi*2*f.nc : (fi+1)*2*f.nc])
		}
		if den[b] == 0 {
			panic(fmt.Sprintf("nn: RelH1: sample %d has a zero target", b))
		}
		num[b], den[b] = math.Sqrt(num[b]), math.Sqrt(den[b])
		total += num[b] / den[b]
	}
	y.Data[0] = T(total / float64(bs))
	tp.record(y, func() {
		if y.Grad == nil || !pred.needGrad {
			return
		}
		// d/de ||W F e|| = N irfft2(W^2 rfft2(e)) / ||W F e||.
		for b := 0; b < bs; b++ {
			for j := 0; j < per; j++ {
				fi := b*per + j
				s := es[fi*2*f.nc : (fi+1)*2*f.nc]
				c := 0.0
				if num[b] > 0 {
					c = float64(y.Grad[0]) / float64(bs) / (den[b] * num[b]) * float64(h*w)
				}
				for kx := 0; kx < h; kx++ {
					for cc := 0; cc < wc; cc++ {
						wt := T(c * h1Weight2(kx, cc, h, w))
						s[2*(kx*wc+cc)] *= wt
						s[2*(kx*wc+cc)+1] *= wt
					}
				}
			}
		}
		f.inverse(e, es)
		g := tp.grad(pred)
		for i, v := range e {
			g[i] += v
		}
	})
	return y
}

// CrossEntropy returns the mean over the rows of logits [B, C] of
// -log softmax(logits_b)[labels[b]], the classification loss (PyTorch's
// cross_entropy); labels are data. A label outside [0, C) panics.
func (tp *Tape[T]) CrossEntropy(logits *Tensor[T], labels []int) *Tensor[T] {
	if len(logits.Shape) != 2 || logits.Shape[0] != len(labels) {
		panic(fmt.Sprintf("nn: CrossEntropy of logits %v and %d labels", logits.Shape, len(labels)))
	}
	bs, c := logits.Shape[0], logits.Shape[1]
	y := tp.out(nil, logits)
	p := tp.bufRaw(len(logits.Data)) // softmax, kept for the backward pass
	var s float64
	for b, l := range labels {
		if l < 0 || l >= c {
			panic(fmt.Sprintf("nn: CrossEntropy: label %d of row %d outside [0, %d)", l, b, c))
		}
		row, pr := logits.Data[b*c:(b+1)*c], p[b*c:(b+1)*c]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		var z float64
		for j, v := range row {
			e := math.Exp(float64(v) - m)
			pr[j] = T(e)
			z += e
		}
		for j := range pr {
			pr[j] = T(float64(pr[j]) / z)
		}
		s += m + math.Log(z) - float64(row[l])
	}
	y.Data[0] = T(s / float64(bs))
	tp.record(y, func() {
		if y.Grad == nil || !logits.needGrad {
			return
		}
		g := tp.grad(logits)
		a := T(float64(y.Grad[0]) / float64(bs))
		for b, l := range labels {
			for j := 0; j < c; j++ {
				d := p[b*c+j]
				if j == l {
					d--
				}
				g[b*c+j] += a * d
			}
		}
	})
	return y
}
