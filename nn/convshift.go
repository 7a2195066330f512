package nn

import "github.com/pdekit/pdekit/internal/parallel"

// shiftGeom is the geometry of a 2-D convolution computed without im2col
// (the "shift" form). The input is copied once into a padded, phase-split
// layout: for stride s, padded point (py, px) goes to phase
// (py mod s, px mod s) at (py/s, px/s) of that phase's hq x wq grid, and a
// channel holds its s*s phases one after the other, each over the whole
// batch. Kernel tap (ki, kj) then reads, for output point (oy, ox), phase
// (ki mod s, kj mod s) at (oy + ki/s, ox + kj/s): a constant shift of the
// flattened index, so the output is the sum over taps of W_tap [cout, cin]
// times a shifted view, one product per tap and no column matrix kh*kw
// times the input's size. Output columns at the phase grid's unused
// indices are computed and dropped. Stride 1 is the one-phase case.
type shiftGeom struct {
	bs, c, h, w    int // batch, channels and grid of the convolution's input
	kh, kw, s, p   int
	mode           PadMode
	hp, wp         int   // the padded grid
	hq, wq         int   // one phase's grid, ceil(hp/s) x ceil(wp/s)
	plane, l       int   // hq*wq, and bs*plane: one phase of one channel
	ld             int   // s*s*l: one channel of the layout
	ho, wo         int   // the output grid
	lq             int   // output columns every tap's view covers
	rowMap, colMap []int // padded coordinate -> input coordinate, or -1
	// For column phase phx, the phase columns qlo[phx] <= qx < qhi[phx]
	// read input column qx*s + phx - p, inside the input: the interior,
	// which needs no padding map.
	qlo, qhi []int
}

func newShiftGeom(bs, c, h, w, kh, kw, s, p int, mode PadMode) *shiftGeom {
	g := &shiftGeom{bs: bs, c: c, h: h, w: w, kh: kh, kw: kw, s: s, p: p, mode: mode}
	g.hp, g.wp = h+2*p, w+2*p
	g.hq, g.wq = (g.hp+s-1)/s, (g.wp+s-1)/s
	g.plane = g.hq * g.wq
	g.l = bs * g.plane
	g.ld = s * s * g.l
	g.ho, g.wo = (g.hp-kh)/s+1, (g.wp-kw)/s+1
	g.lq = g.l - ((kh-1)/s*g.wq + (kw-1)/s)
	g.rowMap, g.colMap = make([]int, g.hp), make([]int, g.wp)
	for i := range g.rowMap {
		g.rowMap[i] = padIndex(i-p, h, mode)
	}
	for i := range g.colMap {
		g.colMap[i] = padIndex(i-p, w, mode)
	}
	g.qlo, g.qhi = make([]int, s), make([]int, s)
	for phx := 0; phx < s; phx++ {
		// p <= qx*s + phx <= p + w - 1
		lo := 0
		if p > phx {
			lo = (p - phx + s - 1) / s
		}
		hi := min(g.wq, (p+w-1-phx)/s+1)
		g.qlo[phx], g.qhi[phx] = lo, max(lo, hi)
	}
	return g
}

// tap returns where tap t's view starts in a channel of the layout.
func (g *shiftGeom) tap(t int) int {
	ki, kj := t/g.kw, t%g.kw
	return ((ki%g.s)*g.s+kj%g.s)*g.l + (ki/g.s)*g.wq + kj/g.s
}

// shiftPack writes x [bs, c, h, w] into the layout xp [c, ld], padding by
// the geometry's mode; every element of xp is written (zeros where the
// phase grids overhang the padded grid).
func shiftPack[T Float](g *shiftGeom, xp, x []T) {
	parallel.For(g.c*g.bs, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			c, bi := r/g.bs, r%g.bs
			src := x[(bi*g.c+c)*g.h*g.w:][:g.h*g.w]
			for ph := 0; ph < g.s*g.s; ph++ {
				phy, phx := ph/g.s, ph%g.s
				dst := xp[c*g.ld+ph*g.l+bi*g.plane:][:g.plane]
				for qy := 0; qy < g.hq; qy++ {
					row := dst[qy*g.wq:][:g.wq]
					iy := -1
					if py := qy*g.s + phy; py < g.hp {
						iy = g.rowMap[py]
					}
					if iy < 0 {
						clear(row)
						continue
					}
					in := src[iy*g.w:][:g.w]
					lo, hi := g.qlo[phx], g.qhi[phx]
					if g.s == 1 {
						copy(row[lo:hi], in)
					} else {
						dst := row[lo:hi]
						src := in[lo*g.s+phx-g.p:]
						for k := range dst {
							dst[k] = src[k*g.s]
						}
					}
					for qx := 0; qx < lo; qx++ {
						row[qx] = at(in, g.colMap[qx*g.s+phx])
					}
					for qx := hi; qx < g.wq; qx++ {
						ix := -1
						if px := qx*g.s + phx; px < g.wp {
							ix = g.colMap[px]
						}
						row[qx] = at(in, ix)
					}
				}
			}
		}
	})
}

