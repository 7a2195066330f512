// Package train is the training loop every learner of the toolkit shares:
// epochs of shuffled mini-batches, Adam or AdamW with a learning-rate
// schedule stepped per batch or per epoch, validation after every epoch
// with the best parameters kept, and checkpoints from which a run resumes
// bit for bit (parameters, optimizer moments, schedule position, epoch,
// position in the epoch and the random stream).
//
// The loop follows the toolkit's iteration contract: Settings embed
// iterate.Control (MaxIterations is the number of epochs; the callback sees
// every epoch's validation error; a tolerance, if set, stops early once
// the validation error falls to it) and Result embeds iterate.Outcome. A
// cancelled context stops the run between two batches after writing a
// checkpoint; Resume continues it.
//
//	res, err := train.Run(ctx, task, &train.Settings{Control: iterate.Control{MaxIterations: 30},
//		Batch: 20, LR: 1e-3, Schedule: train.Schedule{Kind: train.Cosine}, Checkpoint: "run.h5"})
package train

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn"
)

// Task is a learning problem: its parameters, its training samples and
// their loss, and a validation error.
type Task[T nn.Float] interface {
	// Params returns the trainable tensors with their checkpoint names.
	Params() []nn.Named[T]
	// Samples returns the number of training samples.
	Samples() int
	// Loss records the loss of the training samples idx on tp and returns
	// it, a scalar.
	Loss(tp *nn.Tape[T], idx []int) *nn.Tensor[T]
	// Validate returns the validation error of the current parameters
	// (lower is better).
	Validate(ctx context.Context) (float64, error)
}

// ShardValidator is implemented by a task whose validation error is a
// mean over samples: in a data-parallel run (Settings.Parallel) each
// process then validates its share, ValidateShard returning the sum of
// the errors of share rank of size and their count, and the loop sums
// both over the processes, so the set is validated once, not once per
// process.
type ShardValidator interface {
	ValidateShard(ctx context.Context, rank, size int) (sum float64, count int, err error)
}

// Epocher is implemented by a task whose loss depends on the epoch (a
// regulariser's weight schedule, per-epoch randomness): the loop calls
// SetEpoch with the 0-based epoch and the number of epochs before the
// epoch's first batch, and before the first batch a resumed run does.
type Epocher interface {
	SetEpoch(epoch, epochs int)
}

// ScheduleKind is the shape of the learning rate over the run.
type ScheduleKind int

const (
	// Constant keeps the learning rate.
	Constant ScheduleKind = iota
	// Cosine anneals it to Min along a half cosine over the run (PyTorch
	// CosineAnnealingLR with T_max the run's length).
	Cosine
	// OneCycle warms up to LR and anneals far below it (PyTorch
	// OneCycleLR with cosine annealing).
	OneCycle
	// StepDecay multiplies it by Gamma every StepSize steps (StepLR).
	StepDecay
)

// Schedule sets the learning rate from the base rate. Its zero value is a
// constant rate.
type Schedule struct {
	Kind ScheduleKind
	// PerBatch steps the schedule after every batch instead of after
	// every epoch (PyTorch's two usual placements of scheduler.step()).
	PerBatch bool
	// Min is Cosine's final rate.
	Min float64
	// PctStart, DivFactor and FinalDivFactor are OneCycle's (zero:
	// PyTorch's 0.3, 25 and 1e4).
	PctStart, DivFactor, FinalDivFactor float64
	// StepSize and Gamma are StepDecay's, StepSize in the schedule's
	// steps (zero: a fifth of the run, at least 1; zero Gamma: 0.5), so
	// the zero values halve the rate four times: the FNO code's StepLR of
	// step 100 and gamma 0.5 over 500 epochs.
	StepSize int
	Gamma    float64
}

