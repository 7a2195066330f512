package nn

import (
	"fmt"

	"github.com/pdekit/pdekit/internal/parallel"
)

// PadMode is how a convolution extends its input beyond the edges.
type PadMode int

const (
	// PadZeros pads with zeros (PyTorch padding_mode="zeros").
	PadZeros PadMode = iota
	// PadCircular wraps around, for periodic domains ("circular").
	PadCircular
	// PadReflect mirrors without repeating the edge ("reflect").
	PadReflect
)

// Conv2dOpts are a 2-D convolution's stride, padding and padding mode;
// the zero value is stride 1, no padding.
type Conv2dOpts struct {
	Stride, Padding int
	Mode            PadMode
}

// padIndex maps a padded coordinate i (possibly outside 0..n-1) to the
// input coordinate it reads, or -1 for a zero.
func padIndex(i, n int, mode PadMode) int {
	if i >= 0 && i < n {
		return i
	}
	switch mode {
	case PadCircular:
		return ((i % n) + n) % n
	case PadReflect:
		if n == 1 {
			return 0
		}
		period := 2 * (n - 1)
		i = ((i % period) + period) % period
		if i >= n {
			i = period - i
		}
		return i
	}
	return -1
}

// Conv2d returns the 2-D cross-correlation of x [B, Cin, H, W] with w
// [Cout, Cin, kh, kw] plus bias b [Cout] (or nil), PyTorch's nn.Conv2d:
// the output is [B, Cout, Ho, Wo] with Ho = (H + 2 pad - kh)/stride + 1.
// It runs as one OpenBLAS product per kernel tap on shifted views of a
// padded, phase-split copy of the input (see shiftGeom).
func (tp *Tape[T]) Conv2d(x, w, b *Tensor[T], o Conv2dOpts) *Tensor[T] {
	if len(x.Shape) != 4 || len(w.Shape) != 4 || x.Shape[1] != w.Shape[1] {
		panic(fmt.Sprintf("nn: Conv2d of input %v with weight %v; want [B, Cin, H, W] and [Cout, Cin, kh, kw]", x.Shape, w.Shape))
	}
	if (o.Mode == PadZeros || (o.Padding < x.Shape[2] && o.Padding < x.Shape[3])) &&
		x.Shape[2]+2*o.Padding >= w.Shape[2] && x.Shape[3]+2*o.Padding >= w.Shape[3] {
		if b != nil && len(b.Data) != w.Shape[0] {
			panic(fmt.Sprintf("nn: convolution bias of shape %v for %d channels", b.Shape, w.Shape[0]))
		}
		if w.Shape[2] == 1 && w.Shape[3] == 1 && o.Stride <= 1 && o.Padding == 0 {
			return tp.conv1x1(x, w, b)
		}
		return tp.conv2dShift(x, w, b, o)
	}
	return tp.convND(x, w, b, o, []int{1, x.Shape[2], x.Shape[3]}, []int{1, w.Shape[2], w.Shape[3]})
}

// Conv3d is Conv2d in three dimensions: x [B, Cin, D, H, W], w [Cout, Cin,
// kd, kh, kw], the same stride and padding on every axis.
func (tp *Tape[T]) Conv3d(x, w, b *Tensor[T], o Conv2dOpts) *Tensor[T] {
	if len(x.Shape) != 5 || len(w.Shape) != 5 || x.Shape[1] != w.Shape[1] {
		panic(fmt.Sprintf("nn: Conv3d of input %v with weight %v; want [B, Cin, D, H, W] and [Cout, Cin, kd, kh, kw]", x.Shape, w.Shape))
	}
	if w.Shape[2] == 1 && w.Shape[3] == 1 && w.Shape[4] == 1 && o.Stride <= 1 && o.Padding == 0 && (b == nil || len(b.Data) == w.Shape[0]) {
		return tp.conv1x1(x, w, b)
	}
	return tp.convND(x, w, b, o, x.Shape[2:], w.Shape[2:])
}

