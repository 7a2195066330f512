// Package nn is a tape-based reverse-mode automatic differentiation core
// for training neural networks on the CPU: dense tensors in float32 (for
// training) or float64 (for gradient checks and PINNs), operations that
// record a hand-written backward function on a Tape, losses and
// optimizers. Matrix products go through gonum's BLAS interface with
// OpenBLAS underneath.
//
// One training step:
//
//	tp := nn.NewTape[float32]()
//	opt := &nn.Adam[float32]{LR: 1e-3}
//	for step := range steps {
//		tp.Reset()                       // recycle the last step's buffers
//		for _, p := range params { p.ZeroGrad() }
//		h := tp.GELU(tp.Linear(x, w1, b1))
//		loss := tp.MSE(tp.Linear(h, w2, b2), y)
//		tp.Backward(loss)
//		opt.Step(params)
//	}
package nn

import "github.com/pdekit/pdekit/internal/openblas"

// OpenBLAS runs single-threaded under the package, which splits large
// products across its own worker pool: OpenBLAS's threads, synchronising
// per call, lose to that on the many mid-sized products of a training step.
func init() {
	openblas.Use()
	openblas.SetThreads(1)
}
