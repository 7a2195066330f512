package mesh

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// squareTriangulation returns the unit square cut into n x n squares, each
// split into two triangles along a diagonal whose direction alternates
// (so that no pattern of the grid is favoured).
func squareTriangulation(n int) *Triangulation {
	t := &Triangulation{}
	for j := 0; j <= n; j++ {
		for i := 0; i <= n; i++ {
			t.X = append(t.X, float64(i)/float64(n))
			t.Y = append(t.Y, float64(j)/float64(n))
		}
	}
	id := func(i, j int) int { return i + (n+1)*j }
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			a, b, c, d := id(i, j), id(i+1, j), id(i+1, j+1), id(i, j+1)
			if (i+j)%2 == 0 {
				t.Triangles = append(t.Triangles, [3]int{a, b, c}, [3]int{a, c, d})
			} else {
				t.Triangles = append(t.Triangles, [3]int{a, b, d}, [3]int{b, c, d})
			}
		}
	}
	return t
}

// The P1 solution of -Laplace u = f with the manufactured u = sin(pi x)
// sin(pi y) converges at second order in the maximum nodal error.
func TestP1PoissonSecondOrder(t *testing.T) {
	u := func(x, y float64) float64 { return math.Sin(math.Pi*x) * math.Sin(math.Pi*y) }
	f := func(x, y float64) float64 { return 2 * math.Pi * math.Pi * u(x, y) }
	var errs []float64
	for _, n := range []int{8, 16, 32} {
		tr := squareTriangulation(n)
		a, b, nodes, err := tr.Poisson(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes) != (n-1)*(n-1) {
			t.Fatalf("n %d: %d unknowns, want %d", n, len(nodes), (n-1)*(n-1))
		}
		var x mat.VecDense
		if err := x.SolveVec(a.ToDense(), mat.NewVecDense(len(b), b)); err != nil {
			t.Fatal(err)
		}
		var worst float64
		for k, p := range nodes {
			worst = math.Max(worst, math.Abs(x.AtVec(k)-u(tr.X[p], tr.Y[p])))
		}
		errs = append(errs, worst)
	}
	for k := 1; k < len(errs); k++ {
		if order := math.Log2(errs[k-1] / errs[k]); order < 1.8 {
			t.Errorf("errors %v: order %.2f between levels %d and %d, want about 2", errs, order, k-1, k)
		}
	}
	// The stiffness matrix is symmetric.
	a, _, _, _ := squareTriangulation(6).Poisson(nil)
	d := a.ToDense()
	if !mat.EqualApprox(d, d.T(), 1e-14) {
		t.Errorf("P1 stiffness matrix not symmetric")
	}
}

func TestTriangulationErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		tr   Triangulation
		msg  string
	}{
		{"lengths", Triangulation{X: []float64{0, 1}, Y: []float64{0}}, "2 x-coordinates and 1"},
		{"empty", Triangulation{X: []float64{0}, Y: []float64{0}}, "no triangles"},
		{"range", Triangulation{X: []float64{0, 1, 0}, Y: []float64{0, 0, 1}, Triangles: [][3]int{{0, 1, 3}}}, "node 3 of 3"},
		{"flat", Triangulation{X: []float64{0, 1, 2}, Y: []float64{0, 0, 0}, Triangles: [][3]int{{0, 1, 2}}}, "zero area"},
		{"nan", Triangulation{X: []float64{0, math.NaN(), 0}, Y: []float64{0, 0, 1}, Triangles: [][3]int{{0, 1, 2}}}, "node 1"},
		{"no interior", Triangulation{X: []float64{0, 1, 0}, Y: []float64{0, 0, 1}, Triangles: [][3]int{{0, 1, 2}}}, "no unknowns"},
	} {
		_, _, _, err := c.tr.Poisson(nil)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.msg)
		}
	}
}