// convND is the convolution on a (depth, height, width) grid; a 2-D one
// has depth 1, a 1-deep kernel, and no stride or padding in depth.
func (tp *Tape[T]) convND(x, w, b *Tensor[T], o Conv2dOpts, in, ker []int) *Tensor[T] {
	s := max(o.Stride, 1)
	p := o.Padding
	twoD := len(x.Shape) == 4
	bs, cin, cout := x.Shape[0], x.Shape[1], w.Shape[0]
	g := im2col[T]{cin: cin, d: in[0], h: in[1], w: in[2], kd: ker[0], kh: ker[1], kw: ker[2], s: s, p: p, ds: s, dp: p, mode: o.Mode}
	if twoD {
		g.ds, g.dp = 1, 0
	}
	for a, v := range in {
		if o.Mode != PadZeros && (a > 0 || !twoD) && p >= v {
			panic(fmt.Sprintf("nn: convolution padding %d (mode %d) of an input of %v", p, o.Mode, in))
		}
	}
	g.od = (g.d+2*g.dp-g.kd)/g.ds + 1
	g.ho, g.wo = (g.h+2*p-g.kh)/s+1, (g.w+2*p-g.kw)/s+1
	if g.od < 1 || g.ho < 1 || g.wo < 1 {
		panic(fmt.Sprintf("nn: convolution of an input of %v with a kernel of %v, padding %d: empty output", in, ker, p))
	}
	inputs := []*Tensor[T]{x, w}
	if b != nil {
		if len(b.Data) != cout {
			panic(fmt.Sprintf("nn: convolution bias of shape %v for %d channels", b.Shape, cout))
		}
		inputs = append(inputs, b)
	}
	outShape := []int{bs, cout, g.od, g.ho, g.wo}
	if twoD {
		outShape = []int{bs, cout, g.ho, g.wo}
	}
	y := tp.outRaw(outShape, inputs...)
	k := cin * g.kd * g.kh * g.kw
	n := g.od * g.ho * g.wo
	isz := cin * g.d * g.h * g.w
	ld := bs * n // the columns of all samples side by side: one product
	g.ld = ld
	g.maps()
	cols := tp.bufRaw(k * ld) // im2col writes every element
	for bi := 0; bi < bs; bi++ {
		g.x, g.cols = x.Data[bi*isz:(bi+1)*isz], cols[bi*n:]
		parallel.Run(parallel.Parts(k*n, 1<<15), &g)
	}
	// prod is [cout, bs*n]; y is [bs, cout, n].
	prod := tp.bufRaw(cout * ld)
	gemm(false, false, cout, ld, k, 1, w.Data, k, cols, ld, 0, prod, ld)
	parallel.For(bs*cout, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			bi, co := r/cout, r%cout
			var bv T
			if b != nil {
				bv = b.Data[co]
			}
			dst := y.Data[r*n : (r+1)*n]
			for i, v := range prod[co*ld+bi*n : co*ld+(bi+1)*n] {
				dst[i] = v + bv
			}
		}
	})
	tp.record(y, func() {
		dy := y.Grad
		if dy == nil {
			return
		}
		// dyT is dy as [cout, bs*n], the layout of prod.
		dyT := prod
		parallel.For(bs*cout, 1, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				bi, co := r/cout, r%cout
				copy(dyT[co*ld+bi*n:co*ld+(bi+1)*n], dy[r*n:(r+1)*n])
			}
		})
		if b != nil && b.needGrad {
			addRowSums(tp.grad(b), dyT, cout, ld)
		}
		if w.needGrad {
			gemm(false, true, cout, k, ld, 1, dyT, ld, cols, ld, 1, tp.grad(w), k)
		}
		if x.needGrad {
			dcols := cols // the forward's columns are no longer needed
			gemm(true, false, k, ld, cout, 1, w.Data, k, dyT, ld, 0, dcols, ld)
			dx := tp.grad(x)
			for bi := 0; bi < bs; bi++ {
				c := col2im[T]{im2col: g, dx: dx[bi*isz : (bi+1)*isz], dcols: dcols[bi*n:]}
				parallel.Run(parallel.Parts(k*n, 1<<15), &c)
			}
		}
	})
	return y
}

