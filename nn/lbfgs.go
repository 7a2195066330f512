package nn

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/optimize"
)

// LBFGSSettings controls LBFGS; zero values mean gonum's defaults.
type LBFGSSettings struct {
	// Memory is the number of correction pairs; zero means 10.
	Memory int
	// MaxIterations caps the iterations; zero means no cap beyond
	// gonum's convergence tests.
	MaxIterations int
	// GradientThreshold stops when the gradient's infinity norm falls
	// below it; zero means gonum's 1e-12.
	GradientThreshold float64
	// OnIteration, if set, is called after every iteration with its
	// number (from 1) and the loss there: progress for a long refinement.
	OnIteration func(iteration int, loss float64)
}

// LBFGS minimises the scalar loss built by f over the parameters (the
// flattened vector of all their elements) with gonum's L-BFGS and a
// line search satisfying the strong Wolfe conditions, the full-batch
// refinement PINNs use after Adam. f is called with a reset tape and must
// build the loss on it; the parameters hold the best point found on
// return. A cancelled ctx stops it between evaluations with ctx's error
// (the parameters hold the best point so far).
func LBFGS[T Float](ctx context.Context, params []*Tensor[T], f func(tp *Tape[T]) *Tensor[T], s *LBFGSSettings) (*optimize.Result, error) {
	var set LBFGSSettings
	if s != nil {
		set = *s
	}
	n := 0
	for _, p := range params {
		if !p.param {
			return nil, fmt.Errorf("nn: LBFGS: a tensor of shape %v is not a parameter", p.Shape)
		}
		n += p.Len()
	}
	tp := NewTape[T]()
	var lastX []float64
	var lastF float64
	grad := make([]float64, n)
	eval := func(x []float64) {
		if lastX != nil && equal(lastX, x) {
			return
		}
		off := 0
		for _, p := range params {
			for i := range p.Data {
				p.Data[i] = T(x[off+i])
			}
			off += p.Len()
			p.ZeroGrad()
		}
		tp.Reset()
		loss := f(tp)
		tp.Backward(loss)
		lastF = float64(loss.Item())
		off = 0
		for _, p := range params {
			for i, g := range p.Grad {
				grad[off+i] = float64(g)
			}
			off += p.Len()
		}
		lastX = append(lastX[:0], x...)
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return lastF },
		Grad: func(dst, x []float64) { eval(x); copy(dst, grad) },
	}
	x0 := make([]float64, 0, n)
	for _, p := range params {
		for _, v := range p.Data {
			x0 = append(x0, float64(v))
		}
	}
	gs := &optimize.Settings{MajorIterations: set.MaxIterations, GradientThreshold: set.GradientThreshold,
		Recorder: &lbfgsRecorder{ctx: ctx, on: set.OnIteration}}
	res, err := optimize.Minimize(prob, x0, gs, &optimize.LBFGS{Store: set.Memory})
	if res != nil {
		off := 0
		for _, p := range params {
			for i := range p.Data {
				p.Data[i] = T(res.X[off+i])
			}
			off += p.Len()
		}
	}
	return res, err
}

// lbfgsRecorder reports LBFGS's iterations and stops it when its context
// is done: gonum ends a minimisation whose Recorder returns an error.
type lbfgsRecorder struct {
	ctx context.Context
	on  func(int, float64)
}

func (r *lbfgsRecorder) Init() error { return r.ctx.Err() }

func (r *lbfgsRecorder) Record(loc *optimize.Location, op optimize.Operation, st *optimize.Stats) error {
	if op == optimize.MajorIteration && r.on != nil {
		r.on(st.MajorIterations, loc.F)
	}
	return r.ctx.Err()
}

func equal(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
