package nn

import (
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"gonum.org/v1/gonum/blas"

	"github.com/pdekit/pdekit/fft"
	"github.com/pdekit/pdekit/internal/openblas"
	"github.com/pdekit/pdekit/internal/parallel"
)

// r2c is a cached real FFT of one shape in T, on interleaved (re, im)
// spectra so that generic code can do complex arithmetic on []T.
type r2c[T Float] struct {
	p64 *fft.R2C
	p32 *fft.R2C32
	n   int // real points
	nc  int // complex coefficients
}

var r2cCache sync.Map // shape and precision -> *r2c

// getR2C returns the cached real FFT of a 2-D or 3-D shape.
func getR2C[T Float](shape ...int) *r2c[T] {
	var zero T
	var key [5]int
	key[0], key[1] = int(unsafe.Sizeof(zero)), len(shape)
	copy(key[2:], shape)
	if v, ok := r2cCache.Load(key); ok {
		return v.(*r2c[T])
	}
	var err error
	t := &r2c[T]{}
	switch any(zero).(type) {
	case float64:
		t.p64, err = fft.NewR2C(shape...)
		if err == nil {
			t.n, t.nc = t.p64.Len()
		}
	case float32:
		t.p32, err = fft.NewR2C32(shape...)
		if err == nil {
			t.n, t.nc = t.p32.Len()
		}
	}
	if err != nil {
		panic(fmt.Sprintf("nn: spectral conv: %v", err))
	}
	v, _ := r2cCache.LoadOrStore(key, t)
	return v.(*r2c[T])
}

// forward transforms a batch of real fields into interleaved spectra.
func (t *r2c[T]) forward(dst, src []T) {
	switch s := any(src).(type) {
	case []float64:
		d := any(dst).([]float64)
		t.p64.Forward(unsafe.Slice((*complex128)(unsafe.Pointer(&d[0])), len(d)/2), s)
	case []float32:
		d := any(dst).([]float32)
		t.p32.Forward(unsafe.Slice((*complex64)(unsafe.Pointer(&d[0])), len(d)/2), s)
	}
}

// inverse transforms interleaved spectra back to real fields, divided by
// the number of points.
func (t *r2c[T]) inverse(dst, src []T) {
	switch s := any(src).(type) {
	case []float64:
		t.p64.Inverse(any(dst).([]float64), unsafe.Slice((*complex128)(unsafe.Pointer(&s[0])), len(s)/2))
	case []float32:
		t.p32.Inverse(any(dst).([]float32), unsafe.Slice((*complex64)(unsafe.Pointer(&s[0])), len(s)/2))
	}
}

// SpectralConv2d is the Fourier layer of the FNO (Li et al. 2021) in its
// original weight layout: x [B, Cin, H, W] is transformed by rfft2, the
// modes with row index in [0, m1) are multiplied by w1 and those in
// [H-m1, H) by w2 (both [Cin, Cout, m1, m2, 2], complex as (re, im)
// pairs, column index in [0, m2)), the other modes are dropped, and irfft2
// returns [B, Cout, H, W]. Spectra follow numpy's norm="backward", as the
// FNO code's torch.fft does.
func (tp *Tape[T]) SpectralConv2d(x, w1, w2 *Tensor[T]) *Tensor[T] {
	if len(x.Shape) != 4 || len(w1.Shape) != 5 || !slices.Equal(w1.Shape, w2.Shape) || w1.Shape[0] != x.Shape[1] || w1.Shape[4] != 2 {
		panic(fmt.Sprintf("nn: SpectralConv2d of input %v with weights %v and %v; want [B, Cin, H, W] and [Cin, Cout, m1, m2, 2]", x.Shape, w1.Shape, w2.Shape))
	}
	return tp.spectralConv("SpectralConv2d", x, x.Shape[3], []*Tensor[T]{w1, w2}, nil, 0, 0)
}

// SpectralConv3d is the Fourier layer of the FNO-3D (and of SFNO's
// space-time layers) in its weight layout: x [B, Cin, X, Y, T] is
// transformed by a 3-D rfft (the last axis halved), the modes of the four
// corner blocks x in [0, m1) or [X-m1, X), y in [0, m2) or [Y-m2, Y),
// t in [0, m3) are multiplied by w[0] (+x, +y), w[1] (-x, +y), w[2]
// (+x, -y) and w[3] (-x, -y) (each [Cin, Cout, m1, m2, m3, 2], complex as
// (re, im) pairs), the others are dropped, and the inverse 3-D rfft
// returns [B, Cout, X, Y, nt]. With nt = T it is the FNO-3D layer; another
// nt resamples the last axis as torch's irfftn(s=(X, Y, nt)) does (the
// half spectrum truncated or zero-padded, divided by X Y nt), SFNO's time
// resampling. Spectra follow numpy's norm="backward".
func (tp *Tape[T]) SpectralConv3d(x *Tensor[T], nt int, w [4]*Tensor[T]) *Tensor[T] {
	return tp.SpectralConv3dBias(x, nt, w, [4]*Tensor[T]{}, 0)
}

