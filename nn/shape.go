package nn

import "fmt"

// Affine returns x scale + shift with scale and shift (constants, not
// differentiated) broadcast over the leading axes: x is [..., P] seen as
// rows of the len(scale) = P trailing elements, y[r, i] = x[r, i] scale[i]
// + shift[i]. A normaliser's decoding on the tape is this operation.
func (tp *Tape[T]) Affine(x *Tensor[T], scale, shift []T) *Tensor[T] {
	p := len(scale)
	if p == 0 || len(shift) != p || len(x.Data)%p != 0 {
		panic(fmt.Sprintf("nn: Affine of %v with %d scales and %d shifts", x.Shape, len(scale), len(shift)))
	}
	y := tp.out(x.Shape, x)
	for r := 0; r < len(x.Data); r += p {
		xr, yr := x.Data[r:r+p], y.Data[r:r+p]
		for i, v := range xr {
			yr[i] = v*scale[i] + shift[i]
		}
	}
	tp.record(y, func() {
		if y.Grad == nil || !x.needGrad {
			return
		}
		g := tp.grad(x)
		for r := 0; r < len(g); r += p {
			gr, dy := g[r:r+p], y.Grad[r:r+p]
			for i, v := range dy {
				gr[i] += v * scale[i]
			}
		}
	})
	return y
}

// Pad2d returns x [..., H, W] padded with zeros to [..., H+ph, W+pw]: ph
// rows after the last and pw columns after the last, as FNO pads
// non-periodic data (torch's F.pad(x, [0, pw, 0, ph])).
func (tp *Tape[T]) Pad2d(x *Tensor[T], ph, pw int) *Tensor[T] {
	r := len(x.Shape)
	if r < 2 || ph < 0 || pw < 0 {
		panic(fmt.Sprintf("nn: Pad2d of %v by %d, %d", x.Shape, ph, pw))
	}
	h, w := x.Shape[r-2], x.Shape[r-1]
	shape := append(append([]int(nil), x.Shape[:r-2]...), h+ph, w+pw)
	y := tp.out(shape, x)
	copyWindow(y.Data, x.Data, len(x.Data)/(h*w), h, w, h+ph, w+pw, false)
	tp.record(y, func() {
		if y.Grad != nil && x.needGrad {
			copyWindow(y.Grad, tp.grad(x), len(x.Data)/(h*w), h, w, h+ph, w+pw, true)
		}
	})
	return y
}

// Crop2d returns the leading h x w window of the last two axes of x, the
// inverse of Pad2d.
func (tp *Tape[T]) Crop2d(x *Tensor[T], h, w int) *Tensor[T] {
	r := len(x.Shape)
	if r < 2 || h < 1 || w < 1 || h > x.Shape[r-2] || w > x.Shape[r-1] {
		panic(fmt.Sprintf("nn: Crop2d of %v to %d x %d", x.Shape, h, w))
	}
	bh, bw := x.Shape[r-2], x.Shape[r-1]
	shape := append(append([]int(nil), x.Shape[:r-2]...), h, w)
	y := tp.out(shape, x)
	copyWindow(x.Data, y.Data, len(y.Data)/(h*w), h, w, bh, bw, true)
	tp.record(y, func() {
		if y.Grad != nil && x.needGrad {
			copyWindow(tp.grad(x), y.Grad, len(y.Data)/(h*w), h, w, bh, bw, false)
		}
	})
	return y
}

// copyWindow moves data between n small h x w planes and the leading
// windows of n big bh x bw planes: small into big (adding) when toSmall
// is false, big into small (adding) when it is true. Both directions add,
// so the same routine is each operation's forward (into zeroed buffers)
// and the other's backward.
func copyWindow[T Float](big, small []T, n, h, w, bh, bw int, toSmall bool) {
	for k := 0; k < n; k++ {
		for i := 0; i < h; i++ {
			b := big[(k*bh+i)*bw : (k*bh+i)*bw+w]
			s := small[(k*h+i)*w : (k*h+i)*w+w]
			if toSmall {
				for j, v := range b {
					s[j] += v
				}
			} else {
				for j, v := range s {
					b[j] += v
				}
			}
		}
	}
}
