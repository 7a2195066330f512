package nn_test

import (
	"fmt"

	"github.com/pdekit/pdekit/nn"
)

// One step of reverse-mode differentiation: the gradient of the mean
// squared error of y = x W^T with respect to W, and an Adam step on it.
func ExampleTape() {
	tp := nn.NewTape[float64]()
	w := nn.Param([]float64{1, 2}, 1, 2) // [out 1, in 2]
	x := nn.New([]float64{1, 0, 0, 1}, 2, 2)
	y := nn.New([]float64{0, 0}, 2, 1)
	loss := tp.MSE(tp.Linear(x, w, nil), y) // ((1)^2 + (2)^2) / 2
	tp.Backward(loss)
	fmt.Println(loss.Data[0], w.Grad) // d/dw_j = (x w^T - y)_j for these x
	opt := &nn.Adam[float64]{LR: 0.1}
	opt.Step([]*nn.Tensor[float64]{w})
	fmt.Printf("%.1f %.1f\n", w.Data[0], w.Data[1]) // Adam's first step is lr against each gradient's sign
	// Output:
	// 2.5 [1 2]
	// 0.9 1.9
}
