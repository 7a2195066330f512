package mg_test

import (
	"context"
	"fmt"

	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/mg"
)

// Multigrid-preconditioned CG needs about the same number of iterations on
// every grid.
func ExampleNew() {
	for _, n := range []int{31, 63, 127} {
		g := mesh.NewGrid(mesh.Dirichlet, n, n)
		a := mesh.NewLaplacian(g)
		m, err := mg.New(g, a, nil) // V(1,1), Gauss-Seidel, Galerkin
		if err != nil {
			panic(err)
		}
		b := make([]float64, g.Len())
		for i := range b {
			b[i] = 1
		}
		res, err := solvers.Solve(context.Background(), a, b, &solvers.CG{}, &solvers.Settings{Preconditioner: m})
		if err != nil {
			panic(err)
		}
		fmt.Println(n, res.Reason, res.Iterations <= 10)
	}
	// Output:
	// 31 converged (relative tolerance) true
	// 63 converged (relative tolerance) true
	// 127 converged (relative tolerance) true
}
