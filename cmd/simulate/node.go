package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/pdekit/pdekit/internal/parallel"
	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/io/idx"
	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
	"github.com/pdekit/pdekit/ode"
)

// nodeReg is a neural ODE's regulariser.
type nodeReg int

const (
	regNone nodeReg = iota
	regError
	regStiff
	regBoth
	regLocalError
	regLocalStiff
	regKinetic
)

var (
	nodeRegTable = []option[nodeReg]{{"none", regNone}, {"error", regError}, {"stiff", regStiff}, {"both", regBoth},
		{"local-error", regLocalError}, {"local-stiff", regLocalStiff}, {"kinetic", regKinetic}}
	samplingTable = []option[bool]{{"unbiased", false}, {"biased", true}}
	nodeTaskTable = []option[string]{{"fmnist", "fmnist"}, {"spiral", "spiral"}, {"latent", "latent"}}
)

func (c *nodeConfig) resumeFields() (*common, *int, *string, *string, *string) {
	return &c.common, &c.Epochs, &c.Out, &c.Log, &c.Resume
}

// nodeConfig is the configuration of `simulate node`, stored in the
// checkpoint so that --resume continues the same run.
type nodeConfig struct {
	common
	Task      *choice[string]             `json:"task"`
	Reg       *choice[nodeReg]            `json:"reg"`
	Sampling  *choice[bool]               `json:"sampling"`
	Adjoint   *choice[bool]               `json:"adjoint"`
	Lambda    float64                     `json:"lambda"`
	LambdaEnd float64                     `json:"lambda_end"`
	Epochs    int                         `json:"epochs"`
	Batch     int                         `json:"batch"`
	LR        float64                     `json:"lr"`
	Schedule  *choice[train.ScheduleKind] `json:"schedule"`
	Tol       float64                     `json:"tol"`
	Hidden    int                         `json:"hidden"`
	TrainN    int                         `json:"train_samples"`
	TestN     int                         `json:"test_samples"`
	Float64   bool                        `json:"float64"`
	Seed      uint64                      `json:"seed"`
	Data      string                      `json:"data"`
	Out       string                      `json:"out"`
	Log       string                      `json:"-"`
	Resume    string                      `json:"-"`
}

func newNodeConfig() *nodeConfig {
	return &nodeConfig{Task: newChoice("task", "fmnist", nodeTaskTable...), Reg: newChoice("reg", "none", nodeRegTable...),
		Schedule: newChoice("schedule", "constant", scheduleTable...), Sampling: newChoice("sampling", "unbiased", samplingTable...),
		Adjoint: newChoice("adjoint", "discrete", option[bool]{"discrete", false}, option[bool]{"continuous", true})}
}

const fmnistDir = "/usr/share/datasets/fashion-mnist"

