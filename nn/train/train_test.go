package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn"
)

// regression is a task of fitting y = A x with a linear layer (no bias):
// the least-squares problem every optimizer solves, on fixed data.
type regression struct {
	w      *nn.Tensor[float32]
	x, y   []float32 // [n, 3], [n, 2]
	n      int
	xb, yb *nn.Tensor[float32]
}

func newRegression(seed uint64) *regression {
	rnd := rand.New(rand.NewPCG(seed, 1))
	r := &regression{n: 50}
	a := []float64{1, -2, 0.5, 0.3, 1.5, -1}
	for i := 0; i < r.n; i++ {
		x := []float64{rnd.NormFloat64(), rnd.NormFloat64(), rnd.NormFloat64()}
		for _, v := range x {
			r.x = append(r.x, float32(v))
		}
		for o := 0; o < 2; o++ {
			r.y = append(r.y, float32(a[3*o]*x[0]+a[3*o+1]*x[1]+a[3*o+2]*x[2]))
		}
	}
	w := make([]float32, 6)
	for i := range w {
		w[i] = float32(rnd.NormFloat64() * 0.1)
	}
	r.w = nn.Param(w, 2, 3)
	return r
}

func (r *regression) Params() []nn.Named[float32] {
	return []nn.Named[float32]{{Name: "w", Tensor: r.w}}
}
func (r *regression) Samples() int { return r.n }

func (r *regression) Loss(tp *nn.Tape[float32], idx []int) *nn.Tensor[float32] {
	x, y := nn.Zeros[float32](len(idx), 3), nn.Zeros[float32](len(idx), 2)
	for k, i := range idx {
		copy(x.Data[3*k:], r.x[3*i:3*i+3])
		copy(y.Data[2*k:], r.y[2*i:2*i+2])
	}
	return tp.MSE(tp.Linear(x, r.w, nil), y)
}

func (r *regression) Validate(context.Context) (float64, error) {
	tp := nn.NewTape[float32]()
	all := make([]int, r.n)
	for i := range all {
		all[i] = i
	}
	return float64(r.Loss(tp, all).Item()), nil
}

func settings(epochs int, path string) *Settings {
	return &Settings{Control: iterate.Control{MaxIterations: epochs}, Batch: 7, LR: 0.05, WeightDecay: 1e-3,
		Schedule: Schedule{Kind: OneCycle, PerBatch: true}, Seed: 9, Checkpoint: path}
}

// TestLearns: the loop fits the regression: the validation loss falls by
// 100 from its first epoch and the best epoch is the best record.
func TestLearns(t *testing.T) {
	r := newRegression(1)
	res, err := Run[float32](context.Background(), r, settings(40, ""))
	if err != nil || res.Reason != iterate.Completed || len(res.Epochs) != 40 || res.Iterations != 40 {
		t.Fatalf("%v %v, %d epochs", err, res.Reason, len(res.Epochs))
	}
	if first, last := res.Epochs[0].Validation, res.Epochs[39].Validation; !(last < first/100) {
		t.Errorf("validation loss %g after the first epoch, %g after the last", first, last)
	}
	// The records give the rate of each epoch's last batch: OneCycle's
	// last is Max/(25 1e4).
	if got, want := res.Epochs[39].LR, 0.05/25/1e4; math.Abs(got-want) > 1e-12 {
		t.Errorf("last epoch's learning rate %g, OneCycle ends at %g", got, want)
	}
	for _, e := range res.Epochs {
		if e.Validation < res.BestValidation {
			t.Errorf("epoch %d has %g below the best %g (epoch %d)", e.Epoch, e.Validation, res.BestValidation, res.BestEpoch)
		}
	}
}

