package neuralop

import (
	"fmt"
	"math"
	"slices"

	"github.com/pdekit/pdekit/nn"
)

// NSSpectral is the 2-D incompressible Navier-Stokes equation in vorticity
// form on the unit torus, w_t + u . grad w = visc Lap w + f with
// u = (psi_y, -psi_x) and -Lap psi = w, written on the tape in spectral
// form so that a loss can differentiate through it (Spectral-Refiner's
// fine-tuning residual). The conventions are pde.NS2D's (the generator of
// the data): x is the first grid axis, wavenumbers are 2 pi k, and the
// convection term obeys the 2/3 rule. Spectra are nn.RFFT2's,
// [..., N, N/2+1, 2]; the frames may be batched in the leading axes. An
// NSSpectral keeps the factors of its last step: it is not safe for
// concurrent use.
type NSSpectral[T nn.Float] struct {
	n    int
	visc float64
	// Constant multipliers on the half spectrum, as (re, im) pairs:
	// i kx, i ky, the velocity's i ky / |k|^2 and -i kx / |k|^2 (0 at
	// k = 0); as real scales, duplicated for (re, im): the Laplacian
	// -|k|^2, the 2/3-rule mask, zeros and -visc Lap.
	ikx, iky, iu, iv []T
	lap, keep        []T
	zero, viscLap    []T // zeros, and -visc Lap as a scale

	// The factors of the last step (CNStep) and the last forcing's
	// negation (Residual), kept because fine-tuning repeats them.
	cn struct {
		dt      float64
		f       []T // the forcing they were made for (a copy; nil: none)
		a, b, c []T
	}
	res struct {
		f, neg []T
	}
}

// NewNSSpectral returns the operator on an n x n grid (n even, at least 4)
// with viscosity visc >= 0.
func NewNSSpectral[T nn.Float](n int, visc float64) (*NSSpectral[T], error) {
	if n < 4 || n%2 != 0 {
		return nil, fmt.Errorf("neuralop: Navier-Stokes grid side %d, want even and at least 4", n)
	}
	if !(visc >= 0) || math.IsInf(visc, 1) {
		return nil, fmt.Errorf("neuralop: viscosity %v, want finite and >= 0", visc)
	}
	h := n/2 + 1
	m := 2 * n * h
	e := &NSSpectral[T]{n: n, visc: visc, ikx: make([]T, m), iky: make([]T, m), iu: make([]T, m), iv: make([]T, m),
		lap: make([]T, m), keep: make([]T, m), zero: make([]T, m), viscLap: make([]T, m)}
	cut := 2.0 / 3 * float64(n/2)
	for i := 0; i < n; i++ {
		fx := float64(i)
		if i > n/2 {
			fx -= float64(n)
		}
		for j := 0; j < h; j++ {
			fy := float64(j)
			p := 2 * (i*h + j)
			kx, ky := 2*math.Pi*fx, 2*math.Pi*fy
			k2 := kx*kx + ky*ky
			e.ikx[p+1], e.iky[p+1] = T(kx), T(ky)
			if k2 > 0 {
				e.iu[p+1], e.iv[p+1] = T(ky/k2), T(-kx/k2)
			}
			e.lap[p], e.lap[p+1] = T(-k2), T(-k2)
			e.viscLap[p], e.viscLap[p+1] = T(visc*k2), T(visc*k2)
			if math.Abs(fx) <= cut && math.Abs(fy) <= cut {
				e.keep[p], e.keep[p+1] = 1, 1
			}
		}
	}
	return e, nil
}

// N returns the grid side.
func (e *NSSpectral[T]) N() int { return e.n }

// check panics unless wh holds whole frames of the operator's spectra.
func (e *NSSpectral[T]) check(what string, wh *nn.Tensor[T]) {
	r := len(wh.Shape)
	if r < 3 || wh.Shape[r-3] != e.n || wh.Shape[r-2] != e.n/2+1 || wh.Shape[r-1] != 2 {
		panic(fmt.Sprintf("neuralop: NSSpectral.%s of shape %v, want [..., %d, %d, 2]", what, wh.Shape, e.n, e.n/2+1))
	}
}