func cmdNode(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "eval" {
		return cmdNodeEval(args[1:], stdout, stderr)
	}
	c := newNodeConfig()
	fs := newFlags("node", `Train a neural ODE through its adaptive solver (Tsit5, discrete adjoint: every stage, error
estimate and step size is differentiated), optionally regularised by the solver's own
heuristics as in Pal et al., "Opening the Blackbox" (ICML 2021): --reg error adds the mean
over accepted steps of EEst*dt (lambda from 100 decaying exponentially to 10 over the epochs),
stiff the maximum of the stiffness estimate over the stability size (lambda 0.1), both the
mean of EEst*dt + 0.1*stiffness (lambda 10). Tasks: fmnist classifies Fashion-MNIST (the
Debian package dataset-fashion-mnist) with the papers' MNIST model: dynamics 784-H-784 with
tanh and the time as an input of every layer, integrated over [0, 1], then a linear layer to
10 classes; spiral fits the cubic spiral dy/dt = (y^3) A (DiffEqFlux's example, 30 points on
[0, 1.5]) with dynamics 2-H-2 on y^3; latent is a latent ODE (a GRU encoder reads 20
irregular observations of a sine wave on [0, 2.5] backwards into the start of 8-dimensional
dynamics 8-H-8, decoded linearly at 30 irregular times on [0, 5]: interpolation and
extrapolation; synthetic, seeded). Adam at --lr; the checkpoint (--out) is rewritten every
epoch and on SIGINT/SIGTERM, --resume continues bit for bit. The summary gives the test
accuracy (or loss), the evaluations of the dynamics (NFE) per solve at prediction, and the
prediction and training times.`,
		"simulate node --task spiral --reg local-error --out spiral.h5\n  simulate node --task latent --reg error --lambda 1 --epochs 20 --out latent.h5\n  simulate node --task fmnist --train-samples 2048 --test-samples 1000 --epochs 1 --batch 256 --tol 1e-5 --out fmnist.h5", stderr)
	c.common.register(fs)
	fs.Var(c.Task, "task", "fmnist or spiral")
	fs.Var(c.Reg, "reg", "regulariser: "+c.Reg.Names())
	fs.Var(c.Sampling, "sampling", "local regularisers: unbiased (a uniform time, its state by the interpolant) or biased (the start or an accepted step's end)")
	fs.Var(c.Adjoint, "adjoint", "discrete (reverse mode through every step; all regularisers) or continuous (the adjoint ODE solved backwards from per-step checkpoints: less memory; none and the local regularisers)")
	fs.Float64Var(&c.Lambda, "lambda", 0, "regulariser weight at the first epoch (0: the papers': error 100, stiff 0.1, both 10, local-error 2.5, local-stiff 0.1, kinetic 0.01 on each term)")
	fs.Float64Var(&c.LambdaEnd, "lambda-end", 0, "weight at the last epoch, reached by exponential decay (0: error 10, local-error 1, others constant)")
	fs.IntVar(&c.Epochs, "epochs", 0, "epochs (0: fmnist 10, spiral 300, latent 50)")
	fs.IntVar(&c.Batch, "batch", 0, "batch size (0: fmnist 512, latent 100; spiral: one trajectory)")
	fs.Float64Var(&c.LR, "lr", 0, "Adam's learning rate (0: fmnist 1e-3, spiral and latent 1e-2)")
	fs.Var(c.Schedule, "schedule", "learning-rate schedule: "+c.Schedule.Names()+" (step: halved every fifth of the run)")
	fs.Float64Var(&c.Tol, "tol", 0, "relative and absolute tolerance of the solver (0: fmnist the papers' 1.4e-8, spiral 1e-5, latent 1e-6)")
	fs.IntVar(&c.Hidden, "hidden", 0, "hidden width of the dynamics (0: fmnist 100, spiral 50, latent 32)")
	fs.IntVar(&c.TrainN, "train-samples", 0, "fmnist: the first N training images (0: all 60000); latent: series (0: 1000)")
	fs.IntVar(&c.TestN, "test-samples", 0, "fmnist: the first N test images (0: all 10000); latent: series (0: 200)")
	fs.BoolVar(&c.Float64, "float64", false, "train in float64 (default float32, as the papers; a tolerance near float32's rounding, 1.2e-7, as fmnist's 1.4e-8, makes the steps follow rounding noise: float64 takes fewer)")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed of the weights and the shuffling")
	fs.StringVar(&c.Data, "data", fmnistDir, "folder of the Fashion-MNIST IDX files")
	fs.StringVar(&c.Out, "out", "", "checkpoint file (default node-TASK.h5)")
	fs.StringVar(&c.Log, "log", "", "append one JSON line per epoch to this file")
	fs.StringVar(&c.Resume, "resume", "", "continue the run of this checkpoint (then only --epochs, --out, --log, --json, --threads)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.Resume != "" {
		stored := newNodeConfig()
		outs, err := resumeConfig("node", c, stored, fs)
		if err != nil {
			return err
		}
		return nodeRun(stored, outs, stdout, stderr)
	}
	if c.Out == "" {
		c.Out = "node-" + c.Task.String() + ".h5"
	}
	def := map[string][4]float64{"fmnist": {10, 1e-3, 1.4e-8, 512}, "spiral": {300, 1e-2, 1e-5, 1}, "latent": {50, 1e-2, 1e-6, 100}}[c.Task.Get()]
	if c.Batch == 0 {
		c.Batch = int(def[3])
	}
	if c.Epochs == 0 {
		c.Epochs = int(def[0])
	}
	if c.LR == 0 {
		c.LR = def[1]
	}
	if c.Tol == 0 {
		c.Tol = def[2]
	}
	if c.Epochs < 1 || c.Batch < 1 || !(c.LR > 0) || !(c.Tol > 0) || c.Hidden < 0 || c.TrainN < 0 || c.TestN < 0 || c.Lambda < 0 || c.LambdaEnd < 0 {
		return usageErr("--epochs %d, --batch %d, --lr %g, --tol %g, --hidden %d, --train-samples %d, --test-samples %d, --lambda %g, --lambda-end %g: want positive (sizes and lambdas >= 0)",
			c.Epochs, c.Batch, c.LR, c.Tol, c.Hidden, c.TrainN, c.TestN, c.Lambda, c.LambdaEnd)
	}
	if r := c.Reg.Get(); c.Adjoint.Get() && (r == regError || r == regStiff || r == regBoth || r == regKinetic) {
		return usageErr("--reg %s needs --adjoint discrete: the global regularisers differentiate the solver's internals", c.Reg)
	}
	if r := c.Reg.Get(); c.Adjoint.Get() && c.Sampling.Get() && (r == regLocalError || r == regLocalStiff) {
		return usageErr("--sampling biased needs --adjoint discrete: it starts from an accepted step's state, which the continuous adjoint does not keep on the tape")
	}
	return nodeRun(c, []string{c.Out}, stdout, stderr)
}