// addRowSums adds to dst[r] the sum of row r of the rows x n matrix m,
// accumulated in float64: a bias gradient.
func addRowSums[T Float](dst, m []T, rows, n int) {
	for r := 0; r < rows; r++ {
		var s float64
		for _, v := range m[r*n : (r+1)*n] {
			s += float64(v)
		}
		dst[r] += T(s)
	}
}

// im2col lays the receptive fields of one sample out as the columns of a
// [cin*kd*kh*kw, od*ho*wo] matrix (row stride ld), through precomputed
// padded-index maps; a 2-D geometry has depth 1.
type im2col[T Float] struct {
	cin, d, h, w, kd, kh, kw, od, ho, wo int
	s, p                                 int // stride and padding in height and width
	ds, dp                               int // stride and padding in depth
	mode                                 PadMode
	ld                                   int   // row stride of cols
	depMap, rowMap, colMap               []int // input depth, row, column per (kernel, output) index, -1 for zero
	x, cols                              []T
}

func (g *im2col[T]) maps() {
	build := func(k, o, n, s, p int) []int {
		m := make([]int, k*o)
		for kk := 0; kk < k; kk++ {
			for oo := 0; oo < o; oo++ {
				m[kk*o+oo] = padIndex(oo*s-p+kk, n, g.mode)
			}
		}
		return m
	}
	g.depMap = build(g.kd, g.od, g.d, g.ds, g.dp)
	g.rowMap = build(g.kh, g.ho, g.h, g.s, g.p)
	g.colMap = build(g.kw, g.wo, g.w, g.s, g.p)
}

// Do fills the rows (channel, kz, ki, kj) of part of the channels.
func (g *im2col[T]) Do(part, parts int) {
	lo, hi := parallel.Range(g.cin, part, parts)
	n := g.od * g.ho * g.wo
	plane := g.h * g.w
	for c := lo; c < hi; c++ {
		xc := g.x[c*g.d*plane : (c+1)*g.d*plane]
		for kz := 0; kz < g.kd; kz++ {
			for ki := 0; ki < g.kh; ki++ {
				for kj := 0; kj < g.kw; kj++ {
					row := g.cols[(((c*g.kd+kz)*g.kh+ki)*g.kw+kj)*g.ld:][:n]
					cm := g.colMap[kj*g.wo : (kj+1)*g.wo]
					clo, chi := g.contiguous(kj)
					for oz := 0; oz < g.od; oz++ {
						iz := g.depMap[kz*g.od+oz]
						for oy := 0; oy < g.ho; oy++ {
							iy := g.rowMap[ki*g.ho+oy]
							out := row[(oz*g.ho+oy)*g.wo : (oz*g.ho+oy+1)*g.wo]
							if iz < 0 || iy < 0 {
								clear(out)
								continue
							}
							xr := xc[iz*plane+iy*g.w : iz*plane+(iy+1)*g.w]
							if chi > clo {
								// Stride 1 inside the input: one copy.
								copy(out[clo:chi], xr[cm[clo]:cm[clo]+chi-clo])
							} else if slo, shi := g.strided(kj); shi > slo {
								// Zero padding: a strided gather inside,
								// zeros outside.
								clear(out[:slo])
								clear(out[shi:])
								st := g.s
								src := xr[cm[slo]:]
								for ox := range out[slo:shi] {
									out[slo+ox] = src[ox*st]
								}
								continue
							}
							for ox := 0; ox < clo; ox++ {
								out[ox] = at(xr, cm[ox])
							}
							for ox := max(chi, clo); ox < g.wo; ox++ {
								out[ox] = at(xr, cm[ox])
							}
						}
					}
				}
			}
		}
	}
}

// at returns xr[i], or 0 for the padding index -1.
func at[T Float](xr []T, i int) T {
	if i < 0 {
		return 0
	}
	return xr[i]
}

// contiguous returns the range [lo, hi) of output columns whose input
// columns for kernel column kj are consecutive and inside the input
// (stride 1, away from the padding); empty otherwise.
func (g *im2col[T]) contiguous(kj int) (lo, hi int) {
	if g.s != 1 {
		return 0, 0
	}
	lo = max(0, g.p-kj)
	hi = min(g.wo, g.w+g.p-kj)
	if hi < lo {
		return 0, 0
	}
	return lo, hi
}

