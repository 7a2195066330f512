package nn

import "github.com/pdekit/pdekit/internal/parallel"

// conv2dShift is the stride-1 2-D convolution without im2col: the input
// is copied once into a padded layout xp [cin, B*Hp*Wp] (Hp = H+2p,
// Wp = W+2p, the halo filled by the padding mode), where kernel tap
// (ki, kj) is a constant shift off = ki*Wp + kj of the flattened index.
// The output at padded index q is then sum over taps of
// W_tap [cout, cin] times xp[:, q+off]: one product per tap on a shifted
// view, no 9x-larger column matrix. Outputs at the padded grid's unused
// indices are computed and dropped.
func (tp *Tape[T]) conv2dShift(x, w, b *Tensor[T], mode PadMode, p int) *Tensor[T] {
	bs, cin, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	cout, kh, kw := w.Shape[0], w.Shape[2], w.Shape[3]
	hp, wp := h+2*p, wd+2*p
	ho, wo := hp-kh+1, wp-kw+1
	plane := hp * wp
	l := bs * plane
	lq := l - ((kh-1)*wp + (kw - 1)) // columns every tap can read
	inputs := []*Tensor[T]{x, w}
	if b != nil {
		inputs = append(inputs, b)
	}
	y := tp.outRaw([]int{bs, cout, ho, wo}, inputs...)
	// Padded input, channel-major over the whole batch (every element
	// written below).
	xp := tp.bufRaw(cin * l)
	rowMap := make([]int, hp)
	colMap := make([]int, wp)
	for i := range rowMap {
		rowMap[i] = padIndex(i-p, h, mode)
	}
	for i := range colMap {
		colMap[i] = padIndex(i-p, wd, mode)
	}
	parallel.For(cin*bs, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			c, bi := r/bs, r%bs
			src := x.Data[(bi*cin+c)*h*wd:]
			dst := xp[c*l+bi*plane:]
			for py, iy := range rowMap {
				out := dst[py*wp : (py+1)*wp]
				if iy < 0 {
					clear(out)
					continue
				}
				in := src[iy*wd : (iy+1)*wd]
				copy(out[p:p+wd], in)
				for px := 0; px < p; px++ {
					out[px] = at(in, colMap[px])
					out[wp-1-px] = at(in, colMap[wp-1-px])
				}
			}
		}
	})
	// Per-tap weights [cout, cin].
	taps := kh * kw
	wt := tp.bufRaw(taps * cout * cin)
	for co := 0; co < cout; co++ {
		for ci := 0; ci < cin; ci++ {
			for t := 0; t < taps; t++ {
				wt[(t*cout+co)*cin+ci] = w.Data[(co*cin+ci)*taps+t]
			}
		}
	}
	yp := tp.bufRaw(cout * l) // the products write the columns the output reads
	for t := 0; t < taps; t++ {
		off := (t/kw)*wp + t%kw
		beta := T(1)
		if t == 0 {
			beta = 0
		}
		gemm(false, false, cout, lq, cin, 1, wt[t*cout*cin:], cin, xp[off:], l, beta, yp, l)
	}
	parallel.For(bs*cout, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			bi, co := r/cout, r%cout
			var bv T
			if b != nil {
				bv = b.Data[co]
			}
			src := yp[co*l+bi*plane:]
			dst := y.Data[r*ho*wo:]
			for oy := 0; oy < ho; oy++ {
				for ox, v := range src[oy*wp : oy*wp+wo] {
					dst[oy*wo+ox] = v + bv
				}
			}
		}
	})
	tp.record(y, func() {
		dy := y.Grad
		if dy == nil {
			return
		}
		// dy in the padded layout, zero at the dropped indices.
		dyp := yp
		clear(dyp)
		parallel.For(bs*cout, 1, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				bi, co := r/cout, r%cout
				dst := dyp[co*l+bi*plane:]
				src := dy[r*ho*wo:]
				for oy := 0; oy < ho; oy++ {
					copy(dst[oy*wp:oy*wp+wo], src[oy*wo:(oy+1)*wo])
				}
			}
		})
		if b != nil && b.needGrad {
			addRowSums(tp.grad(b), dyp, cout, l)
		}
		if w.needGrad {
			dwt := tp.buf(taps * cout * cin)
			for t := 0; t < taps; t++ {
				off := (t/kw)*wp + t%kw
				gemm(false, true, cout, cin, lq, 1, dyp, l, xp[off:], l, 0, dwt[t*cout*cin:], cin)
			}
			gw := tp.grad(w)
			for co := 0; co < cout; co++ {
				for ci := 0; ci < cin; ci++ {
					for t := 0; t < taps; t++ {
						gw[(co*cin+ci)*taps+t] += dwt[(t*cout+co)*cin+ci]
					}
				}
			}
		}
		if !x.needGrad {
			return
		}
		dxp := xp
		clear(dxp)
		for t := 0; t < taps; t++ {
			off := (t/kw)*wp + t%kw
			gemm(true, false, cin, lq, cout, 1, wt[t*cout*cin:], cin, dyp, l, 1, dxp[off:], l)
		}
		// Fold the padded gradient back: the halo onto the points it copied.
		dx := tp.grad(x)
		parallel.For(cin*bs, 1, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				c, bi := r/bs, r%bs
				dst := dx[(bi*cin+c)*h*wd:]
				src := dxp[c*l+bi*plane:]
				for py, iy := range rowMap {
					if iy < 0 {
						continue
					}
					for px, ix := range colMap {
						if ix >= 0 {
							dst[iy*wd+ix] += src[py*wp+px]
						}
					}
				}
			}
		})
	})
	return y
}