// rate returns the learning rate at schedule step k of total.
func (s Schedule) rate(base float64, k, total int) float64 {
	switch s.Kind {
	case Cosine:
		return nn.CosineLR{Base: base, Min: s.Min, Steps: total}.LR(k)
	case OneCycle:
		return nn.OneCycleLR{Max: base, Steps: total, PctStart: s.PctStart, DivFactor: s.DivFactor, FinalDivFactor: s.FinalDivFactor}.LR(k)
	case StepDecay:
		size, gamma := s.StepSize, s.Gamma
		if size == 0 {
			size = max(1, total/5)
		}
		if gamma == 0 {
			gamma = 0.5
		}
		return nn.StepLR{Base: base, StepSize: size, Gamma: gamma}.LR(k)
	}
	return base
}

// Settings control a run. The zero value, and a nil *Settings, mean the
// documented defaults.
type Settings struct {
	// Control: MaxIterations is the number of epochs (zero: 100); the
	// callback and History see every epoch's validation error; a positive
	// Tolerance (relative to the first validation error) or AbsTolerance
	// stops the run once the validation error falls to it.
	iterate.Control
	// Batch is the mini-batch size; zero means 20.
	Batch int
	// LR is the base learning rate; zero means 1e-3.
	LR float64
	// WeightDecay is added to the gradient (Adam, as PyTorch's Adam and
	// FNO's code do) or, with Decoupled, applied to the weights (AdamW).
	WeightDecay float64
	Decoupled   bool
	// Schedule shapes the learning rate; zero is constant.
	Schedule Schedule
	// Seed seeds the shuffling.
	Seed uint64
	// Checkpoint, if set, is the file the run's state is written to
	// (atomically): every CheckpointEvery epochs (zero: every epoch), at
	// the end, and when the context is cancelled.
	Checkpoint      string
	CheckpointEvery int
	// Extra, if set, writes the task's own data (a model's configuration,
	// normalisers) into every checkpoint.
	Extra func(f *h5.File) error
	// OnBatch, if set, is called after every batch (for progress bars).
	OnBatch func(BatchInfo)
	// OnEpoch, if set, is called after every epoch with its record (for
	// logs).
	OnEpoch func(Epoch)
	// Parallel, if set, trains data-parallel over the processes it
	// describes (MPI ranks, say): each process runs the loop with the same
	// settings and seed on the same task, takes its share of every batch,
	// and the processes' gradients are summed (weighted by their shares)
	// before every identical optimizer step, so all hold the same model,
	// which for a given number of processes depends only on the seed.
	// Only one process should write the checkpoint.
	Parallel *Parallel
}

// Parallel describes the processes of a data-parallel run: this one's rank
// of size, and Sum, which replaces each entry of v by its sum over the
// processes (an allreduce); every process calls it at the same points.
type Parallel struct {
	Rank, Size int
	Sum        func(v []float64)
}

// BatchInfo is the progress of a run after a batch.
type BatchInfo struct {
	Epoch, Epochs  int // 1-based epoch of Epochs
	Batch, Batches int // 1-based batch of Batches in the epoch
	Loss           float64
	// Done is the number of batches this call of Run or Resume has done
	// in Elapsed (for the rate of an estimate of the time left).
	Done    int
	Elapsed time.Duration
}

// Epoch is the record of one epoch.
type Epoch struct {
	Epoch      int     `json:"epoch"`
	TrainLoss  float64 `json:"train_loss"`
	Validation float64 `json:"validation"`
	LR         float64 `json:"lr"`      // the rate of the epoch's last batch
	Seconds    float64 `json:"seconds"` // since the run started, resumed time included
}

// Result is the outcome of a run.
type Result[T nn.Float] struct {
	// Outcome: Iterations is the number of epochs done, Residual the last
	// validation error, Reason Completed after the last epoch.
	iterate.Outcome
	// Epochs holds every epoch's record, those before a resume included.
	Epochs []Epoch
	// BestEpoch is the epoch with the least validation error, and
	// BestValidation that error; Best holds its parameters, in the order
	// of Task.Params.
	BestEpoch      int
	BestValidation float64
	Best           [][]T
}

// state is everything a checkpoint holds besides the parameters and the
// optimizer.
type state[T nn.Float] struct {
	epoch    int // epochs completed
	batch    int // batches completed in the current epoch
	step     int // optimizer steps
	perm     []int
	lossSum  float64
	lossN    int
	pcg      *rand.PCG
	elapsed  float64
	epochs   []Epoch
	bestEp   int
	bestVal  float64
	best     [][]T
	seed     uint64
	batchSz  int
	baseLR   float64
	nsamples int
}

