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