// lambda returns the regulariser's weights at the first and last epochs.
func (c *nodeConfig) lambda() (first, last float64) {
	first, last = c.Lambda, c.LambdaEnd
	if first == 0 {
		first = map[nodeReg]float64{regError: 100, regStiff: 0.1, regBoth: 10, regLocalError: 2.5, regLocalStiff: 0.1, regKinetic: 0.01}[c.Reg.Get()]
	}
	if last == 0 {
		last = first
		if c.Lambda == 0 {
			last = map[nodeReg]float64{regError: 10, regLocalError: 1}[c.Reg.Get()]
			if last == 0 {
				last = first
			}
		}
	}
	return first, last
}

func nodeRun(c *nodeConfig, outs []string, stdout, stderr io.Writer) error {
	st, err := c.common.begin("node", c, stdout, stderr, outs...)
	if err != nil {
		return err
	}
	defer st.end()
	if c.Float64 {
		return nodeTrain[float64](st, c)
	}
	return nodeTrain[float32](st, c)
}

// nodeModel is a task's trainable part.
type nodeModel[T nn.Float] struct {
	f     *ode.TimeMLP[T]
	cube  bool          // the dynamics see y^3 (spiral)
	headW *nn.Tensor[T] // classifier head (fmnist), [10, n]
	headB *nn.Tensor[T]
}

// Eval implements ode.Field.
func (m *nodeModel[T]) Eval(tp *nn.Tape[T], y, t *nn.Tensor[T]) *nn.Tensor[T] {
	if m.cube {
		y = tp.Mul(tp.Mul(y, y), y)
	}
	return m.f.Eval(tp, y, t)
}

// EvalJVP implements ode.JVPField.
func (m *nodeModel[T]) EvalJVP(tp *nn.Tape[T], y, t, v *nn.Tensor[T]) (*nn.Tensor[T], *nn.Tensor[T]) {
	if m.cube {
		y2 := tp.Mul(y, y)
		v = tp.Mul(tp.Scale(y2, 3), v)
		y = tp.Mul(y2, y)
	}
	return m.f.EvalJVP(tp, y, t, v)
}

// Params implements ode.ParamField: the dynamics' parameters.
func (m *nodeModel[T]) Params() []*nn.Tensor[T] { return m.f.Params() }

func (m *nodeModel[T]) params() []nn.Named[T] {
	var ps []nn.Named[T]
	for l := range m.f.W {
		ps = append(ps, nn.Named[T]{Name: fmt.Sprintf("f.w%d", l), Tensor: m.f.W[l]}, nn.Named[T]{Name: fmt.Sprintf("f.b%d", l), Tensor: m.f.B[l]})
	}
	if m.headW != nil {
		ps = append(ps, nn.Named[T]{Name: "head.w", Tensor: m.headW}, nn.Named[T]{Name: "head.b", Tensor: m.headB})
	}
	return ps
}

// nodeTask is train.Task for both tasks.
type nodeTask[T nn.Float] struct {
	c      *nodeConfig
	ctx    context.Context
	m      *nodeModel[T]
	set    *ode.Settings
	ts     []float64
	reg    nodeReg
	lam    float64 // this epoch's regulariser weight
	noise  *rand.Rand
	epoch  int
	l0, l1 float64

	// fmnist: images [N, 784] in [0, 1] and labels; spiral: one
	// trajectory (x the start, ys the states at ts[1:]).
	x, xTest     []T
	y, yTest     []int
	traj         []T
	nTrain, nDim int

	lat             *latentEncoder[T]
	latTrain, latTe *latentSeries

	nfeTrain, solves int // evaluations of the dynamics in training solves
}

func (t *nodeTask[T]) Params() []nn.Named[T] {
	if t.lat != nil {
		return append(t.m.params(), t.lat.params()...)
	}
	return t.m.params()
}
func (t *nodeTask[T]) Samples() int { return t.nTrain }

// SetEpoch implements train.Epocher: the regulariser's weight decays
// exponentially from l0 to l1 over the epochs.
func (t *nodeTask[T]) SetEpoch(e, epochs int) {
	t.epoch = e
	t.lam = t.l0
	if epochs > 1 && t.l1 != t.l0 {
		t.lam = t.l0 * math.Pow(t.l1/t.l0, float64(e)/float64(epochs-1))
	}
}

// regTerm returns the regulariser of a solve.
func (t *nodeTask[T]) regTerm(tp *nn.Tape[T], sol *ode.TapeSolution[T]) *nn.Tensor[T] {
	switch t.reg {
	case regError:
		return sol.ErrorReg
	case regStiff:
		return sol.StiffReg
	case regBoth:
		return sol.BothReg
	case regKinetic:
		return tp.Add(sol.KineticReg, sol.JacobianReg)
	}
	return nil
}

