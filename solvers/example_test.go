package solvers_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
)

// Implicit Euler steps of the heat equation u_t = Laplace u: each step
// solves (I - dt Laplace) u_new = u into the same slice, warm-started from
// the last step's solution, with nothing copied.
func ExampleSolveTo() {
	g := mesh.NewGrid(mesh.Dirichlet, 31, 31)
	const dt = 1e-3
	a := mesh.NewAnisotropic(g, []float64{dt, dt}, 1) // I - dt Laplace
	u := make([]float64, g.Len())
	for i := range u {
		u[i] = 1
	}
	b := make([]float64, len(u))
	for step := 0; step < 3; step++ {
		copy(b, u)
		res, err := solvers.SolveTo(context.Background(), u, a, b, &solvers.CG{}, nil)
		if err != nil {
			panic(err)
		}
		fmt.Println(step, res.Reason, res.Iterations < 30)
	}
	// Output:
	// 0 converged (relative tolerance) true
	// 1 converged (relative tolerance) true
	// 2 converged (relative tolerance) true
}

// An indefinite matrix handed to CG: the solve ends with a breakdown that
// errors.Is recognises.
func ExampleResult_Err() {
	a := mesh.NewHelmholtz(mesh.NewGrid(mesh.Dirichlet, 32, 32), 20)
	b := make([]float64, 32*32)
	b[100] = 1
	res, err := solvers.Solve(context.Background(), a, b, &solvers.CG{}, &solvers.Settings{Control: iterate.Control{MaxIterations: 500}})
	if err != nil {
		panic(err) // bad input only
	}
	err = res.Err()
	fmt.Println(errors.Is(err, solvers.ErrNotConverged), errors.Is(err, iterate.ErrBreakdown), errors.Is(err, solvers.ErrNotSPD))
	// Output: true true true
}
