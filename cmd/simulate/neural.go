package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/mpi"
	"github.com/pdekit/pdekit/neuralop"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
)

// dataFlags name a data set in an HDF5 file: the file, the sample range
// and (shared by all sets of a command) the dataset names.
type dataFlags struct {
	File    string `json:"file"`
	Samples string `json:"samples,omitempty"`
}

// spec returns base with the flags' sample range.
func (d dataFlags) spec(flag string, base neuralop.DataSpec) (neuralop.DataSpec, error) {
	s := base
	if d.Samples == "" {
		return s, nil
	}
	a, b, ok := strings.Cut(d.Samples, ":")
	from, err1 := strconv.Atoi(a)
	to, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || from < 0 || to <= from {
		return s, usageErr("--%s-samples %q: want FROM:TO with 0 <= FROM < TO", flag, d.Samples)
	}
	s.From, s.To = from, to
	return s, nil
}

// read reads the data set base describes (datasets, frames), naming the
// flag in errors, and notes a conversion on stderr once.
func (d dataFlags) read(st *stage, flag string, base neuralop.DataSpec) (*neuralop.Data, error) {
	if d.File == "" {
		return nil, usageErr("--%s is required", flag)
	}
	s, err := d.spec(flag, base)
	if err != nil {
		return nil, err
	}
	if err := vetInput(d.File); err != nil {
		return nil, err
	}
	data, err := neuralop.ReadData(d.File, s)
	if err != nil {
		return nil, usageErr("--%s: %v", flag, err)
	}
	if data.Converted != "" {
		fmt.Fprintf(st.stderr, "note: %s stores %s; converted to float32\n", d.File, data.Converted)
	}
	return data, nil
}

// trainConfig is the configuration of `simulate train`, stored in the
// checkpoint so that --resume continues the same run.
type trainConfig struct {
	common
	Model     string                      `json:"model"`
	Train     dataFlags                   `json:"train"`
	Val       dataFlags                   `json:"val"`
	Test      dataFlags                   `json:"test"`
	Input     string                      `json:"input"`
	Output    string                      `json:"output"`
	Out       string                      `json:"out"`
	Epochs    int                         `json:"epochs"`
	Batch     int                         `json:"batch"`
	LR        float64                     `json:"lr"`
	Decay     float64                     `json:"weight_decay"`
	Optimizer *choice[bool]               `json:"optimizer"`
	Schedule  *choice[train.ScheduleKind] `json:"schedule"`
	PerBatch  bool                        `json:"schedule_per_batch"`
	Loss      *choice[neuralop.Loss]      `json:"loss"`
	NormIn    *choice[neuralop.Norm]      `json:"norm_in"`
	NormOut   *choice[neuralop.Norm]      `json:"norm_out"`
	Seed      uint64                      `json:"seed"`
	Log       string                      `json:"-"`
	Resume    string                      `json:"-"`
	FNO       neuralop.FNOSettings        `json:"fno"`
	MgNO      mgnoFlags                   `json:"mgno"`
	SFNO      neuralop.SFNOSettings       `json:"sfno"`
	Frames    frameFlags                  `json:"frames"`
	DivFactor float64                     `json:"div_factor"`
	FinalDiv  float64                     `json:"final_div_factor"`
}

// frameFlags select the frames of trajectory files (sfno): In frames from
// First as the input, the Out frames after them as the output; in
// training, a window of In+Out frames drawn at random from First on for
// every sample and epoch unless Fixed.
type frameFlags struct {
	In    int  `json:"in"`
	Out   int  `json:"out"`
	First int  `json:"first"`
	Fixed bool `json:"fixed_window"`
}

// mgnoFlags are MgNO's settings as flags.
type mgnoFlags struct {
	Channels   int                 `json:"channels"`
	Layers     int                 `json:"layers"`
	Levels     int                 `json:"levels"`
	Smooth     string              `json:"smooth,omitempty"`
	NoLift     bool                `json:"no_lift"`
	NoHeadBias bool                `json:"no_head_bias"`
	BC         *choice[nn.PadMode] `json:"bc"`
}

func (m mgnoFlags) settings() (*neuralop.MgNOSettings, error) {
	s := &neuralop.MgNOSettings{Channels: m.Channels, Layers: m.Layers, Levels: m.Levels, NoLift: m.NoLift, NoHeadBias: m.NoHeadBias, Padding: m.BC.Get()}
	if m.Smooth != "" {
		for _, f := range strings.Split(m.Smooth, ",") {
			k, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || k < 1 {
				return nil, usageErr("--smooth %q: want positive integers per level, e.g. 1,1,1,1,2", m.Smooth)
			}
			s.Smooth = append(s.Smooth, k)
		}
		if s.Levels == 0 {
			s.Levels = len(s.Smooth)
		}
		if len(s.Smooth) != s.Levels {
			return nil, usageErr("--smooth has %d levels, --levels %d", len(s.Smooth), s.Levels)
		}
	}
	return s, nil
}

