package pde

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/sparse"
)

// Obstacles describes a pressure-Poisson system of the kind the deep
// conjugate-direction method (Kaneda et al., ICML 2023) was made for:
// the pressure projection of a fluid on an N^Dim grid of unit cells
// (Dim 2 or 3), some of them solid obstacles. Axis 0 points up; the top
// face of the box is open (pressure 0 there), the other faces of the box
// and the faces of the obstacles are walls (no flow through them).
//
// The matrix is the cell-centred 5- or 7-point Laplacian, unscaled as
// graphics codes assemble it: a fluid cell's row has -1 for each fluid
// neighbour, 1 more on the diagonal for each fluid neighbour and for the
// open top face, nothing for a wall. It is symmetric positive definite:
// a fluid region that cannot reach the open top would make it singular,
// so such trapped cells are made solid. A solid cell's row is the
// identity's, with right-hand side 0, so that vectors keep the grid's
// layout (index i0 N^(Dim-1) + ..., the last axis fastest).
//
// The right-hand side is the divergence of a velocity field that has to
// be projected: a smooth random field (eight random Fourier modes of
// wavenumber at most 3) plus a rising plume (velocity 2 up through the
// faces of a disc or ball of radius N/8 in the lower quarter), with the
// velocity through walls set to zero, so that b lies in the range of A.
type Obstacles struct {
	// Dim is 2 or 3; N the cells per side (at least 4).
	Dim, N int
	// Shape is "spheres" (discs in 2-D), "boxes" or "mixed" (each
	// obstacle either; the default).
	Shape string
	// Count is the number of obstacles; zero means 3.
	Count int
	// Seed makes the obstacles, the plume and the velocity field.
	Seed uint64
}

// ObstacleSystem is a built Obstacles system.
type ObstacleSystem struct {
	A     *sparse.CSR
	B     []float64
	Solid []bool
	// Shape is the grid, N per axis.
	Shape []int
	// Trapped counts the fluid cells made solid because they could not
	// reach the open top.
	Trapped int
}