// TestResumeBitIdentical: a run stopped after an epoch, or in the middle
// of one by its context, and resumed from its checkpoint ends with the
// same parameters, best parameters and epoch records, bit for bit, as the
// run that never stopped.
func TestResumeBitIdentical(t *testing.T) {
	dir := t.TempDir()
	ref := newRegression(2)
	want, err := Run[float32](context.Background(), ref, settings(6, filepath.Join(dir, "ref.h5")))
	if err != nil {
		t.Fatal(err)
	}
	for _, stop := range []struct {
		name  string
		epoch int // stop after this many epochs (0: cancel mid-epoch)
	}{{"after epoch 3", 3}, {"in epoch 4", 0}} {
		path := filepath.Join(dir, "run.h5")
		r := newRegression(2)
		s := settings(6, path)
		ctx, cancel := context.WithCancel(context.Background())
		if stop.epoch > 0 {
			s.OnEpoch = func(e Epoch) {
				if e.Epoch == stop.epoch {
					cancel()
				}
			}
		} else {
			s.OnBatch = func(b BatchInfo) {
				if b.Epoch == 4 && b.Batch == 3 {
					cancel()
				}
			}
		}
		res, err := Run[float32](ctx, r, s)
		if err != nil || res.Reason != iterate.Cancelled || !errors.Is(res.Err(), context.Canceled) {
			t.Fatalf("%s: %v, %v", stop.name, err, res.Reason)
		}
		fresh := newRegression(2)
		fresh.w.Data[0] = 99 // Resume must replace it
		got, err := Resume[float32](context.Background(), path, fresh, settings(6, path))
		if err != nil {
			t.Fatalf("%s: resume: %v", stop.name, err)
		}
		if !slices.Equal(fresh.w.Data, ref.w.Data) || !slices.Equal(got.Best[0], want.Best[0]) {
			t.Errorf("%s: parameters %v, uninterrupted %v", stop.name, fresh.w.Data, ref.w.Data)
		}
		if len(got.Epochs) != 6 || got.BestEpoch != want.BestEpoch {
			t.Fatalf("%s: %d epochs, best %d; want 6, %d", stop.name, len(got.Epochs), got.BestEpoch, want.BestEpoch)
		}
		for i, e := range got.Epochs {
			w := want.Epochs[i]
			if e.TrainLoss != w.TrainLoss || e.Validation != w.Validation || e.LR != w.LR {
				t.Errorf("%s: epoch %d: %+v, uninterrupted %+v", stop.name, i+1, e, w)
			}
		}
	}
	// A checkpoint resumed with other settings is refused.
	s := settings(6, filepath.Join(dir, "ref.h5"))
	s.Batch = 8
	if _, err := Resume[float32](context.Background(), s.Checkpoint, newRegression(2), s); err == nil {
		t.Error("resuming with another batch size succeeded")
	}
}

// TestEarlyStopAndDivergence: an absolute tolerance on the validation
// error stops the run early; a NaN loss ends it as diverged.
func TestEarlyStopAndDivergence(t *testing.T) {
	s := settings(200, "")
	s.AbsTolerance = 1e-3
	res, err := Run[float32](context.Background(), newRegression(3), s)
	if err != nil || res.Reason != iterate.ConvergedAbsolute || res.Iterations >= 200 || res.Residual > 1e-3 {
		t.Errorf("tolerance 1e-3: %v, %v after %d epochs at %g", err, res.Reason, res.Iterations, res.Residual)
	}
	r := newRegression(3)
	r.w.Data[0] = float32(math.NaN())
	res, err = Run[float32](context.Background(), r, settings(5, ""))
	if err != nil || res.Reason != iterate.Diverged {
		t.Errorf("NaN weight: %v, %v", err, res.Reason)
	}
}

// epochTask is the regression whose loss weight halves every epoch (a
// regulariser's schedule), recording the SetEpoch calls.
type epochTask struct {
	*regression
	epoch int
	calls [][2]int
}

func (e *epochTask) SetEpoch(epoch, epochs int) {
	e.epoch = epoch
	e.calls = append(e.calls, [2]int{epoch, epochs})
}

func (e *epochTask) Loss(tp *nn.Tape[float32], idx []int) *nn.Tensor[float32] {
	return tp.Scale(e.regression.Loss(tp, idx), float32(math.Pow(0.5, float64(e.epoch))))
}

// TestEpocher: a task with SetEpoch hears every epoch before its batches,
// and a run cancelled in an epoch and resumed hears that epoch again
// first, so that the epoch-dependent loss resumes bit for bit.
func TestEpocher(t *testing.T) {
	dir := t.TempDir()
	ref := &epochTask{regression: newRegression(4)}
	if _, err := Run[float32](context.Background(), ref, settings(4, "")); err != nil {
		t.Fatal(err)
	}
	if want := [][2]int{{0, 4}, {1, 4}, {2, 4}, {3, 4}}; !slices.Equal(ref.calls, want) {
		t.Errorf("SetEpoch calls %v, want %v", ref.calls, want)
	}
	path := filepath.Join(dir, "run.h5")
	r := &epochTask{regression: newRegression(4)}
	ctx, cancel := context.WithCancel(context.Background())
	s := settings(4, path)
	s.OnBatch = func(b BatchInfo) {
		if b.Epoch == 3 && b.Batch == 2 {
			cancel()
		}
	}
	if _, err := Run[float32](ctx, r, s); err != nil {
		t.Fatal(err)
	}
	fresh := &epochTask{regression: newRegression(4)}
	if _, err := Resume[float32](context.Background(), path, fresh, settings(4, path)); err != nil {
		t.Fatal(err)
	}
	if want := [][2]int{{2, 4}, {3, 4}}; !slices.Equal(fresh.calls, want) {
		t.Errorf("resumed SetEpoch calls %v, want %v", fresh.calls, want)
	}
	if !slices.Equal(fresh.w.Data, ref.w.Data) {
		t.Errorf("resumed parameters %v, uninterrupted %v", fresh.w.Data, ref.w.Data)
	}
}

