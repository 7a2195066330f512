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

var r2cCache sync.Map // [2]int{h, w} and precision -> *r2c

func getR2C[T Float](h, w int) *r2c[T] {
	var zero T
	key := [3]int{h, w, int(unsafe.Sizeof(zero))}
	if v, ok := r2cCache.Load(key); ok {
		return v.(*r2c[T])
	}
	t := &r2c[T]{n: h * w, nc: h * (w/2 + 1)}
	var err error
	switch any(zero).(type) {
	case float64:
		t.p64, err = fft.NewR2C(h, w)
	case float32:
		t.p32, err = fft.NewR2C32(h, w)
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
	bs, cin, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	cout, m1, m2 := w1.Shape[1], w1.Shape[2], w1.Shape[3]
	wc := wd/2 + 1
	if 2*m1 > h || m2 > wc {
		panic(fmt.Sprintf("nn: SpectralConv2d with %d x %d modes on a %d x %d grid", m1, m2, h, wd))
	}
	f := getR2C[T](h, wd)
	nc2 := 2 * f.nc
	xs := tp.buf(bs * cin * nc2)
	f.forward(xs, x.Data)
	// The kept modes, weight block by block: mode p is (blk, r, c) at
	// spectrum offset modeAt[p]. Per mode the layer is a complex matrix
	// product Y[b, o] = sum_i X[b, i] W[i, o], done by BLAS (cgemm/zgemm)
	// on gathered [mode][row][col] arrays.
	np := 2 * m1 * m2
	modeAt := make([]int, np)
	for blk := 0; blk < 2; blk++ {
		for r := 0; r < m1; r++ {
			row := r
			if blk == 1 {
				row = h - m1 + r
			}
			for c := 0; c < m2; c++ {
				modeAt[(blk*m1+r)*m2+c] = row*wc + c
			}
		}
	}
	xg := tp.buf(2 * np * bs * cin)   // X per mode [bs][cin]
	wg := tp.buf(2 * np * cin * cout) // W per mode [cin][cout]
	yg := tp.buf(2 * np * bs * cout)  // Y per mode [bs][cout]
	for b := 0; b < bs; b++ {
		for i := 0; i < cin; i++ {
			in := xs[(b*cin+i)*nc2:]
			for p, k := range modeAt {
				q := 2 * ((p*bs+b)*cin + i)
				xg[q], xg[q+1] = in[2*k], in[2*k+1]
			}
		}
	}
	for blk, wt := range []*Tensor[T]{w1, w2} {
		for io := 0; io < cin*cout; io++ {
			src := wt.Data[io*m1*m2*2:]
			for rc := 0; rc < m1*m2; rc++ {
				q := 2 * ((blk*m1*m2+rc)*cin*cout + io)
				wg[q], wg[q+1] = src[2*rc], src[2*rc+1]
			}
		}
	}
	parallel.For(np, 8, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			cgemm(false, false, false, false, bs, cout, cin, xg[2*p*bs*cin:], cin, wg[2*p*cin*cout:], cout, yg[2*p*bs*cout:], cout)
		}
	})
	ys := tp.buf(bs * cout * nc2)
	clear(ys)
	for b := 0; b < bs; b++ {
		for o := 0; o < cout; o++ {
			out := ys[(b*cout+o)*nc2:]
			for p, k := range modeAt {
				q := 2 * ((p*bs+b)*cout + o)
				out[2*k], out[2*k+1] = yg[q], yg[q+1]
			}
		}
	}
	y := tp.out([]int{bs, cout, h, wd}, x, w1, w2)
	f.inverse(y.Data, ys)
	tp.record(y, func() {
		if y.Grad == nil {
			return
		}
		// The adjoint of irfft2 (divided by N): dS = rfft2(dy)/N, doubled on
		// the columns that stand for a conjugate pair too. Only the kept
		// modes matter: gather them, scaled, per mode [bs][cout].
		dys := ys
		f.forward(dys, y.Grad)
		scale := T(1) / T(h*wd)
		dg := yg
		for b := 0; b < bs; b++ {
			for o := 0; o < cout; o++ {
				s := dys[(b*cout+o)*nc2:]
				for p, k := range modeAt {
					m := 2 * scale
					if c := k % wc; c == 0 || (wd%2 == 0 && c == wd/2) {
						m = scale
					}
					q := 2 * ((p*bs+b)*cout + o)
					dg[q], dg[q+1] = m*s[2*k], m*s[2*k+1]
				}
			}
		}
		if w1.needGrad || w2.needGrad {
			// dW = X^H dS per mode.
			gwg := tp.buf(2 * np * cin * cout)
			parallel.For(np, 8, func(lo, hi int) {
				for p := lo; p < hi; p++ {
					cgemm(true, true, false, false, cin, cout, bs, xg[2*p*bs*cin:], cin, dg[2*p*bs*cout:], cout, gwg[2*p*cin*cout:], cout)
				}
			})
			for blk, wt := range []*Tensor[T]{w1, w2} {
				if !wt.needGrad {
					continue
				}
				gw := tp.grad(wt)
				for io := 0; io < cin*cout; io++ {
					dst := gw[io*m1*m2*2:]
					for rc := 0; rc < m1*m2; rc++ {
						q := 2 * ((blk*m1*m2+rc)*cin*cout + io)
						dst[2*rc] += gwg[q]
						dst[2*rc+1] += gwg[q+1]
					}
				}
			}
		}
		if !x.needGrad {
			return
		}
		// dX = dS W^H per mode; then the adjoint of rfft2: dx = sum_k
		// Re(dX_k e^{+i theta}), which is N irfft2 of dX with the paired
		// columns halved.
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
				out := dxs[(b*cin+i)*nc2:]
				for p, k := range modeAt {
					m := T(h*wd) / 2
					if c := k % wc; c == 0 || (wd%2 == 0 && c == wd/2) {
						m = T(h * wd)
					}
					q := 2 * ((p*bs+b)*cin + i)
					out[2*k] += m * dxg[q]
					out[2*k+1] += m * dxg[q+1]
				}
			}
		}
		dx := tp.buf(len(x.Data))
		f.inverse(dx, dxs)
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
