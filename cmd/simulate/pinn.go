package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"gonum.org/v1/plot/plotter"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
	"github.com/pdekit/pdekit/pinn"
)

// pinnConfig is the configuration of `simulate pinn`, stored in its
// checkpoint.
type pinnConfig struct {
	common
	Problem   string  `json:"problem"`
	Sampler   string  `json:"sampler"`
	Points    int     `json:"points"`
	Boundary  int     `json:"boundary"`
	BWeight   float64 `json:"boundary_weight"`
	Epochs    int     `json:"epochs"`
	Stages    int     `json:"stages"`
	LBFGS     int     `json:"lbfgs"`
	Width     int     `json:"width"`
	Depth     int     `json:"depth"`
	LR        float64 `json:"lr"`
	Batch     int     `json:"batch"`
	FlowSteps int     `json:"flow_steps"`
	FlowLR    float64 `json:"flow_lr"`
	FlowBatch int     `json:"flow_batch"`
	Beta      float64 `json:"beta"`
	Every     int     `json:"validate_every"`
	Seed      uint64  `json:"seed"`
	Out       string  `json:"out"`
	Plot      string  `json:"-"`
	Log       string  `json:"-"`
	Resume    string  `json:"-"`
}

func (c *pinnConfig) resumeFields() (*common, *int, *string, *string, *string) {
	return &c.common, &c.Epochs, &c.Out, &c.Log, &c.Resume
}

// pinnProblem returns the problem of a --problem name: peak, two-peak,
// or expD ("exp10d", D the dimension).
func pinnProblem(name string) (pinn.Problem, error) {
	switch name {
	case "peak":
		return pinn.Peak{}, nil
	case "two-peak":
		return pinn.TwoPeak{}, nil
	}
	var d int
	if n, err := fmt.Sscanf(name, "exp%dd", &d); err == nil && n == 1 && d >= 1 && name == fmt.Sprintf("exp%dd", d) {
		return pinn.Exp{D: d}, nil
	}
	return nil, usageErr("--problem %q: want peak, two-peak or expDd (exp10d, exp2d, ...)", name)
}

// sampler returns the sampler of the configuration; a flow sampler calls
// onStep after every step of its flow's training.
func (c *pinnConfig) sampler(onStep func(step, steps int, loss float64)) (pinn.Sampler, error) {
	flow := pinn.FlowSettings{Steps: c.FlowSteps, LR: c.FlowLR, Batch: c.FlowBatch, N: c.Points, OnStep: onStep}
	switch c.Sampler {
	case "uniform":
		return pinn.UniformSampler{N: c.Points}, nil
	case "rar":
		return pinn.RAR{Candidates: 10 * c.Points, Add: c.Points}, nil
	case "rad":
		return pinn.RAD{N: c.Points, Candidates: 10 * c.Points}, nil
	case "das", "das-g":
		return &pinn.DAS{Flow: flow}, nil
	case "das-r":
		return &pinn.DAS{Flow: flow, Replace: true}, nil
	case "aas":
		return &pinn.AAS{Flow: flow, Beta: c.Beta}, nil
	case "aas-g":
		return &pinn.AAS{Flow: flow, Beta: c.Beta, Add: true}, nil
	}
	return nil, usageErr("--sampler %q: want uniform, rar, rad, das (das-g), das-r, aas or aas-g", c.Sampler)
}

