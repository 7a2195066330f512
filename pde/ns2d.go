package pde

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/fft"
	"github.com/pdekit/pdekit/internal/parallel"
)

// NS2D integrates the 2-D incompressible Navier-Stokes equations in
// vorticity form on the unit torus,
//
//	w_t + u . grad w = nu Laplacian w + f,  u = (psi_y, -psi_x),  -Laplacian psi = w,
//
// pseudo-spectrally on an n x n grid (points (i/n, j/n), row-major with j
// fastest, numpy's ij meshgrid), with the scheme of FNO's data generator
// and of ../shared/peers/ns2d.py: the product u . grad w in physical space
// with the 2/3 rule (modes with |k_x| or |k_y| above n/3 are removed),
// Heun's method (RK2) for advection and forcing, Crank-Nicolson for
// diffusion, all in float64. The state is kept as its real FFT.
//
// An NS2D is not safe for concurrent use; the FFTs inside use the worker
// pool of package parallel.
type NS2D struct {
	n, m   int // grid side, spectrum length n(n/2+1)
	nu, dt float64
	plan   *fft.R2C

	kx, ky []float64 // 2 pi k of each spectrum entry
	invLap []float64 // 1/(4 pi^2 |k|^2), 0 at k = 0
	keep   []float64 // the 2/3-rule mask, 1 or 0
	a, b   []float64 // Crank-Nicolson factors 1 - dt nu lap/2 and 1/(1 + dt nu lap/2)
	force  []complex128
	w      []complex128
	f1, f2 []complex128
	wt     []complex128
	spec   []complex128 // four spectra: u, v, w_x, w_y
	phys   []float64    // their real arrays
	prod   []float64
	time   float64
	steps  int
}

// NewNS2D returns the integrator on an n x n grid (n even, >= 4) with
// viscosity nu >= 0 and time step dt > 0. force is the forcing on the grid
// (n*n values) or nil for none. The vorticity starts at zero.
func NewNS2D(n int, nu, dt float64, force []float64) (*NS2D, error) {
	if n < 4 || n%2 != 0 {
		return nil, fmt.Errorf("pde: Navier-Stokes grid side %d, want even and >= 4", n)
	}
	if !(nu >= 0) || math.IsInf(nu, 1) {
		return nil, fmt.Errorf("pde: viscosity %v, want >= 0 and finite", nu)
	}
	if !(dt > 0) || math.IsInf(dt, 1) {
		return nil, fmt.Errorf("pde: time step %v, want positive and finite", dt)
	}
	if force != nil && len(force) != n*n {
		return nil, fmt.Errorf("pde: forcing has length %d, want %d", len(force), n*n)
	}
	plan, err := fft.NewR2C(n, n)
	if err != nil {
		return nil, fmt.Errorf("pde: %w", err)
	}
	h := n/2 + 1
	m := n * h
	s := &NS2D{n: n, m: m, nu: nu, dt: dt, plan: plan,
		kx: make([]float64, m), ky: make([]float64, m), invLap: make([]float64, m), keep: make([]float64, m),
		a: make([]float64, m), b: make([]float64, m), force: make([]complex128, m), w: make([]complex128, m),
		f1: make([]complex128, m), f2: make([]complex128, m), wt: make([]complex128, m),
		spec: make([]complex128, 4*m), phys: make([]float64, 4*n*n), prod: make([]float64, n*n)}
	cut := 2.0 / 3 * float64(n/2)
	for i := 0; i < n; i++ {
		fx := float64(freq(i, n))
		for j := 0; j < h; j++ {
			p := i*h + j
			fy := float64(j)
			s.kx[p], s.ky[p] = 2*math.Pi*fx, 2*math.Pi*fy
			lap := 4 * math.Pi * math.Pi * (fx*fx + fy*fy)
			if p != 0 {
				s.invLap[p] = 1 / lap
			}
			if math.Abs(fx) <= cut && math.Abs(fy) <= cut {
				s.keep[p] = 1
			}
			s.a[p] = 1 - 0.5*dt*nu*lap
			s.b[p] = 1 / (1 + 0.5*dt*nu*lap)
		}
	}
	if force != nil {
		if err := checkFinite("forcing", force); err != nil {
			return nil, err
		}
		plan.Forward(s.force, force)
	}
	return s, nil
}

// FNOForcing returns the forcing of the FNO Navier-Stokes data on the n x n
// grid: 0.1 (sin 2 pi (x+y) + cos 2 pi (x+y)).
func FNOForcing(n int) []float64 {
	f := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			t := 2 * math.Pi * float64(i+j) / float64(n)
			f[i*n+j] = 0.1 * (math.Sin(t) + math.Cos(t))
		}
	}
	return f
}

func checkFinite(what string, x []float64) error {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("pde: %s has %v at index %d", what, v, i)
		}
	}
	return nil
}

// N returns the grid side.
func (s *NS2D) N() int { return s.n }

// Time returns the time reached.
func (s *NS2D) Time() float64 { return s.time }

// Steps returns the number of steps taken.
func (s *NS2D) Steps() int { return s.steps }