// SpectralConv3dBias is SpectralConv3d with SFNO's spectral bias: delta
// times b[k] ([m1, m2, m3, 2], complex) is added to the kept modes of
// block k of every output channel. Nil biases are none.
func (tp *Tape[T]) SpectralConv3dBias(x *Tensor[T], nt int, w, b [4]*Tensor[T], delta T) *Tensor[T] {
	return tp.spectralConv3d(x, nt, w, b, delta, 0)
}

// SpectralConv3dBiasDt is the derivative along the last axis of
// SpectralConv3dBias's output, taken in the spectral domain: the output
// is a trigonometric polynomial in that axis (period nt points), and mode
// k of it is multiplied by i k omega before the inverse transform, omega
// being 2 pi over the period in the caller's units (2 pi / (nt dt) for
// points dt apart). The Nyquist mode, whose derivative a real signal
// can not carry, is dropped. It is exact for the function the layer
// represents between its points, and costs what the layer does.
func (tp *Tape[T]) SpectralConv3dBiasDt(x *Tensor[T], nt int, w, b [4]*Tensor[T], delta, omega T) *Tensor[T] {
	return tp.spectralConv3d(x, nt, w, b, delta, omega)
}

func (tp *Tape[T]) spectralConv3d(x *Tensor[T], nt int, w, b [4]*Tensor[T], delta, omega T) *Tensor[T] {
	ok := len(x.Shape) == 5 && w[0] != nil && len(w[0].Shape) == 6 && w[0].Shape[0] == x.Shape[1] && w[0].Shape[5] == 2 && nt > 0
	for k := range w {
		ok = ok && w[k] != nil && slices.Equal(w[k].Shape, w[0].Shape) &&
			(b[k] == nil) == (b[0] == nil) && (b[k] == nil || slices.Equal(b[k].Shape, w[0].Shape[2:]))
	}
	if !ok {
		panic(fmt.Sprintf("nn: SpectralConv3d of input %v to length %d with weights %v and biases %v; want [B, Cin, X, Y, T], a positive length, four [Cin, Cout, m1, m2, m3, 2] and none or four [m1, m2, m3, 2]",
			x.Shape, nt, shapes(w[:]), shapes(b[:])))
	}
	var bs []*Tensor[T]
	if b[0] != nil {
		bs = b[:]
	}
	return tp.spectralConv("SpectralConv3d", x, nt, w[:], bs, delta, omega)
}

// shapes lists the tensors' shapes (nil for a missing one), for messages.
func shapes[T Float](ts []*Tensor[T]) [][]int {
	out := make([][]int, len(ts))
	for i, t := range ts {
		if t != nil {
			out[i] = t.Shape
		}
	}
	return out
}

