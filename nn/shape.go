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

// strided walks the n elements of a row-major shape in order and calls
// f(i, offs) with, for each operand k, the offset sum_a idx[a] strides[k][a]
// (a stride 0 broadcasts an axis). It works a row of the last axis at a
// time; f is called for every element.
func strided(shape []int, strides [][]int, f func(i int, offs []int)) {
	r := len(shape)
	n := size(shape)
	if n == 0 {
		return
	}
	idx := make([]int, r)
	offs := make([]int, len(strides))
	for i := 0; ; {
		f(i, offs)
		i++
		if i == n {
			return
		}
		for a := r - 1; a >= 0; a-- {
			idx[a]++
			for k := range offs {
				offs[k] += strides[k][a]
			}
			if idx[a] < shape[a] {
				break
			}
			for k := range offs {
				offs[k] -= strides[k][a] * shape[a]
			}
			idx[a] = 0
		}
	}
}

// rowStrides returns the row-major strides of shape.
func rowStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for a := len(shape) - 1; a >= 0; a-- {
		st[a] = s
		s *= shape[a]
	}
	return st
}

// Permute returns x with its axes reordered, axis a of the result being
// axis perm[a] of x (torch.permute), as a new row-major tensor.
func (tp *Tape[T]) Permute(x *Tensor[T], perm ...int) *Tensor[T] {
	r := len(x.Shape)
	seen := make([]bool, r)
	ok := len(perm) == r
	for _, p := range perm {
		ok = ok && p >= 0 && p < r && !seen[p]
		if ok {
			seen[p] = true
		}
	}
	if !ok {
		panic(fmt.Sprintf("nn: Permute of shape %v by %v", x.Shape, perm))
	}
	shape := make([]int, r)
	xs := rowStrides(x.Shape)
	st := make([]int, r) // x's stride along each axis of the result
	for a, p := range perm {
		shape[a], st[a] = x.Shape[p], xs[p]
	}
	y := tp.outRaw(shape, x)
	strided(shape, [][]int{st}, func(i int, offs []int) { y.Data[i] = x.Data[offs[0]] })
	tp.record(y, func() {
		if y.Grad == nil || !x.needGrad {
			return
		}
		g := tp.grad(x)
		strided(shape, [][]int{st}, func(i int, offs []int) { g[offs[0]] += y.Grad[i] })
	})
	return y
}

// Narrow returns the elements [start, start+n) of x along axis (a copy;
// torch.narrow).
func (tp *Tape[T]) Narrow(x *Tensor[T], axis, start, n int) *Tensor[T] {
	if axis < 0 || axis >= len(x.Shape) || start < 0 || n < 1 || start+n > x.Shape[axis] {
		panic(fmt.Sprintf("nn: Narrow of shape %v along axis %d from %d, %d elements", x.Shape, axis, start, n))
	}
	shape := append([]int(nil), x.Shape...)
	shape[axis] = n
	outer, inner := size(x.Shape[:axis]), size(x.Shape[axis+1:])
	row, w := x.Shape[axis]*inner, n*inner
	y := tp.outRaw(shape, x)
	for o := 0; o < outer; o++ {
		copy(y.Data[o*w:(o+1)*w], x.Data[o*row+start*inner:])
	}
	tp.record(y, func() {
		if y.Grad == nil || !x.needGrad {
			return
		}
		g := tp.grad(x)
		for o := 0; o < outer; o++ {
			gr := g[o*row+start*inner : o*row+start*inner+w]
			for i, v := range y.Grad[o*w : (o+1)*w] {
				gr[i] += v
			}
		}
	})
	return y
}

