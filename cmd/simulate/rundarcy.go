package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/neuralop"
	"github.com/pdekit/pdekit/nn/train"
	"github.com/pdekit/pdekit/pde"
)

// runDarcy is the main job: Darcy flow data made by the classical solver,
// an MgNO trained on it and compared with the solver on unseen samples.
func runDarcy(cm *common, cfg *runConfig, outDir string, stdout, stderr io.Writer) error {
	if cfg.N < 9 || cfg.TrainSamples < 1 || cfg.TestSamples < 1 || cfg.Epochs < 1 || cfg.Batch < 1 || !(cfg.LR > 0) {
		return usageErr("darcy-mgno needs n >= 9 and positive samples, epochs, batch and lr; got %+v", *cfg)
	}
	var seed uint64
	if cfg.Seed != nil {
		seed = *cfg.Seed
	}
	model, pic, sumPath := filepath.Join(outDir, cfg.Out), filepath.Join(outDir, cfg.Picture), filepath.Join(outDir, cfg.Summary)
	st, err := cm.begin("run", cfg, stdout, stderr, model, pic, sumPath)
	if err != nil {
		return err
	}
	defer st.end()
	// The data: FNO's Darcy recipe, training samples from seed, test
	// samples from seed+1, each solved by multigrid-preconditioned CG to
	// a relative residual of 1e-10.
	ds := &pde.DarcyData{N: cfg.N, Seed: seed}
	ds.Defaults()
	if err := ds.Check(); err != nil {
		return usageErr("darcy-mgno: %v", err)
	}
	start := time.Now()
	prog := newProgress(st.stderr, "data", cfg.TrainSamples+cfg.TestSamples)
	tr, _, err := darcySamples(st.ctx, ds, cfg.TrainSamples, prog)
	if err != nil {
		return st.fail(err)
	}
	ds.Seed = seed + 1
	te, classical, err := darcySamples(st.ctx, ds, cfg.TestSamples, prog)
	prog.done()
	if err != nil {
		return st.fail(err)
	}
	dataSecs := time.Since(start).Seconds()
	mcfg := neuralop.Config{Kind: "mgno", MgNO: &neuralop.MgNOSettings{Channels: cfg.Channels, Layers: cfg.Layers, Levels: cfg.Levels}}
	op, err := neuralop.NewOperator(mcfg, tr, neuralop.UnitGaussian, neuralop.UnitGaussian, rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)))
	if err != nil {
		return usageErr("darcy-mgno: %v", err)
	}
	// The training's checkpoint is the model file; run has no --resume,
	// so an interrupted or failed training leaves no model behind.
	st.scratch(model)
	bar := newProgress(st.stderr, "train", 0)
	res, err := neuralop.Train(st.ctx, op, tr, te, &neuralop.TrainSettings{Settings: train.Settings{
		Control: iterate.Control{MaxIterations: cfg.Epochs}, Batch: cfg.Batch, LR: cfg.LR, WeightDecay: 1e-4,
		Schedule: train.Schedule{Kind: train.Cosine}, Seed: seed, Checkpoint: model, Extra: st.stamp,
		OnEpoch: func(e train.Epoch) {
			if !bar.terminal {
				fmt.Fprintf(st.stderr, "epoch %d/%d: train loss %.4g, test rel L2 %.4g\n", e.Epoch, cfg.Epochs, e.TrainLoss, e.Validation)
			} else {
				bar.line(fmt.Sprintf("epoch %d/%d test rel L2 %.4g", e.Epoch, cfg.Epochs, e.Validation))
			}
		}}})
	bar.done()
	if err != nil {
		return st.fail(err)
	}
	if ie := st.interruption(); ie != nil {
		return ie
	}
	st.keepOutput(model)
	t0 := time.Now()
	errs, err := op.Evaluate(st.ctx, te, cfg.Batch)
	if err != nil {
		return st.fail(err)
	}
	pred, err := op.Predict(st.ctx, te, cfg.Batch)
	if err != nil {
		return st.fail(err)
	}
	learned := time.Since(t0).Seconds() / float64(2*te.N) // Evaluate predicts too
	if err := plotFields(st, pic, te, pred, min(3, te.N), errs.RelL2); err != nil {
		return st.fail(err)
	}
	l2 := neuralop.Summarize(errs.RelL2)
	sum := st.summary().set("job", "darcy-mgno", "grid", []int{cfg.N, cfg.N}, "train_samples", cfg.TrainSamples,
		"test_samples", cfg.TestSamples, "seed", seed, "epochs", res.Iterations, "params", neuralop.CountParams(op.Model),
		"test_rel_l2", l2, "test_rel_h1", neuralop.Summarize(errs.RelH1), "classical_seconds_per_sample", classical,
		"learned_seconds_per_sample", learned, "data_seconds", dataSecs, "train_seconds", res.Epochs[len(res.Epochs)-1].Seconds)
	sum.outcome("", &res.Outcome)
	sum.Outputs = append(append([]string(nil), st.outputs...), sumPath)
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	if err := st.writeFile(sumPath, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err }); err != nil {
		return st.fail(err)
	}
	sum.text = func(w io.Writer) {
		fmt.Fprintf(w, "Darcy flow on a %d x %d grid: %d training samples made by the classical solver (%.3g s each), MgNO (%d parameters) trained for %d epochs.\n",
			cfg.N, cfg.N, cfg.TrainSamples, classical, neuralop.CountParams(op.Model), res.Iterations)
		fmt.Fprintf(w, "On %d unseen samples: relative L2 error mean %.4g (median %.4g, max %.4g); %.3g s per sample against the solver's %.3g s.\n",
			cfg.TestSamples, l2.Mean, l2.Median, l2.Max, learned, classical)
		for _, o := range st.outputs {
			fmt.Fprintf(w, "wrote %s\n", o)
		}
	}
	return st.report(sum)
}

// darcySamples makes n samples of the recipe in memory and returns them
// with the classical solver's time per sample.
func darcySamples(ctx context.Context, ds *pde.DarcyData, n int, prog *progress) (*neuralop.Data, float64, error) {
	w, err := ds.NewWorker()
	if err != nil {
		return nil, 0, err
	}
	s := ds.N
	d := &neuralop.Data{N: n, In: 1, Out: 1, H: s, W: s, X: make([]float32, n*s*s), Y: make([]float32, n*s*s)}
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := w.Sample(ctx, i, [][]float32{d.X[i*s*s : (i+1)*s*s], d.Y[i*s*s : (i+1)*s*s]}); err != nil {
			return nil, 0, err
		}
		prog.add(1)
	}
	return d, time.Since(start).Seconds() / float64(n), nil
}
