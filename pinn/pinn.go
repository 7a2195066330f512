package pinn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
)

// PINN is a physics-informed network for a Problem: an MLP with tanh
// from R^d to R (the DAS code's defaults: 6 hidden layers of 32), its
// residual from nn's forward Taylor mode.
type PINN struct {
	P   Problem
	Net *nn.MLP[float64]
}

// New returns a PINN for p with depth hidden layers of width units,
// PyTorch's initialisation from rnd.
func New(p Problem, width, depth int, rnd *rand.Rand) (*PINN, error) {
	if p.Dim() < 1 || width < 1 || depth < 1 {
		return nil, fmt.Errorf("pinn: a %d-dimensional problem with %d hidden layers of %d", p.Dim(), depth, width)
	}
	sizes := []int{p.Dim()}
	for i := 0; i < depth; i++ {
		sizes = append(sizes, width)
	}
	return &PINN{P: p, Net: nn.NewMLP[float64](rnd, append(sizes, 1)...)}, nil
}

// Params returns the network's tensors with checkpoint names.
func (m *PINN) Params() []nn.Named[float64] {
	var p []nn.Named[float64]
	for l := range m.Net.W {
		p = append(p, nn.Named[float64]{Name: fmt.Sprintf("w%d", l), Tensor: m.Net.W[l]}, nn.Named[float64]{Name: fmt.Sprintf("b%d", l), Tensor: m.Net.B[l]})
	}
	return p
}

// Loss records mean(r^2) over the interior points x [N, d] plus weight
// times mean((u - g)^2) over the boundary points xb [M, d] (g the exact
// solution); xb may be nil.
func (m *PINN) Loss(tp *nn.Tape[float64], x, xb *nn.Tensor[float64], weight float64) *nn.Tensor[float64] {
	r := m.P.Residual(tp, m.Net.Taylor(tp, tp.TaylorInput(x)), x)
	loss := tp.Mean(tp.Square(r))
	if xb == nil || weight == 0 {
		return loss
	}
	ub := m.Net.Forward(tp, xb)
	return tp.Add(loss, tp.Scale(tp.MSE(ub, pointwise(xb, m.P.Exact)), weight))
}

// Predict returns the network's values at the points x [N, d].
func (m *PINN) Predict(x *nn.Tensor[float64]) []float64 {
	tp := nn.NewTape[float64]()
	tp.SetNoGrad(true)
	return m.Net.Forward(tp, x).Data
}

// Error returns the relative L2 error of the network against the exact
// solution at the points x [N, d].
func (m *PINN) Error(x *nn.Tensor[float64]) float64 {
	u := m.Predict(x)
	exact := pointwise(x, m.P.Exact).Data
	var num, den float64
	for i, v := range u {
		num += (v - exact[i]) * (v - exact[i])
		den += exact[i] * exact[i]
	}
	return math.Sqrt(num / den)
}

// Grid returns the n^d points of the uniform grid of [-1, 1]^d (ends
// included), the validation points of the two-dimensional problems.
func Grid(d, n int) *nn.Tensor[float64] {
	total := 1
	for i := 0; i < d; i++ {
		total *= n
	}
	x := nn.Zeros[float64](total, d)
	for k := 0; k < total; k++ {
		for j, rem := d-1, k; j >= 0; j-- {
			x.Data[k*d+j] = -1 + 2*float64(rem%n)/float64(n-1)
			rem /= n
		}
	}
	return x
}

// Uniform returns n points drawn uniformly in [-1, 1]^d.
func Uniform(d, n int, rnd *rand.Rand) *nn.Tensor[float64] {
	x := nn.Zeros[float64](n, d)
	for i := range x.Data {
		x.Data[i] = 2*rnd.Float64() - 1
	}
	return x
}

// Boundary returns n points drawn uniformly on the faces of [-1, 1]^d
// (a face chosen uniformly, a point uniform on it).
func Boundary(d, n int, rnd *rand.Rand) *nn.Tensor[float64] {
	x := Uniform(d, n, rnd)
	for i := 0; i < n; i++ {
		j := rnd.IntN(d)
		x.Data[i*d+j] = float64(2*rnd.IntN(2) - 1)
	}
	return x
}

