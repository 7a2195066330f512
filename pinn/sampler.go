package pinn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"gonum.org/v1/gonum/optimize"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
)

// Sampler chooses the interior collocation points of the next training
// stage from the network trained on the current ones.
type Sampler interface {
	// Next returns the next stage's points; current are this stage's.
	Next(ctx context.Context, m *PINN, current *nn.Tensor[float64], rnd *rand.Rand) (*nn.Tensor[float64], error)
	// Name names the sampler.
	Name() string
}

// residuals returns |r| of the network at the points x [N, d].
func residuals(m *PINN, x *nn.Tensor[float64]) []float64 {
	tp := nn.NewTape[float64]()
	tp.SetNoGrad(true)
	r := m.P.Residual(tp, m.Net.Taylor(tp, tp.TaylorInput(x)), x)
	out := make([]float64, len(r.Data))
	for i, v := range r.Data {
		out[i] = math.Abs(v)
	}
	return out
}

// rows returns the points idx of x [N, d], appended to dst's rows.
func rows(dst, x *nn.Tensor[float64], idx []int) *nn.Tensor[float64] {
	d := x.Shape[1]
	n := 0
	var data []float64
	if dst != nil {
		n, data = dst.Shape[0], append(data, dst.Data...)
	}
	for _, i := range idx {
		data = append(data, x.Data[i*d:(i+1)*d]...)
	}
	return nn.New(data, n+len(idx), d)
}

// UniformSampler draws N fresh uniform points every stage (N zero: as
// many as the current set).
type UniformSampler struct{ N int }

// Name implements Sampler.
func (UniformSampler) Name() string { return "uniform" }

// Next implements Sampler.
func (s UniformSampler) Next(_ context.Context, m *PINN, current *nn.Tensor[float64], rnd *rand.Rand) (*nn.Tensor[float64], error) {
	n := s.N
	if n == 0 {
		n = current.Shape[0]
	}
	return Uniform(m.P.Dim(), n, rnd), nil
}

// RAR is residual-based adaptive refinement (Lu et al., DeepXDE; RAR-G
// of Wu et al. 2023): Add points of largest |residual| among Candidates
// uniform ones are added to the set.
type RAR struct{ Candidates, Add int }

// Name implements Sampler.
func (RAR) Name() string { return "rar" }

// Next implements Sampler.
func (s RAR) Next(_ context.Context, m *PINN, current *nn.Tensor[float64], rnd *rand.Rand) (*nn.Tensor[float64], error) {
	if s.Candidates < 1 || s.Add < 1 || s.Add > s.Candidates {
		return nil, fmt.Errorf("pinn: RAR adding %d of %d candidates", s.Add, s.Candidates)
	}
	cand := Uniform(m.P.Dim(), s.Candidates, rnd)
	r := residuals(m, cand)
	idx := make([]int, len(r))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return r[idx[a]] > r[idx[b]] })
	return rows(current, cand, idx[:s.Add]), nil
}

// RAD is residual-based adaptive distribution (Wu, Zhu, Tan, Kartha, Lu,
// CMAME 2023): the next set holds N points drawn, with replacement, from
// Candidates uniform ones with probability proportional to
// |r|^K / mean(|r|^K) + C (zero K and C: the paper's 1 and 1). N zero
// keeps the set's size.
type RAD struct {
	N, Candidates int
	K, C          float64
}

// Name implements Sampler.
func (RAD) Name() string { return "rad" }

// Next implements Sampler.
func (s RAD) Next(_ context.Context, m *PINN, current *nn.Tensor[float64], rnd *rand.Rand) (*nn.Tensor[float64], error) {
	n, k, c := s.N, s.K, s.C
	if n == 0 {
		n = current.Shape[0]
	}
	if k == 0 {
		k = 1
	}
	if c == 0 {
		c = 1
	}
	if s.Candidates < 1 || n < 1 || k < 0 || c < 0 {
		return nil, fmt.Errorf("pinn: RAD drawing %d of %d candidates with k %g, c %g", n, s.Candidates, k, c)
	}
	cand := Uniform(m.P.Dim(), s.Candidates, rnd)
	r := residuals(m, cand)
	var mean float64
	for i, v := range r {
		r[i] = math.Pow(v, k)
		mean += r[i] / float64(len(r))
	}
	cum := make([]float64, len(r))
	var total float64
	for i, v := range r {
		w := c
		if mean > 0 {
			w += v / mean
		}
		total += w
		cum[i] = total
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = sort.SearchFloat64s(cum, rnd.Float64()*total)
	}
	return rows(nil, cand, idx), nil
}

