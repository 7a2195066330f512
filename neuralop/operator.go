package neuralop

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/pdekit/pdekit/internal/parallel"
	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
)

// Operator is a model with the normalisers its training fitted: it maps raw
// input fields to raw output fields, exactly as training decoded them. An
// Operator is not safe for concurrent use.
type Operator struct {
	Model Model[float32]
	// X encodes the inputs; Y decodes the model's outputs.
	X, Y Normalizer
	// Progress, if set, is called by Predict and Evaluate after every
	// batch with the samples done and the total: a long prediction is
	// never silent.
	Progress func(done, total int)

	infer *nn.Tape[float32] // Predict's no-grad tape, its buffers kept between calls
}

// Norm selects a normaliser.
type Norm int

const (
	// UnitGaussian normalises every grid point by its own mean and
	// standard deviation over the training samples (the default).
	UnitGaussian Norm = iota
	// Gaussian normalises by one mean and standard deviation.
	Gaussian
	// Identity leaves the fields as they are.
	Identity
)

func fit(n Norm, x []float32, samples int) Normalizer {
	switch n {
	case Gaussian:
		return FitGaussian(x)
	case Identity:
		return Normalizer{Mean: []float32{0}, Std: []float32{1}}
	}
	return FitUnitGaussian(x, samples)
}

// NewOperator builds the model cfg describes for the grid of the training
// set (weights from rnd) and fits the input and output normalisers on the
// training set alone.
func NewOperator(cfg Config, tr *Data, xn, yn Norm, rnd *rand.Rand) (*Operator, error) {
	if tr.Y == nil {
		return nil, fmt.Errorf("neuralop: the training set has no outputs")
	}
	cfg.In, cfg.Out, cfg.H, cfg.W = tr.In, tr.Out, tr.H, tr.W
	m, err := New[float32](cfg, rnd)
	if err != nil {
		return nil, err
	}
	return &Operator{Model: m, X: fit(xn, tr.X, tr.N), Y: fit(yn, tr.Y, tr.N)}, nil
}

// prepare checks that d fits the operator (its channels, a grid the model
// can take), prepares the model for d's grid and returns the normalisers
// for it: the trained ones, or on another grid the point-wise ones
// resampled to it.
func (op *Operator) prepare(d *Data) (x, y Normalizer, err error) {
	cfg := op.Model.Config()
	if d.In != cfg.In || (d.Y != nil && d.Out != cfg.Out) {
		return x, y, fmt.Errorf("neuralop: the data have %d input and %d output channels, the model %d and %d", d.In, d.Out, cfg.In, cfg.Out)
	}
	if err := op.Model.SetGrid(d.H, d.W); err != nil {
		return x, y, err
	}
	return op.X.resample(cfg.In, cfg.H, cfg.W, d.H, d.W), op.Y.resample(cfg.Out, cfg.H, cfg.W, d.H, d.W), nil
}

// resample returns the normaliser for an h x w grid of a point-wise one
// fitted on h0 x w0 (c channels), by bilinear interpolation on node grids
// over [0, 1] (the grid points i/(h-1), boundary included, as Darcy data);
// a scalar normaliser, or one on the same grid, is returned as it is.
func (z Normalizer) resample(c, h0, w0, h, w int) Normalizer {
	if len(z.Mean) == 1 || (h == h0 && w == w0) {
		return z
	}
	r := Normalizer{Mean: make([]float32, c*h*w), Std: make([]float32, c*h*w), Eps: z.Eps}
	at := func(v []float32, ch int, y, x float64) float32 {
		fy, fx := y*float64(h0-1), x*float64(w0-1)
		i, j := min(int(fy), h0-2), min(int(fx), w0-2)
		if h0 == 1 {
			i, fy = 0, 0
		}
		if w0 == 1 {
			j, fx = 0, 0
		}
		ty, tx := fy-float64(i), fx-float64(j)
		g := func(a, b int) float64 { return float64(v[(ch*h0+min(a, h0-1))*w0+min(b, w0-1)]) }
		return float32((1-ty)*((1-tx)*g(i, j)+tx*g(i, j+1)) + ty*((1-tx)*g(i+1, j)+tx*g(i+1, j+1)))
	}
	for ch := 0; ch < c; ch++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				k := (ch*h+i)*w + j
				y, x := linspace(i, h), linspace(j, w)
				r.Mean[k], r.Std[k] = at(z.Mean, ch, y, x), at(z.Std, ch, y, x)
			}
		}
	}
	return r
}

// batcher gathers samples into batch tensors, encoded, reusing them.
// With off set, sample i is the window of d.Traj from frame off[i].
type batcher struct {
	d    *Data
	xn   Normalizer
	x, y map[int]*nn.Tensor[float32]
	off  []int
}

