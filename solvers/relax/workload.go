package relax

import (
	"fmt"
	"io"
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pdekit/pdekit/mesh"
)

// Source yields the systems of a sequence one after another. Next is
// given the solution of the instance it returned last (nil on the first
// call), which a time-stepping source needs for the next right-hand side;
// it returns io.EOF after the last instance.
type Source interface {
	Next(prev []float64) (*Instance, error)
}

// Variance selects the shift distribution of ShiftedLaplacian.
type Variance int

const (
	// High shifts are c = -0.15 + 0.6 Beta(0.5, 1.5).
	High Variance = iota
	// Low shifts are c = -0.15 + 0.6 Beta(2, 6).
	Low
)

// ShiftedLaplacian is the paper's first experiment: A_t = A + c_t I with A
// the 5-point Laplacian (diagonal 4, MATLAB's delsq(numgrid('S', Side+2)))
// on a Side x Side interior grid, shifts c_t drawn from a scaled Beta
// distribution and right-hand sides standard Gaussian, redrawn until
// ||b|| <= sqrt(n). The context of an instance is its shift. Create it
// with NewShiftedLaplacian.
type ShiftedLaplacian struct {
	count, t int
	grid     *mesh.Grid
	beta     distuv.Beta
	offset   float64
	width    float64
	normal   distuv.Normal
}

// NewShiftedLaplacian returns count instances on a side x side grid (the
// paper: 10, so n = 100) with shifts of the given variance, seeded by seed.
func NewShiftedLaplacian(v Variance, side, count int, seed uint64) (*ShiftedLaplacian, error) {
	if side < 1 || count < 1 {
		return nil, fmt.Errorf("relax: shifted Laplacian needs side >= 1 and count >= 1, got %d and %d", side, count)
	}
	src := newSource(seed).rnd
	s := &ShiftedLaplacian{count: count, grid: mesh.NewGrid(mesh.Dirichlet, side, side),
		offset: -0.15, width: 0.6, normal: distuv.Normal{Mu: 0, Sigma: 1, Src: src}}
	switch v {
	case High:
		s.beta = distuv.Beta{Alpha: 0.5, Beta: 1.5, Src: src}
	case Low:
		s.beta = distuv.Beta{Alpha: 2, Beta: 6, Src: src}
	default:
		return nil, fmt.Errorf("relax: unknown variance %d", int(v))
	}
	return s, nil
}

// ShiftContextLo and ShiftContextHi bound the context interval the paper
// gives its contextual learners on the shifted-Laplacian experiment; the
// shifts themselves lie in [-0.15, 0.45].
const ShiftContextLo, ShiftContextHi = -0.15, 0.65

// Next implements Source.
func (s *ShiftedLaplacian) Next([]float64) (*Instance, error) {
	if s.t == s.count {
		return nil, io.EOF
	}
	s.t++
	c := s.offset + s.width*s.beta.Rand()
	a := mesh.NewStencil(s.grid, 4+c, []float64{-1, -1}, []float64{-1, -1}).ToCSR()
	n := s.grid.Len()
	b := make([]float64, n)
	for {
		var ss float64
		for i := range b {
			b[i] = s.normal.Rand()
			ss += b[i] * b[i]
		}
		if ss <= float64(n) {
			break
		}
	}
	return &Instance{A: a, B: b, Context: c}, nil
}

// Heat is the paper's second experiment: u_t = kappa(t) Laplacian(u) + f on
// the unit square with zero Dirichlet conditions, 5-point differences on
// an NX x NX mesh ((NX-1)^2 unknowns) and Crank-Nicolson steps
//
//	(I - dt/2 kappa L) u_{k+1} = (I + dt/2 kappa L) u_k + dt f,
//
// kappa and f taken at the half step. The coefficient is
// kappa(t) = max(0.1 sin 2 pi t, -10 sin 2 pi t), the forcing 32 times a
// bump of radius 0.125 circling the centre, the initial state a bump of
// radius 0.25 at the centre. The context of an instance is kappa, its
// suggested initial guess the current state. Create it with NewHeat.
type Heat struct {
	steps, t int
	dt       float64
	grid     *mesh.Grid
	lap      *mesh.Stencil
	u, lu, f []float64
}

// NewHeat returns steps Crank-Nicolson systems on an nx x nx mesh with time
// step dt (the paper: 5000 steps of 1e-3).
func NewHeat(nx, steps int, dt float64) (*Heat, error) {
	if nx < 2 || steps < 1 || !(dt > 0) {
		return nil, fmt.Errorf("relax: heat equation needs nx >= 2, steps >= 1 and dt > 0, got %d, %d and %v", nx, steps, dt)
	}
	g := mesh.NewGrid(mesh.Dirichlet, nx-1, nx-1)
	h := &Heat{steps: steps, dt: dt, grid: g, lap: mesh.NewLaplacian(g)}
	// MATLAB's numbering runs the second coordinate fastest: our axis 0 is
	// the paper's y, axis 1 its x.
	h.u = g.Sample(nil, func(x []float64) float64 { return bump(x[1], x[0], 0.5, 0.5, 0.25) })
	h.lu = make([]float64, len(h.u))
	h.f = make([]float64, len(h.u))
	return h, nil
}

// HeatKappa is the heat experiment's diffusion coefficient.
func HeatKappa(t float64) float64 {
	s := math.Sin(2 * math.Pi * t)
	return math.Max(0.1*s, -10*s)
}

// bump is exp(1 - 1/(1 - r^2)) for r = |(x, y) - (cx, cy)| / radius < 1, 0
// outside.
func bump(x, y, cx, cy, radius float64) float64 {
	r2 := ((x-cx)*(x-cx) + (y-cy)*(y-cy)) / (radius * radius)
	if r2 >= 1 {
		return 0
	}
	return math.Exp(1 - 1/(1-r2))
}

// Len returns the number of unknowns.
func (h *Heat) Len() int { return h.grid.Len() }

// Next implements Source: prev, the solution of the previous step, becomes
// the state.
func (h *Heat) Next(prev []float64) (*Instance, error) {
	if prev != nil {
		if len(prev) != len(h.u) {
			return nil, fmt.Errorf("relax: heat step given %d values, want %d", len(prev), len(h.u))
		}
		copy(h.u, prev)
	}
	if h.t == h.steps {
		return nil, io.EOF
	}
	half := (float64(h.t) + 0.5) * h.dt
	h.t++
	kappa := HeatKappa(half)
	w := 0.5 * kappa * h.dt
	cx, cy := 0.5+math.Cos(16*math.Pi*half)/4, 0.5+math.Sin(16*math.Pi*half)/4
	h.grid.Sample(h.f, func(x []float64) float64 { return 32 * bump(x[1], x[0], cx, cy, 0.125) })
	h.lap.MulVecTo(h.lu, h.u) // -Laplacian u
	b := make([]float64, len(h.u))
	for i := range b {
		b[i] = h.u[i] - w*h.lu[i] + h.dt*h.f[i]
	}
	a := mesh.NewAnisotropic(h.grid, []float64{w, w}, 1).ToCSR()
	return &Instance{A: a, B: b, Context: kappa, X0: append([]float64(nil), h.u...)}, nil
}

// Slice is a Source over instances held in memory (read from a file, say).
type Slice []*Instance

// Next implements Source.
func (s *Slice) Next([]float64) (*Instance, error) {
	if len(*s) == 0 {
		return nil, io.EOF
	}
	in := (*s)[0]
	*s = (*s)[1:]
	return in, nil
}