// group is an in-process stand-in for an MPI communicator: Sum waits for
// all members and gives each the total.
type group struct {
	mu      sync.Mutex
	cond    *sync.Cond
	size    int
	arrived int
	gen     int
	acc     []float64
	out     []float64
}

func newGroup(size int) *group {
	g := &group{size: size}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func (g *group) sum(v []float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.arrived == 0 {
		g.acc = make([]float64, len(v))
	}
	for i, x := range v {
		g.acc[i] += x
	}
	g.arrived++
	gen := g.gen
	if g.arrived == g.size {
		g.out, g.arrived = g.acc, 0
		g.gen++
		g.cond.Broadcast()
	} else {
		for gen == g.gen {
			g.cond.Wait()
		}
	}
	copy(v, g.out)
}

// The gradient summed over the processes' shares of a batch is the batch's
// gradient: one data-parallel step on 3 processes against the serial one.
func TestParallelStepGradient(t *testing.T) {
	idx := []int{4, 9, 1, 30, 22, 7, 13}
	serial := newRegression(3)
	tp := nn.NewTape[float32]()
	loss := serial.Loss(tp, idx)
	tp.Backward(loss)
	want, wantLoss := slices.Clone(serial.w.Grad), float64(loss.Item())
	g := newGroup(3)
	grads := make([][]float32, 3)
	losses := make([]float64, 3)
	var wg sync.WaitGroup
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			task := newRegression(3)
			var flat []float64
			losses[r] = parallelStep(nn.NewTape[float32](), task, nn.Tensors(task.Params()), idx, &Parallel{Rank: r, Size: 3, Sum: g.sum}, &flat)
			grads[r] = task.w.Grad
		}()
	}
	wg.Wait()
	for r := 0; r < 3; r++ {
		if math.Abs(losses[r]-wantLoss) > 1e-6*wantLoss {
			t.Errorf("process %d: loss %v, serial %v", r, losses[r], wantLoss)
		}
		for i, v := range grads[r] {
			if math.Abs(float64(v-want[i])) > 1e-5*math.Abs(float64(want[i]))+1e-7 {
				t.Errorf("process %d: gradient[%d] = %v, serial %v", r, i, v, want[i])
			}
		}
	}
}

// A data-parallel run on 2 processes leaves both with the same model, close
// to the serial run's.
func TestParallelRun(t *testing.T) {
	set := Settings{Control: iterate.Control{MaxIterations: 20}, Batch: 8, LR: 1e-2, Seed: 5}
	serial := newRegression(2)
	if _, err := Run(context.Background(), serial, &set); err != nil {
		t.Fatal(err)
	}
	g := newGroup(2)
	models := make([][]float32, 2)
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			task := newRegression(2)
			s := set
			s.Parallel = &Parallel{Rank: r, Size: 2, Sum: g.sum}
			if _, err := Run(context.Background(), task, &s); err != nil {
				t.Error(err)
			}
			models[r] = task.w.Data
		}()
	}
	wg.Wait()
	if !slices.Equal(models[0], models[1]) {
		t.Fatalf("the processes' models differ: %v, %v", models[0], models[1])
	}
	for i, v := range models[0] {
		if math.Abs(float64(v-serial.w.Data[i])) > 1e-4 {
			t.Errorf("weight %d: %v data-parallel, %v serial", i, v, serial.w.Data[i])
		}
	}
}

// shardedRegression validates by shards: the mean squared error per
// sample, its sum over share rank of size.
type shardedRegression struct {
	*regression
	calls []int // the ranks ValidateShard was called with
}

func (r *shardedRegression) ValidateShard(_ context.Context, rank, size int) (float64, int, error) {
	r.calls = append(r.calls, rank)
	tp := nn.NewTape[float32]()
	lo, hi := rank*r.n/size, (rank+1)*r.n/size
	var sum float64
	for i := lo; i < hi; i++ {
		sum += float64(r.Loss(tp, []int{i}).Item())
	}
	return sum, hi - lo, nil
}