// batch returns the inputs of the samples idx of x (rows of nDim).
func (t *nodeTask[T]) batch(x []T, idx []int) *nn.Tensor[T] {
	b := nn.Zeros[T](len(idx), t.nDim)
	for k, i := range idx {
		copy(b.Data[k*t.nDim:(k+1)*t.nDim], x[i*t.nDim:(i+1)*t.nDim])
	}
	return b
}

// forward solves from x and returns the solution and, for fmnist, the
// logits.
func (t *nodeTask[T]) forward(tp *nn.Tape[T], x *nn.Tensor[T]) (*ode.TapeSolution[T], *nn.Tensor[T], error) {
	return t.forwardAt(tp, x, t.ts)
}

// forwardAt solves from x through the times ts.
func (t *nodeTask[T]) forwardAt(tp *nn.Tape[T], x *nn.Tensor[T], ts []float64) (*ode.TapeSolution[T], *nn.Tensor[T], error) {
	solve := ode.SolveTape[T]
	if t.c.Adjoint.Get() && !tp.NoGrad() {
		solve = func(ctx context.Context, tp *nn.Tape[T], tab *ode.Tableau, f ode.Field[T], y0 *nn.Tensor[T], ts []float64, s *ode.Settings) (*ode.TapeSolution[T], error) {
			return ode.SolveAdjoint(ctx, tp, tab, t.m, y0, ts, s)
		}
	}
	if t.reg == regKinetic && !tp.NoGrad() {
		noise := t.noise
		solve = func(ctx context.Context, tp *nn.Tape[T], tab *ode.Tableau, f ode.Field[T], y0 *nn.Tensor[T], ts []float64, s *ode.Settings) (*ode.TapeSolution[T], error) {
			return ode.SolveTapeWith(ctx, tp, tab, f, y0, ts, s, &ode.TapeOptions{Kinetic: true, Noise: noise})
		}
	}
	sol, err := solve(t.ctx, tp, ode.Tsit5, t.m, x, ts, t.set)
	if err != nil {
		return nil, nil, err
	}
	if t.m.headW == nil {
		return sol, nil, nil
	}
	return sol, tp.Linear(sol.Y[len(sol.Y)-1], t.m.headW, t.m.headB), nil
}

// start returns the initial states of the samples idx (of the test set
// with test) and the times of the solve.
func (t *nodeTask[T]) start(tp *nn.Tape[T], idx []int, test bool) (*nn.Tensor[T], []float64) {
	switch {
	case t.lat != nil:
		s := t.latTrain
		if test {
			s = t.latTe
		}
		return t.lat.encode(tp, s, idx), latentTimes(s, idx)
	case t.m.headW != nil:
		x := t.x
		if test {
			x = t.xTest
		}
		return t.batch(x, idx), t.ts
	}
	return nn.New(append([]T(nil), t.traj[:t.nDim]...), 1, t.nDim), t.ts
}

func (t *nodeTask[T]) Loss(tp *nn.Tape[T], idx []int) *nn.Tensor[T] {
	x, ts0 := t.start(tp, idx, false)
	local := t.reg == regLocalError || t.reg == regLocalStiff
	// The local regularisers' randomness comes from the epoch and the
	// batch's samples, so that a resumed run draws the same times.
	rnd := rand.New(rand.NewPCG(t.c.Seed^uint64(t.epoch)<<32, uint64(idx[0])*1000003+uint64(len(idx))))
	t.noise = rnd // the kinetic regulariser's Hutchinson vector too
	ts, at, added := ts0, -1, false
	if local && !t.c.Sampling.Get() {
		// Unbiased: a uniform time added to the saved ones.
		ts, at, added = insertTime(ts0, ts0[0]+rnd.Float64()*(ts0[len(ts0)-1]-ts0[0]))
	}
	sol, logits, err := t.forwardAt(tp, x, ts)
	if err != nil {
		// The loop reports a non-finite loss as a diverged run.
		return nn.New([]T{T(math.NaN())})
	}
	t.nfeTrain += sol.Stats.FEvals
	t.solves++
	var localReg *nn.Tensor[T]
	if local {
		t1, y1 := ts0[0], x
		switch {
		case at > 0:
			t1, y1 = ts[at], sol.Y[at-1]
			if added {
				sol.Y = slices.Delete(sol.Y, at-1, at)
			}
		case at < 0 && len(sol.Steps) > 1:
			// Biased: the start or an accepted step's end, the last excepted.
			if i := rnd.IntN(len(sol.Steps)); i > 0 {
				t1, y1 = sol.Steps[i-1].T1, sol.States[i-1]
			}
		}
		er, sr, nfe, err := ode.LocalStep(t.ctx, tp, ode.Tsit5, t.m, y1, t1, ts0[len(ts0)-1], t.set)
		if err != nil {
			return nn.New([]T{T(math.NaN())})
		}
		t.nfeTrain += nfe
		localReg = er
		if t.reg == regLocalStiff {
			localReg = sr
		}
	}
	var loss *nn.Tensor[T]
	switch {
	case t.lat != nil:
		sum, n := t.lat.latentLoss(tp, t.latTrain, idx, ts0, x, sol.Y)
		loss = tp.Scale(sum, T(1/float64(n)))
	case logits != nil:
		labels := make([]int, len(idx))
		for k, i := range idx {
			labels[k] = t.y[i]
		}
		loss = tp.CrossEntropy(logits, labels)
	default:
		loss = t.spiralLoss(tp, sol)
	}
	if r := t.regTerm(tp, sol); r != nil && t.lam > 0 {
		loss = tp.Add(loss, tp.Scale(r, T(t.lam)))
	}
	if localReg != nil && t.lam > 0 {
		loss = tp.Add(loss, tp.Scale(localReg, T(t.lam)))
	}
	return loss
}

