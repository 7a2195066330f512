package pinn_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn/train"
	"github.com/pdekit/pdekit/pinn"
)

// A PINN for -Lap u = f on [-1, 1]^2 with u = exp(-10 |x|^2), trained on
// uniform collocation points.
func Example() {
	p := pinn.Exp{D: 2}
	m, err := pinn.New(p, 16, 3, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		panic(err)
	}
	grid := pinn.Grid(2, 41)
	before := m.Error(grid)
	_, err = pinn.Train(context.Background(), m, &pinn.Settings{Interior: 300, Boundary: 100, Validation: grid,
		Settings: train.Settings{Control: iterate.Control{MaxIterations: 300}, LR: 3e-3, Seed: 1}})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Name(), "error more than halved:", m.Error(grid) < before/2)
	// Output: exp2d error more than halved: true
}