var (
	scheduleTable = []option[train.ScheduleKind]{{"cosine", train.Cosine}, {"onecycle", train.OneCycle}, {"step", train.StepDecay}, {"constant", train.Constant}}
	lossTable     = []option[neuralop.Loss]{{"l2", neuralop.RelL2}, {"h1", neuralop.RelH1}, {"sobolev", neuralop.RelSobolev}}
	normTable     = []option[neuralop.Norm]{{"unit", neuralop.UnitGaussian}, {"gaussian", neuralop.Gaussian}, {"none", neuralop.Identity}}
	bcTable       = []option[nn.PadMode]{{"zeros", nn.PadZeros}, {"circular", nn.PadCircular}, {"reflect", nn.PadReflect}}
	modelTable    = []option[string]{{"fno", "fno"}, {"mgno", "mgno"}, {"sfno", "sfno"}}
)

func newTrainConfig() *trainConfig {
	return &trainConfig{Optimizer: newChoice("optimizer", "adam", option[bool]{"adam", false}, option[bool]{"adamw", true}),
		Schedule: newChoice("schedule", "cosine", scheduleTable...), Loss: newChoice("loss", "l2", lossTable...),
		NormIn: newChoice("norm-in", "unit", normTable...), NormOut: newChoice("norm-out", "unit", normTable...),
		MgNO: mgnoFlags{BC: newChoice("bc", "zeros", bcTable...)}}
}

func (c *trainConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.Train.File, "train", "", "training data (HDF5)")
	fs.StringVar(&c.Train.Samples, "train-samples", "", "FROM:TO: the training samples of the file (default all)")
	fs.StringVar(&c.Val.File, "val", "", "validation data for the best-epoch checkpoint (default: the test data)")
	fs.StringVar(&c.Val.Samples, "val-samples", "", "FROM:TO of the validation file")
	fs.StringVar(&c.Test.File, "test", "", "test data (HDF5)")
	fs.StringVar(&c.Test.Samples, "test-samples", "", "FROM:TO of the test file")
	fs.StringVar(&c.Input, "input", "nu", "dataset of the input fields, [N, H, W] or [N, C, H, W]")
	fs.StringVar(&c.Output, "output", "tensor", "dataset of the output fields")
	fs.StringVar(&c.Out, "out", "", "checkpoint file (default MODEL.h5); rewritten every epoch and on an interrupt")
	fs.IntVar(&c.Epochs, "epochs", 30, "epochs")
	fs.IntVar(&c.Batch, "batch", 20, "batch size")
	fs.Float64Var(&c.LR, "lr", 1e-3, "learning rate (the schedule's peak)")
	fs.Float64Var(&c.Decay, "weight-decay", 1e-4, "weight decay (added to the gradient for adam, decoupled for adamw)")
	fs.Var(c.Optimizer, "optimizer", "adam or adamw")
	fs.Var(c.Schedule, "schedule", "learning-rate schedule: "+c.Schedule.Names()+" (step: halved every fifth of the run)")
	fs.BoolVar(&c.PerBatch, "schedule-per-batch", false, "step the schedule after every batch (default: every epoch)")
	fs.Var(c.Loss, "loss", "training loss: l2 (relative L2 per sample, averaged over the batch) or h1 (MgNO's relative H1)")
	fs.Var(c.NormIn, "norm-in", "input normaliser: unit (point-wise mean and std), gaussian (scalar) or none")
	fs.Var(c.NormOut, "norm-out", "output normaliser: unit, gaussian or none")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the weights and the shuffling")
	fs.StringVar(&c.Log, "log", "", "append one JSON line per epoch to this file")
	fs.StringVar(&c.Resume, "resume", "", "continue the run of this checkpoint (then only --epochs, --out, --log, --json, --threads)")
	fs.IntVar(&c.FNO.Modes, "modes", 0, "fno: Fourier modes per sign and axis (0: 12)")
	fs.IntVar(&c.FNO.Width, "width", 0, "fno: channels (0: 32)")
	fs.IntVar(&c.FNO.Padding, "padding", 0, "fno: zero padding after the last row and column (fourier_2d.py uses 9)")
	fs.IntVar(&c.FNO.Projection, "projection", 0, "fno: hidden width of the projection (0: 128)")
	fs.IntVar(&c.MgNO.Channels, "channels", 0, "mgno: channels (0: 24)")
	fs.IntVar(&c.MgNO.Levels, "levels", 0, "mgno: V-cycle levels (0: 5)")
	fs.StringVar(&c.MgNO.Smooth, "smooth", "", "mgno: smoothing steps per level, finest first (default 1 each)")
	fs.BoolVar(&c.MgNO.NoLift, "no-lift", false, "mgno: no lifting (the paper's MgNO_DC)")
	fs.BoolVar(&c.MgNO.NoHeadBias, "no-head-bias", false, "mgno: no bias in the head (MgNO_DC)")
	fs.Var(c.MgNO.BC, "bc", "mgno: boundary condition as padding: zeros (Dirichlet), circular (periodic), reflect")
	fs.IntVar(&c.FNO.Layers, "layers", 0, "layers (0: 4 for fno and sfno, 5 for mgno)")
	fs.IntVar(&c.SFNO.ModesT, "modes-t", 0, "sfno: Fourier modes in time (0: 5); --modes sets both space axes (0: 12), --width the channels (0: 20)")
	fs.IntVar(&c.SFNO.Latent, "latent", 0, "sfno: frames of the hidden layers (0: 10)")
	fs.IntVar(&c.SFNO.Expansion, "expansion", 0, "sfno: FFN width over the channels (0: 4)")
	fs.Float64Var(&c.SFNO.Beta, "beta", 0, "sfno: time rate of the positional encoding (0: 0.01)")
	fs.Float64Var(&c.SFNO.Delta, "delta", 0, "sfno: scale of the output's spectral bias (0: 0.1)")
	fs.StringVar(&c.SFNO.Activation, "activation", "", "sfno: relu (default, as the paper's notebooks) or gelu")
	fs.IntVar(&c.Frames.In, "in-frames", 10, "sfno: input frames of each trajectory of --output")
	fs.IntVar(&c.Frames.Out, "out-frames", 40, "sfno: output frames, the ones after the input frames")
	fs.IntVar(&c.Frames.First, "first-frame", 0, "sfno: the first input frame")
	fs.BoolVar(&c.Frames.Fixed, "fixed-window", false, "sfno: train on the frames from --first-frame alone, not on a window drawn at random from there on for every trajectory and epoch")
	fs.Float64Var(&c.DivFactor, "div-factor", 0, "onecycle: the first rate is lr/div-factor (0: 25; sfno 1e3)")
	fs.Float64Var(&c.FinalDiv, "final-div-factor", 0, "onecycle: the last rate is lr/(div-factor final-div-factor) (0: 1e4)")
}