// SetVorticity sets the state to w (n*n values) at time t, removing the
// modes the 2/3 rule drops.
func (s *NS2D) SetVorticity(w []float64, t float64) error {
	if len(w) != s.n*s.n {
		return fmt.Errorf("pde: vorticity has length %d, want %d", len(w), s.n*s.n)
	}
	if err := checkFinite("vorticity", w); err != nil {
		return err
	}
	s.plan.Forward(s.w, w)
	for p, k := range s.keep {
		s.w[p] *= complex(k, 0)
	}
	s.time, s.steps = t, 0
	return nil
}

// Vorticity writes the vorticity on the grid into dst (n*n values).
func (s *NS2D) Vorticity(dst []float64) { s.plan.Inverse(dst, s.w) }

// Spectrum returns the state's real FFT (numpy's rfft2 layout); it aliases
// the integrator's storage.
func (s *NS2D) Spectrum() []complex128 { return s.w }

// Step advances one time step.
func (s *NS2D) Step() {
	s.nonlinear(s.f1, s.w)
	dt := complex(s.dt, 0)
	for p, w := range s.w {
		s.wt[p] = (complex(s.a[p], 0)*w + dt*s.f1[p]) * complex(s.b[p], 0)
	}
	s.nonlinear(s.f2, s.wt)
	h := complex(s.dt/2, 0)
	for p, w := range s.w {
		s.w[p] = (complex(s.a[p], 0)*w + h*(s.f1[p]+s.f2[p])) * complex(s.b[p], 0)
	}
	s.steps++
	s.time += s.dt
}

// Advance takes k steps. It returns an error, and stops, if the vorticity
// stops being finite (a time step too large for the resolution).
func (s *NS2D) Advance(k int) error {
	for i := 0; i < k; i++ {
		s.Step()
	}
	for _, w := range s.w {
		if math.IsNaN(real(w)) || math.IsInf(real(w), 0) || math.IsNaN(imag(w)) || math.IsInf(imag(w), 0) {
			return fmt.Errorf("pde: Navier-Stokes state is not finite at t = %g (step %d): reduce the time step", s.time, s.steps)
		}
	}
	return nil
}

// nonlinear writes -(u . grad w) (dealiased) + f for the spectrum w into dst.
func (s *NS2D) nonlinear(dst, w []complex128) {
	m := s.m
	su, sv, sx, sy := s.spec[:m], s.spec[m:2*m], s.spec[2*m:3*m], s.spec[3*m:]
	for p, wp := range w {
		iw := complex(-imag(wp), real(wp)) // i w
		psi := iw * complex(s.invLap[p], 0)
		su[p] = psi * complex(s.ky[p], 0)
		sv[p] = -psi * complex(s.kx[p], 0)
		sx[p] = iw * complex(s.kx[p], 0)
		sy[p] = iw * complex(s.ky[p], 0)
	}
	s.plan.Inverse(s.phys, s.spec)
	nn := s.n * s.n
	u, v, wx, wy := s.phys[:nn], s.phys[nn:2*nn], s.phys[2*nn:3*nn], s.phys[3*nn:]
	parallel.For(nn, 1<<14, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			s.prod[i] = u[i]*wx[i] + v[i]*wy[i]
		}
	})
	s.plan.Forward(dst, s.prod)
	for p := range dst {
		dst[p] = -dst[p]*complex(s.keep[p], 0) + s.force[p]
	}
}

// Energy returns the kinetic energy (1/2) mean |u|^2.
func (s *NS2D) Energy() float64 { return s.quadratic(s.invLap) }

// Enstrophy returns (1/2) mean w^2.
func (s *NS2D) Enstrophy() float64 { return s.quadratic(nil) }

// quadratic returns (1/2) mean of the field with spectrum weight * |w_k|^2,
// summed over the full spectrum (entries off the self-mirrored columns
// count twice).
func (s *NS2D) quadratic(weight []float64) float64 {
	h := s.n/2 + 1
	sum := 0.0
	for p, w := range s.w {
		e := real(w)*real(w) + imag(w)*imag(w)
		if weight != nil {
			e *= weight[p]
		}
		if j := p % h; j != 0 && 2*j != s.n {
			e *= 2
		}
		sum += e
	}
	nn := float64(s.n * s.n)
	return sum / (2 * nn * nn)
}

// MeanVorticity returns the spatial mean of the vorticity.
func (s *NS2D) MeanVorticity() float64 { return real(s.w[0]) / float64(s.n*s.n) }

// EnergySpectrum returns E(k) for k = 0..n/2, the kinetic energy of the
// modes with round(|k|) = k, summing to Energy.
func (s *NS2D) EnergySpectrum() []float64 {
	h := s.n/2 + 1
	e := make([]float64, h)
	nn := float64(s.n * s.n)
	for p, w := range s.w {
		if p == 0 {
			continue
		}
		k := math.Hypot(s.kx[p], s.ky[p]) / (2 * math.Pi)
		b := int(math.Round(k))
		if b >= h {
			continue
		}
		v := (real(w)*real(w) + imag(w)*imag(w)) * s.invLap[p] / (2 * nn * nn)
		if j := p % h; j != 0 && 2*j != s.n {
			v *= 2
		}
		e[b] += v
	}
	return e
}