func (s *Settings) resolve() (Settings, error) {
	var set Settings
	if s != nil {
		set = *s
	}
	ctl, err := set.Control.Resolve(iterate.Control{MaxIterations: 100})
	if err != nil {
		return set, fmt.Errorf("train: %w", err)
	}
	set.Control = ctl
	if set.Batch == 0 {
		set.Batch = 20
	}
	if set.LR == 0 {
		set.LR = 1e-3
	}
	if set.Batch < 0 || !(set.LR > 0) || set.WeightDecay < 0 || set.CheckpointEvery < 0 {
		return set, fmt.Errorf("train: batch %d, learning rate %g, weight decay %g, checkpoint every %d: want positive (decay >= 0)",
			set.Batch, set.LR, set.WeightDecay, set.CheckpointEvery)
	}
	if set.CheckpointEvery == 0 {
		set.CheckpointEvery = 1
	}
	return set, nil
}

// Run trains task from its current parameters. It returns an error for bad
// settings, a task that fails or a checkpoint that cannot be written; a
// run stopped by the context returns its result with reason Cancelled
// after writing the checkpoint.
func Run[T nn.Float](ctx context.Context, task Task[T], s *Settings) (*Result[T], error) {
	set, err := s.resolve()
	if err != nil {
		return nil, err
	}
	if task.Samples() < 1 {
		return nil, fmt.Errorf("train: the task has no training samples")
	}
	st := &state[T]{pcg: rand.NewPCG(set.Seed, set.Seed^0x5851f42d4c957f2d), bestEp: 0, bestVal: math.Inf(1),
		seed: set.Seed, batchSz: set.Batch, baseLR: set.LR, nsamples: task.Samples()}
	opt := &nn.Adam[T]{LR: set.LR, WeightDecay: set.WeightDecay, Decoupled: set.Decoupled}
	return loop(ctx, task, set, st, opt)
}

// Resume continues the run whose checkpoint is at path: task must have the
// parameters it was made with (their values are replaced). The batch size,
// learning rate, seed and the number of samples must be those of the
// checkpoint; MaxIterations may extend the run.
func Resume[T nn.Float](ctx context.Context, path string, task Task[T], s *Settings) (*Result[T], error) {
	set, err := s.resolve()
	if err != nil {
		return nil, err
	}
	opt := &nn.Adam[T]{LR: set.LR, WeightDecay: set.WeightDecay, Decoupled: set.Decoupled}
	st, err := readState(path, task, opt)
	if err != nil {
		return nil, err
	}
	if st.batchSz != set.Batch || st.baseLR != set.LR || st.seed != set.Seed || st.nsamples != task.Samples() {
		return nil, fmt.Errorf("train: %s was trained with batch %d, learning rate %g, seed %d on %d samples; resuming with %d, %g, %d, %d would not continue it",
			path, st.batchSz, st.baseLR, st.seed, st.nsamples, set.Batch, set.LR, set.Seed, task.Samples())
	}
	return loop(ctx, task, set, st, opt)
}

