package mesh

import (
	"fmt"
	"sync"

	"github.com/pdekit/pdekit/internal/parallel"
	"github.com/pdekit/pdekit/sparse"
)

// Stencil is a matrix-free constant-coefficient operator on a grid:
//
//	(A u)_p = Center u_p + sum_a (Lo[a] u_{p-e_a} + Hi[a] u_{p+e_a})
//
// with neighbours outside the grid handled by each axis's boundary
// condition. It covers the Laplacian, anisotropic diffusion, Helmholtz and
// constant-velocity convection-diffusion.
type Stencil struct {
	g      *Grid
	center float64
	lo, hi [3]float64
}

// NewStencil returns the stencil with the given centre and neighbour
// coefficients; lo and hi have one entry per dimension.
func NewStencil(g *Grid, center float64, lo, hi []float64) *Stencil {
	if len(lo) != g.dim || len(hi) != g.dim {
		panic(fmt.Sprintf("mesh: stencil with %d/%d coefficients on a %d-D grid", len(lo), len(hi), g.dim))
	}
	s := &Stencil{g: g, center: center}
	copy(s.lo[:], lo)
	copy(s.hi[:], hi)
	return s
}

// Coefficients returns the stencil's centre and its neighbour coefficients
// below and above along each axis: with NewStencil, the same stencil on
// another grid (a part of this one, say).
func (s *Stencil) Coefficients() (center float64, lo, hi []float64) {
	d := s.g.dim
	return s.center, append([]float64(nil), s.lo[:d]...), append([]float64(nil), s.hi[:d]...)
}

// NewAnisotropic returns -sum_a eps[a] d^2u/dx_a^2 + shift u, the 3/5/7-point
// second-order discretization.
func NewAnisotropic(g *Grid, eps []float64, shift float64) *Stencil {
	if len(eps) != g.dim {
		panic(fmt.Sprintf("mesh: %d diffusion coefficients on a %d-D grid", len(eps), g.dim))
	}
	lo := make([]float64, g.dim)
	c := shift
	for a := range lo {
		w := eps[a] / (g.h[a] * g.h[a])
		lo[a] = -w
		c += 2 * w
	}
	return NewStencil(g, c, lo, lo)
}

// NewLaplacian returns -Laplacian.
func NewLaplacian(g *Grid) *Stencil {
	return NewAnisotropic(g, fill(g.dim, 1), 0)
}

// NewHelmholtz returns -Laplacian - k^2, indefinite once k^2 exceeds the
// smallest eigenvalue of -Laplacian (2 pi^2 on the unit square).
func NewHelmholtz(g *Grid, k float64) *Stencil {
	return NewAnisotropic(g, fill(g.dim, 1), -k*k)
}

// Scheme is the discretization of the convection term.
type Scheme int

const (
	// Upwind is the first-order upwind difference: stable for any Peclet
	// number, first-order accurate.
	Upwind Scheme = iota
	// Central is the second-order central difference: oscillates when the
	// cell Peclet number |b| h / (2 nu) exceeds 1.
	Central
)

// NewConvDiff returns -nu Laplacian + b . grad, with the convection term
// discretized by scheme. The operator is nonsymmetric.
func NewConvDiff(g *Grid, nu float64, b []float64, scheme Scheme) *Stencil {
	if len(b) != g.dim {
		panic(fmt.Sprintf("mesh: velocity of length %d on a %d-D grid", len(b), g.dim))
	}
	s := NewAnisotropic(g, fill(g.dim, nu), 0)
	for a := 0; a < g.dim; a++ {
		h := g.h[a]
		switch scheme {
		case Central:
			s.lo[a] -= b[a] / (2 * h)
			s.hi[a] += b[a] / (2 * h)
		default:
			if b[a] > 0 {
				s.center += b[a] / h
				s.lo[a] -= b[a] / h
			} else {
				s.center -= b[a] / h
				s.hi[a] += b[a] / h
			}
		}
	}
	return s
}