// insertTime returns ts with t1 (which lies in [ts[0], ts[last]]) put in
// order, the index of t1 in the result, and whether it was added (false
// when it is one of ts already).
func insertTime(ts []float64, t1 float64) ([]float64, int, bool) {
	i, found := slices.BinarySearch(ts, t1)
	if found {
		return ts, i, false
	}
	return slices.Insert(slices.Clone(ts), i, t1), i, true
}

// spiralLoss is the mean squared error over the saved states.
func (t *nodeTask[T]) spiralLoss(tp *nn.Tape[T], sol *ode.TapeSolution[T]) *nn.Tensor[T] {
	all := tp.Concat(0, sol.Y...)
	want := nn.New(append([]T(nil), t.traj[t.nDim:]...), len(sol.Y), t.nDim)
	return tp.MSE(all, want)
}

// evaluate returns the test error (1 - accuracy for fmnist, the MSE for
// spiral and latent), the mean NFE per solve and the seconds, forward
// only.
func (t *nodeTask[T]) evaluate(ctx context.Context) (errRate, nfe, secs float64, err error) {
	start := time.Now()
	sum, count, evals, solves, err := t.evaluateBatches(ctx, 0, t.testBatches())
	if err != nil {
		return 0, 0, 0, err
	}
	return sum / float64(count), float64(evals) / float64(solves), time.Since(start).Seconds(), nil
}

// testBatches returns the number of test batches (1 for spiral, the one
// trajectory).
func (t *nodeTask[T]) testBatches() int {
	switch {
	case t.m.headW == nil && t.lat == nil:
		return 1
	case t.lat != nil:
		return (len(t.latTe.obsT) + t.c.Batch - 1) / t.c.Batch
	}
	return (len(t.yTest) + t.c.Batch - 1) / t.c.Batch
}

// evaluateBatches evaluates the test batches [b0, b1) and returns the sum
// of the error (wrong answers for fmnist, the loss's sum for latent, the
// MSE for spiral), what it averages over, the function evaluations and
// the solves. Each batch is solved whole, as in evaluate, so the test
// set's error is the sum over any split of the batches.
func (t *nodeTask[T]) evaluateBatches(ctx context.Context, b0, b1 int) (sum float64, count, evals, solves int, err error) {
	tp := nn.NewTape[T]()
	tp.SetNoGrad(true)
	if b0 >= b1 {
		return 0, 0, 0, 0, nil
	}
	if t.m.headW == nil && t.lat == nil {
		sol, _, err := t.forward(tp, nn.New(append([]T(nil), t.traj[:t.nDim]...), 1, t.nDim))
		if err != nil {
			return 0, 0, 0, 0, err
		}
		return float64(t.spiralLoss(tp, sol).Item()), 1, sol.Stats.FEvals, 1, nil
	}
	n := len(t.yTest)
	if t.lat != nil {
		n = len(t.latTe.obsT)
	}
	for b := b0; b < b1; b++ {
		if err := ctx.Err(); err != nil {
			return 0, 0, 0, 0, err
		}
		tp.Reset()
		idx := seq(b*t.c.Batch, min((b+1)*t.c.Batch, n))
		if t.lat != nil {
			z0, ts := t.start(tp, idx, true)
			sol, _, err := t.forwardAt(tp, z0, ts)
			if err != nil {
				return 0, 0, 0, 0, err
			}
			s, c := t.lat.latentLoss(tp, t.latTe, idx, ts, z0, sol.Y)
			sum, count = sum+float64(s.Item()), count+c
			evals += sol.Stats.FEvals
			solves++
			continue
		}
		sol, logits, err := t.forward(tp, t.batch(t.xTest, idx))
		if err != nil {
			return 0, 0, 0, 0, err
		}
		evals += sol.Stats.FEvals
		solves++
		for k, i := range idx {
			row := logits.Data[k*10 : (k+1)*10]
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			if best != t.yTest[i] {
				sum++
			}
		}
		count += len(idx)
	}
	return sum, count, evals, solves, nil
}