func cmdPINN(args []string, stdout, stderr io.Writer) error {
	c := &pinnConfig{}
	fs := newFlags("pinn", `Train a physics-informed network on a test problem of the adaptive-sampling papers (DAS,
AAS) in stages, a sampler choosing each stage's interior collocation points from the
network trained on the last: uniform (fresh uniform points), rar (the --points largest
residuals of 10x as many uniform candidates added), rad (points drawn with probability
|r|/mean + 1), das / das-g and das-r (a KRnet flow fitted to the squared residual, its
points added or replacing the set), aas (a KRnet trained adversarially to maximise the
mean squared residual under a Sobolev penalty --beta; reconstructed from the paper's
abstract, see the pinn package; its points replace the set) and aas-g (the same, its
points added to the set as das-g's are). Problems on [-1, 1]^d with Dirichlet data from the
exact solution: peak (-Lap u = f, u = exp(-1000 |x - (0.5, 0.5)|^2)), two-peak
(Lap u - div(u grad(x^2 + y^2)) = f), expDd (-Lap u = f, u = exp(-10 |x|^2) in D
dimensions, e.g. exp10d). Adam with the DAS code's rate; --lbfgs refines the last stage
with L-BFGS. Every stage writes one JSON line to --log; the final relative L2 error is
measured on a 256^2 grid (2-D) or 100,000 uniform points. The checkpoint (--out: the
network, the next stage's points, every stage's error, the sampler's flow and optimiser,
the random stream) is rewritten after every stage; --resume continues a run, an
interrupted stage from its start, bit for bit. --plot draws the solution, the error and
the last collocation points.`,
		"simulate pinn --problem peak --sampler das --points 1000 --epochs 3000 --stages 5 --seed 1 --out peak.h5 --plot peak.png --json", stderr)
	c.common.register(fs)
	fs.StringVar(&c.Problem, "problem", "peak", "peak, two-peak or expDd (exp10d)")
	fs.StringVar(&c.Sampler, "sampler", "uniform", "uniform, rar, rad, das (das-g), das-r, aas or aas-g (aas adding its points to the set)")
	fs.IntVar(&c.Points, "points", 1000, "interior collocation points of the first stage, and drawn per stage")
	fs.IntVar(&c.Boundary, "boundary", 0, "boundary points (0: 200 per dimension)")
	fs.IntVar(&c.Epochs, "epochs", 3000, "Adam epochs per stage (the DAS code: 3000)")
	fs.IntVar(&c.Stages, "stages", 5, "training stages (the DAS code: 5)")
	fs.IntVar(&c.LBFGS, "lbfgs", 0, "L-BFGS iterations after the last stage's Adam")
	fs.Float64Var(&c.BWeight, "boundary-weight", 1, "weight of the boundary loss (the DAS code's lambda_bd: 1)")
	fs.IntVar(&c.Width, "width", 32, "hidden units per layer (the DAS code: 32)")
	fs.IntVar(&c.Depth, "depth", 6, "hidden layers (the DAS code: 6)")
	fs.Float64Var(&c.LR, "lr", 1e-4, "Adam's learning rate (the DAS code: 1e-4)")
	fs.IntVar(&c.Batch, "batch", 0, "mini-batch of interior points (0: all)")
	fs.IntVar(&c.FlowSteps, "flow-steps", 0, "das, aas: Adam steps of the flow per stage (0: das 3000, aas 200)")
	fs.Float64Var(&c.FlowLR, "flow-lr", 0, "das, aas: the flow's learning rate (0: 1e-4)")
	fs.IntVar(&c.FlowBatch, "flow-batch", 0, "das, aas: points per flow step (0: 1000)")
	fs.Float64Var(&c.Beta, "beta", 0, "aas: weight of the density's gradient penalty (0: 1e-2)")
	fs.IntVar(&c.Every, "validate-every", 100, "compute the validation error every so many epochs")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the network, the points and the samplers")
	fs.StringVar(&c.Out, "out", "pinn.h5", "checkpoint: the network, the points, the stage errors, the sampler's state (HDF5), rewritten after every stage")
	fs.StringVar(&c.Plot, "plot", "", "write a PNG of the solution, the error and the last collocation points")
	fs.StringVar(&c.Log, "log", "", "append one JSON line per stage to this file")
	fs.StringVar(&c.Resume, "resume", "", "continue the run of this checkpoint (then only --epochs, --out, --log, --json, --threads)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !(c.BWeight > 0) {
		return usageErr("--boundary-weight %g: want a positive weight", c.BWeight)
	}
	if err := checkPNG(c.Plot); err != nil {
		return err
	}
	plot := c.Plot
	outs := []string{c.Out}
	if c.Resume != "" {
		// A checkpoint written before --boundary-weight existed stores
		// none: its runs had the weight 1.
		stored := &pinnConfig{BWeight: 1}
		var err error
		if outs, err = resumeConfig("pinn", c, stored, fs); err != nil {
			return err
		}
		c = stored
	}
	if plot != "" {
		outs = append(outs, plot)
	}
	prob, err := pinnProblem(c.Problem)
	if err != nil {
		return err
	}
	var flowStep func(step, steps int, loss float64) // set once the progress line exists
	smp, err := c.sampler(func(step, steps int, loss float64) { flowStep(step, steps, loss) })
	if err != nil {
		return err
	}
	if c.Points < 1 || c.Boundary < 0 || c.Epochs < 1 || c.Stages < 1 || c.LBFGS < 0 || c.Width < 1 || c.Depth < 1 || !(c.LR > 0) || c.Batch < 0 ||
		c.FlowSteps < 0 || c.FlowLR < 0 || c.FlowBatch < 0 || c.Beta < 0 || c.Every < 1 {
		return usageErr("--points %d, --boundary %d, --epochs %d, --stages %d, --lbfgs %d, --width %d, --depth %d, --lr %g, --batch %d, --flow-steps %d, --flow-lr %g, --flow-batch %d, --beta %g, --validate-every %d: want positive sizes and rates",
			c.Points, c.Boundary, c.Epochs, c.Stages, c.LBFGS, c.Width, c.Depth, c.LR, c.Batch, c.FlowSteps, c.FlowLR, c.FlowBatch, c.Beta, c.Every)
	}
	st, err := c.common.begin("pinn", c, stdout, stderr, outs...)
	if err != nil {
		return err
	}
	defer st.end()
	logw, err := openLog(c.Log)
	if err != nil {
		return err
	}
	defer logw.Close()
	d := prob.Dim()
	m, err := pinn.New(prob, c.Width, c.Depth, rand.New(rand.NewPCG(c.Seed, 0x7171)))
	if err != nil {
		return usageErr("%v", err)
	}
	// The final error: a 256^2 grid in 2-D, 100,000 uniform points above.
	final := pinn.Grid(d, 256)
	if d > 2 {
		final = pinn.Uniform(d, 100000, rand.New(rand.NewPCG(c.Seed, 0xe77)))
	}
	bar := newProgress(st.stderr, "pinn", 0)
	stage := 1
	start := time.Now()
	var last *nn.Tensor[float64]
	if c.Resume != "" {
		if f, err := h5.Open(c.Resume); err == nil {
			if done, err := f.AttrInt64("stages", "done"); err == nil {
				stage = int(done) + 1
			}
			f.Close()
		}
	}
	s := &pinn.StageSettings{Stages: c.Stages, LBFGS: c.LBFGS, Checkpoint: c.Out, Extra: st.stamp, Settings: pinn.Settings{
		Interior: c.Points, Boundary: c.Boundary, BoundaryWeight: c.BWeight, ValidateEvery: c.Every,
		Settings: train.Settings{Control: iterate.Control{MaxIterations: c.Epochs}, Batch: c.Batch, LR: c.LR, Seed: c.Seed}}}
	s.OnEpoch = func(e train.Epoch) {
		bar.line(fmt.Sprintf("stage %d/%d epoch %d/%d loss %.4g error %.4g elapsed %s", stage, c.Stages, e.Epoch, c.Epochs, e.TrainLoss, e.Validation,
			time.Since(start).Round(time.Second)))
	}
	flowStep = func(k, steps int, loss float64) {
		// Between stages: the sampler's flow learns where the next
		// stage's points go (20 s to minutes, silent before).
		bar.line(fmt.Sprintf("stage %d/%d sampler flow step %d/%d loss %.4g elapsed %s", stage, c.Stages, k, steps, loss, time.Since(start).Round(time.Second)))
	}
	s.OnLBFGS = func(k int, loss float64) {
		bar.line(fmt.Sprintf("stage %d/%d L-BFGS %d/%d loss %.4g elapsed %s", stage, c.Stages, k, c.LBFGS, loss, time.Since(start).Round(time.Second)))
	}
	s.OnStage = func(r pinn.StageResult, x *nn.Tensor[float64]) {
		last = x
		rec := map[string]any{"stage": r.Stage, "points": r.Points, "rel_l2": r.Error, "train_loss": r.Result.Epochs[len(r.Result.Epochs)-1].TrainLoss,
			"train_seconds": r.Seconds, "elapsed": time.Since(start).Seconds()}
		if r.LBFGS != nil {
			rec["lbfgs_iterations"] = r.LBFGS.Stats.MajorIterations
			rec["lbfgs_loss"] = r.LBFGS.F
		}
		logw.line(rec)
		if !bar.terminal {
			fmt.Fprintf(st.stderr, "stage %d/%d: %d points, relative L2 %.4g, %.1f s\n", r.Stage, c.Stages, r.Points, r.Error, r.Seconds)
		}
		stage++
	}
	st.checkpoint = c.Out
	var res []pinn.StageResult
	if c.Resume != "" {
		res, err = pinn.ResumeStages(st.ctx, c.Resume, m, smp, s)
		if err != nil && res == nil && st.ctx.Err() == nil {
			return st.fail(usageErr("--resume: %v", err)) // the checkpoint did not fit
		}
	} else {
		res, err = pinn.TrainStages(st.ctx, m, smp, s)
	}
	bar.done()
	if err != nil && st.ctx.Err() == nil {
		return st.fail(err)
	}
	if ie := st.interruption(); ie != nil {
		return ie
	}
	st.keepOutput(c.Out)
	relL2 := m.Error(final)
	secs := time.Since(start).Seconds()
	if last == nil { // a resumed run with no stage left: the checkpoint's points
		f, err := h5.Open(c.Out)
		if err != nil {
			return st.fail(err)
		}
		x, dims, err := h5.Read[float64](f, "points")
		f.Close()
		if err != nil {
			return st.fail(err)
		}
		last = nn.New(x, dims...)
	}
	if plot != "" {
		if err := plotPINN(st, plot, m, last); err != nil {
			return st.fail(err)
		}
	}
	sum := st.summary().set("problem", prob.Name(), "sampler", smp.Name(), "dim", d, "params", nn.Count(m.Params()), "stages", len(res),
		"points", last.Shape[0], "rel_l2", relL2, "stage_rel_l2", stageErrors(res), "seconds", secs, "seed", c.Seed)
	return st.report(sum)
}