func fill(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// Grid returns the grid of s.
func (s *Stencil) Grid() *Grid { return s.g }

// Dims returns the operator's dimensions, Len x Len.
func (s *Stencil) Dims() (r, c int) { n := s.g.Len(); return n, n }

// MulVecTo computes dst = A u, overwriting dst. It runs in parallel over
// grid lines and does not allocate.
func (s *Stencil) MulVecTo(dst, u []float64) { runLines(s.g, s, nil, dst, u) }

// runLines applies the stencil s or v (one of them nil) to u line by line,
// in parallel above parallelPoints.
func runLines(g *Grid, s *Stencil, v *VarStencil, dst, u []float64) {
	n := g.Len()
	if len(dst) != n || len(u) != n {
		panic(fmt.Sprintf("mesh: MulVecTo lengths %d, %d, want %d", len(dst), len(u), n))
	}
	t := stencilPool.Get().(*stencilTask)
	t.s, t.v, t.dst, t.u, t.lines = s, v, dst, u, g.n[1]*g.n[2]
	parallel.Run(parallel.Parts(n, parallelPoints), t)
	*t = stencilTask{}
	stencilPool.Put(t)
}

// parallelPoints is the grid size below which stencils run serially.
const parallelPoints = 16384

type stencilTask struct {
	s      *Stencil
	v      *VarStencil
	dst, u []float64
	lines  int
}

var stencilPool = sync.Pool{New: func() any { return new(stencilTask) }}

func (t *stencilTask) Do(p, parts int) {
	lo, hi := parallel.Range(t.lines, p, parts)
	if t.s != nil {
		t.s.lines(t.dst, t.u, lo, hi)
	} else {
		t.v.lines(t.dst, t.u, lo, hi)
	}
}

// lineNeighbor describes the neighbour line of line (j, k) along axis a in
// direction dir: the offset to add to the line's base index, and whether the
// neighbour is a real point (inside or wrapped), a Neumann ghost (folded
// into the centre) or a Dirichlet zero.
func (g *Grid) lineNeighbor(a, i, dir int) (off int, kind neighborKind) {
	n, st := g.n[a], g.stride(a)
	q := i + dir
	if q >= 0 && q < n {
		return dir * st, inside
	}
	switch g.bc[a] {
	case Periodic:
		return -dir * (n - 1) * st, inside
	case Neumann:
		return 0, ghost
	}
	return 0, outside
}

type neighborKind int

const (
	inside neighborKind = iota
	ghost
	outside
)

// lineCoef turns a neighbour description and its coefficient into the
// (offset, coefficient) used by the line kernel and the amount folded into
// the centre. A missing neighbour reads the line itself with weight zero,
// which keeps the kernel free of branches.
func lineCoef(off int, kind neighborKind, c float64) (int, float64, float64) {
	switch kind {
	case inside:
		return off, c, 0
	case ghost:
		return 0, 0, c
	}
	return 0, 0, 0
}

func (s *Stencil) lines(dst, u []float64, lo, hi int) {
	g := s.g
	n0, n1 := g.n[0], g.n[1]
	for l := lo; l < hi; l++ {
		j, k := l%n1, l/n1
		base := l * n0
		cc := s.center
		oym, cym, f1 := lineCoef2(g, 1, j, -1, s.lo[1])
		oyp, cyp, f2 := lineCoef2(g, 1, j, +1, s.hi[1])
		ozm, czm, f3 := lineCoef2(g, 2, k, -1, s.lo[2])
		ozp, czp, f4 := lineCoef2(g, 2, k, +1, s.hi[2])
		cc += f1 + f2 + f3 + f4
		d := dst[base : base+n0]
		u0 := u[base : base+n0]
		ya := u[base+oym : base+oym+n0]
		yb := u[base+oyp : base+oyp+n0]
		cxm, cxp := s.lo[0], s.hi[0]
		if g.dim == 3 {
			za := u[base+ozm : base+ozm+n0]
			zb := u[base+ozp : base+ozp+n0]
			ya, yb, za, zb = ya[:len(u0)], yb[:len(u0)], za[:len(u0)], zb[:len(u0)]
			d = d[:len(u0)]
			for i := 1; i < len(u0)-1; i++ {
				d[i] = cc*u0[i] + cxm*u0[i-1] + cxp*u0[i+1] + cym*ya[i] + cyp*yb[i] + czm*za[i] + czp*zb[i]
			}
			for _, i := range [2]int{0, n0 - 1} {
				d[i] = s.xEnd(u0, i, cc) + cym*ya[i] + cyp*yb[i] + czm*za[i] + czp*zb[i]
			}
			continue
		}
		// Equal lengths let the compiler drop the bounds checks.
		ya, yb = ya[:len(u0)], yb[:len(u0)]
		d = d[:len(u0)]
		for i := 1; i < len(u0)-1; i++ {
			d[i] = cc*u0[i] + cxm*u0[i-1] + cxp*u0[i+1] + cym*ya[i] + cyp*yb[i]
		}
		for _, i := range [2]int{0, n0 - 1} {
			d[i] = s.xEnd(u0, i, cc) + cym*ya[i] + cyp*yb[i]
		}
	}
}

func lineCoef2(g *Grid, a, i, dir int, c float64) (int, float64, float64) {
	if a >= g.dim {
		return 0, 0, 0
	}
	off, kind := g.lineNeighbor(a, i, dir)
	return lineCoef(off, kind, c)
}

// xEnd returns the centre and x-neighbour part of point i of a line, for the
// first and last point where the x boundary condition applies.
func (s *Stencil) xEnd(u0 []float64, i int, cc float64) float64 {
	v := cc * u0[i]
	for _, dir := range [2]int{-1, 1} {
		c := s.lo[0]
		if dir > 0 {
			c = s.hi[0]
		}
		off, kind := s.g.lineNeighbor(0, i, dir)
		switch kind {
		case inside:
			v += c * u0[i+off]
		case ghost:
			v += c * u0[i]
		}
	}
	return v
}

// ToCSR assembles the operator.
func (s *Stencil) ToCSR() *sparse.CSR {
	return assemble(s.g, func(p int, a, dir int) float64 {
		if dir < 0 {
			return s.lo[a]
		}
		return s.hi[a]
	}, func(int) float64 { return s.center })
}

// assemble builds the CSR matrix of a stencil whose coefficient of the
// neighbour of point p along axis a in direction dir is coef(p, a, dir) and
// whose centre coefficient is center(p), applying the boundary conditions
// point by point. It is written independently of the line kernels so that
// the two can check each other.
func assemble(g *Grid, coef func(p, a, dir int) float64, center func(p int) float64) *sparse.CSR {
	n := g.Len()
	b := sparse.NewCOO(n, n)
	idx := [3]int{}
	for p := 0; p < n; p++ {
		r := p
		for a := 0; a < 3; a++ {
			idx[a] = r % g.n[a]
			r /= g.n[a]
		}
		b.Add(p, p, center(p))
		for a := 0; a < g.dim; a++ {
			for _, dir := range [2]int{-1, 1} {
				c := coef(p, a, dir)
				q := idx[a] + dir
				switch {
				case q >= 0 && q < g.n[a]:
					b.Add(p, p+dir*g.stride(a), c)
				case g.bc[a] == Periodic:
					b.Add(p, p+(q-idx[a]-dir*g.n[a])*g.stride(a), c)
				case g.bc[a] == Neumann:
					b.Add(p, p, c)
				}
			}
		}
	}
	return b.ToCSR()
}
