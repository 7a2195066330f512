package neuralop_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/neuralop"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
	"github.com/pdekit/pdekit/pde"
)

// The models of the papers' Darcy experiments: FNO's on 85 x 85, MgNO's
// on the 256 x 256 rough-coefficient set; a small MgNO on a 2^k+1 grid.
func ExampleNew() {
	rnd := rand.New(rand.NewPCG(1, 2))
	fno, _ := neuralop.New[float32](neuralop.Config{Kind: "fno", H: 85, W: 85}, rnd)
	rough := neuralop.DarcyRough()
	mg, _ := neuralop.New[float32](neuralop.Config{Kind: "mgno", H: 256, W: 256, MgNO: &rough}, rnd)
	fmt.Println("FNO parameters:", neuralop.CountParams(fno))
	fmt.Println("MgNO parameters:", neuralop.CountParams(mg))
	small, _ := neuralop.New[float32](neuralop.Config{Kind: "mgno", H: 65, W: 65,
		MgNO: &neuralop.MgNOSettings{Channels: 4, Layers: 2, Levels: 3}}, rnd)
	tp := nn.NewTape[float32]()
	fmt.Println(small.Forward(tp, nn.Zeros[float32](2, 1, 65, 65)).Shape)
	// Output:
	// FNO parameters: 2368001
	// MgNO parameters: 572661
	// [2 1 65 65]
}

// Train a small MgNO on Darcy flow samples made by the classical solver
// and measure it on unseen ones.
func ExampleOperator() {
	darcy := func(seed uint64, n int) *neuralop.Data {
		ds := &pde.DarcyData{N: 17, Seed: seed}
		ds.Defaults()
		w, _ := ds.NewWorker()
		d := &neuralop.Data{N: n, In: 1, Out: 1, H: 17, W: 17, X: make([]float32, n*289), Y: make([]float32, n*289)}
		for i := 0; i < n; i++ {
			w.Sample(context.Background(), i, [][]float32{d.X[i*289 : (i+1)*289], d.Y[i*289 : (i+1)*289]})
		}
		return d
	}
	tr, te := darcy(1, 40), darcy(2, 10)
	cfg := neuralop.Config{Kind: "mgno", MgNO: &neuralop.MgNOSettings{Channels: 8, Layers: 2, Levels: 3}}
	op, err := neuralop.NewOperator(cfg, tr, neuralop.UnitGaussian, neuralop.UnitGaussian, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := neuralop.Train(context.Background(), op, tr, te, &neuralop.TrainSettings{Settings: train.Settings{
		Control: iterate.Control{MaxIterations: 20}, Batch: 10, LR: 3e-3,
		Schedule: train.Schedule{Kind: train.Cosine}, Seed: 1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	errs, _ := op.Evaluate(context.Background(), te, 10)
	l2 := neuralop.Summarize(errs.RelL2)
	fmt.Println(res.Reason, res.Iterations, "epochs")
	fmt.Println("test relative L2 below 0.25:", l2.Mean < 0.25)
	// Output:
	// completed 20 epochs
	// test relative L2 below 0.25: true
}