// spectralConv is the Fourier layer on the d = len(x.Shape)-2 trailing
// axes of x [B, Cin, n...]: ws holds one weight [Cin, Cout, m..., 2] per
// corner block (2^(d-1) of them; bit j of a block's index selects the
// negative corner of axis j), and the output's last axis has nout points.
// bias, when not nil, holds one [m..., 2] per block, added times delta to
// the block's modes of every output channel. A nonzero omega multiplies
// each output mode by i k omega, k its last-axis index (the derivative
// along that axis; the Nyquist index gets 0).
func (tp *Tape[T]) spectralConv(name string, x *Tensor[T], nout int, ws, bias []*Tensor[T], delta, omega T) *Tensor[T] {
	d := len(x.Shape) - 2
	bs, cin := x.Shape[0], x.Shape[1]
	in := x.Shape[2:]
	out := append(slices.Clone(in[:d-1]), nout)
	cout, m := ws[0].Shape[1], ws[0].Shape[2:2+d]
	nin := in[d-1]
	for j := 0; j < d-1; j++ {
		if 2*m[j] > in[j] {
			panic(fmt.Sprintf("nn: %s with modes %v on a grid %v: the corners overlap", name, m, in))
		}
	}
	if m[d-1] > nin/2+1 || m[d-1] > nout/2+1 {
		panic(fmt.Sprintf("nn: %s with modes %v on a grid %v to %d points: more modes than the last axis has", name, m, in, nout))
	}
	fi, fo := getR2C[T](in...), getR2C[T](out...)
	nci, nco := 2*fi.nc, 2*fo.nc
	// The kept modes, block by block: mode p is at offsets atIn[p] and
	// atOut[p] of the input and output half spectra, with last-axis index
	// last[p]. Per mode the layer is a complex matrix product
	// Y[b, o] = sum_i X[b, i] W[i, o], done by BLAS (cgemm/zgemm) on
	// gathered [mode][row][col] arrays.
	nm := 1
	for _, v := range m {
		nm *= v
	}
	np := len(ws) * nm
	atIn, atOut, last := make([]int, np), make([]int, np), make([]int, np)
	for blk := range ws {
		for p := 0; p < nm; p++ {
			var idx [3]int
			for j, rem := d-1, p; j >= 0; j-- {
				idx[j], rem = rem%m[j], rem/m[j]
			}
			oi, oo := 0, 0
			for j := 0; j < d-1; j++ {
				r := idx[j]
				if blk>>j&1 == 1 {
					r += in[j] - m[j]
				}
				oi, oo = oi*in[j]+r, oo*in[j]+r
			}
			q := blk*nm + p
			atIn[q] = oi*(nin/2+1) + idx[d-1]
			atOut[q] = oo*(nout/2+1) + idx[d-1]
			last[q] = idx[d-1]
		}
	}
	xs := tp.bufRaw(bs * cin * nci)
	fi.forward(xs, x.Data)
	xg := tp.bufRaw(2 * np * bs * cin)   // X per mode [bs][cin]
	wg := tp.bufRaw(2 * np * cin * cout) // W per mode [cin][cout]
	yg := tp.bufRaw(2 * np * bs * cout)  // Y per mode [bs][cout]
	for b := 0; b < bs; b++ {
		for i := 0; i < cin; i++ {
			src := xs[(b*cin+i)*nci:]
			for p, k := range atIn {
				q := 2 * ((p*bs+b)*cin + i)
				xg[q], xg[q+1] = src[2*k], src[2*k+1]
			}
		}
	}
	for blk, wt := range ws {
		for io := 0; io < cin*cout; io++ {
			src := wt.Data[io*nm*2:]
			for p := 0; p < nm; p++ {
				q := 2 * ((blk*nm+p)*cin*cout + io)
				wg[q], wg[q+1] = src[2*p], src[2*p+1]
			}
		}
	}
	parallel.For(np, 8, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			cgemm(false, false, false, false, bs, cout, cin, xg[2*p*bs*cin:], cin, wg[2*p*cin*cout:], cout, yg[2*p*bs*cout:], cout)
		}
	})
	if bias != nil {
		for p := 0; p < np; p++ {
			bv := bias[p/nm].Data[2*(p%nm):]
			br, bi := delta*bv[0], delta*bv[1]
			y := yg[2*p*bs*cout : 2*(p+1)*bs*cout]
			for q := 0; q < len(y); q += 2 {
				y[q] += br
				y[q+1] += bi
			}
		}
	}
	// dfac[p] is mode p's derivative factor: Y -> i dfac Y.
	var dfac []T
	if omega != 0 {
		dfac = tp.buf(np)
		for p, k := range last {
			if paired(k, nout) {
				dfac[p] = T(k) * omega
			}
		}
		for p, f := range dfac {
			y := yg[2*p*bs*cout : 2*(p+1)*bs*cout]
			for q := 0; q < len(y); q += 2 {
				y[q], y[q+1] = -f*y[q+1], f*y[q]
			}
		}
	}
	ys := tp.buf(bs * cout * nco)
	for b := 0; b < bs; b++ {
		for o := 0; o < cout; o++ {
			dst := ys[(b*cout+o)*nco:]
			for p, k := range atOut {
				q := 2 * ((p*bs+b)*cout + o)
				dst[2*k], dst[2*k+1] = yg[q], yg[q+1]
			}
		}
	}
	yShape := append([]int{bs, cout}, out...)
	inputs := append([]*Tensor[T]{x}, ws...)
	y := tp.outRaw(yShape, append(inputs, bias...)...)
	fo.inverse(y.Data, ys)
	tp.record(y, func() {
		if y.Grad == nil {
			return
		}
		// The adjoint of the inverse rfft (divided by N): dS = rfft(dy)/N,
		// doubled on the last-axis indices that stand for a conjugate pair
		// too. Only the kept modes matter: gather them, scaled, per mode
		// [bs][cout].
		dys := ys
		fo.forward(dys, y.Grad)
		scale := T(1) / T(fo.n)
		dg := yg
		for b := 0; b < bs; b++ {
			for o := 0; o < cout; o++ {
				src := dys[(b*cout+o)*nco:]
				for p, k := range atOut {
					s := scale
					if paired(last[p], nout) {
						s *= 2
					}
					q := 2 * ((p*bs+b)*cout + o)
					dg[q], dg[q+1] = s*src[2*k], s*src[2*k+1]
				}
			}
		}
		// The adjoint of Y -> i f Y: (dr, di) -> (f di, -f dr).
		for p, f := range dfac {
			d := dg[2*p*bs*cout : 2*(p+1)*bs*cout]
			for q := 0; q < len(d); q += 2 {
				d[q], d[q+1] = f*d[q+1], -f*d[q]
			}
		}
		for blk, bt := range bias {
			if !bt.needGrad {
				continue
			}
			gb := tp.grad(bt)
			for p := 0; p < nm; p++ {
				var sr, si T
				d := dg[2*(blk*nm+p)*bs*cout : 2*(blk*nm+p+1)*bs*cout]
				for q := 0; q < len(d); q += 2 {
					sr += d[q]
					si += d[q+1]
				}
				gb[2*p] += delta * sr
				gb[2*p+1] += delta * si
			}
		}
		needW := false
		for _, wt := range ws {
			needW = needW || wt.needGrad
		}
		if needW {
			// dW = X^H dS per mode.
			gwg := tp.bufRaw(2 * np * cin * cout)
			parallel.For(np, 8, func(lo, hi int) {
				for p := lo; p < hi; p++ {
					cgemm(true, true, false, false, cin, cout, bs, xg[2*p*bs*cin:], cin, dg[2*p*bs*cout:], cout, gwg[2*p*cin*cout:], cout)
				}
			})
			for blk, wt := range ws {
				if !wt.needGrad {
					continue
				}
				gw := tp.grad(wt)
				for io := 0; io < cin*cout; io++ {
					dst := gw[io*nm*2:]
					for p := 0; p < nm; p++ {
						q := 2 * ((blk*nm+p)*cin*cout + io)
						dst[2*p] += gwg[q]
						dst[2*p+1] += gwg[q+1]
					}
				}
			}
		}
		if !x.needGrad {
			return
		}
		// dX = dS W^H per mode; then the adjoint of the forward rfft:
		// dx = sum_k Re(dX_k e^{+i theta}), which is N times the inverse
		// rfft of dX with the paired indices halved.
		dxg := xg
		parallel.For(np, 8, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				cgemm(false, false, true, true, bs, cin, cout, dg[2*p*bs*cout:], cout, wg[2*p*cin*cout:], cout, dxg[2*p*bs*cin:], cin)
			}
		})
		dxs := xs
		clear(dxs)
		for b := 0; b < bs; b++ {
			for i := 0; i < cin; i++ {
				dst := dxs[(b*cin+i)*nci:]
				for p, k := range atIn {
					s := T(fi.n)
					if paired(last[p], nin) {
						s /= 2
					}
					q := 2 * ((p*bs+b)*cin + i)
					dst[2*k] += s * dxg[q]
					dst[2*k+1] += s * dxg[q+1]
				}
			}
		}
		dx := tp.bufRaw(len(x.Data))
		fi.inverse(dx, dxs)
		g := tp.grad(x)
		for i, v := range dx {
			g[i] += v
		}
	})
	return y
}

