package nn

import "fmt"

// paired reports whether index c of the halved last axis of an n-point
// real transform stands for itself and its conjugate mirror (every index
// but 0 and, for even n, n/2).
func paired(c, n int) bool { return c > 0 && !(n%2 == 0 && c == n/2) }

// RFFT2 returns the 2-D real FFT over the last two axes of x [..., H, W]
// as [..., H, W/2+1, 2], (re, im) pairs, unnormalised: numpy's and
// torch.fft.rfft2's norm="backward". With IRFFT2 and CMul it lets a loss
// differentiate through spectral derivatives.
func (tp *Tape[T]) RFFT2(x *Tensor[T]) *Tensor[T] {
	r := len(x.Shape)
	if r < 2 {
		panic(fmt.Sprintf("nn: RFFT2 of shape %v, want [..., H, W]", x.Shape))
	}
	h, w := x.Shape[r-2], x.Shape[r-1]
	f := getR2C[T](h, w)
	wc := w/2 + 1
	shape := append(append([]int(nil), x.Shape[:r-1]...), wc, 2)
	y := tp.outRaw(shape, x)
	f.forward(y.Data, x.Data)
	tp.record(y, func() {
		if y.Grad == nil || !x.needGrad {
			return
		}
		// dx_n = sum over the half spectrum of Re(G_k e^{+i theta}): N
		// times the inverse transform of G with the paired indices halved.
		g := tp.bufRaw(len(y.Grad))
		n := T(h * w)
		for i := 0; i < len(g); i += 2 {
			s := n
			if paired(i/2%wc, w) {
				s /= 2
			}
			g[i], g[i+1] = s*y.Grad[i], s*y.Grad[i+1]
		}
		dx := tp.bufRaw(len(x.Data))
		f.inverse(dx, g)
		gx := tp.grad(x)
		for i, v := range dx {
			gx[i] += v
		}
	})
	return y
}

// IRFFT2 is the inverse of RFFT2: the half spectra s [..., H, w/2+1, 2]
// to real fields [..., H, w], divided by H w, as torch.fft.irfft2(s,
// s=(H, w)) computes it (the imaginary parts that a real field cannot
// have, on the indices that are not paired, are ignored).
func (tp *Tape[T]) IRFFT2(s *Tensor[T], w int) *Tensor[T] {
	r := len(s.Shape)
	if r < 3 || s.Shape[r-1] != 2 || w < 1 || s.Shape[r-2] != w/2+1 {
		panic(fmt.Sprintf("nn: IRFFT2 of shape %v to width %d, want [..., H, %d, 2]", s.Shape, w, w/2+1))
	}
	h, wc := s.Shape[r-3], s.Shape[r-2]
	f := getR2C[T](h, w)
	shape := append(append([]int(nil), s.Shape[:r-2]...), w)
	y := tp.outRaw(shape, s)
	f.inverse(y.Data, s.Data)
	tp.record(y, func() {
		if y.Grad == nil || !s.needGrad {
			return
		}
		// dS_k = m_k rfft(dy)_k / N, m_k = 2 on the paired indices.
		g := tp.bufRaw(len(s.Data))
		f.forward(g, y.Grad)
		n := T(h * w)
		gs := tp.grad(s)
		for i := 0; i < len(g); i += 2 {
			m := 1 / n
			if paired(i/2%wc, w) {
				m *= 2
			}
			gs[i] += m * g[i]
			gs[i+1] += m * g[i+1]
		}
	})
	return y
}

// CMul multiplies the complex tensor s [..., n, 2] ((re, im) pairs) by the
// constant complex array c of 2 n values, broadcast over the leading axes:
// a spectral derivative (c = i k), an inverse Laplacian, a filter or a
// Sobolev weight on RFFT2's spectra. c is data: it gets no gradient.
func (tp *Tape[T]) CMul(s *Tensor[T], c []T) *Tensor[T] {
	r := len(s.Shape)
	if r < 1 || s.Shape[r-1] != 2 || len(c) == 0 || len(c)%2 != 0 || len(s.Data)%len(c) != 0 {
		panic(fmt.Sprintf("nn: CMul of shape %v by %d values", s.Shape, len(c)))
	}
	y := tp.outRaw(s.Shape, s)
	nc := len(c)
	for i := 0; i < len(s.Data); i += 2 {
		j := i % nc
		a, b, cr, ci := s.Data[i], s.Data[i+1], c[j], c[j+1]
		y.Data[i], y.Data[i+1] = a*cr-b*ci, a*ci+b*cr
	}
	tp.record(y, func() {
		if y.Grad == nil || !s.needGrad {
			return
		}
		// ds = dy conj(c).
		gs := tp.grad(s)
		for i := 0; i < len(y.Grad); i += 2 {
			j := i % nc
			gr, gi, cr, ci := y.Grad[i], y.Grad[i+1], c[j], c[j+1]
			gs[i] += gr*cr + gi*ci
			gs[i+1] += gi*cr - gr*ci
		}
	})
	return y
}