func stageErrors(res []pinn.StageResult) []float64 {
	out := make([]float64, len(res))
	for i, r := range res {
		out[i] = r.Error
	}
	return out
}

// plotPINN draws the network's solution and error on a 201^2 grid of the
// first two coordinates (the others zero) and the last collocation points
// (their first two coordinates).
func plotPINN(st *stage, path string, m *pinn.PINN, pts *nn.Tensor[float64]) error {
	const n = 201
	d := m.P.Dim()
	x := nn.Zeros[float64](n*n, d)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			k := i*n + j
			x.Data[k*d], x.Data[k*d+1] = -1+2*float64(j)/(n-1), -1+2*float64(i)/(n-1)
		}
	}
	u := m.Predict(x)
	e := make([]float64, len(u))
	for k := range u {
		e[k] = u[k] - m.P.Exact(x.Data[k*d:(k+1)*d])
	}
	xy := make(plotter.XYs, pts.Shape[0])
	for i := range xy {
		xy[i].X, xy[i].Y = pts.Data[i*d], pts.Data[i*d+1]
	}
	slice := ""
	if d > 2 {
		slice = fmt.Sprintf(" (x3..x%d = 0)", d)
	}
	box := [4]float64{-1, 1, -1, 1}
	return st.writePanels(path, 1, 3, []panel{
		{title: "PINN solution" + slice, f: field{u: u, ny: n, nx: n, nodes: true, box: box}, xlabel: "x1", ylabel: "x2"},
		{title: "error (PINN - exact)" + slice, f: field{u: e, ny: n, nx: n, nodes: true, box: box}, xlabel: "x1", ylabel: "x2"},
		{title: fmt.Sprintf("last %d collocation points", len(xy)), f: field{box: box}, points: xy, xlabel: "x1", ylabel: "x2"},
	})
}