// cgemm computes c = op(a) op(b) for complex matrices stored as interleaved
// (re, im) pairs of T, row-major: op is the transpose when t is set and
// the conjugate (transpose) when conj is too; m x k times k x n, leading
// dimensions in complex elements. It calls BLAS cgemm or zgemm.
func cgemm[T Float](tA, conjA, tB, conjB bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	op := func(t, conj bool) blas.Transpose {
		switch {
		case t && conj:
			return blas.ConjTrans
		case t:
			return blas.Trans
		}
		return blas.NoTrans
	}
	ta, tb := op(tA, conjA), op(tB, conjB)
	switch av := any(a).(type) {
	case []float32:
		bv, cv := any(b).([]float32), any(c).([]float32)
		openblas.BLAS.Cgemm(ta, tb, m, n, k, 1,
			unsafe.Slice((*complex64)(unsafe.Pointer(&av[0])), len(av)/2), lda,
			unsafe.Slice((*complex64)(unsafe.Pointer(&bv[0])), len(bv)/2), ldb, 0,
			unsafe.Slice((*complex64)(unsafe.Pointer(&cv[0])), len(cv)/2), ldc)
	case []float64:
		bv, cv := any(b).([]float64), any(c).([]float64)
		openblas.BLAS.Zgemm(ta, tb, m, n, k, 1,
			unsafe.Slice((*complex128)(unsafe.Pointer(&av[0])), len(av)/2), lda,
			unsafe.Slice((*complex128)(unsafe.Pointer(&bv[0])), len(bv)/2), ldb, 0,
			unsafe.Slice((*complex128)(unsafe.Pointer(&cv[0])), len(cv)/2), ldc)
	}
}
