package ode_test

import (
	"context"
	"fmt"
	"math"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/ode"
)

// y' = -y from y(0) = 1 with Tsit5, output at t = 1 and 2 by the dense
// output; a stiff problem takes ode.Rodas5{} in the same call.
func ExampleSolve() {
	f := func(dy []float64, _ float64, y []float64) { dy[0] = -y[0] }
	sol, err := ode.Solve(context.Background(), ode.Tsit5, f, 0, 2, []float64{1}, []float64{1, 2},
		&ode.Settings{Control: iterate.Control{Tolerance: 1e-10, AbsTolerance: 1e-12}})
	if err != nil {
		panic(err)
	}
	fmt.Println(sol.Reason)
	fmt.Printf("y(1) = %.8f (e^-1 = %.8f)\n", sol.Y[0][0], math.Exp(-1))
	fmt.Printf("y(2) = %.8f (e^-2 = %.8f)\n", sol.Y[1][0], math.Exp(-2))
	// Output:
	// completed
	// y(1) = 0.36787944 (e^-1 = 0.36787944)
	// y(2) = 0.13533528 (e^-2 = 0.13533528)
}