func loop[T nn.Float](ctx context.Context, task Task[T], set Settings, st *state[T], opt *nn.Adam[T]) (*Result[T], error) {
	params := task.Params()
	tensors := nn.Tensors(params)
	n := task.Samples()
	batches := (n + set.Batch - 1) / set.Batch
	epochs := set.MaxIterations
	total := epochs
	if set.Schedule.PerBatch {
		total = epochs * batches
	}
	res := &Result[T]{}
	ctl := set.Control
	ctl.MaxIterations = 0 // the loop counts its epochs
	mon := ctl.Start(ctx, 0, &res.Outcome)
	test := set.Tolerance > 0 || set.AbsTolerance > 0
	if len(st.epochs) > 0 { // a resumed run keeps its scale
		mon.SetScale(st.epochs[0].Validation)
	}
	rnd := rand.New(st.pcg)
	tp := nn.NewTape[T]()
	var flat []float64 // the gradients and the loss, summed over processes
	start := time.Now()
	resumedBatches := st.epoch*batches + st.batch
	finish := func(why iterate.Reason, cause error) (*Result[T], error) {
		if why != 0 {
			mon.Stop(why, cause)
		}
		res.Epochs, res.BestEpoch, res.BestValidation, res.Best = st.epochs, st.bestEp, st.bestVal, st.best
		if set.Checkpoint != "" {
			if err := writeState(set.Checkpoint, params, opt, st, elapsedSince(st, start), set.Extra); err != nil {
				return res, err
			}
		}
		return res, nil
	}
	for st.epoch < epochs {
		epochLR := set.Schedule.rate(set.LR, st.epoch, total)
		if e, ok := task.(Epocher); ok {
			e.SetEpoch(st.epoch, epochs)
		}
		for st.batch < batches {
			if ctx.Err() != nil {
				return finish(iterate.Cancelled, ctx.Err())
			}
			if st.batch == 0 {
				// Drawn here, after the last chance to stop before the
				// epoch's first batch: a checkpoint never holds a random
				// stream past a shuffle it does not hold.
				st.perm = rnd.Perm(n)
				st.lossSum, st.lossN = 0, 0
			}
			lo, hi := st.batch*set.Batch, min((st.batch+1)*set.Batch, n)
			opt.LR = epochLR
			if set.Schedule.PerBatch {
				opt.LR = set.Schedule.rate(set.LR, st.step, total)
			}
			tp.Reset()
			for _, p := range tensors {
				p.ZeroGrad()
			}
			var l float64
			if par := set.Parallel; par != nil && par.Size > 1 {
				l = parallelStep(tp, task, tensors, st.perm[lo:hi], par, &flat)
			} else {
				loss := task.Loss(tp, st.perm[lo:hi])
				l = float64(loss.Item())
				if !math.IsNaN(l) && !math.IsInf(l, 0) {
					tp.Backward(loss)
				}
			}
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return finish(iterate.Diverged, fmt.Errorf("the training loss is %v at epoch %d, batch %d", l, st.epoch+1, st.batch+1))
			}
			opt.Step(tensors)
			st.step++
			st.batch++
			st.lossSum += l * float64(hi-lo)
			st.lossN += hi - lo
			if set.OnBatch != nil {
				set.OnBatch(BatchInfo{Epoch: st.epoch + 1, Epochs: epochs, Batch: st.batch, Batches: batches, Loss: l,
					Done: st.epoch*batches + st.batch - resumedBatches, Elapsed: time.Since(start)})
			}
		}
		val, err := validate(ctx, task, set.Parallel)
		if err != nil {
			if ctx.Err() != nil {
				// The epoch's batches are done but not its validation:
				// resume at its end.
				return finish(iterate.Cancelled, ctx.Err())
			}
			return nil, err
		}
		st.epoch++
		st.batch = 0
		lastLR := epochLR
		if set.Schedule.PerBatch {
			lastLR = set.Schedule.rate(set.LR, st.step-1, total)
		}
		rec := Epoch{Epoch: st.epoch, TrainLoss: st.lossSum / float64(st.lossN), Validation: val, LR: lastLR, Seconds: elapsedSince(st, start)}
		st.epochs = append(st.epochs, rec)
		if val < st.bestVal || st.best == nil {
			st.bestVal, st.bestEp = val, st.epoch
			st.best = make([][]T, len(tensors))
			for i, p := range tensors {
				st.best[i] = slices.Clone(p.Data)
			}
		}
		if set.OnEpoch != nil {
			set.OnEpoch(rec)
		}
		if st.epoch == 1 {
			mon.SetScale(val)
		}
		var why iterate.Reason
		if test {
			why = mon.Check(st.epoch, val, nil)
		} else {
			why = mon.Observe(st.epoch, val, nil)
		}
		if why != 0 {
			return finish(0, nil)
		}
		if set.Checkpoint != "" && st.epoch%set.CheckpointEvery == 0 && st.epoch < epochs {
			if err := writeState(set.Checkpoint, params, opt, st, elapsedSince(st, start), set.Extra); err != nil {
				return nil, err
			}
		}
	}
	return finish(iterate.Completed, nil)
}