// Settings control Train; the zero value takes the defaults.
type Settings struct {
	// Settings of the loop: epochs (Control.MaxIterations, zero: 100),
	// batch (zero: the whole set), Adam's rate (zero: 1e-4, the DAS
	// code's), schedule, checkpoint.
	train.Settings
	// Interior and Boundary are the numbers of collocation points; zero
	// means 1000 and 200 per dimension.
	Interior, Boundary int
	// BoundaryWeight weighs the boundary loss; zero means 1.
	BoundaryWeight float64
	// Validation are the points of the validation error (zero: the
	// 101^d grid for d <= 2, 10,000 uniform points above).
	Validation *nn.Tensor[float64]
	// ValidateEvery computes the validation error every so many epochs
	// (and at the last), the last value standing in between (zero: 1).
	ValidateEvery int
}

// task trains a PINN on fixed collocation points.
type task struct {
	m          *PINN
	x, xb, val *nn.Tensor[float64]
	weight     float64
	every      int
	epoch, of  int
	last       float64
}

// SetEpoch implements train.Epocher (the validation cadence).
func (t *task) SetEpoch(epoch, epochs int) { t.epoch, t.of = epoch, epochs }

func (t *task) Params() []nn.Named[float64] { return t.m.Params() }
func (t *task) Samples() int                { return t.x.Shape[0] }

func (t *task) Loss(tp *nn.Tape[float64], idx []int) *nn.Tensor[float64] {
	d := t.x.Shape[1]
	x := nn.Zeros[float64](len(idx), d)
	for k, i := range idx {
		copy(x.Data[k*d:(k+1)*d], t.x.Data[i*d:(i+1)*d])
	}
	return t.m.Loss(tp, x, t.xb, t.weight)
}

// Validate returns the relative L2 error on the validation points, every
// t.every epochs.
func (t *task) Validate(context.Context) (float64, error) {
	if t.every <= 1 || (t.epoch+1)%t.every == 0 || t.epoch+1 == t.of || t.last == 0 {
		t.last = t.m.Error(t.val)
	}
	return t.last, nil
}

// newTask fills in s's defaults and draws the first points.
func newTask(m *PINN, s *Settings) (*task, error) {
	d := m.P.Dim()
	if s.Interior == 0 {
		s.Interior = 1000
	}
	if s.Boundary == 0 {
		s.Boundary = 200 * d
	}
	if s.BoundaryWeight == 0 {
		s.BoundaryWeight = 1
	}
	if s.LR == 0 {
		s.LR = 1e-4
	}
	if s.Batch == 0 {
		s.Batch = s.Interior
	}
	if s.Interior < 1 || s.Boundary < 0 || s.BoundaryWeight < 0 || s.ValidateEvery < 0 {
		return nil, fmt.Errorf("pinn: %d interior and %d boundary points, boundary weight %g, validation every %d epochs", s.Interior, s.Boundary, s.BoundaryWeight, s.ValidateEvery)
	}
	rnd := rand.New(rand.NewPCG(s.Seed, 0x9147))
	t := &task{m: m, x: Uniform(d, s.Interior, rnd), weight: s.BoundaryWeight, val: s.Validation, every: s.ValidateEvery}
	if s.Boundary > 0 {
		t.xb = Boundary(d, s.Boundary, rnd)
	}
	if t.val == nil {
		if d <= 2 {
			t.val = Grid(d, 101)
		} else {
			t.val = Uniform(d, 10000, rnd)
		}
	}
	return t, nil
}

// Train trains the PINN on uniform collocation points (seeded by
// s.Seed) with Adam, validating by the relative L2 error after every
// epoch.
func Train(ctx context.Context, m *PINN, s *Settings) (*train.Result[float64], error) {
	var set Settings
	if s != nil {
		set = *s
	}
	t, err := newTask(m, &set)
	if err != nil {
		return nil, err
	}
	return train.Run[float64](ctx, t, &set.Settings)
}
