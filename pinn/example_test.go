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

// Deep adaptive sampling in three stages: after each stage a KRnet is
// fitted to the squared residual and 200 points drawn from it join the
// set (DAS-G); an L-BFGS refinement ends the last stage. With
// Checkpoint set, ResumeStages would continue an interrupted run.
func ExampleTrainStages() {
	m, err := pinn.New(pinn.Exp{D: 2}, 16, 3, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		panic(err)
	}
	smp := &pinn.DAS{Flow: pinn.FlowSettings{Steps: 30, Batch: 200, LR: 1e-3}}
	res, err := pinn.TrainStages(context.Background(), m, smp, &pinn.StageSettings{Stages: 3, LBFGS: 20,
		Settings: pinn.Settings{Interior: 200, Boundary: 100, Validation: pinn.Grid(2, 41),
			Settings: train.Settings{Control: iterate.Control{MaxIterations: 100}, LR: 3e-3, Seed: 1}}})
	if err != nil {
		panic(err)
	}
	for _, r := range res {
		fmt.Printf("stage %d: %d points\n", r.Stage, r.Points)
	}
	fmt.Println("error below 0.25:", res[2].Error < 0.25)
	// Output:
	// stage 1: 200 points
	// stage 2: 400 points
	// stage 3: 600 points
	// error below 0.25: true
}