// StageSettings control TrainStages.
type StageSettings struct {
	// Settings of each stage's training (Settings.Control.MaxIterations:
	// epochs per stage) and of the first set of points.
	Settings
	// Stages is the number of training stages; zero means 5 (the DAS
	// code's max_stage).
	Stages int
	// LBFGS, if positive, runs so many L-BFGS iterations on the whole
	// loss (interior and boundary points) after the last stage's Adam;
	// OnLBFGS, if set, is called after each with its number and loss.
	LBFGS   int
	OnLBFGS func(iteration int, loss float64)
	// OnStage, if set, is called after every stage with its result and
	// the stage's collocation points (before the sampler draws the next).
	OnStage func(StageResult, *nn.Tensor[float64])
	// Checkpoint, if set, is the file the loop's state is written to
	// after every stage (atomically); Extra, if set, adds the caller's
	// data (a configuration) to it. Settings.Checkpoint is not used.
	Checkpoint string
	Extra      func(*h5.File) error
}

// StageResult is a stage's outcome.
type StageResult struct {
	Stage   int     // 1-based
	Points  int     // interior collocation points of the stage
	Error   float64 // the validation error at the stage's end
	Seconds float64 // the stage's training time (Adam and L-BFGS)
	Result  *train.Result[float64]
	// LBFGS is the outcome of the L-BFGS refinement (the last stage's
	// result, nil without it).
	LBFGS *optimize.Result
}

// TrainStages trains the PINN in stages, the sampler choosing each next
// stage's interior points from the network (the DAS papers' loop; the
// boundary points stay). With s.Checkpoint set, the loop's whole state is
// written there after every stage (ResumeStages continues it); a stage
// interrupted by ctx is not recorded, so a resumed run redoes it.
func TrainStages(ctx context.Context, m *PINN, smp Sampler, s *StageSettings) ([]StageResult, error) {
	return stages(ctx, m, smp, s, "")
}

func stages(ctx context.Context, m *PINN, smp Sampler, s *StageSettings, resume string) ([]StageResult, error) {
	var set StageSettings
	if s != nil {
		set = *s
	}
	if set.Stages == 0 {
		set.Stages = 5
	}
	if set.Stages < 1 || set.LBFGS < 0 {
		return nil, fmt.Errorf("pinn: %d stages, %d L-BFGS iterations", set.Stages, set.LBFGS)
	}
	t, err := newTask(m, &set.Settings)
	if err != nil {
		return nil, err
	}
	pcg := rand.NewPCG(set.Seed, 0x57a9e)
	var out []StageResult
	if resume != "" {
		if t.x, out, pcg, err = readStages(resume, m, smp); err != nil {
			return nil, err
		}
	}
	rnd := rand.New(pcg)
	for st := len(out); st < set.Stages; st++ {
		start := time.Now()
		ts := set.Settings.Settings
		ts.Seed += uint64(st)
		ts.Checkpoint = ""
		if ts.Batch == 0 || ts.Batch > t.x.Shape[0] {
			ts.Batch = t.x.Shape[0]
		}
		t.last = 0
		res, err := train.Run[float64](ctx, t, &ts)
		if err != nil {
			return out, err
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		r := StageResult{Stage: st + 1, Points: t.x.Shape[0], Result: res}
		if st+1 == set.Stages && set.LBFGS > 0 {
			params := nn.Tensors(m.Params())
			if r.LBFGS, err = nn.LBFGS(ctx, params, func(tp *nn.Tape[float64]) *nn.Tensor[float64] {
				return m.Loss(tp, t.x, t.xb, t.weight)
			}, &nn.LBFGSSettings{MaxIterations: set.LBFGS, OnIteration: set.OnLBFGS}); err != nil && r.LBFGS == nil {
				return out, err
			}
			if ctx.Err() != nil {
				return out, ctx.Err() // not recorded: a resumed run redoes the stage
			}
		}
		r.Error, r.Seconds = m.Error(t.val), time.Since(start).Seconds()
		if set.OnStage != nil {
			set.OnStage(r, t.x)
		}
		out = append(out, r)
		if st+1 < set.Stages {
			if t.x, err = smp.Next(ctx, m, t.x, rnd); err != nil {
				return out, err // interrupted in the flow's training: not recorded either
			}
		}
		if set.Checkpoint != "" {
			if err := writeStages(set.Checkpoint, m, smp, t.x, out, pcg, set.Extra); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}