func (t *nodeTask[T]) Validate(ctx context.Context) (float64, error) {
	e, _, _, err := t.evaluate(ctx)
	return e, err
}

// ValidateShard implements train.ShardValidator: the error's sum over
// this process's share of the test batches (whole batches, so that the
// shares add up to Validate's set) and what it averages over.
func (t *nodeTask[T]) ValidateShard(ctx context.Context, rank, size int) (float64, int, error) {
	lo, hi := parallel.Range(t.testBatches(), rank, size)
	sum, count, _, _, err := t.evaluateBatches(ctx, lo, hi)
	return sum, count, err
}

func seq(lo, hi int) []int {
	s := make([]int, hi-lo)
	for i := range s {
		s[i] = lo + i
	}
	return s
}

// newNodeTask builds the task and its data.
func newNodeTask[T nn.Float](ctx context.Context, c *nodeConfig) (*nodeTask[T], error) {
	rnd := rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15))
	t := &nodeTask[T]{c: c, ctx: ctx, reg: c.Reg.Get(), set: &ode.Settings{Control: iterate.Control{Tolerance: c.Tol, AbsTolerance: c.Tol}}}
	t.l0, t.l1 = c.lambda()
	t.lam = t.l0
	hidden := c.Hidden
	switch c.Task.Get() {
	case "fmnist":
		if hidden == 0 {
			hidden = 100
		}
		var err error
		if t.x, t.y, err = readFashion[T](c.Data, "train", c.TrainN); err != nil {
			return nil, err
		}
		if t.xTest, t.yTest, err = readFashion[T](c.Data, "t10k", c.TestN); err != nil {
			return nil, err
		}
		t.nDim, t.nTrain, t.ts = 784, len(t.y), []float64{0, 1}
		t.m = &nodeModel[T]{f: ode.NewTimeMLP[T](rnd, true, 784, hidden, 784)}
		t.m.headW, t.m.headB = uniformParam[T](rnd, 784, 10, 784), uniformParam[T](rnd, 784, 10)
	case "spiral":
		if hidden == 0 {
			hidden = 50
		}
		t.nDim, t.nTrain = 2, 1
		t.ts = make([]float64, 30)
		for i := range t.ts {
			t.ts[i] = 1.5 * float64(i) / 29
		}
		traj, err := spiralData(ctx, t.ts)
		if err != nil {
			return nil, err
		}
		for _, v := range traj {
			t.traj = append(t.traj, T(v))
		}
		t.m = &nodeModel[T]{f: ode.NewTimeMLP[T](rnd, false, 2, hidden, 2), cube: true}
	case "latent":
		if hidden == 0 {
			hidden = 32
		}
		ntr, nte := c.TrainN, c.TestN
		if ntr == 0 {
			ntr = 1000
		}
		if nte == 0 {
			nte = 200
		}
		t.latTrain, t.latTe = makeLatent(ntr, c.Seed), makeLatent(nte, c.Seed+1<<40)
		t.nTrain, t.nDim = ntr, latentDim
		t.m = &nodeModel[T]{f: ode.NewTimeMLP[T](rnd, false, latentDim, hidden, latentDim)}
		t.lat = newLatentEncoder[T](rnd)
	}
	return t, nil
}

// spiralData returns the states of dy/dt = (y^3) A, A = [-0.1 2; -2
// -0.1], y(0) = (2, 0) at ts (the first included), by Tsit5 at 1e-12.
func spiralData(ctx context.Context, ts []float64) ([]float64, error) {
	f := func(dy []float64, _ float64, y []float64) {
		a, b := y[0]*y[0]*y[0], y[1]*y[1]*y[1]
		dy[0] = -0.1*a - 2*b
		dy[1] = 2*a - 0.1*b
	}
	sol, err := ode.Solve(ctx, ode.Tsit5, f, ts[0], ts[len(ts)-1], []float64{2, 0}, ts[1:],
		&ode.Settings{Control: iterate.Control{Tolerance: 1e-12, AbsTolerance: 1e-12}})
	if err != nil {
		return nil, err
	}
	if err := sol.Err(); err != nil {
		return nil, err
	}
	out := []float64{2, 0}
	for _, y := range sol.Y {
		out = append(out, y...)
	}
	return out, nil
}