// shiftFold adds the layout dxp [c, ld] onto dx [bs, c, h, w]: the adjoint
// of shiftPack (a halo point adds onto the point it copied).
func shiftFold[T Float](g *shiftGeom, dx, dxp []T) {
	parallel.For(g.c*g.bs, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			c, bi := r/g.bs, r%g.bs
			dst := dx[(bi*g.c+c)*g.h*g.w:][:g.h*g.w]
			for ph := 0; ph < g.s*g.s; ph++ {
				phy, phx := ph/g.s, ph%g.s
				src := dxp[c*g.ld+ph*g.l+bi*g.plane:][:g.plane]
				for qy := 0; qy < g.hq; qy++ {
					py := qy*g.s + phy
					if py >= g.hp {
						break
					}
					iy := g.rowMap[py]
					if iy < 0 {
						continue
					}
					out, row := dst[iy*g.w:][:g.w], src[qy*g.wq:][:g.wq]
					lo, hi := g.qlo[phx], g.qhi[phx]
					if g.s == 1 {
						in := row[lo:hi]
						out := out[:len(in)]
						for i, v := range in {
							out[i] += v
						}
					} else {
						in := row[lo:hi]
						out := out[lo*g.s+phx-g.p:]
						for k, v := range in {
							out[k*g.s] += v
						}
					}
					for qx := 0; qx < lo; qx++ {
						if ix := g.colMap[qx*g.s+phx]; ix >= 0 {
							out[ix] += row[qx]
						}
					}
					for qx := hi; qx < g.wq; qx++ {
						px := qx*g.s + phx
						if px >= g.wp {
							break
						}
						if ix := g.colMap[px]; ix >= 0 {
							out[ix] += row[qx]
						}
					}
				}
			}
		}
	})
}

// shiftScatter writes y [bs, co, ho, wo] into the output layout yp
// [co, l], zero at the dropped columns.
func shiftScatter[T Float](g *shiftGeom, co int, yp, y []T) {
	parallel.For(g.bs*co, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			bi, o := r/co, r%co
			dst := yp[o*g.l+bi*g.plane:][:g.plane]
			src := y[r*g.ho*g.wo:][:g.ho*g.wo]
			for oy := 0; oy < g.ho; oy++ {
				row := dst[oy*g.wq:][:g.wq]
				copy(row, src[oy*g.wo:(oy+1)*g.wo])
				clear(row[g.wo:])
			}
			clear(dst[g.ho*g.wq:])
		}
	})
}

// shiftGather sets (or with add, adds to) y [bs, co, ho, wo] the output
// layout yp [co, l] plus bias[o] (bias nil: none).
func shiftGather[T Float](g *shiftGeom, co int, y, yp, bias []T, add bool) {
	parallel.For(g.bs*co, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			bi, o := r/co, r%co
			var bv T
			if bias != nil {
				bv = bias[o]
			}
			src := yp[o*g.l+bi*g.plane:]
			dst := y[r*g.ho*g.wo:][:g.ho*g.wo]
			for oy := 0; oy < g.ho; oy++ {
				out, in := dst[oy*g.wo:(oy+1)*g.wo], src[oy*g.wq:][:g.wo]
				if add {
					for i, v := range in {
						out[i] += v + bv
					}
				} else {
					for i, v := range in {
						out[i] = v + bv
					}
				}
			}
		}
	})
}