func (b *batcher) get(idx []int) (x, y *nn.Tensor[float32]) {
	d, n := b.d, len(idx)
	if b.x == nil {
		b.x, b.y = map[int]*nn.Tensor[float32]{}, map[int]*nn.Tensor[float32]{}
	}
	if b.x[n] == nil {
		b.x[n] = nn.Zeros[float32](n, d.In, d.H, d.W)
		if d.Y != nil {
			b.y[n] = nn.Zeros[float32](n, d.Out, d.H, d.W)
		}
	}
	x, y = b.x[n], b.y[n]
	px, py := d.In*d.H*d.W, d.Out*d.H*d.W
	for k, i := range idx {
		xk := x.Data[k*px : (k+1)*px]
		var yk []float32
		if y != nil {
			yk = y.Data[k*py : (k+1)*py]
		}
		if b.off != nil {
			d.window(xk, yk, i, b.off[i])
			b.xn.Encode(xk, xk)
			continue
		}
		xs, ys := d.Sample(i)
		b.xn.Encode(xk, xs)
		copy(yk, ys)
	}
	return x, y
}

// forward records the model on x and decodes its output with yn.
func (op *Operator) forward(tp *nn.Tape[float32], x *nn.Tensor[float32], yn *Normalizer) *nn.Tensor[float32] {
	out := op.Model.Forward(tp, x)
	scale, shift := yn.affine(out.Len() / out.Shape[0])
	return tp.Affine(out, scale, shift)
}

// Predict returns the raw outputs for the raw inputs of d, batch samples at
// a time.
func (op *Operator) Predict(ctx context.Context, d *Data, batch int) ([]float32, error) {
	xn, yn, err := op.prepare(d)
	if err != nil {
		return nil, err
	}
	b := &batcher{d: &Data{X: d.X, N: d.N, In: d.In, H: d.H, W: d.W}, xn: xn}
	py := op.Model.Config().Out * d.H * d.W
	out := make([]float32, d.N*py)
	if op.infer == nil {
		op.infer = nn.NewTape[float32]()
		op.infer.SetNoGrad(true)
	}
	tp := op.infer
	for lo := 0; lo < d.N; lo += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx := seq(lo, min(lo+batch, d.N))
		tp.Reset()
		x, _ := b.get(idx)
		copy(out[lo*py:], op.forward(tp, x, &yn).Data)
		if op.Progress != nil {
			op.Progress(idx[len(idx)-1]+1, d.N)
		}
	}
	return out, nil
}

func seq(lo, hi int) []int {
	s := make([]int, hi-lo)
	for i := range s {
		s[i] = lo + i
	}
	return s
}

// Errors are the per-sample errors of an operator on a data set.
type Errors struct {
	// RelL2 and RelH1 hold every sample's relative L2 error
	// ||pred - y|| / ||y|| and relative H1 error (MgNO's spectral
	// definition, integer wavenumbers truncated at 20).
	RelL2, RelH1 []float64
	// Sobolev holds every sample's error in the Spectral-Refiner code's
	// relative Sobolev metric (SobolevRel, order 0; the "relative L2"
	// its notebooks report), on square grids (nil otherwise).
	Sobolev []float64
}