// sfnoRecipe gives the flags a user did not set Spectral-Refiner's
// training recipe: 10 epochs, batch 4, Adam at 1e-2 without weight decay,
// OneCycle stepped per batch from lr/1e3 to lr/1e7, the code's Sobolev
// loss, no normalisers (the model normalises its input itself).
func (c *trainConfig) sfnoRecipe(set map[string]bool) {
	if !set["epochs"] {
		c.Epochs = 10
	}
	if !set["batch"] {
		c.Batch = 4
	}
	if !set["lr"] {
		c.LR = 1e-2
	}
	if !set["weight-decay"] {
		c.Decay = 0
	}
	if !set["schedule"] {
		c.Schedule.Set("onecycle")
	}
	if !set["schedule-per-batch"] {
		c.PerBatch = true
	}
	if !set["div-factor"] && c.Schedule.Get() == train.OneCycle {
		c.DivFactor = 1e3
	}
	if !set["loss"] {
		c.Loss.Set("sobolev")
	}
	if !set["norm-in"] {
		c.NormIn.Set("none")
	}
	if !set["norm-out"] {
		c.NormOut.Set("none")
	}
}

// dataSpec returns the data sets' layout: the datasets, and for sfno the
// frames of the trajectories in --output.
func (c *trainConfig) dataSpec() neuralop.DataSpec {
	s := neuralop.DataSpec{Input: c.Input, Output: c.Output}
	if c.Model == "sfno" {
		s.InFrames, s.OutFrames, s.FirstFrame = c.Frames.In, c.Frames.Out, c.Frames.First
	}
	return s
}

