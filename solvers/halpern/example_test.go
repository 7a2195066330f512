package halpern_test

import (
	"context"
	"fmt"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/solvers/halpern"
)

// Halpern's iteration on a rotation of the plane about (1, 2), a
// nonexpansive map whose only fixed point is its centre; the residual
// ||x - T x|| falls like 1/k.
func ExampleHalpern_FixedPoint() {
	rot := func(dst, x []float64) {
		dx, dy := x[0]-1, x[1]-2
		dst[0], dst[1] = 1-dy, 2+dx // a quarter turn
	}
	res, err := halpern.Halpern{}.FixedPoint(context.Background(), rot, []float64{0, 0},
		&halpern.Settings{Control: iterate.Control{AbsTolerance: 1e-4}, MaxEpochs: 1e6})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%v at (%.3f, %.3f)\n", res.Reason, res.X[0], res.X[1])
	// Output: converged (absolute tolerance) at (1.000, 2.000)
}
