package mesh

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/sparse"
)

// Triangulation is an unstructured mesh of triangles in the plane: node
// coordinates X[i], Y[i] and triangles as three node indices each (any
// orientation). Meshers such as gmsh produce them; package msh reads
// their files.
type Triangulation struct {
	X, Y      []float64
	Triangles [][3]int
}

// Check returns an error naming the first inconsistency: coordinate
// slices of different lengths, a non-finite coordinate, a triangle with a
// node out of range or repeated, or one of zero area.
func (t *Triangulation) Check() error {
	if len(t.X) != len(t.Y) {
		return fmt.Errorf("mesh: %d x-coordinates and %d y-coordinates", len(t.X), len(t.Y))
	}
	for i := range t.X {
		if math.IsNaN(t.X[i]+t.Y[i]) || math.IsInf(t.X[i]+t.Y[i], 0) {
			return fmt.Errorf("mesh: node %d at (%v, %v)", i, t.X[i], t.Y[i])
		}
	}
	if len(t.Triangles) == 0 {
		return fmt.Errorf("mesh: no triangles")
	}
	for k, tri := range t.Triangles {
		for _, v := range tri {
			if v < 0 || v >= len(t.X) {
				return fmt.Errorf("mesh: triangle %d has node %d of %d", k, v, len(t.X))
			}
		}
		if tri[0] == tri[1] || tri[1] == tri[2] || tri[0] == tri[2] {
			return fmt.Errorf("mesh: triangle %d repeats a node: %v", k, tri)
		}
		if t.area(k) == 0 {
			return fmt.Errorf("mesh: triangle %d %v has zero area", k, tri)
		}
	}
	return nil
}

// area returns the signed area of triangle k.
func (t *Triangulation) area(k int) float64 {
	a, b, c := t.Triangles[k][0], t.Triangles[k][1], t.Triangles[k][2]
	return 0.5 * ((t.X[b]-t.X[a])*(t.Y[c]-t.Y[a]) - (t.X[c]-t.X[a])*(t.Y[b]-t.Y[a]))
}

// Boundary reports for each node whether it lies on the boundary: on an
// edge that belongs to one triangle only. Nodes in no triangle are
// reported as boundary too (they carry no unknown).
func (t *Triangulation) Boundary() []bool {
	type edge struct{ a, b int }
	count := make(map[edge]int, 3*len(t.Triangles))
	for _, tri := range t.Triangles {
		for e := 0; e < 3; e++ {
			a, b := tri[e], tri[(e+1)%3]
			if a > b {
				a, b = b, a
			}
			count[edge{a, b}]++
		}
	}
	bnd := make([]bool, len(t.X))
	used := make([]bool, len(t.X))
	for _, tri := range t.Triangles {
		for _, v := range tri {
			used[v] = true
		}
	}
	for e, c := range count {
		if c == 1 {
			bnd[e.a], bnd[e.b] = true, true
		}
	}
	for i, u := range used {
		if !u {
			bnd[i] = true
		}
	}
	return bnd
}

// Poisson assembles the piecewise-linear (P1) finite-element system of
// -Laplace u = f on the triangulated domain with u = 0 on its boundary:
// the stiffness matrix A on the interior nodes (symmetric positive
// definite, an M-matrix when no angle is obtuse), the load vector b with
// the vertex rule b_i = sum over the triangles at i of f(x_i) |T|/3 (f
// nil means 1; the error stays second order), and the node of each
// unknown.
func (t *Triangulation) Poisson(f func(x, y float64) float64) (a *sparse.CSR, b []float64, nodes []int, err error) {
	if err := t.Check(); err != nil {
		return nil, nil, nil, err
	}
	bnd := t.Boundary()
	unknown := make([]int, len(t.X))
	for i, isB := range bnd {
		unknown[i] = -1
		if !isB {
			unknown[i] = len(nodes)
			nodes = append(nodes, i)
		}
	}
	if len(nodes) == 0 {
		return nil, nil, nil, fmt.Errorf("mesh: every node of the %d lies on the boundary: no unknowns", len(t.X))
	}
	coo := sparse.NewCOO(len(nodes), len(nodes))
	b = make([]float64, len(nodes))
	for k, tri := range t.Triangles {
		area := math.Abs(t.area(k))
		// Gradients of the barycentric functions: (bx_i, by_i) / (2 area),
		// bx_i = y_j - y_l, by_i = x_l - x_j for (i, j, l) cyclic.
		var bx, by [3]float64
		for i := 0; i < 3; i++ {
			j, l := tri[(i+1)%3], tri[(i+2)%3]
			bx[i], by[i] = t.Y[j]-t.Y[l], t.X[l]-t.X[j]
		}
		for i := 0; i < 3; i++ {
			ui := unknown[tri[i]]
			if ui < 0 {
				continue
			}
			fi := 1.0
			if f != nil {
				fi = f(t.X[tri[i]], t.Y[tri[i]])
			}
			b[ui] += fi * area / 3
			for j := 0; j < 3; j++ {
				if uj := unknown[tri[j]]; uj >= 0 {
					coo.Add(ui, uj, (bx[i]*bx[j]+by[i]*by[j])/(4*area))
				}
			}
		}
	}
	return coo.ToCSR(), b, nodes, nil
}