// given returns the names of the flags set on the command line.
func given(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// modelConfig returns the model configuration of the flags.
func (c *trainConfig) modelConfig() (neuralop.Config, error) {
	cfg := neuralop.Config{Kind: c.Model}
	switch c.Model {
	case "fno":
		s := c.FNO
		cfg.FNO = &s
		return cfg, nil
	case "sfno":
		s := c.SFNO
		s.ModesX, s.ModesY, s.Width, s.Layers = c.FNO.Modes, c.FNO.Modes, c.FNO.Width, c.FNO.Layers
		cfg.SFNO = &s
		return cfg, nil
	}
	s, err := c.MgNO.settings()
	if err != nil {
		return cfg, err
	}
	s.Layers = c.FNO.Layers // one --layers flag for both kinds
	cfg.MgNO = s
	return cfg, nil
}

// settings returns the training loop's settings.
func (c *trainConfig) settings() *neuralop.TrainSettings {
	return &neuralop.TrainSettings{Settings: train.Settings{Control: iterate.Control{MaxIterations: c.Epochs},
		Batch: c.Batch, LR: c.LR, WeightDecay: c.Decay, Decoupled: c.Optimizer.Get(),
		Schedule: train.Schedule{Kind: c.Schedule.Get(), PerBatch: c.PerBatch, DivFactor: c.DivFactor, FinalDivFactor: c.FinalDiv},
		Seed:     c.Seed}, Loss: c.Loss.Get()}
}

func cmdTrain(args []string, stdout, stderr io.Writer) error {
	c := newTrainConfig()
	fs := newFlags("train MODEL", `Train a neural operator (MODEL: fno, mgno or sfno) on input/output fields from HDF5 files
(default: PDEBench's Darcy layout, input "nu" [N, H, W], output "tensor" [N, 1, H, W], as
'simulate generate darcy' writes them; any tool's files, float32 or float64). Inputs and
outputs are normalised point-wise on the training set; the loss is the relative L2 error
per sample averaged over the batch (or MgNO's H1). sfno (Spectral-Refiner's space-time
FNO) reads trajectories [N, T, H, W] from --output ('simulate generate ns2d'): --in-frames
frames from --first-frame in, the --out-frames after them out (training draws each
trajectory's window of in+out frames at random from --first-frame on every epoch, as the
paper; validation and test use the first); flags left unset take the paper's recipe (10
epochs, batch 4, Adam 1e-2, OneCycle per batch from lr/1e3, the code's Sobolev loss, no
normalisers). The checkpoint (--out) is rewritten after every
epoch and on SIGINT/SIGTERM; --resume continues a run bit for bit. It holds the last and
the best-validation weights, the normalisers and the whole training state.`,
		"simulate generate darcy --samples 100 --n 33 --seed 1 --out darcy-train.h5\n  simulate generate darcy --samples 20 --n 33 --seed 2 --out darcy-test.h5\n  simulate train mgno --train darcy-train.h5 --test darcy-test.h5 --epochs 30 --out mgno.h5", stderr)
	c.common.register(fs)
	c.register(fs)
	if len(args) > 0 && args[0] == "dcdm" {
		return cmdTrainDCDM(args[1:], stdout, stderr)
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		c.Model, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.Resume != "" {
		return resumeTrain(c, fs, stdout, stderr)
	}
	if _, err := index("MODEL", c.Model, modelTable); err != nil {
		return usageErr("train needs a MODEL first: fno, mgno, sfno or dcdm (%v)", err)
	}
	if c.Model == "sfno" {
		c.sfnoRecipe(given(fs))
		if c.Frames.In < 1 || c.Frames.Out < 1 || c.Frames.First < 0 {
			return usageErr("--in-frames %d, --out-frames %d, --first-frame %d: want positive counts and a first frame >= 0", c.Frames.In, c.Frames.Out, c.Frames.First)
		}
	}
	if c.DivFactor < 0 || c.FinalDiv < 0 {
		return usageErr("--div-factor %g, --final-div-factor %g: want positive (0: the defaults)", c.DivFactor, c.FinalDiv)
	}
	if c.Out == "" {
		c.Out = c.Model + ".h5"
	}
	if c.Epochs < 1 || c.Batch < 1 || !(c.LR > 0) || c.Decay < 0 {
		return usageErr("--epochs %d, --batch %d, --lr %g, --weight-decay %g: want positive (decay >= 0)", c.Epochs, c.Batch, c.LR, c.Decay)
	}
	if c.Test.File == "" {
		return usageErr("--test is required")
	}
	mcfg, err := c.modelConfig()
	if err != nil {
		return err
	}
	st, err := c.common.begin("train", c, stdout, stderr, c.Out)
	if err != nil {
		return err
	}
	defer st.end()
	tr, val, te, err := c.readSets(st)
	if err != nil {
		return err
	}
	op, err := neuralop.NewOperator(mcfg, tr, c.NormIn.Get(), c.NormOut.Get(), rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15)))
	if err != nil {
		return usageErr("%v", err)
	}
	return trainRun(st, c, op, tr, val, te, "")
}

