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

// CG on a 2-D Poisson matrix split in boxes over a process grid (one rank
// in the default build); the right-hand side of the rank's rows is taken
// from the whole one by their global indices.
func ExampleNewBlocks() {
	shape := []int{40, 30}
	a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, shape...)).ToCSR()
	p, err := dist.NewBlocks(a, shape)
	if err != nil {
		panic(err)
	}
	b := make([]float64, 40*30)
	for i := range b {
		b[i] = float64(i % 7)
	}
	bl := make([]float64, len(p.Rows()))
	for i, g := range p.Rows() {
		bl[i] = b[g]
	}
	res, err := solvers.Solve(context.Background(), p, bl, &solvers.CG{}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(p.ProcessGrid()), "axes:", res.Reason)
	// Output:
	// 2 axes: converged (relative tolerance)
}
