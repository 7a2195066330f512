package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/solvers/sketchnewton"
)

type nlpConfig struct {
	common
	Problem       string             `json:"problem"`
	N             int                `json:"n"`
	Samples       int                `json:"samples"`
	Features      int                `json:"features"`
	Solver        *choice[bool]      `json:"solver"`
	Sketch        *choice[nlpSketch] `json:"sketch"`
	Block         int                `json:"block"`
	Tol           float64            `json:"tol"`
	MaxIter       int                `json:"maxiter"`
	Seed          uint64             `json:"seed"`
	PaperGradient bool               `json:"paper_gradient"`
}

// nlpSketch builds the sketching KKT solver with a block size.
type nlpSketch func(block int) sketchnewton.InnerSolver

var nlpSketches = []option[nlpSketch]{
	{"kaczmarz", func(int) sketchnewton.InnerSolver { return sketchnewton.Kaczmarz{} }},
	{"kaczmarz-weighted", func(int) sketchnewton.InnerSolver { return sketchnewton.Kaczmarz{Weighted: true} }},
	{"gaussian", func(b int) sketchnewton.InnerSolver {
		return sketchnewton.Sketch{Kind: sketchnewton.Gaussian, Block: b}
	}},
	{"countsketch", func(b int) sketchnewton.InnerSolver {
		return sketchnewton.Sketch{Kind: sketchnewton.CountSketch, Block: b}
	}},
}

func cmdNLP(args []string, stdout, stderr io.Writer) error {
	c := nlpConfig{Solver: newChoice("solver", "sketch", option[bool]{"sketch", false}, option[bool]{"exact", true}),
		Sketch: newChoice("sketch", "kaczmarz", nlpSketches...)}
	fs := newFlags("nlp", `Solve an equality-constrained program min f(x) s.t. c(x) = 0 by Newton steps on the KKT
system, solved by randomized sketching (--solver sketch) or exactly (--solver exact), with
line search on the exact augmented Lagrangian, and print the KKT residual per iteration.
Problems: the Hock-Schittkowski set (`+strings.ToLower(strings.Join(hsNames(), ", "))+`) from their
published starting points; poisson (optimal control of the 2-D Poisson equation on an
--n x --n grid, starting at all ones); logistic (logistic regression on a seeded synthetic
data set with 10 random linear constraints and ||w|| = 1, starting at all ones).`,
		"simulate nlp --problem hs40 --solver sketch --sketch kaczmarz --tol 1e-8", stderr)
	c.common.register(fs)
	c.common.registerConvergence(fs)
	fs.StringVar(&c.Problem, "problem", "hs6", "problem name")
	fs.IntVar(&c.N, "n", 3, "poisson: interior points per side")
	fs.IntVar(&c.Samples, "samples", 500, "logistic: samples of the synthetic data set (seeded by --seed)")
	fs.IntVar(&c.Features, "features", 50, "logistic: features")
	fs.Var(c.Solver, "solver", "KKT solver: sketch or exact")
	fs.Var(c.Sketch, "sketch", "sketch: "+c.Sketch.Names())
	fs.IntVar(&c.Block, "block", 1, "block size of the gaussian and countsketch sketches")
	fs.Float64Var(&c.Tol, "tol", 1e-6, "KKT residual tolerance")
	fs.IntVar(&c.MaxIter, "maxiter", 10000, "Newton iteration cap")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed of the sketches")
	fs.BoolVar(&c.PaperGradient, "paper-gradient", false, "use the Hessian of f in the merit gradient, as the paper's code")
	if err := parse(fs, args); err != nil {
		return err
	}
	return runNLP(&c, stdout, stderr)
}

func hsNames() []string {
	var out []string
	for _, p := range sketchnewton.HS() {
		out = append(out, p.Name)
	}
	return out
}

