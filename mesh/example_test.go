package mesh_test

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/mesh"
)

// The 1-D -Laplacian on 7 interior points of [0, 1] has sin(pi x) as an
// eigenvector with eigenvalue 4/h^2 sin^2(pi h/2), pi^2 up to O(h^2);
// matrix-free and assembled forms agree.
func ExampleNewLaplacian() {
	g := mesh.NewGrid(mesh.Dirichlet, 7)
	lap := mesh.NewLaplacian(g)
	u := g.Sample(nil, func(x []float64) float64 { return math.Sin(math.Pi * x[0]) })
	y, z := make([]float64, 7), make([]float64, 7)
	lap.MulVecTo(y, u)
	lap.ToCSR().MulVecTo(z, u)
	h := g.H(0)
	eig := 4 / (h * h) * math.Pow(math.Sin(math.Pi*h/2), 2)
	fmt.Printf("h = %g, Lu/u = %.4f, 4/h^2 sin^2(pi h/2) = %.4f, pi^2 = %.4f, same assembled: %v\n", h, y[3]/u[3], eig, math.Pi*math.Pi, math.Abs(y[3]-z[3]) < 1e-12)
	// Output: h = 0.125, Lu/u = 9.7434, 4/h^2 sin^2(pi h/2) = 9.7434, pi^2 = 9.8696, same assembled: true
}
