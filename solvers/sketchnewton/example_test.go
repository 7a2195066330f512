package sketchnewton_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/solvers/sketchnewton"
)

// Hock-Schittkowski problem 48 (minimum 0 at x = 1) by Newton steps whose
// KKT systems are solved exactly, and by randomized Kaczmarz sketches.
func ExampleSolve() {
	for _, hs := range sketchnewton.HS() {
		if !strings.EqualFold(hs.Name, "hs48") {
			continue
		}
		_, m := hs.Problem.Dims()
		for _, inner := range []sketchnewton.InnerSolver{sketchnewton.Exact{}, sketchnewton.Kaczmarz{}} {
			res, err := sketchnewton.Solve(context.Background(), hs.Problem, hs.X0, inner,
				&sketchnewton.Settings{Control: iterate.Control{AbsTolerance: 1e-8}, Lambda0: make([]float64, m), Seed: 1})
			if err != nil {
				panic(err)
			}
			fmt.Printf("%T: %v, f = %.6f, x_1 = %.6f\n", inner, res.Reason, res.F, res.X[0])
		}
	}
	// Output:
	// sketchnewton.Exact: converged (absolute tolerance), f = 0.000000, x_1 = 1.000000
	// sketchnewton.Kaczmarz: converged (absolute tolerance), f = 0.000000, x_1 = 1.000000
}
