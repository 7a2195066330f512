package mesh

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/sparse"
)

// VarStencil is a matrix-free operator with one set of stencil coefficients
// per grid point:
//
//	(A u)_p = Center[p] u_p + sum_a (Lo[a][p] u_{p-e_a} + Hi[a][p] u_{p+e_a})
//
// Boundary conditions are applied as for Stencil.
type VarStencil struct {
	g      *Grid
	center []float64
	lo, hi [3][]float64
}

// NewDivGrad returns -div(a grad u) with the coefficient a given at the grid
// points (length g.Len()). The coefficient on the face between two points is
// their harmonic mean, which keeps the flux continuous across jumps in a
// (Darcy flow with a piecewise-constant permeability). On a Dirichlet or
// Neumann boundary face the coefficient of the adjacent point is used.
// It returns an error if a has the wrong length or a non-positive or
// non-finite entry.
func NewDivGrad(g *Grid, a []float64) (*VarStencil, error) {
	if err := checkCoefficient(a, g.Len()); err != nil {
		return nil, err
	}
	return newDivGrad(g, func(p int, idx [3]int, ax, dir int) float64 {
		if q, ok := g.neighbor(idx, ax, dir); ok {
			return 2 * a[p] * a[q] / (a[p] + a[q])
		}
		return a[p]
	}), nil
}

// FaceMean is how NewDivGradNodes averages the coefficients of two
// neighbouring nodes onto the face between them.
type FaceMean int

const (
	// Arithmetic is (a_p + a_q)/2, the choice of FNO's Darcy solver
	// (solve_gwf.m) that the published Darcy data sets were made with.
	Arithmetic FaceMean = iota
	// Harmonic is 2 a_p a_q/(a_p + a_q), exact for a flux across a jump
	// between two constant coefficients.
	Harmonic
)

// NewDivGradNodes returns -div(a grad u) on a grid whose axes are all
// Dirichlet, with the coefficient a given at every node including the
// boundary ones: (n_0+2) x (n_1+2) [x (n_2+2)] values, axis 0 fastest. This
// is the layout of data sets that store the coefficient and the solution
// on the same node grid, boundary included. The coefficient on the face
// between two nodes is their mean of the given kind. It returns an error if
// an axis is not Dirichlet, a has the wrong length or a non-positive or
// non-finite entry.
func NewDivGradNodes(g *Grid, a []float64, mean FaceMean) (*VarStencil, error) {
	var ext, stride [3]int
	total := 1
	for ax := 0; ax < 3; ax++ {
		ext[ax] = 1
		if ax < g.dim {
			if g.bc[ax] != Dirichlet {
				return nil, fmt.Errorf("mesh: axis %d is %v, nodal coefficients need Dirichlet axes", ax, g.bc[ax])
			}
			ext[ax] = g.n[ax] + 2
		}
		stride[ax] = total
		total *= ext[ax]
	}
	if err := checkCoefficient(a, total); err != nil {
		return nil, err
	}
	if mean != Arithmetic && mean != Harmonic {
		return nil, fmt.Errorf("mesh: unknown face mean %d", mean)
	}
	return newDivGrad(g, func(_ int, idx [3]int, ax, dir int) float64 {
		node := 0
		for b := 0; b < g.dim; b++ {
			node += (idx[b] + 1) * stride[b]
		}
		ap, aq := a[node], a[node+dir*stride[ax]]
		if mean == Harmonic {
			return 2 * ap * aq / (ap + aq)
		}
		return (ap + aq) / 2
	}), nil
}

// checkCoefficient checks that a has length n and positive finite entries.
func checkCoefficient(a []float64, n int) error {
	if len(a) != n {
		return fmt.Errorf("mesh: coefficient has length %d, want %d", len(a), n)
	}
	for p, v := range a {
		if !(v > 0) || v > math.MaxFloat64 {
			return fmt.Errorf("mesh: coefficient at point %d is %v, must be positive and finite", p, v)
		}
	}
	return nil
}

// newDivGrad assembles -div(a grad u) from the face coefficient of each
// point, axis and direction.
func newDivGrad(g *Grid, face func(p int, idx [3]int, ax, dir int) float64) *VarStencil {
	n := g.Len()
	s := &VarStencil{g: g, center: make([]float64, n)}
	for ax := 0; ax < g.dim; ax++ {
		s.lo[ax] = make([]float64, n)
		s.hi[ax] = make([]float64, n)
	}
	idx := [3]int{}
	for p := 0; p < n; p++ {
		g.unindex(p, &idx)
		for ax := 0; ax < g.dim; ax++ {
			w := 1 / (g.h[ax] * g.h[ax])
			for _, dir := range [2]int{-1, 1} {
				f := w * face(p, idx, ax, dir)
				s.center[p] += f
				if dir < 0 {
					s.lo[ax][p] = -f
				} else {
					s.hi[ax][p] = -f
				}
			}
		}
	}
	s.zeroOutside()
	return s
}