// readSets reads the training, validation and test sets (the validation
// set is the test set when none is given).
func (c *trainConfig) readSets(st *stage) (tr, val, te *neuralop.Data, err error) {
	spec := c.dataSpec()
	trSpec := spec
	trSpec.Windows = c.Model == "sfno" && !c.Frames.Fixed
	if tr, err = c.Train.read(st, "train", trSpec); err != nil {
		return
	}
	if te, err = c.Test.read(st, "test", spec); err != nil {
		return
	}
	val = te
	if c.Val.File != "" {
		if val, err = c.Val.read(st, "val", spec); err != nil {
			return
		}
	}
	for name, d := range map[string]*neuralop.Data{"test": te, "val": val} {
		if d.H != tr.H || d.W != tr.W || d.In != tr.In || d.Out != tr.Out {
			return nil, nil, nil, usageErr("--%s: %d x %d fields with %d/%d channels; the training set's are %d x %d with %d/%d (evaluate other grids with simulate eval)",
				name, d.H, d.W, d.In, d.Out, tr.H, tr.W, tr.In, tr.Out)
		}
	}
	return tr, val, te, nil
}

// resumeTrain continues the run of c.Resume with its stored configuration.
func resumeTrain(c *trainConfig, fs *flag.FlagSet, stdout, stderr io.Writer) error {
	stored := newTrainConfig()
	outs, err := resumeConfig("train", c, stored, fs)
	if err != nil {
		return err
	}
	st, err := stored.common.begin("train", stored, stdout, stderr, outs...)
	if err != nil {
		return err
	}
	defer st.end()
	tr, val, te, err := stored.readSets(st)
	if err != nil {
		return err
	}
	op, err := neuralop.LoadOperator(c.Resume, false)
	if err != nil {
		return usageErr("--resume: %v", err)
	}
	return trainRun(st, stored, op, tr, val, te, c.Resume)
}

// trainRun trains (or resumes) and reports.
func trainRun(st *stage, c *trainConfig, op *neuralop.Operator, tr, val, te *neuralop.Data, resume string) error {
	s := c.settings()
	s.Checkpoint = c.Out
	s.Extra = st.stamp
	done, err := trainProgress(st, &s.Settings, "train", c.Log, "validation rel L2", nil, nil)
	if err != nil {
		return err
	}
	var res *train.Result[float32]
	if resume != "" {
		res, err = neuralop.Resume(st.ctx, resume, op, tr, val, s)
	} else {
		res, err = neuralop.Train(st.ctx, op, tr, val, s)
	}
	done()
	if err != nil {
		return st.fail(usageErr("%v", err))
	}
	if ie := st.interruption(); ie != nil {
		return ie // the checkpoint has the state to resume from
	}
	st.keepOutput(c.Out)
	final, err := op.Evaluate(st.ctx, te, c.Batch)
	if err != nil {
		return st.fail(err)
	}
	// The test error of the best-validation weights.
	last := snapshot(op)
	restore(op, res.Best)
	best, err := op.Evaluate(st.ctx, te, c.Batch)
	restore(op, last)
	if err != nil {
		return st.fail(err)
	}
	sum := st.summary().set("model", c.Model, "params", neuralop.CountParams(op.Model), "epochs", res.Iterations,
		"train_samples", tr.N, "test_samples", te.N, "grid", []int{tr.H, tr.W},
		"final_test_rel_l2", neuralop.Summarize(final.RelL2).Mean, "final_test_rel_h1", neuralop.Summarize(final.RelH1).Mean,
		"best_epoch", res.BestEpoch, "best_validation_rel_l2", res.BestValidation,
		"best_test_rel_l2", neuralop.Summarize(best.RelL2).Mean, "train_seconds", res.Epochs[len(res.Epochs)-1].Seconds, "seed", c.Seed)
	if final.Sobolev != nil {
		sum.set("final_test_rel_sobolev", neuralop.Summarize(final.Sobolev).Mean)
	}
	if c.Val.File == "" {
		sum.set("validation", "the test set")
	}
	sum.outcome("", &res.Outcome)
	return st.report(sum)
}

func snapshot(op *neuralop.Operator) [][]float32 {
	var out [][]float32
	for _, p := range op.Model.Params() {
		out = append(out, append([]float32(nil), p.Tensor.Data...))
	}
	return out
}

func restore(op *neuralop.Operator, data [][]float32) {
	for i, p := range op.Model.Params() {
		copy(p.Tensor.Data, data[i])
	}
}

// useFlags are the flags of a command that applies a trained checkpoint
// (eval, predict).
type useFlags struct {
	Model  string `json:"model"`
	Input  string `json:"input"`
	Output string `json:"output"`
	Last   bool   `json:"last"`
	Batch  int    `json:"batch"`
	First  int    `json:"first_frame"`
}

func (u *useFlags) register(fs *flag.FlagSet, output string) {
	fs.StringVar(&u.Model, "model", "", "checkpoint of simulate train (required)")
	fs.StringVar(&u.Input, "input", "nu", "dataset of the input fields")
	fs.StringVar(&u.Output, "output", "tensor", output)
	fs.BoolVar(&u.Last, "last", false, "use the last weights instead of the best-validation ones")
	fs.IntVar(&u.Batch, "batch", 20, "batch size")
	fs.IntVar(&u.First, "first-frame", 0, "sfno: the first input frame of each trajectory (the model's input and output frame counts are its own)")
}

