package pde

import (
	"fmt"
	"math"
	"math/cmplx"

	"github.com/pdekit/pdekit/fft"
)

// Burgers integrates the viscous Burgers equation on the periodic unit
// interval,
//
//	u_t + (u^2/2)_x = nu u_xx,
//
// on n points x_i = i/n by the Fourier pseudo-spectral method with the 2/3
// rule and the fourth-order exponential time differencing Runge-Kutta
// scheme ETDRK4 of Cox and Matthews, its coefficients computed by the
// contour integrals of Kassam and Trefethen (2005) so that they stay
// accurate for small h L. This is the scheme family of chebfun's spin,
// which made FNO's Burgers data.
//
// A Burgers is not safe for concurrent use.
type Burgers struct {
	n, m   int
	nu, dt float64
	plan   *fft.R2C

	ik                   []complex128 // i 2 pi k, masked by the 2/3 rule
	e, e2, q, f1, f2, f3 []float64
	v, nv, na, nb, nc    []complex128
	a, b, c              []complex128
	phys                 []float64
	time                 float64
	steps                int
}

// NewBurgers returns the integrator on n points (n even, >= 4) with
// viscosity nu > 0 and time step dt > 0. The state starts at zero.
func NewBurgers(n int, nu, dt float64) (*Burgers, error) {
	if n < 4 || n%2 != 0 {
		return nil, fmt.Errorf("pde: Burgers grid has %d points, want even and >= 4", n)
	}
	if !(nu > 0) || math.IsInf(nu, 1) {
		return nil, fmt.Errorf("pde: Burgers viscosity %v, want positive and finite", nu)
	}
	if !(dt > 0) || math.IsInf(dt, 1) {
		return nil, fmt.Errorf("pde: Burgers time step %v, want positive and finite", dt)
	}
	plan, err := fft.NewR2C(n)
	if err != nil {
		return nil, fmt.Errorf("pde: %w", err)
	}
	m := n/2 + 1
	s := &Burgers{n: n, m: m, nu: nu, dt: dt, plan: plan, ik: make([]complex128, m),
		e: make([]float64, m), e2: make([]float64, m), q: make([]float64, m),
		f1: make([]float64, m), f2: make([]float64, m), f3: make([]float64, m),
		v: make([]complex128, m), nv: make([]complex128, m), na: make([]complex128, m),
		nb: make([]complex128, m), nc: make([]complex128, m), a: make([]complex128, m),
		b: make([]complex128, m), c: make([]complex128, m), phys: make([]float64, n)}
	cut := 2.0 / 3 * float64(n/2)
	const points = 32 // contour points
	for k := 0; k < m; k++ {
		if float64(k) <= cut {
			s.ik[k] = complex(0, 2*math.Pi*float64(k))
		}
		l := -nu * 4 * math.Pi * math.Pi * float64(k*k)
		hl := dt * l
		s.e[k], s.e2[k] = math.Exp(hl), math.Exp(hl/2)
		var q, f1, f2, f3 complex128
		for j := 0; j < points; j++ {
			z := complex(hl, 0) + cmplx.Exp(complex(0, math.Pi*(float64(j)+0.5)/points))
			ez, ez2 := cmplx.Exp(z), cmplx.Exp(z/2)
			z3 := z * z * z
			q += (ez2 - 1) / z
			f1 += (-4 - z + ez*(4-3*z+z*z)) / z3
			f2 += (2 + z + ez*(z-2)) / z3
			f3 += (-4 - 3*z - z*z + ez*(4-z)) / z3
		}
		w := dt / points
		s.q[k], s.f1[k], s.f2[k], s.f3[k] = w*real(q), w*real(f1), w*real(f2), w*real(f3)
	}
	return s, nil
}

// N returns the number of grid points.
func (s *Burgers) N() int { return s.n }

// Time returns the time reached.
func (s *Burgers) Time() float64 { return s.time }

// Set sets the state to u (n values) at time t.
func (s *Burgers) Set(u []float64, t float64) error {
	if len(u) != s.n {
		return fmt.Errorf("pde: Burgers state has length %d, want %d", len(u), s.n)
	}
	if err := checkFinite("Burgers state", u); err != nil {
		return err
	}
	s.plan.Forward(s.v, u)
	s.time, s.steps = t, 0
	return nil
}

// State writes the solution on the grid into dst (n values).
func (s *Burgers) State(dst []float64) { s.plan.Inverse(dst, s.v) }

// nonlinear writes the transform of -(u^2/2)_x, dealiased, into dst.
func (s *Burgers) nonlinear(dst, v []complex128) {
	s.plan.Inverse(s.phys, v)
	for i, u := range s.phys {
		s.phys[i] = 0.5 * u * u
	}
	s.plan.Forward(dst, s.phys)
	for k := range dst {
		dst[k] *= -s.ik[k]
	}
}

// Step advances one ETDRK4 step.
func (s *Burgers) Step() {
	r := func(x float64) complex128 { return complex(x, 0) }
	s.nonlinear(s.nv, s.v)
	for k, v := range s.v {
		s.a[k] = r(s.e2[k])*v + r(s.q[k])*s.nv[k]
	}
	s.nonlinear(s.na, s.a)
	for k, v := range s.v {
		s.b[k] = r(s.e2[k])*v + r(s.q[k])*s.na[k]
	}
	s.nonlinear(s.nb, s.b)
	for k, a := range s.a {
		s.c[k] = r(s.e2[k])*a + r(s.q[k])*(2*s.nb[k]-s.nv[k])
	}
	s.nonlinear(s.nc, s.c)
	for k, v := range s.v {
		s.v[k] = r(s.e[k])*v + r(s.f1[k])*s.nv[k] + 2*r(s.f2[k])*(s.na[k]+s.nb[k]) + r(s.f3[k])*s.nc[k]
	}
	s.steps++
	s.time += s.dt
}

// Advance takes k steps. It returns an error if the state stops being
// finite.
func (s *Burgers) Advance(k int) error {
	for i := 0; i < k; i++ {
		s.Step()
	}
	for _, v := range s.v {
		if cmplx.IsNaN(v) || cmplx.IsInf(v) {
			return fmt.Errorf("pde: Burgers state is not finite at t = %g: reduce the time step or raise the resolution", s.time)
		}
	}
	return nil
}