// zeroOutside zeroes the coefficients of Dirichlet neighbours outside the
// grid, so that the line kernel may read any in-range value for them.
func (s *VarStencil) zeroOutside() {
	g := s.g
	idx := [3]int{}
	for p := range s.center {
		g.unindex(p, &idx)
		for ax := 0; ax < g.dim; ax++ {
			if g.bc[ax] != Dirichlet {
				continue
			}
			if idx[ax] == 0 {
				s.lo[ax][p] = 0
			}
			if idx[ax] == g.n[ax]-1 {
				s.hi[ax][p] = 0
			}
		}
	}
}

func (g *Grid) unindex(p int, idx *[3]int) {
	for a := 0; a < 3; a++ {
		idx[a] = p % g.n[a]
		p /= g.n[a]
	}
}

// neighbor returns the index of the neighbour of the point idx along axis a
// in direction dir, wrapping periodic axes, and false if it lies outside.
func (g *Grid) neighbor(idx [3]int, a, dir int) (int, bool) {
	q := idx[a] + dir
	if q < 0 || q >= g.n[a] {
		if g.bc[a] != Periodic {
			return 0, false
		}
		q = (q + g.n[a]) % g.n[a]
	}
	idx[a] = q
	return idx[0] + g.n[0]*(idx[1]+g.n[1]*idx[2]), true
}

// Grid returns the grid of s.
func (s *VarStencil) Grid() *Grid { return s.g }

// Dims returns the operator's dimensions, Len x Len.
func (s *VarStencil) Dims() (r, c int) { n := s.g.Len(); return n, n }

// Diagonal returns the centre coefficients (the matrix diagonal before
// Neumann folding) without copying. Do not modify it.
func (s *VarStencil) Diagonal() []float64 { return s.center }

// MulVecTo computes dst = A u, overwriting dst, in parallel over grid lines
// without allocating.
func (s *VarStencil) MulVecTo(dst, u []float64) { runLines(s.g, nil, s, dst, u) }

// neighborLine returns the offset of the neighbour line; a missing
// (Dirichlet) neighbour and a Neumann ghost both read the line itself, the
// former with a zeroed coefficient, the latter folding into the centre.
func (g *Grid) neighborLine(a, i, dir int) int {
	if a >= g.dim {
		return 0
	}
	off, _ := g.lineNeighbor(a, i, dir)
	return off
}

func (s *VarStencil) lines(dst, u []float64, lo, hi int) {
	g := s.g
	n0, n1 := g.n[0], g.n[1]
	for l := lo; l < hi; l++ {
		j, k := l%n1, l/n1
		base := l * n0
		end := base + n0
		d := dst[base:end]
		u0 := u[base:end]
		cen := s.center[base:end]
		xl, xh := s.lo[0][base:end], s.hi[0][base:end]
		for i := 1; i < n0-1; i++ {
			d[i] = cen[i]*u0[i] + xl[i]*u0[i-1] + xh[i]*u0[i+1]
		}
		for _, i := range [2]int{0, n0 - 1} {
			v := cen[i] * u0[i]
			if off, kind := g.lineNeighbor(0, i, -1); kind != outside {
				v += xl[i] * u0[i+off]
			}
			if off, kind := g.lineNeighbor(0, i, 1); kind != outside {
				v += xh[i] * u0[i+off]
			}
			d[i] = v
		}
		for a := 1; a < g.dim; a++ {
			ia := j
			if a == 2 {
				ia = k
			}
			om, op := g.neighborLine(a, ia, -1), g.neighborLine(a, ia, 1)
			ua := u[base+om : end+om]
			ub := u[base+op : end+op]
			cl, ch := s.lo[a][base:end], s.hi[a][base:end]
			for i := range d {
				d[i] += cl[i]*ua[i] + ch[i]*ub[i]
			}
		}
	}
}

// ToCSR assembles the operator.
func (s *VarStencil) ToCSR() *sparse.CSR {
	return assemble(s.g, func(p, a, dir int) float64 {
		if dir < 0 {
			return s.lo[a][p]
		}
		return s.hi[a][p]
	}, func(p int) float64 { return s.center[p] })
}