// spec returns the layout of the data for op: the named datasets, or for
// sfno the frames of the trajectories in traj (frames in and, unless
// noOutput, out).
func (u *useFlags) spec(op *neuralop.Operator, input, output, traj string, noOutput bool) (neuralop.DataSpec, error) {
	cfg := op.Model.Config()
	if cfg.Kind != "sfno" {
		return neuralop.DataSpec{Input: input, Output: output, NoOutput: noOutput}, nil
	}
	if u.First < 0 {
		return neuralop.DataSpec{}, usageErr("--first-frame %d must be >= 0", u.First)
	}
	return neuralop.DataSpec{Output: traj, InFrames: cfg.In, OutFrames: cfg.Out, FirstFrame: u.First, NoOutput: noOutput}, nil
}

// load checks the flags and reads the checkpoint.
func (u *useFlags) load() (*neuralop.Operator, error) {
	if u.Model == "" {
		return nil, usageErr("--model is required")
	}
	if u.Batch < 1 {
		return nil, usageErr("--batch %d must be positive", u.Batch)
	}
	if err := vetInput(u.Model); err != nil {
		return nil, err
	}
	op, err := neuralop.LoadOperator(u.Model, !u.Last)
	if err != nil {
		return nil, usageErr("--model: %v", err)
	}
	return op, nil
}

// evalConfig is the configuration of `simulate eval`.
type evalConfig struct {
	common
	useFlags
	Data        dataFlags `json:"data"`
	Plot        string    `json:"plot,omitempty"`
	PlotSamples int       `json:"plot_samples"`
}

func cmdEval(args []string, stdout, stderr io.Writer) error {
	var c evalConfig
	fs := newFlags("eval", `Evaluate a trained operator on a data set: relative L2 and H1 errors per sample (mean,
median, max). The data may be on another grid than the training set's (super-resolution:
FNO as it is, MgNO with its V-cycle rebuilt for the grid, point-wise normalisers
interpolated). --plot draws input, truth, prediction and error of a few samples.`,
		"simulate generate darcy --samples 40 --n 65 --seed 1 --out darcy-train.h5\n  simulate generate darcy --samples 10 --n 65 --seed 2 --out darcy-test.h5\n  simulate train mgno --train darcy-train.h5 --test darcy-test.h5 --epochs 3 --out mgno.h5\n  simulate eval --model mgno.h5 --data darcy-test.h5 --plot eval.png --json", stderr)
	c.common.register(fs)
	c.useFlags.register(fs, "dataset of the output fields")
	fs.StringVar(&c.Data.File, "data", "", "data (HDF5, required)")
	fs.StringVar(&c.Data.Samples, "samples", "", "FROM:TO: the samples of the file (default all)")
	fs.StringVar(&c.Plot, "plot", "", "write a PNG of input, truth, prediction and error")
	fs.IntVar(&c.PlotSamples, "plot-samples", 3, "samples in the plot")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.PlotSamples < 1 {
		return usageErr("--plot-samples %d must be positive", c.PlotSamples)
	}
	if err := checkPNG(c.Plot); err != nil {
		return err
	}
	op, err := c.load()
	if err != nil {
		return err
	}
	st, err := c.common.begin("eval", &c, stdout, stderr, c.Plot)
	if err != nil {
		return err
	}
	defer st.end()
	spec, err := c.spec(op, c.Input, c.Output, c.Output, false)
	if err != nil {
		return err
	}
	d, err := c.Data.read(st, "data", spec)
	if err != nil {
		return err
	}
	pred, err := predict(st, op, d, c.Batch)
	if err != nil {
		return st.fail(usageErr("%v", err))
	}
	e, err := neuralop.Compare(d, pred)
	if err != nil {
		return st.fail(usageErr("%v", err))
	}
	cfg := op.Model.Config()
	sum := st.summary().set("model", c.Model, "kind", cfg.Kind, "samples", d.N, "grid", []int{d.H, d.W},
		"trained_grid", []int{cfg.H, cfg.W}, "rel_l2", neuralop.Summarize(e.RelL2), "rel_h1", neuralop.Summarize(e.RelH1))
	if e.Sobolev != nil {
		sum.set("rel_sobolev", neuralop.Summarize(e.Sobolev))
	}
	if c.Plot != "" {
		if err := plotFields(st, c.Plot, d, pred, min(c.PlotSamples, d.N), e.RelL2); err != nil {
			return st.fail(err)
		}
	}
	sum.text = func(w io.Writer) {
		l2, h1 := neuralop.Summarize(e.RelL2), neuralop.Summarize(e.RelH1)
		fmt.Fprintf(w, "%s (%s, trained on %d x %d) on %d samples of %d x %d:\n", c.Model, cfg.Kind, cfg.H, cfg.W, d.N, d.H, d.W)
		fmt.Fprintf(w, "relative L2: mean %.5g, median %.5g, max %.5g\n", l2.Mean, l2.Median, l2.Max)
		fmt.Fprintf(w, "relative H1: mean %.5g, median %.5g, max %.5g\n", h1.Mean, h1.Median, h1.Max)
		if e.Sobolev != nil {
			sb := neuralop.Summarize(e.Sobolev)
			fmt.Fprintf(w, "relative Sobolev (Spectral-Refiner's metric): mean %.5g, median %.5g, max %.5g\n", sb.Mean, sb.Median, sb.Max)
		}
		for _, o := range st.outputs {
			fmt.Fprintf(w, "wrote %s\n", o)
		}
	}
	return st.report(sum)
}