// AddBroadcast returns a + b for tensors of equal rank whose lengths agree
// on every axis or are 1 in one of them, which is then repeated (numpy's
// broadcasting): adding a positional encoding [1, C, ...] to a batch, or
// a last frame [..., 1] to every frame.
func (tp *Tape[T]) AddBroadcast(a, b *Tensor[T]) *Tensor[T] {
	r := len(a.Shape)
	ok := len(b.Shape) == r
	shape := make([]int, r)
	sa, sb := rowStrides(a.Shape), make([]int, r)
	if ok {
		sb = rowStrides(b.Shape)
	}
	for ax := 0; ok && ax < r; ax++ {
		na, nb := a.Shape[ax], b.Shape[ax]
		switch {
		case na == nb:
			shape[ax] = na
		case na == 1:
			shape[ax], sa[ax] = nb, 0
		case nb == 1:
			shape[ax], sb[ax] = na, 0
		default:
			ok = false
		}
	}
	if !ok {
		panic(fmt.Sprintf("nn: AddBroadcast of shapes %v and %v", a.Shape, b.Shape))
	}
	st := [][]int{sa, sb}
	y := tp.outRaw(shape, a, b)
	strided(shape, st, func(i int, offs []int) { y.Data[i] = a.Data[offs[0]] + b.Data[offs[1]] })
	tp.record(y, func() {
		if y.Grad == nil {
			return
		}
		for k, x := range []*Tensor[T]{a, b} {
			if x.needGrad {
				g := tp.grad(x)
				strided(shape, st, func(i int, offs []int) { g[offs[k]] += y.Grad[i] })
			}
		}
	})
	return y
}

// AvgPool2 returns the means of 2 x 2 (x 2) blocks of x [B, C, spatial...]
// with 2 or 3 spatial axes of even length (Keras' AveragePooling with
// pool size and stride 2).
func (tp *Tape[T]) AvgPool2(x *Tensor[T]) *Tensor[T] {
	in, out := pool2Shapes("AvgPool2", x.Shape, false)
	y := tp.out(out, x)
	w := T(1) / T(int(1)<<(len(in)-2))
	pool2Walk(in, out, func(o, i int) { y.Data[o] += w * x.Data[i] })
	tp.record(y, func() {
		if y.Grad == nil || !x.needGrad {
			return
		}
		g := tp.grad(x)
		pool2Walk(in, out, func(o, i int) { g[i] += w * y.Grad[o] })
	})
	return y
}

// Upsample2 repeats every point of x [B, C, spatial...] (2 or 3 spatial
// axes) into a 2 x 2 (x 2) block (Keras' UpSampling, nearest).
func (tp *Tape[T]) Upsample2(x *Tensor[T]) *Tensor[T] {
	big, small := pool2Shapes("Upsample2", x.Shape, true)
	y := tp.outRaw(big, x)
	pool2Walk(big, small, func(o, i int) { y.Data[i] = x.Data[o] })
	tp.record(y, func() {
		if y.Grad == nil || !x.needGrad {
			return
		}
		g := tp.grad(x)
		pool2Walk(big, small, func(o, i int) { g[o] += y.Grad[i] })
	})
	return y
}

// pool2Shapes returns the fine and coarse shapes ([B, C] included) of a
// factor-2 pooling of shape (up: shape is the coarse one).
func pool2Shapes(name string, shape []int, up bool) (fine, coarse []int) {
	d := len(shape) - 2
	if d != 2 && d != 3 {
		panic(fmt.Sprintf("nn: %s of shape %v, want [B, C] and 2 or 3 spatial axes", name, shape))
	}
	fine, coarse = append([]int(nil), shape...), append([]int(nil), shape...)
	for a := 2; a < len(shape); a++ {
		if up {
			fine[a] = 2 * shape[a]
		} else {
			if shape[a]%2 != 0 {
				panic(fmt.Sprintf("nn: %s of shape %v: the spatial lengths must be even", name, shape))
			}
			coarse[a] = shape[a] / 2
		}
	}
	return fine, coarse
}

// pool2Walk calls f(o, i) for every fine point i with o its coarse point.
func pool2Walk(fine, coarse []int, f func(o, i int)) {
	st := rowStrides(coarse)
	r := len(fine)
	idx := make([]int, r)
	n := size(fine)
	for i := 0; i < n; i++ {
		o := 0
		for a := 0; a < r; a++ {
			k := idx[a]
			if a >= 2 {
				k /= 2
			}
			o += k * st[a]
		}
		f(o, i)
		for a := r - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < fine[a] {
				break
			}
			idx[a] = 0
		}
	}
}
