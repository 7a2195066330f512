package pde_test

import (
	"context"
	"fmt"

	"github.com/pdekit/pdekit/pde"
)

// -Laplace u = 1 on the unit square with u = 0 on the boundary, on a
// 65-node grid: the maximum, at the centre, is 0.07367 in the continuum.
func ExampleElliptic() {
	const n = 65
	e, err := pde.NewElliptic(n, 0, 1e-10)
	if err != nil {
		panic(err)
	}
	if err := e.SetCoefficient(nil); err != nil { // a = 1
		panic(err)
	}
	u := make([]float64, n*n)
	f := make([]float64, n*n)
	for i := range f {
		f[i] = 1
	}
	if err := e.Solve(context.Background(), u, f); err != nil {
		panic(err)
	}
	fmt.Printf("u(1/2, 1/2) = %.4f after %d MG-PCG iterations or fewer: %v\n", u[(n/2)*n+n/2], 12, e.Last.Iterations <= 12)
	// Output: u(1/2, 1/2) = 0.0737 after 12 MG-PCG iterations or fewer: true
}