// readFashion reads the first n (0: all) images, scaled to [0, 1], and
// labels of a Fashion-MNIST split ("train" or "t10k").
func readFashion[T nn.Float](dir, split string, n int) ([]T, []int, error) {
	find := func(kind string) (string, error) {
		for _, name := range []string{split + "-" + kind + "-ubyte.gz", split + "-" + kind + "-ubyte"} {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		return "", usageErr("--data %s has no %s-%s-ubyte[.gz] (Fashion-MNIST comes with the Debian package dataset-fashion-mnist; make installs it)", dir, split, kind)
	}
	ip, err := find("images-idx3")
	if err != nil {
		return nil, nil, err
	}
	lp, err := find("labels-idx1")
	if err != nil {
		return nil, nil, err
	}
	im, err := idx.Read(ip)
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	lb, err := idx.Read(lp)
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	if len(im.Dims) != 3 || im.Dims[1] != 28 || im.Dims[2] != 28 || len(lb.Dims) != 1 || lb.Dims[0] != im.Dims[0] {
		return nil, nil, usageErr("%s and %s: images %v and labels %v, want [N, 28, 28] and [N]", ip, lp, im.Dims, lb.Dims)
	}
	total := im.Dims[0]
	if n == 0 || n > total {
		if n > total {
			return nil, nil, usageErr("--%s-samples %d: the %s split has %d", map[string]string{"train": "train", "t10k": "test"}[split], n, split, total)
		}
		n = total
	}
	x := make([]T, n*784)
	for i, v := range im.Bytes[:n*784] {
		x[i] = T(float64(v) / 255)
	}
	y := make([]int, n)
	for i, v := range lb.Bytes[:n] {
		if v > 9 {
			return nil, nil, usageErr("%s: label %d of sample %d is not a class 0-9", lp, v, i)
		}
		y[i] = int(v)
	}
	return x, y, nil
}

func nodeTrain[T nn.Float](st *stage, c *nodeConfig) error {
	task, err := newNodeTask[T](st.ctx, c)
	if err != nil {
		return err
	}
	s := &train.Settings{Control: iterate.Control{MaxIterations: c.Epochs}, Batch: c.Batch, LR: c.LR, Seed: c.Seed, Schedule: train.Schedule{Kind: c.Schedule.Get()},
		Checkpoint: c.Out, Extra: st.stamp}
	trainNFE := func() float64 { return float64(task.nfeTrain) / float64(max(1, task.solves)) }
	what := "test error rate"
	if c.Task.Get() != "fmnist" {
		what = "test MSE"
	}
	done, err := trainProgress(st, s, "node", c.Log, what, func() string { return fmt.Sprintf("NFE/solve %.0f", trainNFE()) },
		func(e train.Epoch) any {
			return struct {
				train.Epoch
				Lambda float64 `json:"lambda"`
				NFE    float64 `json:"train_nfe_per_solve"`
			}{e, task.lam, trainNFE()}
		})
	if err != nil {
		return err
	}
	var res *train.Result[T]
	if c.Resume != "" {
		res, err = train.Resume[T](st.ctx, c.Resume, task, s)
	} else {
		res, err = train.Run[T](st.ctx, task, s)
	}
	done()
	if err != nil {
		return st.fail(usageErr("%v", err))
	}
	if ie := st.interruption(); ie != nil {
		return ie
	}
	st.keepOutput(c.Out)
	if res.Reason == iterate.Diverged {
		return st.fail(fmt.Errorf("%s", res.Message))
	}
	testErr, nfe, predSecs, err := task.evaluate(st.ctx)
	if err != nil {
		return st.fail(err)
	}
	sum := st.summary().set("task", c.Task.String(), "reg", c.Reg.String(), "params", nn.Count(task.Params()), "epochs", res.Iterations,
		"tol", c.Tol, "nfe", nfe, "predict_seconds", predSecs, "train_seconds", res.Epochs[len(res.Epochs)-1].Seconds,
		"train_nfe_per_solve", trainNFE(), "seed", c.Seed, "float64", c.Float64)
	switch c.Task.Get() {
	case "fmnist":
		sum.set("test_accuracy", 1-testErr, "train_samples", task.nTrain, "test_samples", len(task.yTest))
	case "latent":
		sum.set("test_mse", testErr, "train_samples", task.nTrain, "test_samples", len(task.latTe.obsT))
	default:
		sum.set("test_mse", testErr)
	}
	if task.reg != regNone {
		l0, l1 := c.lambda()
		sum.set("lambda", []float64{l0, l1})
	}
	sum.outcome("", &res.Outcome)
	sum.text = func(w io.Writer) {
		if c.Task.Get() == "fmnist" {
			fmt.Fprintf(w, "fmnist, reg %s: test accuracy %.4f on %d images; ", c.Reg, 1-testErr, len(task.yTest))
		} else {
			fmt.Fprintf(w, "%s, reg %s: test MSE %.4g; ", c.Task, c.Reg, testErr)
		}
		fmt.Fprintf(w, "NFE %.1f per solve at prediction, predicted in %.3g s; trained %d epochs in %.1f s\n", nfe, predSecs, res.Iterations, res.Epochs[len(res.Epochs)-1].Seconds)
		for _, o := range st.outputs {
			fmt.Fprintf(w, "wrote %s\n", o)
		}
	}
	return st.report(sum)
}

// nodeEvalConfig is the configuration of `simulate node eval`.
type nodeEvalConfig struct {
	common
	Model   string  `json:"model"`
	Last    bool    `json:"last"`
	Tol     float64 `json:"tol"`
	Data    string  `json:"data"`
	Float64 bool    `json:"float64"`
}

func cmdNodeEval(args []string, stdout, stderr io.Writer) error {
	var c nodeEvalConfig
	fs := newFlags("node eval", `Evaluate a checkpoint of simulate node on its task's test set, forward only: the test accuracy
(fmnist) or mean squared error (spiral, latent), the evaluations of the dynamics per solve
(NFE) and the prediction time. The task, model and data are the checkpoint's.`,
		"simulate node --task spiral --epochs 30 --out spiral.h5\n  simulate node eval --model spiral.h5 --json", stderr)
	c.common.register(fs)
	fs.StringVar(&c.Model, "model", "", "checkpoint of simulate node (required)")
	fs.BoolVar(&c.Last, "last", false, "use the last weights instead of the best-validation ones")
	fs.Float64Var(&c.Tol, "tol", 0, "solver tolerance (0: the training's)")
	fs.StringVar(&c.Data, "data", "", "fmnist: folder of the IDX files (default: the training's)")
	fs.BoolVar(&c.Float64, "float64", false, "predict in float64 (a float32 model's weights converted), to see what float32 rounding costs")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.Model == "" {
		return usageErr("--model is required")
	}
	if c.Tol < 0 {
		return usageErr("--tol %g must be positive", c.Tol)
	}
	if err := vetInput(c.Model); err != nil {
		return err
	}
	f, err := openInput(c.Model)
	if err != nil {
		return usageErr("--model: %v", err)
	}
	stored := newNodeConfig()
	err = f.Config("/", stored)
	if err != nil || stored.Epochs == 0 {
		f.Close()
		return usageErr("--model %s is not a checkpoint of simulate node: %v", c.Model, err)
	}
	if c.Tol > 0 {
		stored.Tol = c.Tol
	}
	if c.Data != "" {
		stored.Data = c.Data
	}
	st, err := c.common.begin("node eval", &c, stdout, stderr)
	if err != nil {
		f.Close()
		return err
	}
	defer st.end()
	if c.Float64 || stored.Float64 {
		return nodeEval[float64](st, &c, stored, f)
	}
	return nodeEval[float32](st, &c, stored, f)
}

// readParamsInto sets params (of element type T) from a checkpoint whose
// parameters are stored as S, converting each value.
func readParamsInto[S, T nn.Float](f *h5.File, group string, params []nn.Named[T]) error {
	stored := make([]nn.Named[S], len(params))
	for i, p := range params {
		stored[i] = nn.Named[S]{Name: p.Name, Tensor: &nn.Tensor[S]{Shape: p.Tensor.Shape}}
	}
	data, err := nn.ReadParams(f, group, stored)
	if err != nil {
		return err
	}
	for i, p := range params {
		for j, v := range data[i] {
			p.Tensor.Data[j] = T(v)
		}
	}
	return nil
}

func nodeEval[T nn.Float](st *stage, c *nodeEvalConfig, stored *nodeConfig, f *h5.File) error {
	task, err := newNodeTask[T](st.ctx, stored)
	if err != nil {
		f.Close()
		return err
	}
	group := "best"
	if c.Last {
		group = "params"
	}
	if stored.Float64 {
		err = readParamsInto[float64](f, group, task.Params())
	} else {
		err = readParamsInto[float32](f, group, task.Params())
	}
	f.Close()
	if err != nil {
		return usageErr("--model: %v", err)
	}
	testErr, nfe, secs, err := task.evaluate(st.ctx)
	if err != nil {
		return st.fail(err)
	}
	sum := st.summary().set("model", c.Model, "task", stored.Task.String(), "reg", stored.Reg.String(), "tol", stored.Tol,
		"nfe", nfe, "predict_seconds", secs, "weights", group, "float64", c.Float64 || stored.Float64)
	metric, v := "test_mse", testErr
	if stored.Task.Get() == "fmnist" {
		metric, v = "test_accuracy", 1-testErr
	}
	sum.set(metric, v)
	sum.text = func(w io.Writer) {
		fmt.Fprintf(w, "%s (%s, reg %s, %s weights): %s %.5g, NFE %.1f per solve, predicted in %.3g s\n", c.Model, stored.Task, stored.Reg, group, metric, v, nfe, secs)
	}
	return st.report(sum)
}
