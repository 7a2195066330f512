package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
	"github.com/pdekit/pdekit/pde"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/dcdm"
	"github.com/pdekit/pdekit/sparse"
)

// dcdmConfig is the configuration of `simulate train dcdm`, stored in the
// checkpoint so that --resume continues the same run.
type dcdmConfig struct {
	common
	Dim     int              `json:"dim"`
	N       int              `json:"n"`
	Shape   string           `json:"shape"`
	Seed    uint64           `json:"seed"`
	Samples int              `json:"samples"`
	Steps   int              `json:"lanczos_steps"`
	Reorth  bool             `json:"reorth"`
	Net     dcdm.NetSettings `json:"net"`
	Epochs  int              `json:"epochs"`
	Batch   int              `json:"batch"`
	LR      float64          `json:"lr"`
	// Schedule of the learning rate; a checkpoint written before the
	// flag existed has none and keeps the constant rate.
	Schedule *choice[train.ScheduleKind] `json:"schedule"`
	Out      string                      `json:"out"`
	Log      string                      `json:"-"`
	Resume   string                      `json:"-"`
}

func (c *dcdmConfig) resumeFields() (*common, *int, *string, *string, *string) {
	return &c.common, &c.Epochs, &c.Out, &c.Log, &c.Resume
}

func newDCDMConfig() *dcdmConfig {
	return &dcdmConfig{Schedule: newChoice("schedule", "constant", scheduleTable...)}
}

func cmdTrainDCDM(args []string, stdout, stderr io.Writer) error {
	c := newDCDMConfig()
	fs := newFlags("train dcdm", `Train the network of the deep conjugate-direction method (Kaneda et al., ICML 2023) on one
pressure-Poisson system with obstacles (obstacles2d or obstacles3d of 'simulate solve',
--n cells per side, --shape, --seed): training vectors from a two-pass Lanczos on its
matrix (low Ritz vectors weighted 9 to 1, as the paper; the basis is never held), the
paper's unsupervised loss ||b - A q (q^T b)/(q^T A q)||^2, Adam. 90% of the vectors train,
10% validate. The network is fully convolutional: 'simulate solve --method dcdm --model M'
applies it to other systems of the same dimension, larger grids included. The checkpoint
(--out) is rewritten every epoch and on SIGINT/SIGTERM; --resume continues bit for bit.`,
		"simulate train dcdm --dim 2 --n 16 --samples 100 --epochs 2 --out dcdm.h5\n  simulate solve --problem obstacles2d --n 32 --seed 7 --method dcdm --model dcdm.h5 --rtol 0.5 --allow-unconverged --json", stderr)
	c.common.register(fs)
	fs.IntVar(&c.Dim, "dim", 2, "2 or 3")
	fs.IntVar(&c.N, "n", 64, "cells per side of the training system (even)")
	fs.StringVar(&c.Shape, "shape", "mixed", "obstacles: spheres, boxes or mixed")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the training system, the Lanczos start, the coefficients and the weights")
	fs.IntVar(&c.Samples, "samples", 1000, "training and validation vectors (the paper: 20000)")
	fs.IntVar(&c.Steps, "lanczos-steps", 0, "Lanczos steps (0: min(unknowns, 1000); the paper: 10000)")
	fs.BoolVar(&c.Reorth, "reorth", true, "full reorthogonalisation of the Lanczos basis, as the paper's data (keeps unknowns x steps words; --reorth=false: three vectors, spurious Ritz copies)")
	fs.IntVar(&c.Net.Channels, "channels", 0, "channels of every convolution (0: 16)")
	fs.IntVar(&c.Net.Full, "full", 0, "convolutions at full resolution (0: 4; the paper's N = 128 network: 6)")
	fs.IntVar(&c.Net.Half, "half", 0, "convolutions after the pooling (0: 6; N = 128: 10)")
	fs.IntVar(&c.Net.Up, "up", 0, "convolutions after the upsampling (0: 4; N = 128: 6)")
	fs.IntVar(&c.Epochs, "epochs", 10, "epochs")
	fs.IntVar(&c.Batch, "batch", 10, "batch size (the paper: 10)")
	fs.Float64Var(&c.LR, "lr", 1e-4, "Adam's learning rate (the paper: 1e-4)")
	fs.Var(c.Schedule, "schedule", "learning-rate schedule over the epochs: "+c.Schedule.Names()+" (step: halved every fifth of the run; the paper: constant)")
	fs.StringVar(&c.Out, "out", "dcdm.h5", "checkpoint file")
	fs.StringVar(&c.Log, "log", "", "append one JSON line per epoch to this file")
	fs.StringVar(&c.Resume, "resume", "", "continue the run of this checkpoint (then only --epochs, --out, --log, --json, --threads)")
	if err := parse(fs, args); err != nil {
		return err
	}
	outs := []string{c.Out}
	if c.Resume != "" {
		stored := newDCDMConfig()
		var err error
		if outs, err = resumeConfig("train dcdm", c, stored, fs); err != nil {
			return err
		}
		c = stored
	} else if c.Dim != 2 && c.Dim != 3 || c.N < 4 || c.N%2 != 0 || c.Samples < 2 || c.Steps < 0 || c.Epochs < 1 || c.Batch < 1 || !(c.LR > 0) {
		return usageErr("--dim %d, --n %d, --samples %d, --lanczos-steps %d, --epochs %d, --batch %d, --lr %g: want dim 2 or 3, an even n >= 4, at least 2 samples and positive sizes",
			c.Dim, c.N, c.Samples, c.Steps, c.Epochs, c.Batch, c.LR)
	}
	c.Net.Dim = c.Dim
	st, err := c.common.begin("train dcdm", c, stdout, stderr, outs...)
	if err != nil {
		return err
	}
	defer st.end()
	sys, err := pde.Obstacles{Dim: c.Dim, N: c.N, Shape: c.Shape, Seed: c.Seed}.Build()
	if err != nil {
		return usageErr("%v", err)
	}
	prob := dcdm.Problem{A: sys.A, Shape: sys.Shape, Skip: sys.Solid}
	net, err := dcdm.NewNet[float32](c.Net, rand.New(rand.NewPCG(c.Seed, 0xdcd0)))
	if err != nil {
		return usageErr("%v", err)
	}
	start := time.Now()
	fmt.Fprintf(st.stderr, "train dcdm: %d Lanczos vectors of the %d-unknown training matrix...\n", c.Samples, len(sys.B))
	vecs, err := dcdm.TrainingSet(st.ctx, sys.A, &dcdm.DataSettings{Steps: c.Steps, Samples: c.Samples, Seed: c.Seed, Skip: sys.Solid, Plain: !c.Reorth})
	if err != nil {
		return st.fail(err)
	}
	dataSecs := time.Since(start).Seconds()
	nval := max(1, c.Samples/10)
	s := &train.Settings{Control: iterate.Control{MaxIterations: c.Epochs}, Batch: c.Batch, LR: c.LR, Seed: c.Seed,
		Schedule: train.Schedule{Kind: c.Schedule.Get()}, Checkpoint: c.Out, Extra: st.stamp}
	done, err := trainProgress(st, s, "train dcdm", c.Log, "validation loss", nil, nil)
	if err != nil {
		return err
	}
	res, err := dcdm.Train(st.ctx, net, prob, vecs[nval:], vecs[:nval], s, c.Resume)
	done()
	if err != nil {
		return st.fail(usageErr("%v", err))
	}
	if ie := st.interruption(); ie != nil {
		return ie
	}
	st.keepOutput(c.Out)
	last := res.Epochs[len(res.Epochs)-1]
	sum := st.summary().set("dim", c.Dim, "n", c.N, "params", nn.Count(net.Params()), "samples", c.Samples, "epochs", res.Iterations,
		"train_loss", last.TrainLoss, "validation_loss", last.Validation, "best_epoch", res.BestEpoch, "best_validation_loss", res.BestValidation,
		"data_seconds", dataSecs, "train_seconds", last.Seconds, "seed", c.Seed)
	sum.outcome("", &res.Outcome)
	return st.report(sum)
}

