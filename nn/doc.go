// Package nn is a tape-based reverse-mode automatic differentiation core
// for training neural networks on the CPU: dense tensors in float32 (for
// training) or float64 (for gradient checks and PINNs), operations that
// record a hand-written backward function on a Tape, losses and
// optimizers. Matrix products call OpenBLAS directly (not through gonum's
// process-wide blas64, which importing nn leaves as it is).
//
// nn splits large products across its own worker goroutines and runs
// fastest with OpenBLAS on one thread. OpenBLAS has one thread count for
// the whole process, so nn never changes it: a program that trains calls
// SetBLASThreads(1) once where it starts (simulate does), or sets
// OPENBLAS_NUM_THREADS=1; results are the same either way.
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