// Summary is the mean, median and maximum of errors.
type Summary struct {
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// Summarize returns the mean, median and maximum of v.
func Summarize(v []float64) Summary {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	n := len(s)
	if n == 0 {
		return Summary{}
	}
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Summary{Mean: sum / float64(n), Median: med, Max: s[n-1]}
}

// Evaluate returns the per-sample errors of the operator on d.
func (op *Operator) Evaluate(ctx context.Context, d *Data, batch int) (*Errors, error) {
	if d.Y == nil {
		return nil, fmt.Errorf("neuralop: the data set has no outputs to compare with")
	}
	pred, err := op.Predict(ctx, d, batch)
	if err != nil {
		return nil, err
	}
	return Compare(d, pred)
}

// Compare returns the per-sample errors of the predictions pred (in
// Predict's layout) against the outputs of d.
func Compare(d *Data, pred []float32) (*Errors, error) {
	if d.Y == nil {
		return nil, fmt.Errorf("neuralop: the data set has no outputs to compare with")
	}
	if len(pred) != d.N*d.Out*d.H*d.W {
		return nil, fmt.Errorf("neuralop: %d predicted values for %d samples of %d x %d x %d", len(pred), d.N, d.Out, d.H, d.W)
	}
	e := &Errors{RelL2: make([]float64, d.N), RelH1: make([]float64, d.N)}
	py := d.Out * d.H * d.W
	tp := nn.NewTape[float64]()
	p64, y64 := nn.Zeros[float64](1, d.Out, d.H, d.W), nn.Zeros[float64](1, d.Out, d.H, d.W)
	for i := 0; i < d.N; i++ {
		_, ys := d.Sample(i)
		var num, den float64
		for k, v := range ys {
			pv := float64(pred[i*py+k])
			num += (pv - float64(v)) * (pv - float64(v))
			den += float64(v) * float64(v)
			p64.Data[k], y64.Data[k] = pv, float64(v)
		}
		e.RelL2[i] = math.Sqrt(num / den)
		tp.Reset()
		e.RelH1[i] = tp.RelH1(p64, y64).Item()
		if d.H == d.W {
			e.Sobolev = append(e.Sobolev, SobolevRel(tp, SobolevNorm{}, p64, y64).Item())
		}
	}
	return e, nil
}

// Loss selects the training loss.
type Loss int

const (
	// RelL2 is the relative L2 error per sample, averaged over the batch.
	RelL2 Loss = iota
	// RelH1 is MgNO's relative H1 error per sample, averaged over the
	// batch.
	RelH1
	// RelSobolev is the Spectral-Refiner code's training loss (SobolevRel
	// of order 0, an H1-type relative error over the frames divided by
	// the square root of their number), on square grids.
	RelSobolev
)

// task is the training problem of an operator on a data set.
type task struct {
	op       *Operator
	tr       *batcher
	val      *Data
	loss     Loss
	valBatch int
	seed     uint64
}

// windowStream keys the random windows' streams apart from the shuffling's.
const windowStream = 0x77696e646f7773

// SetEpoch implements train.Epocher: with trajectories, it draws every
// training sample's window for the epoch from a stream keyed by the seed
// and the epoch alone, so that a resumed run draws the same windows.
func (t *task) SetEpoch(epoch, _ int) {
	d := t.tr.d
	if d.Traj == nil || d.Frames <= d.In+d.Out {
		return
	}
	if t.tr.off == nil {
		t.tr.off = make([]int, d.N)
	}
	rnd := rand.New(rand.NewPCG(t.seed^windowStream, uint64(epoch)))
	for i := range t.tr.off {
		t.tr.off[i] = rnd.IntN(d.Frames - d.In - d.Out + 1)
	}
}

func (t *task) Params() []nn.Named[float32] { return t.op.Model.Params() }
func (t *task) Samples() int                { return t.tr.d.N }

func (t *task) Loss(tp *nn.Tape[float32], idx []int) *nn.Tensor[float32] {
	x, y := t.tr.get(idx)
	pred := t.op.forward(tp, x, &t.op.Y)
	switch t.loss {
	case RelH1:
		return tp.RelH1(pred, y)
	case RelSobolev:
		return SobolevRel(tp, SobolevNorm{}, pred, y)
	}
	return tp.RelL2(pred, y)
}

// Validate returns the mean relative L2 error on the validation set.
func (t *task) Validate(ctx context.Context) (float64, error) {
	e, err := t.op.Evaluate(ctx, t.val, t.valBatch)
	if err != nil {
		return 0, err
	}
	return Summarize(e.RelL2).Mean, nil
}

// ValidateShard implements train.ShardValidator: the sum of the relative
// L2 errors of the validation samples [rank N/size, (rank+1) N/size) and
// their count.
func (t *task) ValidateShard(ctx context.Context, rank, size int) (float64, int, error) {
	d := t.val.block(parallel.Range(t.val.N, rank, size))
	if d.N == 0 {
		return 0, 0, nil
	}
	e, err := t.op.Evaluate(ctx, d, t.valBatch)
	if err != nil {
		return 0, 0, err
	}
	var sum float64
	for _, v := range e.RelL2 {
		sum += v
	}
	return sum, d.N, nil
}

// TrainSettings control Train: the training loop's settings and the loss.
type TrainSettings struct {
	train.Settings
	// Loss is the training loss; zero is RelL2.
	Loss Loss
}

// Train trains the operator on tr, validating on val (the mean relative L2
// error after every epoch), from the operator's current weights. With
// s.Checkpoint set, every checkpoint also holds the operator (Save), so
// that LoadOperator reads a trained operator from it and Resume continues
// the run.
func Train(ctx context.Context, op *Operator, tr, val *Data, s *TrainSettings) (*train.Result[float32], error) {
	return run(ctx, op, tr, val, s, "")
}

// Resume continues the training run whose checkpoint is at path; op must
// be the operator read from it (LoadOperator with last weights).
func Resume(ctx context.Context, path string, op *Operator, tr, val *Data, s *TrainSettings) (*train.Result[float32], error) {
	return run(ctx, op, tr, val, s, path)
}

func run(ctx context.Context, op *Operator, tr, val *Data, s *TrainSettings, resume string) (*train.Result[float32], error) {
	var set TrainSettings
	if s != nil {
		set = *s
	}
	if tr.Y == nil || val == nil || val.Y == nil {
		return nil, fmt.Errorf("neuralop: training needs outputs in the training and validation sets")
	}
	cfg := op.Model.Config()
	for name, d := range map[string]*Data{"training": tr, "validation": val} {
		if d.H != cfg.H || d.W != cfg.W {
			return nil, fmt.Errorf("neuralop: the %s grid %d x %d is not the model's %d x %d", name, d.H, d.W, cfg.H, cfg.W)
		}
		if _, _, err := op.prepare(d); err != nil {
			return nil, fmt.Errorf("%s set: %w", name, err)
		}
	}
	batch := set.Batch
	if batch == 0 {
		batch = 20
	}
	t := &task{op: op, tr: &batcher{d: tr, xn: op.X}, val: val, loss: set.Loss, valBatch: batch, seed: set.Seed}
	ts := set.Settings
	prev := ts.Extra
	ts.Extra = func(f *h5.File) error {
		if err := op.Save(f); err != nil {
			return err
		}
		if prev != nil {
			return prev(f)
		}
		return nil
	}
	if resume != "" {
		return train.Resume[float32](ctx, resume, t, &ts)
	}
	return train.Run[float32](ctx, t, &ts)
}

// checkpointVersion is the layout of the operator in a checkpoint.
const checkpointVersion = 1

// Save writes the operator's configuration and normalisers into an open
// checkpoint (the parameters are the training loop's): the attribute
// neuralop/config and the datasets neuralop/x_mean, x_std, y_mean, y_std.
func (op *Operator) Save(f *h5.File) error {
	cfg, err := json.Marshal(op.Model.Config())
	if err != nil {
		return err
	}
	if err := f.CreateGroup("neuralop"); err != nil {
		return err
	}
	for _, a := range []struct {
		k string
		v any
	}{{"config", string(cfg)}, {"version", checkpointVersion}, {"x_eps", op.X.Eps}, {"y_eps", op.Y.Eps}} {
		if err := f.SetAttr("neuralop", a.k, a.v); err != nil {
			return err
		}
	}
	for name, v := range map[string][]float32{"x_mean": op.X.Mean, "x_std": op.X.Std, "y_mean": op.Y.Mean, "y_std": op.Y.Std} {
		if err := h5.Write(f, "neuralop/"+name, []int{len(v)}, v, nil); err != nil {
			return err
		}
	}
	return nil
}

// LoadOperator reads the operator of a training checkpoint: its best
// (least validation error) weights with best set and when the checkpoint
// has them, its last ones otherwise. An error says what is wrong: not a
// checkpoint of this package, of another layout version, a parameter
// missing or of another shape.
func LoadOperator(path string, best bool) (*Operator, error) {
	f, err := h5.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := f.AttrString("neuralop", "config")
	if err != nil {
		return nil, fmt.Errorf("neuralop: %s is not a neural-operator checkpoint (no neuralop/config): %w", path, err)
	}
	if v, err := f.AttrInt64("neuralop", "version"); err != nil || v != checkpointVersion {
		return nil, fmt.Errorf("neuralop: %s has checkpoint layout version %d, this toolkit reads %d", path, v, checkpointVersion)
	}
	cfg, err := ParseConfig(s)
	if err != nil {
		return nil, err
	}
	m, err := New[float32](cfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, fmt.Errorf("neuralop: %s: %w", path, err)
	}
	op := &Operator{Model: m}
	for _, z := range []struct {
		n    *Normalizer
		pre  string
		attr string
	}{{&op.X, "x", "x_eps"}, {&op.Y, "y", "y_eps"}} {
		if z.n.Mean, _, err = h5.Read[float32](f, "neuralop/"+z.pre+"_mean"); err != nil {
			return nil, fmt.Errorf("neuralop: %s: %w", path, err)
		}
		if z.n.Std, _, err = h5.Read[float32](f, "neuralop/"+z.pre+"_std"); err != nil {
			return nil, fmt.Errorf("neuralop: %s: %w", path, err)
		}
		if z.n.Eps, err = f.AttrFloat64("neuralop", z.attr); err != nil {
			return nil, fmt.Errorf("neuralop: %s: %w", path, err)
		}
		if len(z.n.Mean) != len(z.n.Std) || len(z.n.Mean) == 0 {
			return nil, fmt.Errorf("neuralop: %s: normaliser %s has %d means and %d deviations", path, z.pre, len(z.n.Mean), len(z.n.Std))
		}
	}
	group := "params"
	if _, err := f.Stat("best/" + m.Params()[0].Name); best && err == nil {
		group = "best"
	}
	data, err := nn.ReadParams(f, group, m.Params())
	if err != nil {
		return nil, err
	}
	nn.SetParams(m.Params(), data)
	return op, nil
}
