package dist_test

import (
	"context"
	"fmt"

	"github.com/pdekit/pdekit/dist"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
)

// CG on a 3-D Poisson matrix split in slabs over the ranks (one rank in
// the default build; under mpirun with the tag mpi, as many as it starts).
func ExampleNewSlab() {
	n := 16
	a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, n, n, n)).ToCSR()
	s, err := dist.NewSlab(a, n*n)
	if err != nil {
		panic(err)
	}
	lo, hi := s.Range()
	b := make([]float64, hi-lo)
	for i := range b {
		b[i] = 1
	}
	res, err := solvers.Solve(context.Background(), s, b, &solvers.CG{}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Reason)
	// Output:
	// converged (relative tolerance)
}

// Two-level additive Schwarz: IC(0) of each rank's block plus a coarse
// grid of every 4th point, replicated on the ranks, preconditioning CG.
func ExampleNewSchwarz() {
	n := 16
	shape := []int{n, n, n}
	a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, shape...)).ToCSR()
	s, err := dist.NewSlab(a, n*n)
	if err != nil {
		panic(err)
	}
	ic, err := solvers.NewIC0(s.LocalBlock())
	if err != nil {
		panic(err)
	}
	pc, err := dist.NewSchwarz(s, shape, 4, ic)
	if err != nil {
		panic(err)
	}
	lo, hi := s.Range()
	b := make([]float64, hi-lo)
	for i := range b {
		b[i] = 1
	}
	res, err := solvers.Solve(context.Background(), s, b, &solvers.CG{}, &solvers.Settings{Preconditioner: pc})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Reason, pc.Stats().Coarse)
	// Output:
	// converged (relative tolerance) 125
}
