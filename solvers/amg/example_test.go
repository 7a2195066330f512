package amg_test

import (
	"context"
	"fmt"

	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/amg"
)

// Algebraic multigrid needs only the matrix: here a strongly anisotropic
// one (diffusion 1000 times weaker in x than in y), on which geometric
// multigrid with point smoothing stalls. Classical AMG coarsens along the
// strong couplings and PCG needs a handful of iterations on every size.
func ExampleNew() {
	for _, n := range []int{63, 127, 255} {
		a := mesh.NewAnisotropic(mesh.NewGrid(mesh.Dirichlet, n, n), []float64{1e-3, 1}, 0).ToCSR()
		m, err := amg.New(a, &amg.Settings{Coarsening: amg.RugeStueben})
		if err != nil {
			panic(err)
		}
		b := make([]float64, n*n)
		for i := range b {
			b[i] = 1
		}
		res, err := solvers.Solve(context.Background(), a, b, &solvers.CG{}, &solvers.Settings{Preconditioner: m})
		if err != nil {
			panic(err)
		}
		fmt.Println(n, res.Reason, res.Iterations <= 10, m.Stats().OperatorComplexity < 3)
	}
	// Output:
	// 63 converged (relative tolerance) true true
	// 127 converged (relative tolerance) true true
	// 255 converged (relative tolerance) true true
}
