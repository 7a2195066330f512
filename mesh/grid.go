package mesh

import (
	"fmt"
	"strings"
)

// Boundary is the boundary condition on both ends of one axis.
type Boundary int

const (
	// Dirichlet is a zero value on the boundary, vertex-centred.
	Dirichlet Boundary = iota
	// Neumann is a zero normal derivative (zero flux), cell-centred.
	Neumann
	// Periodic wraps the axis around.
	Periodic
)

// String returns the lower-case name of b.
func (b Boundary) String() string {
	switch b {
	case Dirichlet:
		return "dirichlet"
	case Neumann:
		return "neumann"
	case Periodic:
		return "periodic"
	}
	return fmt.Sprintf("Boundary(%d)", int(b))
}

// ParseBoundary returns the Boundary named s (case-insensitive).
func ParseBoundary(s string) (Boundary, error) {
	switch strings.ToLower(s) {
	case "dirichlet":
		return Dirichlet, nil
	case "neumann":
		return Neumann, nil
	case "periodic":
		return Periodic, nil
	}
	return 0, fmt.Errorf("mesh: unknown boundary condition %q (want dirichlet, neumann or periodic)", s)
}

// Grid is a structured grid of unknowns on a box. The zero value is not
// usable; create grids with NewGrid or NewGridWith.
type Grid struct {
	dim    int
	n      [3]int
	bc     [3]Boundary
	length [3]float64
	h      [3]float64
}

// NewGrid returns a grid on the unit box with the same boundary condition on
// every axis and n[d] unknowns along axis d; len(n) is the dimension (1..3).
// It panics on an invalid size; use NewGridWith for sizes from outside.
func NewGrid(bc Boundary, n ...int) *Grid {
	bcs := make([]Boundary, len(n))
	ls := make([]float64, len(n))
	for i := range n {
		bcs[i], ls[i] = bc, 1
	}
	g, err := NewGridWith(n, bcs, ls)
	if err != nil {
		panic(err.Error())
	}
	return g
}

// NewGridWith returns a grid with n[d] unknowns, boundary bc[d] and length
// length[d] along axis d. It returns an error naming the bad argument.
func NewGridWith(n []int, bc []Boundary, length []float64) (*Grid, error) {
	d := len(n)
	if d < 1 || d > 3 {
		return nil, fmt.Errorf("mesh: dimension %d not in 1..3", d)
	}
	if len(bc) != d || len(length) != d {
		return nil, fmt.Errorf("mesh: %d sizes but %d boundary conditions and %d lengths", d, len(bc), len(length))
	}
	g := &Grid{dim: d, n: [3]int{1, 1, 1}}
	for a := 0; a < d; a++ {
		if n[a] < 1 {
			return nil, fmt.Errorf("mesh: axis %d: %d unknowns, need at least 1", a, n[a])
		}
		if bc[a] == Periodic && n[a] < 3 {
			return nil, fmt.Errorf("mesh: axis %d: periodic axis needs at least 3 points, got %d", a, n[a])
		}
		if bc[a] < Dirichlet || bc[a] > Periodic {
			return nil, fmt.Errorf("mesh: axis %d: invalid boundary %d", a, int(bc[a]))
		}
		if !(length[a] > 0) {
			return nil, fmt.Errorf("mesh: axis %d: length %v must be positive", a, length[a])
		}
		g.n[a], g.bc[a], g.length[a] = n[a], bc[a], length[a]
		switch bc[a] {
		case Dirichlet:
			g.h[a] = length[a] / float64(n[a]+1)
		default:
			g.h[a] = length[a] / float64(n[a])
		}
	}
	return g, nil
}

// Dim returns the number of dimensions.
func (g *Grid) Dim() int { return g.dim }

// N returns the number of unknowns along axis a.
func (g *Grid) N(a int) int { return g.n[a] }

// Len returns the total number of unknowns.
func (g *Grid) Len() int { return g.n[0] * g.n[1] * g.n[2] }