// tapMajor returns the weights w [a, b, kh*kw] as taps [kh*kw][a, b]
// (transposed to [b, a] with trans), in a tape buffer.
func tapMajor[T Float](tp *Tape[T], w []T, a, b, taps int, trans bool) []T {
	wt := tp.bufRaw(taps * a * b)
	for i := 0; i < a; i++ {
		for j := 0; j < b; j++ {
			src := w[(i*b+j)*taps:][:taps]
			for t, v := range src {
				if trans {
					wt[(t*b+j)*a+i] = v
				} else {
					wt[(t*a+i)*b+j] = v
				}
			}
		}
	}
	return wt
}

// addTapMajor adds the tap-major gradient dwt [kh*kw][a, b] onto gw
// [a, b, kh*kw].
func addTapMajor[T Float](gw, dwt []T, a, b, taps int) {
	for i := 0; i < a; i++ {
		for j := 0; j < b; j++ {
			dst := gw[(i*b+j)*taps:][:taps]
			for t := range dst {
				dst[t] += dwt[(t*a+i)*b+j]
			}
		}
	}
}

// conv2dShift is Conv2d in the shift form (see shiftGeom), any stride.
func (tp *Tape[T]) conv2dShift(x, w, b *Tensor[T], o Conv2dOpts) *Tensor[T] {
	bs, cin, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	cout, kh, kw := w.Shape[0], w.Shape[2], w.Shape[3]
	g := newShiftGeom(bs, cin, h, wd, kh, kw, max(o.Stride, 1), o.Padding, o.Mode)
	inputs := []*Tensor[T]{x, w}
	var bias []T
	if b != nil {
		inputs, bias = append(inputs, b), b.Data
	}
	y := tp.outRaw([]int{bs, cout, g.ho, g.wo}, inputs...)
	xp := tp.bufRaw(cin * g.ld)
	shiftPack(g, xp, x.Data)
	taps := kh * kw
	wt := tapMajor(tp, w.Data, cout, cin, taps, false)
	yp := tp.bufRaw(cout * g.l) // the gather reads only the columns the products write
	for t := 0; t < taps; t++ {
		beta := T(1)
		if t == 0 {
			beta = 0
		}
		gemm(false, false, cout, g.lq, cin, 1, wt[t*cout*cin:], cin, xp[g.tap(t):], g.ld, beta, yp, g.l)
	}
	shiftGather(g, cout, y.Data, yp, bias, false)
	tp.record(y, func() {
		dy := y.Grad
		if dy == nil {
			return
		}
		dyp := yp
		shiftScatter(g, cout, dyp, dy)
		if b != nil && b.needGrad {
			addRowSums(tp.grad(b), dyp, cout, g.l)
		}
		if w.needGrad {
			dwt := tp.bufRaw(taps * cout * cin)
			for t := 0; t < taps; t++ {
				gemm(false, true, cout, cin, g.lq, 1, dyp, g.l, xp[g.tap(t):], g.ld, 0, dwt[t*cout*cin:], cin)
			}
			addTapMajor(tp.grad(w), dwt, cout, cin, taps)
		}
		if !x.needGrad {
			return
		}
		dxp := xp
		clear(dxp)
		for t := 0; t < taps; t++ {
			gemm(true, false, cin, g.lq, cout, 1, wt[t*cout*cin:], cin, dyp, g.l, 1, dxp[g.tap(t):], g.ld)
		}
		shiftFold(g, tp.grad(x), dxp)
	})
	return y
}