// dcdmModel loads a DCDM checkpoint as the direction model of the system
// a on the grid shape (nil for a matrix file: the side inferred from the
// size and the network's dimension), skipping its decoupled rows.
func dcdmModel(path string, a *sparse.CSR, shape []int) (solvers.Preconditioner, error) {
	if path == "" {
		return nil, usageErr("--method dcdm needs --model, a checkpoint of 'simulate train dcdm'")
	}
	if err := vetInput(path); err != nil {
		return nil, err
	}
	net, _, err := dcdm.LoadModel(path, true)
	if err != nil {
		return nil, usageErr("--model: %v", err)
	}
	d := net.Settings().Dim
	n, _ := a.Dims()
	if shape == nil {
		side := int(math.Round(math.Pow(float64(n), 1/float64(d))))
		for _, s := range []int{side - 1, side, side + 1} {
			if s > 0 && int(math.Pow(float64(s), float64(d))+0.5) == n {
				shape = make([]int, d)
				for i := range shape {
					shape[i] = s
				}
			}
		}
		if shape == nil {
			return nil, usageErr("--model %s is a %d-D network; the matrix has %d rows, not a %d-D grid's", path, d, n, d)
		}
	}
	if len(shape) != d {
		return nil, usageErr("--model %s is a %d-D network; the system is on a %d-D grid %v", path, d, len(shape), shape)
	}
	model, err := dcdm.NewModel(net, dcdm.Problem{A: a, Shape: shape, Skip: dcdm.Decoupled(a)})
	if err != nil {
		return nil, usageErr("--model: %v", err)
	}
	return model, nil
}