// predictConfig is the configuration of `simulate predict`.
type predictConfig struct {
	common
	useFlags
	In  dataFlags `json:"in"`
	Out string    `json:"out"`
}

func cmdPredict(args []string, stdout, stderr io.Writer) error {
	var c predictConfig
	fs := newFlags("predict", `Apply a trained operator to the input fields of an HDF5 file and write the predicted
fields to another: the pipeline stage of a trained model, HDF5 in and HDF5 out. The output
file holds the dataset --output [N, C, H, W] (float32) and, as attributes, the run's
configuration (with the model's and the input file's names) and the model's own.`,
		"simulate generate darcy --samples 40 --n 65 --seed 1 --out darcy-train.h5\n  simulate train mgno --train darcy-train.h5 --test darcy-train.h5 --epochs 3 --out mgno.h5\n  simulate generate darcy --samples 4 --n 65 --seed 3 --out coefficients.h5\n  simulate predict --model mgno.h5 --in coefficients.h5 --out solutions.h5", stderr)
	c.common.register(fs)
	c.useFlags.register(fs, "dataset name of the predicted fields")
	fs.StringVar(&c.In.File, "in", "", "input fields (HDF5, required)")
	fs.StringVar(&c.In.Samples, "samples", "", "FROM:TO: the samples of the file (default all)")
	fs.StringVar(&c.Out, "out", "", "output file (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.Out == "" {
		return usageErr("--out is required")
	}
	op, err := c.load()
	if err != nil {
		return err
	}
	st, err := c.common.begin("predict", &c, stdout, stderr, c.Out)
	if err != nil {
		return err
	}
	defer st.end()
	traj := "tensor"
	if given(fs)["input"] {
		traj = c.Input
	}
	spec, err := c.spec(op, c.Input, "", traj, true)
	if err != nil {
		return err
	}
	d, err := c.In.read(st, "in", spec)
	if err != nil {
		return err
	}
	pred, err := predict(st, op, d, c.Batch)
	if err != nil {
		return st.fail(usageErr("%v", err))
	}
	f, err := st.createH5(c.Out)
	if err != nil {
		return err
	}
	defer f.Abort()
	cfg := op.Model.Config()
	if err := h5.Write(f, c.Output, []int{d.N, cfg.Out, d.H, d.W}, pred, nil); err != nil {
		return st.fail(err)
	}
	mc, _ := json.Marshal(cfg)
	if err := f.SetAttr("/", "model_config", string(mc)); err != nil {
		return st.fail(err)
	}
	if err := st.closeH5(f, c.Out); err != nil {
		return err
	}
	return st.report(st.summary().set("model", c.Model, "kind", cfg.Kind, "in", c.In.File, "samples", d.N, "grid", []int{d.H, d.W}))
}

// predict runs op on d with a progress line per batch (every few seconds
// in a log).
func predict(st *stage, op *neuralop.Operator, d *neuralop.Data, batch int) ([]float32, error) {
	bar, prev := newProgress(st.stderr, st.name, d.N), 0
	op.Progress = func(done, _ int) { bar.add(done - prev); prev = done }
	defer func() { op.Progress = nil; bar.done() }()
	return op.Predict(st.ctx, d, batch)
}

