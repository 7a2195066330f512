package train_test

import (
	"context"
	"fmt"
	"math"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
)

// line is a Task: fit y = a x + b to eight points of y = 2x - 1.
type line struct {
	a, b *nn.Tensor[float64]
	x, y []float64
}

func (l *line) Params() []nn.Named[float64] {
	return []nn.Named[float64]{{Name: "a", Tensor: l.a}, {Name: "b", Tensor: l.b}}
}

func (l *line) Samples() int { return len(l.x) }

func (l *line) Loss(tp *nn.Tape[float64], idx []int) *nn.Tensor[float64] {
	x, y := nn.Zeros[float64](len(idx), 1), nn.Zeros[float64](len(idx), 1)
	for k, i := range idx {
		x.Data[k], y.Data[k] = l.x[i], l.y[i]
	}
	return tp.MSE(tp.Linear(x, l.a, l.b), y)
}

func (l *line) Validate(context.Context) (float64, error) {
	return math.Abs(l.a.Data[0]-2) + math.Abs(l.b.Data[0]+1), nil
}

func ExampleRun() {
	l := &line{a: nn.Param([]float64{0}, 1, 1), b: nn.Param([]float64{0}, 1)}
	for i := 0; i < 8; i++ {
		x := float64(i)/4 - 1
		l.x, l.y = append(l.x, x), append(l.y, 2*x-1)
	}
	res, err := train.Run[float64](context.Background(), l, &train.Settings{
		Control: iterate.Control{MaxIterations: 300},
		Batch:   4, LR: 0.05, Seed: 1,
		Schedule: train.Schedule{Kind: train.Cosine},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Reason, len(res.Epochs), "epochs")
	fmt.Printf("a = %.3f, b = %.3f\n", l.a.Data[0], l.b.Data[0])
	// Output:
	// completed 300 epochs
	// a = 2.000, b = -1.000
}