// Convection returns the spectrum of u . grad w for the vorticity spectra
// wh, products taken on the grid, the result filtered by the 2/3 rule.
func (e *NSSpectral[T]) Convection(tp *nn.Tape[T], wh *nn.Tensor[T]) *nn.Tensor[T] {
	e.check("Convection", wh)
	n := e.n
	u := tp.IRFFT2(tp.CMul(wh, e.iu), n)
	v := tp.IRFFT2(tp.CMul(wh, e.iv), n)
	wx := tp.IRFFT2(tp.CMul(wh, e.ikx), n)
	wy := tp.IRFFT2(tp.CMul(wh, e.iky), n)
	c := tp.RFFT2(tp.Add(tp.Mul(u, wx), tp.Mul(v, wy)))
	return tp.Affine(c, e.keep, e.zero)
}

// Residual returns the equation's residual wth + (u . grad w)^ - visc
// Lap^ wh - fh in spectral space for the vorticity spectra wh and their
// time derivative's wth (same shape); fh is the forcing's half spectrum
// (one frame, the same for every frame) or nil for none.
func (e *NSSpectral[T]) Residual(tp *nn.Tape[T], wh, wth *nn.Tensor[T], fh []T) *nn.Tensor[T] {
	e.check("Residual", wh)
	e.check("Residual", wth)
	e.checkForcing("Residual", fh)
	if e.res.neg == nil || !sameForcing(e.res.f, fh) {
		e.res.f, e.res.neg = slices.Clone(fh), make([]T, len(e.lap))
		for p, v := range fh {
			e.res.neg[p] = -v
		}
	}
	return tp.Add(tp.Add(wth, e.Convection(tp, wh)), tp.Affine(wh, e.viscLap, e.res.neg))
}

// CNStep takes one step of size dt from the vorticity spectra wh as the
// Spectral-Refiner code's imex_crank_nicolson_step does (explicit Euler
// for convection and forcing, Crank-Nicolson for diffusion) and returns
// the new spectra and the difference quotient (next - wh)/dt.
func (e *NSSpectral[T]) CNStep(tp *nn.Tape[T], wh *nn.Tensor[T], fh []T, dt float64) (next, wth *nn.Tensor[T]) {
	e.check("CNStep", wh)
	e.checkForcing("CNStep", fh)
	// next = (-dt C + dt f + (1 + dt visc Lap/2) w) / (1 - dt visc Lap/2).
	cn := &e.cn
	if cn.a == nil || cn.dt != dt || !sameForcing(cn.f, fh) {
		m := len(e.lap)
		cn.dt, cn.f, cn.a, cn.b, cn.c = dt, slices.Clone(fh), make([]T, m), make([]T, m), make([]T, m)
		for p, l := range e.lap {
			den := 1 - 0.5*dt*e.visc*float64(l)
			cn.a[p] = T(-dt / den)
			cn.b[p] = T((1 + 0.5*dt*e.visc*float64(l)) / den)
			if fh != nil {
				cn.c[p] = T(dt * float64(fh[p]) / den)
			}
		}
	}
	next = tp.Add(tp.Affine(e.Convection(tp, wh), cn.a, e.zero), tp.Affine(wh, cn.b, cn.c))
	return next, tp.LinComb([]T{T(1 / dt), T(-1 / dt)}, next, wh)
}

// sameForcing reports whether f (a kept copy) is the forcing g.
func sameForcing[T nn.Float](f, g []T) bool { return (f == nil) == (g == nil) && slices.Equal(f, g) }

// checkForcing panics unless fh is nil or one frame's half spectrum.
func (e *NSSpectral[T]) checkForcing(what string, fh []T) {
	if fh != nil && len(fh) != len(e.lap) {
		panic(fmt.Sprintf("neuralop: NSSpectral.%s forcing of %d values, want %d", what, len(fh), len(e.lap)))
	}
}