// trainProgress wires a training loop to the stage: its checkpoint is
// named if a signal stops the run; every batch draws a progress line with
// an ETA (batchExtra, if set, adds to it); every epoch appends a JSON line
// to the log at logPath (logLine, if set, gives the object; the epoch's
// record otherwise) and, without a terminal, prints a plain line naming
// the validation error as what. The returned function ends the progress
// line and closes the log.
func trainProgress(st *stage, s *train.Settings, label, logPath, what string, batchExtra func() string, logLine func(train.Epoch) any) (func(), error) {
	if mpi.Size() > 1 {
		// Data-parallel under mpirun: every rank trains on its share of
		// each batch, the gradients summed; rank 0 alone writes the
		// checkpoint and the log.
		s.Parallel = &train.Parallel{Rank: mpi.Rank(), Size: mpi.Size(), Sum: func(v []float64) {
			if err := mpi.AllreduceSum(v); err != nil {
				panic(err)
			}
		}}
		if mpi.Rank() > 0 {
			s.Checkpoint, logPath = "", ""
		}
	}
	logw, err := openLog(logPath)
	if err != nil {
		return nil, err
	}
	st.checkpoint = s.Checkpoint
	bar := newProgress(st.stderr, label, 0)
	s.OnBatch = func(b train.BatchInfo) {
		if b.Done == 0 {
			return
		}
		left := (b.Epochs-b.Epoch)*b.Batches + b.Batches - b.Batch
		eta := time.Duration(float64(b.Elapsed) / float64(b.Done) * float64(left))
		extra := ""
		if batchExtra != nil {
			extra = " " + batchExtra()
		}
		bar.line(fmt.Sprintf("epoch %d/%d batch %d/%d loss %.4g%s ETA %s", b.Epoch, b.Epochs, b.Batch, b.Batches, b.Loss, extra, eta.Round(time.Second)))
	}
	s.OnEpoch = func(e train.Epoch) {
		var v any = e
		if logLine != nil {
			v = logLine(e)
		}
		logw.line(v)
		if !bar.terminal {
			fmt.Fprintf(st.stderr, "epoch %d/%d: train loss %.5g, %s %.5g, lr %.3g, %.1f s\n",
				e.Epoch, s.MaxIterations, e.TrainLoss, what, e.Validation, e.LR, e.Seconds)
		}
	}
	return func() {
		bar.done()
		logw.Close()
	}, nil
}

// jsonLog is a --log file of JSON lines, appended to; a nil jsonLog (no
// --log) writes nothing.
type jsonLog struct{ f *os.File }

// openLog opens path for appending (nil for an empty path).
func openLog(path string) (*jsonLog, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, usageErr("--log: %v", err)
	}
	return &jsonLog{f}, nil
}

// line appends v as one JSON line.
func (l *jsonLog) line(v any) {
	if l == nil {
		return
	}
	b, _ := json.Marshal(jsonSafe(reflect.ValueOf(v)))
	fmt.Fprintln(l.f, string(b))
}

// Close closes the file.
func (l *jsonLog) Close() {
	if l != nil {
		l.f.Close()
	}
}

// resumable is the configuration of a training command that --resume
// continues: its common flags, epochs, checkpoint, log and resume path.
type resumable interface {
	resumeFields() (cm *common, epochs *int, out, log, resume *string)
}

func (c *trainConfig) resumeFields() (*common, *int, *string, *string, *string) {
	return &c.common, &c.Epochs, &c.Out, &c.Log, &c.Resume
}

// resumeConfig reads into stored the configuration of the checkpoint
// that c resumes, after checking that only the flags a resumed run may
// change are set, and applies those: the common flags, the log, --epochs
// (which may extend the run) and --out (default: the checkpoint itself).
// outs is the resumed stage's new output, if any.
func resumeConfig(command string, c, stored resumable, fs *flag.FlagSet) (outs []string, err error) {
	allowed := map[string]bool{"resume": true, "epochs": true, "out": true, "log": true, "json": true, "threads": true, "force": true}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		set[f.Name] = true
		if !allowed[f.Name] && err == nil {
			err = usageErr("--%s cannot change a resumed run (it continues with the checkpoint's configuration)", f.Name)
		}
	})
	if err != nil {
		return nil, err
	}
	cm, epochs, out, log, resume := c.resumeFields()
	f, err := openInput(*resume)
	if err != nil {
		return nil, usageErr("--resume: %v", err)
	}
	by, _ := f.AttrString("/", "command")
	err = f.Config("/", stored)
	f.Close()
	scm, sEpochs, sOut, sLog, sResume := stored.resumeFields()
	if err != nil {
		return nil, usageErr("--resume %s is not a checkpoint of simulate %s: %v", *resume, command, err)
	}
	if by != "simulate "+command || *sEpochs < 1 {
		return nil, usageErr("--resume %s is not a checkpoint of simulate %s (it was written by %q)", *resume, command, by)
	}
	*scm, *sLog, *sResume = *cm, *log, *resume
	if set["epochs"] {
		*sEpochs = *epochs
	}
	*sOut = *resume
	if set["out"] && *out != *resume {
		*sOut = *out
		outs = append(outs, *out)
	}
	return outs, nil
}