// H returns the spacing along axis a.
func (g *Grid) H(a int) float64 { return g.h[a] }

// Boundary returns the boundary condition of axis a.
func (g *Grid) Boundary(a int) Boundary { return g.bc[a] }

// Length returns the domain length along axis a.
func (g *Grid) Length(a int) float64 { return g.length[a] }

// Coord returns the coordinate of point i along axis a.
func (g *Grid) Coord(a, i int) float64 {
	switch g.bc[a] {
	case Dirichlet:
		return float64(i+1) * g.h[a]
	case Neumann:
		return (float64(i) + 0.5) * g.h[a]
	}
	return float64(i) * g.h[a]
}

// Index returns the linear index of the point with grid indices idx (one
// per dimension).
func (g *Grid) Index(idx ...int) int {
	if len(idx) != g.dim {
		panic(fmt.Sprintf("mesh: Index with %d indices on a %d-D grid", len(idx), g.dim))
	}
	p, stride := 0, 1
	for a, i := range idx {
		if uint(i) >= uint(g.n[a]) {
			panic(fmt.Sprintf("mesh: index %d out of range 0..%d on axis %d", i, g.n[a]-1, a))
		}
		p += i * stride
		stride *= g.n[a]
	}
	return p
}

// Sample writes f evaluated at every grid point into dst (length Len) and
// returns dst; a nil dst is allocated. The slice passed to f is reused.
func (g *Grid) Sample(dst []float64, f func(x []float64) float64) []float64 {
	if dst == nil {
		dst = make([]float64, g.Len())
	}
	if len(dst) != g.Len() {
		panic(fmt.Sprintf("mesh: Sample into length %d, want %d", len(dst), g.Len()))
	}
	x := make([]float64, g.dim)
	p := 0
	for k := 0; k < g.n[2]; k++ {
		for j := 0; j < g.n[1]; j++ {
			for i := 0; i < g.n[0]; i++ {
				ijk := [3]int{i, j, k}
				for a := 0; a < g.dim; a++ {
					x[a] = g.Coord(a, ijk[a])
				}
				dst[p] = f(x)
				p++
			}
		}
	}
	return dst
}

// stride returns the index distance between neighbours along axis a.
func (g *Grid) stride(a int) int {
	s := 1
	for b := 0; b < a; b++ {
		s *= g.n[b]
	}
	return s
}

// Coarsen returns the grid with half the resolution used by multigrid:
// Dirichlet n = 2m+1 -> m (nested: every other point), Dirichlet n = 2m ->
// m (not nested, as for the 419 interior points of a 421-node grid),
// Neumann and periodic n = 2m -> m. It returns an
// error if an axis cannot be halved.
func (g *Grid) Coarsen() (*Grid, error) {
	c := *g
	for a := 0; a < g.dim; a++ {
		n := g.n[a]
		switch g.bc[a] {
		case Dirichlet:
			if n < 3 {
				return nil, fmt.Errorf("mesh: axis %d: %d Dirichlet unknowns cannot be coarsened (need >= 3)", a, n)
			}
			c.n[a] = n / 2 // (n-1)/2 for odd n: nested
			c.h[a] = g.length[a] / float64(c.n[a]+1)
		case Neumann:
			if n < 2 || n%2 != 0 {
				return nil, fmt.Errorf("mesh: axis %d: %d Neumann cells cannot be coarsened (need an even count >= 2)", a, n)
			}
			c.n[a] = n / 2
			c.h[a] = g.length[a] / float64(c.n[a])
		case Periodic:
			if n < 6 || n%2 != 0 {
				return nil, fmt.Errorf("mesh: axis %d: %d periodic points cannot be coarsened (need an even count >= 6)", a, n)
			}
			c.n[a] = n / 2
			c.h[a] = g.length[a] / float64(c.n[a])
		}
	}
	return &c, nil
}
