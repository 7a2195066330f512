package direct_test

import (
	"context"
	"fmt"

	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/direct"
)

// A direct solve under the iterative driver: the factorisation is the
// preconditioner of Richardson, so one iteration solves the system.
func ExampleNew() {
	a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, 100, 100)).ToCSR()
	f, err := direct.New(a)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	b := make([]float64, 100*100)
	for i := range b {
		b[i] = 1
	}
	res, err := solvers.Solve(context.Background(), a, b, &solvers.Richardson{}, &solvers.Settings{Preconditioner: f})
	if err != nil {
		panic(err)
	}
	st := f.Stats()
	fmt.Println(st.Method, st.Ordering, res.Iterations, res.Reason)
	// Output:
	// cholesky (CHOLMOD, supernodal) amd 1 converged (relative tolerance)
}