// With a ShardValidator each of 3 processes validates its share and every
// epoch's validation error, the same on all, is the serial one's (the mean
// over the samples) to rounding.
func TestParallelShardValidation(t *testing.T) {
	set := Settings{Control: iterate.Control{MaxIterations: 3}, Batch: 10, LR: 1e-2, Seed: 5}
	g := newGroup(3)
	var wg sync.WaitGroup
	res := make([]*Result[float32], 3)
	tasks := make([]*shardedRegression, 3)
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tasks[r] = &shardedRegression{regression: newRegression(2)}
			s := set
			s.Parallel = &Parallel{Rank: r, Size: 3, Sum: g.sum}
			var err error
			if res[r], err = Run(context.Background(), tasks[r], &s); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for e := range res[0].Epochs {
		for r := 1; r < 3; r++ {
			if res[r].Epochs[e].Validation != res[0].Epochs[e].Validation {
				t.Errorf("epoch %d: validation %v on process %d, %v on 0", e+1, res[r].Epochs[e].Validation, r, res[0].Epochs[e].Validation)
			}
		}
	}
	for r, task := range tasks {
		if len(task.calls) != 3 || task.calls[0] != r {
			t.Errorf("process %d validated shards %v", r, task.calls)
		}
	}
	want, _ := tasks[0].Validate(context.Background())
	got := res[0].Epochs[len(res[0].Epochs)-1].Validation
	if math.Abs(got-want) > 1e-6*want {
		t.Errorf("last validation %v by shards, %v whole", got, want)
	}
}

// cancelAtEpoch is a task that cancels its run when epoch k begins: after
// the last epoch's checkpoint, before the new epoch's first batch.
type cancelAtEpoch struct {
	*regression
	k      int
	cancel func()
}

func (c *cancelAtEpoch) SetEpoch(epoch, _ int) {
	if epoch == c.k && c.cancel != nil {
		c.cancel()
	}
}

// A run interrupted at the start of an epoch, before its first batch (a
// SIGTERM during the last epoch's checkpoint, say), resumes bit for bit:
// the epoch's shuffle is drawn when its first batch runs, so the
// checkpoint does not hold a random stream already past it. (It did, and
// the resumed run drew another shuffle.)
func TestResumeAtEpochStart(t *testing.T) {
	dir := t.TempDir()
	ref := newRegression(3)
	if _, err := Run[float32](context.Background(), ref, settings(6, filepath.Join(dir, "ref.h5"))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "run.h5")
	ctx, cancel := context.WithCancel(context.Background())
	r := &cancelAtEpoch{regression: newRegression(3), k: 3, cancel: cancel}
	res, err := Run[float32](ctx, r, settings(6, path))
	if err != nil || res.Reason != iterate.Cancelled || len(res.Epochs) != 3 {
		t.Fatalf("%v, %v, %d epochs", err, res.Reason, len(res.Epochs))
	}
	fresh := newRegression(3)
	if _, err := Resume[float32](context.Background(), path, fresh, settings(6, path)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fresh.w.Data, ref.w.Data) {
		t.Errorf("resumed parameters %v, uninterrupted %v", fresh.w.Data, ref.w.Data)
	}
}

// TestScheduleRates: the schedules' rates at chosen steps, StepDecay's
// zero values included (a fifth of the run, halving), which once left the
// rate constant.
func TestScheduleRates(t *testing.T) {
	for _, c := range []struct {
		s     Schedule
		k, of int
		want  float64
	}{
		{Schedule{}, 7, 10, 1},
		{Schedule{Kind: StepDecay}, 0, 500, 1},
		{Schedule{Kind: StepDecay}, 99, 500, 1},
		{Schedule{Kind: StepDecay}, 100, 500, 0.5},
		{Schedule{Kind: StepDecay}, 499, 500, 0.0625},
		{Schedule{Kind: StepDecay}, 3, 4, 0.125}, // a fifth of 4 epochs is 0: every epoch
		{Schedule{Kind: StepDecay, StepSize: 3, Gamma: 0.1}, 7, 10, 0.01},
		{Schedule{Kind: Cosine}, 5, 10, 0.5},
		{Schedule{Kind: Cosine}, 10, 10, 0},
	} {
		if got := c.s.rate(1, c.k, c.of); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%+v at step %d of %d: rate %g, want %g", c.s, c.k, c.of, got, c.want)
		}
	}
}