// validate returns the task's validation error, split over the processes
// when the task can (ShardValidator). All processes reach the sum, also
// when one fails, and then all return an error.
func validate[T nn.Float](ctx context.Context, task Task[T], par *Parallel) (float64, error) {
	sv, ok := task.(ShardValidator)
	if par == nil || par.Size <= 1 || !ok {
		return task.Validate(ctx)
	}
	sum, n, err := sv.ValidateShard(ctx, par.Rank, par.Size)
	v := []float64{sum, float64(n), 0}
	if err != nil {
		v = []float64{0, 0, 1}
	}
	par.Sum(v)
	switch {
	case err != nil:
		return 0, err
	case v[2] > 0:
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("train: the validation failed on another process")
	case v[1] == 0:
		return 0, fmt.Errorf("train: no validation samples on any process")
	}
	return v[0] / v[1], nil
}

// parallelStep computes this process's share of the batch idx (the
// indices k with k mod Size = Rank), its loss and gradients weighted by
// its share of the batch, and sums both over the processes: each process
// then holds the batch's mean loss and its gradient. It returns the loss.
func parallelStep[T nn.Float](tp *nn.Tape[T], task Task[T], tensors []*nn.Tensor[T], idx []int, par *Parallel, flat *[]float64) float64 {
	var mine []int
	for k := par.Rank; k < len(idx); k += par.Size {
		mine = append(mine, idx[k])
	}
	size := 1
	for _, p := range tensors {
		size += len(p.Data)
	}
	if cap(*flat) < size {
		*flat = make([]float64, size)
	}
	f := (*flat)[:size]
	clear(f)
	if len(mine) > 0 {
		w := float64(len(mine)) / float64(len(idx))
		loss := task.Loss(tp, mine)
		l := float64(loss.Item())
		f[0] = w * l
		if !math.IsNaN(l) && !math.IsInf(l, 0) {
			tp.Backward(loss)
			k := 1
			for _, p := range tensors {
				for i, g := range p.Grad {
					f[k+i] = w * float64(g)
				}
				k += len(p.Data)
			}
		}
	}
	par.Sum(f)
	k := 1
	for _, p := range tensors {
		if p.Grad == nil {
			p.Grad = make([]T, len(p.Data))
		}
		for i := range p.Data {
			p.Grad[i] = T(f[k+i])
		}
		k += len(p.Data)
	}
	return f[0]
}

func elapsedSince[T nn.Float](st *state[T], start time.Time) float64 {
	return st.elapsed + time.Since(start).Seconds()
}

// writeState writes a checkpoint: the parameters, the best ones, the
// optimizer, the loop's state and the task's extra data.
func writeState[T nn.Float](path string, params []nn.Named[T], opt *nn.Adam[T], st *state[T], elapsed float64, extra func(*h5.File) error) error {
	f, err := h5.Create(path, true)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := nn.WriteParams(f, "params", params); err != nil {
		return err
	}
	if st.best != nil {
		best := make([]nn.Named[T], len(params))
		for i, p := range params {
			best[i] = nn.Named[T]{Name: p.Name, Tensor: nn.New(st.best[i], p.Tensor.Shape...)}
		}
		if err := nn.WriteParams(f, "best", best); err != nil {
			return err
		}
	}
	if err := nn.WriteOptimizer(f, "optim", params, opt); err != nil {
		return err
	}
	rng, err := st.pcg.MarshalBinary()
	if err != nil {
		return err
	}
	if err := f.CreateGroup("train"); err != nil {
		return err
	}
	for _, a := range []struct {
		k string
		v any
	}{{"epoch", st.epoch}, {"batch", st.batch}, {"step", st.step}, {"loss_sum", st.lossSum}, {"loss_n", st.lossN},
		{"elapsed", elapsed}, {"best_epoch", st.bestEp}, {"best_validation", st.bestVal}, {"seed", int64(st.seed)},
		{"batch_size", st.batchSz}, {"lr", st.baseLR}, {"samples", st.nsamples}, {"rng", hex.EncodeToString(rng)}} {
		if err := f.SetAttr("train", a.k, a.v); err != nil {
			return err
		}
	}
	if st.batch > 0 {
		perm := make([]int64, len(st.perm))
		for i, v := range st.perm {
			perm[i] = int64(v)
		}
		if err := h5.Write(f, "train/perm", []int{len(perm)}, perm, nil); err != nil {
			return err
		}
	}
	if len(st.epochs) > 0 {
		hist := make([]float64, 0, 5*len(st.epochs))
		for _, e := range st.epochs {
			hist = append(hist, float64(e.Epoch), e.TrainLoss, e.Validation, e.LR, e.Seconds)
		}
		if err := h5.Write(f, "train/epochs", []int{len(st.epochs), 5}, hist, nil); err != nil {
			return err
		}
	}
	if extra != nil {
		if err := extra(f); err != nil {
			return err
		}
	}
	return f.Close()
}