// Build assembles the system.
func (o Obstacles) Build() (*ObstacleSystem, error) {
	if o.Dim != 2 && o.Dim != 3 {
		return nil, fmt.Errorf("pde: obstacles in %d dimensions, want 2 or 3", o.Dim)
	}
	if o.N < 4 || (o.Dim == 3 && o.N > 1024) || o.N > 1<<15 {
		return nil, fmt.Errorf("pde: obstacles grid of %d cells per side, want 4 to %d", o.N, map[int]int{2: 1 << 15, 3: 1024}[o.Dim])
	}
	if o.Count < 0 || o.Count > 1000 {
		return nil, fmt.Errorf("pde: %d obstacles, want 0 to 1000", o.Count)
	}
	shape := o.Shape
	if shape == "" {
		shape = "mixed"
	}
	if shape != "spheres" && shape != "boxes" && shape != "mixed" {
		return nil, fmt.Errorf("pde: obstacle shape %q, want spheres, boxes or mixed", o.Shape)
	}
	count := o.Count
	if count == 0 {
		count = 3
	}
	d, n := o.Dim, o.N
	size := 1
	for a := 0; a < d; a++ {
		size *= n
	}
	stride := make([]int, d)
	for a, s := d-1, 1; a >= 0; a-- {
		stride[a], s = s, s*n
	}
	coords := func(c int, x []int) {
		for a := 0; a < d; a++ {
			x[a] = c / stride[a] % n
		}
	}
	rnd := SampleRand(o.Seed, 0)
	fn := float64(n)
	// The plume's axis, then the obstacles, centred in the upper part.
	plume := make([]float64, d)
	for a := 1; a < d; a++ {
		plume[a] = fn * (0.3 + 0.4*rnd.Float64())
	}
	type obstacle struct {
		ball bool
		c, r []float64 // centre and radius (half extents for a box)
	}
	obs := make([]obstacle, count)
	for k := range obs {
		ob := obstacle{ball: shape == "spheres" || (shape == "mixed" && rnd.IntN(2) == 0), c: make([]float64, d), r: make([]float64, d)}
		ob.c[0] = fn * (0.35 + 0.5*rnd.Float64())
		for a := 1; a < d; a++ {
			ob.c[a] = fn * (0.1 + 0.8*rnd.Float64())
		}
		rad := fn * (0.06 + 0.1*rnd.Float64())
		for a := range ob.r {
			ob.r[a] = rad
			if !ob.ball {
				ob.r[a] = fn * (0.04 + 0.12*rnd.Float64())
			}
		}
		obs[k] = ob
	}
	solid := make([]bool, size)
	x := make([]int, d)
	for c := range solid {
		coords(c, x)
		for _, ob := range obs {
			in := true
			var r2 float64
			for a := 0; a < d; a++ {
				t := (float64(x[a]) + 0.5 - ob.c[a]) / ob.r[a]
				r2 += t * t
				in = in && math.Abs(t) <= 1
			}
			if ob.ball {
				in = r2 <= 1
			}
			if in {
				solid[c] = true
				break
			}
		}
	}
	// Fluid that cannot reach the open top becomes solid.
	reach := make([]bool, size)
	var queue []int
	for c := range solid {
		if !solid[c] && c/stride[0] == n-1 {
			reach[c] = true
			queue = append(queue, c)
		}
	}
	for len(queue) > 0 {
		c := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		coords(c, x)
		for a := 0; a < d; a++ {
			for _, s := range []int{-1, 1} {
				if y := x[a] + s; y >= 0 && y < n {
					nb := c + s*stride[a]
					if !solid[nb] && !reach[nb] {
						reach[nb] = true
						queue = append(queue, nb)
					}
				}
			}
		}
	}
	sys := &ObstacleSystem{Solid: solid, Shape: make([]int, d), B: make([]float64, size)}
	for a := range sys.Shape {
		sys.Shape[a] = n
	}
	for c := range solid {
		if !solid[c] && !reach[c] {
			solid[c] = true
			sys.Trapped++
		}
	}
	// The velocity through the face between cell c and c + e_a (position
	// x + e_a/2): random modes plus the plume, zero through walls.
	type mode struct {
		k     []float64
		amp   []float64
		phase float64
	}
	modes := make([]mode, 8)
	for m := range modes {
		md := mode{k: make([]float64, d), amp: make([]float64, d), phase: 2 * math.Pi * rnd.Float64()}
		for a := 0; a < d; a++ {
			md.k[a] = float64(rnd.IntN(7) - 3)
			md.amp[a] = rnd.NormFloat64() / 4
		}
		modes[m] = md
	}
	velocity := func(a int, x []int) float64 {
		var v float64
		for _, md := range modes {
			var arg float64
			for b := 0; b < d; b++ {
				p := (float64(x[b]) + 0.5) / fn
				if b == a {
					p += 0.5 / fn
				}
				arg += md.k[b] * p
			}
			v += md.amp[a] * math.Sin(2*math.Pi*arg+md.phase)
		}
		if a == 0 && float64(x[0]) < fn/4 {
			var r2 float64
			for b := 1; b < d; b++ {
				t := (float64(x[b]) + 0.5 - plume[b]) / (fn / 8)
				r2 += t * t
			}
			if r2 <= 1 {
				v += 2
			}
		}
		return v
	}
	flux := func(c, a int) float64 { // through the face on the + side of c along a
		coords(c, x)
		if x[a] == n-1 {
			return 0 // a wall, or the open top, where the field is not imposed
		}
		if solid[c] || solid[c+stride[a]] {
			return 0
		}
		return velocity(a, x)
	}
	coo := sparse.NewCOO(size, size)
	for c := range solid {
		if solid[c] {
			coo.Add(c, c, 1)
			continue
		}
		coords(c, x)
		var diag float64
		for a := 0; a < d; a++ {
			for _, s := range []int{-1, 1} {
				y := x[a] + s
				switch {
				case y < 0 || y >= n:
					if a == 0 && s == 1 {
						diag++ // the open top: pressure 0 beyond it
					}
				case !solid[c+s*stride[a]]:
					diag++
					coo.Add(c, c+s*stride[a], -1)
				}
			}
		}
		coo.Add(c, c, diag)
		// b = -div u: the net flux out of the cell.
		var div float64
		for a := 0; a < d; a++ {
			div += flux(c, a)
			if x[a] > 0 {
				div -= flux(c-stride[a], a)
			}
		}
		sys.B[c] = -div
	}
	sys.A = coo.ToCSR()
	return sys, nil
}