// strided returns the range [lo, hi) of output columns whose input column
// for kernel column kj lies inside the input, for a strided convolution
// with zero padding (empty otherwise): the columns a gather reads.
func (g *im2col[T]) strided(kj int) (lo, hi int) {
	if g.s == 1 || g.mode != PadZeros {
		return 0, 0
	}
	// ix = s ox - p + kj in [0, w).
	lo = max(0, (g.p-kj+g.s-1)/g.s)
	hi = min(g.wo, (g.w-1+g.p-kj)/g.s+1)
	if hi < lo {
		return 0, 0
	}
	return lo, hi
}

// col2im adds the columns' gradients back onto the input gradient; each
// part owns whole channels, so no two parts write the same element.
type col2im[T Float] struct {
	im2col[T]
	dx, dcols []T
}

func (g *col2im[T]) Do(part, parts int) {
	lo, hi := parallel.Range(g.cin, part, parts)
	n := g.od * g.ho * g.wo
	plane := g.h * g.w
	for c := lo; c < hi; c++ {
		dxc := g.dx[c*g.d*plane : (c+1)*g.d*plane]
		for kz := 0; kz < g.kd; kz++ {
			for ki := 0; ki < g.kh; ki++ {
				for kj := 0; kj < g.kw; kj++ {
					row := g.dcols[(((c*g.kd+kz)*g.kh+ki)*g.kw+kj)*g.ld:][:n]
					cm := g.colMap[kj*g.wo : (kj+1)*g.wo]
					for oz := 0; oz < g.od; oz++ {
						iz := g.depMap[kz*g.od+oz]
						for oy := 0; oy < g.ho; oy++ {
							iy := g.rowMap[ki*g.ho+oy]
							if iz < 0 || iy < 0 {
								continue
							}
							in := row[(oz*g.ho+oy)*g.wo : (oz*g.ho+oy+1)*g.wo]
							dr := dxc[iz*plane+iy*g.w : iz*plane+(iy+1)*g.w]
							if slo, shi := g.strided(kj); shi > slo {
								st := g.s
								dst := dr[cm[slo]:]
								for ox, v := range in[slo:shi] {
									dst[ox*st] += v
								}
								continue
							}
							for ox, ix := range cm {
								if ix >= 0 {
									dr[ix] += in[ox]
								}
							}
						}
					}
				}
			}
		}
	}
}

// ConvTranspose2d returns the transposed convolution (the adjoint of
// Conv2d with the same stride and padding) of x [B, Cin, H, W] with w
// [Cin, Cout, kh, kw] (PyTorch's ConvTranspose2d layout) plus bias b
// [Cout] or nil: the output is [B, Cout, (H-1) s - 2p + kh, (W-1) s - 2p + kw].
// Padding is zeros, as PyTorch's.
func (tp *Tape[T]) ConvTranspose2d(x, w, b *Tensor[T], stride, padding int) *Tensor[T] {
	if len(x.Shape) != 4 || len(w.Shape) != 4 || x.Shape[1] != w.Shape[0] {
		panic(fmt.Sprintf("nn: ConvTranspose2d of input %v with weight %v; want [B, Cin, H, W] and [Cin, Cout, kh, kw]", x.Shape, w.Shape))
	}
	s := max(stride, 1)
	h, wd := x.Shape[2], x.Shape[3]
	cout, kh, kw := w.Shape[1], w.Shape[2], w.Shape[3]
	ho, wo := (h-1)*s-2*padding+kh, (wd-1)*s-2*padding+kw
	if ho < 1 || wo < 1 {
		panic(fmt.Sprintf("nn: ConvTranspose2d of a %dx%d input with a %dx%d kernel, padding %d: empty output", h, wd, kh, kw, padding))
	}
	if b != nil && len(b.Data) != cout {
		panic(fmt.Sprintf("nn: ConvTranspose2d bias of shape %v for %d channels", b.Shape, cout))
	}
	if padding < 0 {
		panic(fmt.Sprintf("nn: ConvTranspose2d padding %d", padding))
	}
	return tp.convTranspose2dShift(x, w, b, s, padding, ho, wo)
}