// readState reads a checkpoint into task's parameters and opt, and returns
// the loop's state. Nothing is modified when an error is returned.
func readState[T nn.Float](path string, task Task[T], opt *nn.Adam[T]) (*state[T], error) {
	f, err := h5.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	params := task.Params()
	data, err := nn.ReadParams(f, "params", params)
	if err != nil {
		return nil, err
	}
	restore, err := nn.ReadOptimizer(f, "optim", params, opt)
	if err != nil {
		return nil, err
	}
	st := &state[T]{}
	ints := map[string]*int{"epoch": &st.epoch, "batch": &st.batch, "step": &st.step, "loss_n": &st.lossN,
		"best_epoch": &st.bestEp, "batch_size": &st.batchSz, "samples": &st.nsamples}
	for k, p := range ints {
		v, err := f.AttrInt64("train", k)
		if err != nil {
			return nil, fmt.Errorf("train: checkpoint %s: %w", path, err)
		}
		*p = int(v)
	}
	floats := map[string]*float64{"loss_sum": &st.lossSum, "elapsed": &st.elapsed, "best_validation": &st.bestVal, "lr": &st.baseLR}
	for k, p := range floats {
		if *p, err = f.AttrFloat64("train", k); err != nil {
			return nil, fmt.Errorf("train: checkpoint %s: %w", path, err)
		}
	}
	seed, err := f.AttrInt64("train", "seed")
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	st.seed = uint64(seed)
	rngHex, err := f.AttrString("train", "rng")
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	rb, err := hex.DecodeString(rngHex)
	st.pcg = &rand.PCG{}
	if err != nil || st.pcg.UnmarshalBinary(rb) != nil {
		return nil, fmt.Errorf("train: checkpoint %s: unreadable random stream state", path)
	}
	if st.batch > 0 {
		perm, _, err := h5.Read[int64](f, "train/perm")
		if err != nil || len(perm) != st.nsamples {
			return nil, fmt.Errorf("train: checkpoint %s: the epoch's permutation: %v", path, err)
		}
		st.perm = make([]int, len(perm))
		for i, v := range perm {
			st.perm[i] = int(v)
		}
	}
	if st.epoch > 0 {
		hist, dims, err := h5.Read[float64](f, "train/epochs")
		if err != nil || len(dims) != 2 || dims[0] != st.epoch || dims[1] != 5 {
			return nil, fmt.Errorf("train: checkpoint %s: the epochs' records: %v", path, err)
		}
		for i := 0; i < dims[0]; i++ {
			r := hist[5*i : 5*i+5]
			st.epochs = append(st.epochs, Epoch{Epoch: int(r[0]), TrainLoss: r[1], Validation: r[2], LR: r[3], Seconds: r[4]})
		}
		if st.best, err = nn.ReadParams(f, "best", params); err != nil {
			return nil, err
		}
	}
	nn.SetParams(params, data)
	if err := restore(); err != nil {
		return nil, err
	}
	return st, nil
}