// convTranspose2dShift is ConvTranspose2d as the adjoint of the shift-form
// convolution from its output grid to its input grid.
func (tp *Tape[T]) convTranspose2dShift(x, w, b *Tensor[T], s, p, ho, wo int) *Tensor[T] {
	bs, cin, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	cout, kh, kw := w.Shape[1], w.Shape[2], w.Shape[3]
	// g is the convolution this one is the adjoint of: cout channels on
	// the ho x wo grid to cin channels on the h x wd grid.
	g := newShiftGeom(bs, cout, ho, wo, kh, kw, s, p, PadZeros)
	if g.ho != h || g.wo != wd {
		panic("nn: ConvTranspose2d geometry") // (ho + 2p - kh)/s + 1 = h by construction
	}
	inputs := []*Tensor[T]{x, w}
	if b != nil {
		inputs = append(inputs, b)
	}
	taps := kh * kw
	// The adjoint convolution's tap weights [cin, cout] are w's own.
	wt := tapMajor(tp, w.Data, cin, cout, taps, false)
	xs := tp.bufRaw(cin * g.l)
	shiftScatter(g, cin, xs, x.Data)
	big := tp.buf(cout * g.ld)
	for t := 0; t < taps; t++ {
		gemm(true, false, cout, g.lq, cin, 1, wt[t*cin*cout:], cout, xs, g.l, 1, big[g.tap(t):], g.ld)
	}
	y := tp.out([]int{bs, cout, ho, wo}, inputs...)
	shiftFold(g, y.Data, big)
	if b != nil {
		addChannelBias(y.Data, b.Data, bs, ho*wo)
	}
	tp.record(y, func() {
		dy := y.Grad
		if dy == nil {
			return
		}
		if b != nil && b.needGrad {
			addChannelSums(tp.grad(b), dy, bs, ho*wo)
		}
		dyp := big
		shiftPack(g, dyp, dy)
		if w.needGrad {
			dwt := tp.bufRaw(taps * cin * cout)
			for t := 0; t < taps; t++ {
				gemm(false, true, cin, cout, g.lq, 1, xs, g.l, dyp[g.tap(t):], g.ld, 0, dwt[t*cin*cout:], cout)
			}
			addTapMajor(tp.grad(w), dwt, cin, cout, taps)
		}
		if x.needGrad {
			prod := xs
			for t := 0; t < taps; t++ {
				beta := T(1)
				if t == 0 {
					beta = 0
				}
				gemm(false, false, cin, g.lq, cout, 1, wt[t*cin*cout:], cout, dyp[g.tap(t):], g.ld, beta, prod, g.l)
			}
			shiftGather(g, cin, tp.grad(x), prod, nil, true)
		}
	})
	return y
}

// conv1x1 is Conv2d or Conv3d with a 1x1(x1) kernel, stride 1 and no
// padding: per sample one product W [cout, cin] x_b [cin, points], on the
// tensors themselves (no copy of the input, no work buffer).
func (tp *Tape[T]) conv1x1(x, w, b *Tensor[T]) *Tensor[T] {
	bs, cin, hw := x.Shape[0], x.Shape[1], size(x.Shape[2:])
	cout := w.Shape[0]
	inputs := []*Tensor[T]{x, w}
	if b != nil {
		inputs = append(inputs, b)
	}
	y := tp.outRaw(append([]int{bs, cout}, x.Shape[2:]...), inputs...)
	// The products split themselves across the pool (gemm); the loops
	// around them stay serial, as the pool does not nest.
	for bi := 0; bi < bs; bi++ {
		gemm(false, false, cout, hw, cin, 1, w.Data, cin, x.Data[bi*cin*hw:], hw, 0, y.Data[bi*cout*hw:], hw)
	}
	if b != nil {
		addChannelBias(y.Data, b.Data, bs, hw)
	}
	tp.record(y, func() {
		dy := y.Grad
		if dy == nil {
			return
		}
		if b != nil && b.needGrad {
			addChannelSums(tp.grad(b), dy, bs, hw)
		}
		if w.needGrad {
			gw := tp.grad(w)
			for bi := 0; bi < bs; bi++ {
				gemm(false, true, cout, cin, hw, 1, dy[bi*cout*hw:], hw, x.Data[bi*cin*hw:], hw, 1, gw, cin)
			}
		}
		if x.needGrad {
			dx := tp.grad(x)
			for bi := 0; bi < bs; bi++ {
				gemm(true, false, cin, hw, cout, 1, w.Data, cin, dy[bi*cout*hw:], hw, 1, dx[bi*cin*hw:], hw)
			}
		}
	})
	return y
}

// addChannelBias adds bias[c] to every point of channel c of y [bs, C, n].
func addChannelBias[T Float](y, bias []T, bs, n int) {
	c := len(bias)
	parallel.For(bs*c, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			bv := bias[r%c]
			row := y[r*n : (r+1)*n]
			for i := range row {
				row[i] += bv
			}
		}
	})
}

// addChannelSums adds to db[c] the sum of channel c of dy [bs, C, n]
// over the batch and the points: a channel bias's gradient.
func addChannelSums[T Float](db, dy []T, bs, n int) {
	c := len(db)
	for bi := 0; bi < bs; bi++ {
		addRowSums(db, dy[bi*c*n:], c, n)
	}
}
