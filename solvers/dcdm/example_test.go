package dcdm_test

import (
	"context"
	"fmt"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/pde"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/dcdm"
)

// The DCDM iteration on a pressure-Poisson system with obstacles, with an
// incomplete Cholesky factorisation standing in for the trained model of
// A^-1 that proposes the directions.
func Example() {
	sys, err := pde.Obstacles{Dim: 2, N: 48, Seed: 2}.Build()
	if err != nil {
		panic(err)
	}
	model, err := solvers.NewIC0(sys.A)
	if err != nil {
		panic(err)
	}
	res, err := solvers.Solve(context.Background(), sys.A, sys.B, &dcdm.Method{},
		&solvers.Settings{Control: iterate.Control{Tolerance: 1e-8}, Preconditioner: model})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Reason, res.Iterations, res.RelResidual < 1e-8)
	// Output: converged (relative tolerance) 84 true
}