// nlpProblem returns the named problem, its starting point and multiplier.
func nlpProblem(c *nlpConfig) (sketchnewton.Problem, []float64, []float64, error) {
	if c.Problem == "poisson" {
		if c.N < 1 {
			return nil, nil, nil, usageErr("--n must be at least 1, got %d", c.N)
		}
		p, err := sketchnewton.NewPoissonControl(c.N)
		if err != nil {
			return nil, nil, nil, usageErr("%v", err)
		}
		x0, l0 := sketchnewton.Ones(p)
		return p, x0, l0, nil
	}
	if c.Problem == "logistic" {
		p, err := sketchnewton.NewLogistic(c.Samples, c.Features, 10, c.Seed)
		if err != nil {
			return nil, nil, nil, usageErr("%v", err)
		}
		x0, l0 := sketchnewton.Ones(p)
		return p, x0, l0, nil
	}
	for _, hs := range sketchnewton.HS() {
		if strings.EqualFold(hs.Name, c.Problem) {
			_, m := hs.Problem.Dims()
			return hs.Problem, hs.X0, make([]float64, m), nil
		}
	}
	return nil, nil, nil, usageErr("--problem %q: want poisson, logistic or one of %s", c.Problem, strings.ToLower(strings.Join(hsNames(), ", ")))
}

func nlpInner(c *nlpConfig) (sketchnewton.InnerSolver, error) {
	if c.Solver.Get() {
		return sketchnewton.Exact{}, nil
	}
	if c.Block < 1 {
		return nil, usageErr("--block must be at least 1, got %d", c.Block)
	}
	return c.Sketch.Get()(c.Block), nil
}

func runNLP(c *nlpConfig, stdout, stderr io.Writer) error {
	p, x0, l0, err := nlpProblem(c)
	if err != nil {
		return err
	}
	inner, err := nlpInner(c)
	if err != nil {
		return err
	}
	if !(c.Tol > 0) {
		return usageErr("--tol must be positive, got %g", c.Tol)
	}
	if c.MaxIter < 1 {
		return usageErr("--maxiter must be at least 1, got %d", c.MaxIter)
	}
	st, err := c.common.begin("nlp", c, stdout, stderr)
	if err != nil {
		return err
	}
	defer st.end()
	// --tol is the paper's absolute test on the KKT residual.
	cb, prog := iterations(stderr, "nlp", "KKT residual")
	defer prog.done()
	set := &sketchnewton.Settings{Control: iterate.Control{AbsTolerance: c.Tol, MaxIterations: c.MaxIter, History: true, Callback: cb}, Seed: c.Seed, Lambda0: l0, PaperGradient: c.PaperGradient}
	res, err := sketchnewton.Solve(st.ctx, p, x0, inner, set)
	if err != nil {
		return usageErr("%v", err)
	}
	n, m := p.Dims()
	if !c.JSON {
		fmt.Fprintf(stdout, "%5s %12s %9s %9s %9s %10s\n", "iter", "kkt", "step", "eta1", "eta2", "inner")
		for _, it := range res.Trace {
			fmt.Fprintf(stdout, "%5d %12.4e %9.3g %9.3g %9.3g %10d\n", it.Iter, it.KKT, it.Step, it.Eta1, it.Eta2, it.InnerSteps)
		}
	}
	solver := c.Solver.String()
	if solver == "sketch" {
		solver = c.Sketch.String()
	}
	sum := st.summary().set("problem", c.Problem, "n", n, "m", m, "solver", solver,
		"objective", res.F, "kkt_residual", res.Residual, "iterations", res.Iterations,
		"inner_steps", res.Stats.InnerSteps, "flops", res.Stats.Flops, "inner_cap_hits", res.Stats.InnerCapHits,
		"penalty_increases", res.Stats.PenaltyIncreases, "backtracks", res.Stats.Backtracks,
		"kkt_history", res.History, "threads", c.Threads)
	if res.Message != "" {
		sum.set("message", res.Message)
	}
	sum.outcome(c.Problem, &res.Outcome)
	return st.report(sum)
}
