package nn

import (
	"fmt"
	"github.com/pdekit/pdekit/internal/parallel"
	"slices"
	"sync"
	"unsafe"

	"github.com/pdekit/pdekit/fft"
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
	ys := tp.buf(bs * cout * nc2)
	// rowOf maps a weight's mode row to the spectrum row.
	rowOf := func(blk, r int) int {
		if blk == 0 {
			return r
		}
		return h - m1 + r
	}
	parallel.For(bs*cout, 1, func(lo, hi int) {
		for bo := lo; bo < hi; bo++ {
			b, o := bo/cout, bo%cout
			out := ys[bo*nc2 : (bo+1)*nc2]
			for blk, wt := range []*Tensor[T]{w1, w2} {
				for i := 0; i < cin; i++ {
					in := xs[(b*cin+i)*nc2:]
					wb := wt.Data[(i*cout+o)*m1*m2*2:]
					for r := 0; r < m1; r++ {
						row := rowOf(blk, r)
						for c := 0; c < m2; c++ {
							k := 2 * (row*wc + c)
							q := 2 * (r*m2 + c)
							xr, xi := in[k], in[k+1]
							wr, wi := wb[q], wb[q+1]
							out[k] += xr*wr - xi*wi
							out[k+1] += xr*wi + xi*wr
						}
					}
				}
			}
		}
	})
	y := tp.out([]int{bs, cout, h, wd}, x, w1, w2)
	f.inverse(y.Data, ys)
	tp.record(y, func() {
		if y.Grad == nil {
			return
		}
		// The adjoint of irfft2 (divided by N): dS = rfft2(dy)/N, doubled on
		// the columns that stand for a conjugate pair too.
		dys := ys
		f.forward(dys, y.Grad)
		scale := T(1) / T(h*wd)
		for bo := 0; bo < bs*cout; bo++ {
			s := dys[bo*nc2 : (bo+1)*nc2]
			for row := 0; row < h; row++ {
				for c := 0; c < wc; c++ {
					m := 2 * scale
					if c == 0 || (wd%2 == 0 && c == wd/2) {
						m = scale
					}
					s[2*(row*wc+c)] *= m
					s[2*(row*wc+c)+1] *= m
				}
			}
		}
		for blk, wt := range []*Tensor[T]{w1, w2} {
			if !wt.needGrad {
				continue
			}
			gw := tp.grad(wt)
			// dW[i,o] = sum_b conj(X[b,i]) dS[b,o], per mode.
			parallel.For(cin*cout, 1, func(lo, hi int) {
				for io := lo; io < hi; io++ {
					i, o := io/cout, io%cout
					g := gw[io*m1*m2*2:]
					for b := 0; b < bs; b++ {
						in := xs[(b*cin+i)*nc2:]
						ds := dys[(b*cout+o)*nc2:]
						for r := 0; r < m1; r++ {
							row := rowOf(blk, r)
							for c := 0; c < m2; c++ {
								k := 2 * (row*wc + c)
								q := 2 * (r*m2 + c)
								xr, xi := in[k], in[k+1]
								dr, di := ds[k], ds[k+1]
								g[q] += xr*dr + xi*di
								g[q+1] += xr*di - xi*dr
							}
						}
					}
				}
			})
		}
		if !x.needGrad {
			return
		}
		// dX[b,i] = sum_o conj(W[i,o]) dS[b,o] on the kept modes; then the
		// adjoint of rfft2: dx = sum_k Re(dX_k e^{+i theta}), which is N
		// irfft2 of dX with the paired columns halved.
		dxs := xs
		clear(dxs)
		parallel.For(bs*cin, 1, func(lo, hi int) {
			for bi := lo; bi < hi; bi++ {
				b, i := bi/cin, bi%cin
				out := dxs[bi*nc2:]
				for blk, wt := range []*Tensor[T]{w1, w2} {
					for o := 0; o < cout; o++ {
						ds := dys[(b*cout+o)*nc2:]
						wb := wt.Data[(i*cout+o)*m1*m2*2:]
						for r := 0; r < m1; r++ {
							row := rowOf(blk, r)
							for c := 0; c < m2; c++ {
								k := 2 * (row*wc + c)
								q := 2 * (r*m2 + c)
								wr, wi := wb[q], wb[q+1]
								dr, di := ds[k], ds[k+1]
								out[k] += wr*dr + wi*di
								out[k+1] += wr*di - wi*dr
							}
						}
					}
				}
				for row := 0; row < h; row++ {
					for c := 0; c < wc; c++ {
						m := T(h*wd) / 2
						if c == 0 || (wd%2 == 0 && c == wd/2) {
							m = T(h * wd)
						}
						out[2*(row*wc+c)] *= m
						out[2*(row*wc+c)+1] *= m
					}
				}
			}
		})
		dx := tp.buf(len(x.Data))
		f.inverse(dx, dxs)
		g := tp.grad(x)
		for i, v := range dx {
			g[i] += v
		}
	})
	return y
}
