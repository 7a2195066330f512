package msh_test

import (
	"context"
	"fmt"

	"github.com/pdekit/pdekit/io/msh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/amg"
)

// A gmsh mesh becomes a finite-element system: -Laplace u = 1 with u = 0
// on the boundary, P1 elements, solved by AMG-preconditioned CG.
func ExampleReadFile() {
	t, err := msh.ReadFile("testdata/lshape41.msh")
	if err != nil {
		panic(err)
	}
	a, b, _, err := t.Poisson(nil)
	if err != nil {
		panic(err)
	}
	m, err := amg.New(a, nil)
	if err != nil {
		panic(err)
	}
	res, err := solvers.Solve(context.Background(), a, b, &solvers.CG{}, &solvers.Settings{Preconditioner: m})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(t.X), "nodes,", len(t.Triangles), "triangles,", len(b), "unknowns:", res.Reason)
	// Output:
	// 85 nodes, 132 triangles, 47 unknowns: converged (relative tolerance)
}
