package main

import (
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/solvers/halpern"
)

type minmaxConfig struct {
	common
	Workload   *choice[minmaxWorkload] `json:"workload"`
	N          int                     `json:"n"`
	Methods    string                  `json:"methods"`
	Steps      *choice[bool]           `json:"steps"`
	Epochs     float64                 `json:"epochs"`
	Seeds      int                     `json:"seeds"`
	Seed       uint64                  `json:"seed"`
	Target     float64                 `json:"target"`
	Tol        float64                 `json:"tol"`
	Restart    bool                    `json:"restart"`
	CheckEvery float64                 `json:"check_every"`
	Out        string                  `json:"out,omitempty"`
	Plot       string                  `json:"plot,omitempty"`
}

// minmaxWorkload is a --workload: its default size and budget.
type minmaxWorkload struct {
	game   bool
	n      int
	epochs float64
}

var minmaxWorkloads = []option[minmaxWorkload]{{"game", minmaxWorkload{true, 500, 5000}}, {"qp", minmaxWorkload{false, 200, 20000}}}

// minmaxBuild returns a method with the paper's step sizes (the published
// scripts', when paper is set) or the package's theoretical defaults;
// norm2 and normF are ||A||_2 and ||A||_F of the game.
type minmaxBuild func(c *minmaxConfig, paper, game bool, norm2, normF float64) halpern.Method

var minmaxMethods = []option[minmaxBuild]{
	{"eg", func(_ *minmaxConfig, paper, game bool, norm2, _ float64) halpern.Method {
		return pick(paper, game, halpern.EG{Step: 5 / norm2}, halpern.EG{Step: 0.5}, halpern.EG{})
	}},
	{"eag", func(_ *minmaxConfig, paper, game bool, norm2, _ float64) halpern.Method {
		return pick(paper, game, halpern.EAG{Step: 5 / norm2}, halpern.EAG{Step: 0.3}, halpern.EAG{})
	}},
	{"alg1", func(_ *minmaxConfig, paper, game bool, _, normF float64) halpern.Method {
		return pick(paper, game, halpern.VRHalpern{Step: 5 / normF}, halpern.VRHalpern{Step: 0.3}, halpern.VRHalpern{})
	}},
	{"alg2", func(c *minmaxConfig, paper, game bool, _, normF float64) halpern.Method {
		n := float64(c.N)
		p := 1 / n
		return pick(paper, game,
			halpern.VRInexactHalpern{C: math.Sqrt(n) / normF, Gamma: 5 * math.Sqrt(p*(1-p)) / (math.Sqrt(n) + 1), InnerScale: 0.05},
			halpern.VRInexactHalpern{C: math.Sqrt(n), Gamma: 0.001, InnerScale: 0.05},
			halpern.VRInexactHalpern{})
	}},
	{"halpern", func(*minmaxConfig, bool, bool, float64, float64) halpern.Method { return halpern.Halpern{} }},
}

// pick returns the method with the paper's steps for the game or for the
// quadratic problem, or with the theoretical defaults.
func pick(paper, game bool, paperGame, paperQP, theory halpern.Method) halpern.Method {
	switch {
	case paper && game:
		return paperGame
	case paper:
		return paperQP
	}
	return theory
}

func cmdMinmax(args []string, stdout, stderr io.Writer) error {
	c := minmaxConfig{Workload: newChoice("workload", "game", minmaxWorkloads...),
		Steps: newChoice("steps", "paper", option[bool]{"paper", true}, option[bool]{"theory", false})}
	fs := newFlags("minmax", `Solve a min-max problem with each method for a budget of epochs (n component
evaluations each), over several seeds, and report the residual ||u - P(u - F(u))||
against epochs. Workloads: game, the policeman-and-burglar matrix game on the
product of simplices (a new instance per seed); qp, the unconstrained bilinearly
coupled quadratic min-max problem (seeds vary only the methods' sampling).
Methods: eg (extragradient), eag (anchored extragradient), alg1 (Halpern with the
PAGE estimator), alg2 (inexact Halpern with variance-reduced FoRB), halpern (on the
forward-backward map; needs a cocoercive F, so not the game). --steps paper uses the
step sizes of the paper's scripts, --steps theory the package's theoretical defaults.
With --tol, a run that ends above it (or any run that diverges) exits 1 unless
--allow-unconverged.`,
		"simulate minmax --workload game --n 200 --epochs 1000 --seeds 2 --out game.h5 --plot game.png", stderr)
	c.common.register(fs)
	c.common.registerConvergence(fs)
	fs.Var(c.Workload, "workload", "game or qp")
	fs.IntVar(&c.N, "n", 0, "components (the game is n x n; the qp has n per player); 0: 500 for game, 200 for qp")
	fs.StringVar(&c.Methods, "methods", "eg,eag,alg1,alg2", "comma-separated: eg, eag, alg1, alg2, halpern")
	fs.Var(c.Steps, "steps", "step sizes: paper or theory")
	fs.Float64Var(&c.Epochs, "epochs", 0, "budget in epochs per run; 0: 5000 for game, 20000 for qp")
	fs.IntVar(&c.Seeds, "seeds", 5, "number of seeds (seed, seed+1, ...)")
	fs.Uint64Var(&c.Seed, "seed", 1, "first seed")
	fs.Float64Var(&c.Target, "target", 1e-3, "report the epochs each method needs to reach this residual")
	fs.Float64Var(&c.Tol, "tol", 0, "stop a run at this residual (0: spend the whole budget)")
	fs.BoolVar(&c.Restart, "restart", false, "restart the anchored methods when the residual halves")
	fs.Float64Var(&c.CheckEvery, "check-every", 0, "least epochs between residual checks, which are spaced 0.5% apart in epochs for the log-scale history (0: epochs/10000)")
	fs.StringVar(&c.Out, "out", "", "write residual against epochs per method and seed to this HDF5 file")
	fs.StringVar(&c.Plot, "plot", "", "write a log-log PNG of the mean residual against epochs")
	if err := parse(fs, args); err != nil {
		return err
	}
	return runMinmax(&c, stdout, stderr)
}

// minmaxRun is one method on one seed.
type minmaxRun struct {
	res     *halpern.Result
	seconds float64
	err     error
}

// validate checks the flags, fills the workload's defaults and returns the
// methods chosen.
func (c *minmaxConfig) validate() ([]option[minmaxBuild], error) {
	w := c.Workload.Get()
	if c.N == 0 {
		c.N = w.n
	}
	if c.Epochs == 0 {
		c.Epochs = w.epochs
	}
	if c.N < 2 {
		return nil, usageErr("--n must be at least 2, got %d", c.N)
	}
	if !(c.Epochs > 0) || math.IsInf(c.Epochs, 0) {
		return nil, usageErr("--epochs must be positive, got %g", c.Epochs)
	}
	if c.Seeds < 1 {
		return nil, usageErr("--seeds must be at least 1, got %d", c.Seeds)
	}
	if !(c.Target > 0) {
		return nil, usageErr("--target must be positive, got %g", c.Target)
	}
	if c.Tol < 0 || math.IsNaN(c.Tol) {
		return nil, usageErr("--tol must be >= 0, got %g", c.Tol)
	}
	if c.CheckEvery < 0 || math.IsNaN(c.CheckEvery) {
		return nil, usageErr("--check-every must be >= 0, got %g", c.CheckEvery)
	}
	if c.CheckEvery == 0 {
		c.CheckEvery = c.Epochs / 10000
	}
	methods, err := list("methods", c.Methods, minmaxMethods)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, m := range methods {
		if seen[m.name] {
			return nil, usageErr("--methods: %q given twice", m.name)
		}
		seen[m.name] = true
	}
	return methods, nil
}

// minmaxProblem builds the workload for one seed with the constants the
// paper's step sizes use: ||A||_2 and ||A||_F for the game.
func minmaxProblem(c *minmaxConfig, seed uint64) (p *halpern.Problem, norm2, normF float64, err error) {
	if !c.Workload.Get().game {
		p, err = halpern.NewQuadraticMinMax(c.N)
		return p, 0, 0, err
	}
	a := halpern.PolicemanBurglar(c.N, seed)
	if p, err = halpern.NewMatrixGame(a); err != nil {
		return nil, 0, 0, err
	}
	// F = (A^T y, -A x) has the norm of A.
	return p, p.F.(interface{ Lipschitz() float64 }).Lipschitz(), mat.Norm(a, 2), nil
}

func runMinmax(c *minmaxConfig, stdout, stderr io.Writer) error {
	chosen, err := c.validate()
	if err != nil {
		return err
	}
	if err := checkPNG(c.Plot); err != nil {
		return err
	}
	st, err := c.common.begin("minmax", c, stdout, stderr, c.Out, c.Plot)
	if err != nil {
		return err
	}
	defer st.end()
	methods := make([]string, len(chosen))
	for i, m := range chosen {
		methods[i] = m.name
	}
	runs := make([][]minmaxRun, len(methods))
	for m := range runs {
		runs[m] = make([]minmaxRun, c.Seeds)
	}
	prog := newProgress(stderr, "minmax", len(methods)*c.Seeds)
	sem := make(chan struct{}, max(1, c.Threads))
	var wg sync.WaitGroup
	for s := 0; s < c.Seeds; s++ {
		seed := c.Seed + uint64(s)
		p, norm2, normF, err := minmaxProblem(c, seed)
		if err != nil {
			return err
		}
		for m, name := range methods {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				h := fnv.New64a()
				h.Write([]byte(name))
				// --tol is absolute, as the paper's plots; 0 runs the whole budget.
				set := &halpern.Settings{Control: iterate.Control{AbsTolerance: c.Tol, History: true}, MaxEpochs: c.Epochs, CheckEvery: c.CheckEvery, CheckGrowth: minmaxGrowth, Restart: c.Restart, Seed: seed ^ h.Sum64()}
				if c.Tol == 0 {
					set.AbsTolerance = math.SmallestNonzeroFloat64
				}
				t0 := time.Now()
				res, err := chosen[m].val(c, c.Steps.Get(), c.Workload.Get().game, norm2, normF).Solve(st.ctx, p, set)
				runs[m][s] = minmaxRun{res: res, seconds: time.Since(t0).Seconds(), err: err}
				prog.add(1)
			}()
		}
	}
	wg.Wait()
	prog.done()
	for m := range runs {
		for _, r := range runs[m] {
			if r.err != nil {
				return st.fail(r.err)
			}
		}
	}
	if ie := st.interruption(); ie != nil {
		return ie
	}
	grid, curves := resample(c, runs)
	if c.Out != "" {
		if err := writeMinmax(st, c, methods, runs, grid, curves); err != nil {
			return st.fail(err)
		}
	}
	if c.Plot != "" {
		if err := plotMinmax(st, c, methods, grid, curves); err != nil {
			return st.fail(err)
		}
	}
	sum := minmaxSummary(st, c, methods, runs, grid, curves)
	sum.text = func(w io.Writer) { printMinmax(w, c, methods, runs, grid, curves) }
	return st.report(sum)
}

// minmaxGrowth spaces the residual checks geometrically, 0.5% apart.
const minmaxGrowth = 0.005

// resample puts every run's residual history on the grid of the checks'
// due epochs, 0, ..., Epochs. A check is taken at the first iterate at or
// past its due epoch, so the value at a grid epoch is the first residual
// checked at or after it (within one iteration), and the final residual
// once a run has stopped.
func resample(c *minmaxConfig, runs [][]minmaxRun) ([]float64, [][][]float64) {
	set := halpern.Settings{CheckEvery: c.CheckEvery, CheckGrowth: minmaxGrowth}
	grid := []float64{0}
	for e := set.NextCheck(0); e < c.Epochs; e = set.NextCheck(e) {
		grid = append(grid, e)
	}
	grid = append(grid, c.Epochs)
	curves := make([][][]float64, len(runs))
	for m := range runs {
		curves[m] = make([][]float64, len(runs[m]))
		for s, r := range runs[m] {
			h, ep := r.res.History, r.res.HistoryEpochs
			out := make([]float64, len(grid))
			i := 0
			for j, g := range grid {
				for i < len(h) && ep[i] < g-1e-9 {
					i++
				}
				if i < len(h) {
					out[j] = h[i]
				} else {
					out[j] = r.res.Residual
				}
			}
			curves[m][s] = out
		}
	}
	return grid, curves
}

// meanCurve averages a method's curves over the seeds.
func meanCurve(cs [][]float64) []float64 {
	out := make([]float64, len(cs[0]))
	for _, c := range cs {
		for j, v := range c {
			out[j] += v / float64(len(cs))
		}
	}
	return out
}

// toTarget returns the first grid epoch at which a curve is at or below the
// target, or -1.
func toTarget(grid, curve []float64, target float64) float64 {
	for j, v := range curve {
		if v <= target {
			return grid[j]
		}
	}
	return -1
}

// reportEpochs are the epochs of the paper's table that fit the budget,
// and the budget itself.
func reportEpochs(budget float64) []float64 {
	var out []float64
	for _, e := range []float64{10, 100, 500, 1000, 2500, 5000, 10000, 50000, 100000, 1e6} {
		if e < budget {
			out = append(out, e)
		}
	}
	return append(out, budget)
}

// at returns the curve's value at epoch e.
func at(grid, curve []float64, e float64) float64 {
	j := 0
	for j+1 < len(grid) && grid[j+1] <= e+1e-9 {
		j++
	}
	return curve[j]
}

func printMinmax(w io.Writer, c *minmaxConfig, methods []string, runs [][]minmaxRun, grid []float64, curves [][][]float64) {
	fmt.Fprintf(w, "%s n=%d, %s steps, %d seeds, budget %g epochs: mean residual at epochs\n", c.Workload, c.N, c.Steps, c.Seeds, c.Epochs)
	eps := reportEpochs(c.Epochs)
	fmt.Fprintf(w, "%-8s", "method")
	for _, e := range eps {
		fmt.Fprintf(w, " %9g", e)
	}
	fmt.Fprintf(w, "  %14s %8s\n", fmt.Sprintf("to %.0e", c.Target), "seconds")
	for m, name := range methods {
		mean := meanCurve(curves[m])
		fmt.Fprintf(w, "%-8s", name)
		for _, e := range eps {
			fmt.Fprintf(w, " %9.2e", at(grid, mean, e))
		}
		reached, sum := 0, 0.0
		var secs float64
		for s := range curves[m] {
			if t := toTarget(grid, curves[m][s], c.Target); t >= 0 {
				reached++
				sum += t
			}
			secs += runs[m][s].seconds
		}
		tt := fmt.Sprintf("never (0/%d)", c.Seeds)
		if reached > 0 {
			tt = fmt.Sprintf("%.0f (%d/%d)", sum/float64(reached), reached, c.Seeds)
		}
		fmt.Fprintf(w, "  %14s %8.2f\n", tt, secs/float64(c.Seeds))
		for s, r := range runs[m] {
			if r.res.Reason == iterate.Diverged {
				fmt.Fprintf(w, "  %s seed %d diverged at %g epochs\n", name, c.Seed+uint64(s), r.res.Epochs)
			}
		}
	}
	for _, p := range []string{c.Out, c.Plot} {
		if p != "" {
			fmt.Fprintf(w, "wrote %s\n", p)
		}
	}
}

// minmaxSummary reports every method's runs; with --tol a run that ends
// above it fails the rule, and a diverged run always does.
func minmaxSummary(st *stage, c *minmaxConfig, methods []string, runs [][]minmaxRun, grid []float64, curves [][][]float64) *summary {
	sum := st.summary()
	per := map[string]any{}
	for m, name := range methods {
		mean := meanCurve(curves[m])
		final := make([]float64, c.Seeds)
		target := make([]float64, c.Seeds)
		reasons := make([]string, c.Seeds)
		evals := make([]int64, c.Seeds)
		for s, r := range runs[m] {
			final[s] = r.res.Residual
			target[s] = toTarget(grid, curves[m][s], c.Target)
			reasons[s] = r.res.Reason.String()
			evals[s] = r.res.Stats.Evaluations
			if c.Tol > 0 || r.res.Reason == iterate.Diverged {
				sum.outcome(fmt.Sprintf("%s seed %d", name, c.Seed+uint64(s)), &r.res.Outcome)
			}
		}
		atEpochs := map[string]float64{}
		for _, e := range reportEpochs(c.Epochs) {
			atEpochs[fmt.Sprint(e)] = at(grid, mean, e)
		}
		per[name] = map[string]any{"final_residual": final, "epochs_to_target": target, "reason": reasons,
			"evaluations": evals, "mean_residual_at": atEpochs}
	}
	return sum.set("workload", c.Workload.String(), "n", c.N, "steps", c.Steps.String(),
		"seeds", c.Seeds, "epochs", c.Epochs, "target", c.Target, "methods", per, "threads", c.Threads)
}

func writeMinmax(st *stage, c *minmaxConfig, methods []string, runs [][]minmaxRun, grid []float64, curves [][][]float64) error {
	f, err := st.createH5(c.Out)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := h5.Write(f, "epochs", []int{len(grid)}, grid, nil); err != nil {
		return err
	}
	for m, name := range methods {
		flat := make([]float64, 0, c.Seeds*len(grid))
		final := make([]float64, c.Seeds)
		target := make([]float64, c.Seeds)
		secs := make([]float64, c.Seeds)
		evals := make([]int64, c.Seeds)
		for s, r := range runs[m] {
			flat = append(flat, curves[m][s]...)
			final[s] = r.res.Residual
			target[s] = toTarget(grid, curves[m][s], c.Target)
			secs[s] = r.seconds
			evals[s] = r.res.Stats.Evaluations
		}
		for _, d := range []struct {
			name string
			dims []int
			data any
		}{
			{"residual", []int{c.Seeds, len(grid)}, flat},
			{"mean_residual", []int{len(grid)}, meanCurve(curves[m])},
			{"final_residual", []int{c.Seeds}, final},
			{"epochs_to_target", []int{c.Seeds}, target},
			{"seconds", []int{c.Seeds}, secs},
			{"evaluations", []int{c.Seeds}, evals},
		} {
			var err error
			switch v := d.data.(type) {
			case []float64:
				err = h5.Write(f, name+"/"+d.name, d.dims, v, nil)
			case []int64:
				err = h5.Write(f, name+"/"+d.name, d.dims, v, nil)
			}
			if err != nil {
				return err
			}
		}
	}
	return st.closeH5(f, c.Out)
}

func plotMinmax(st *stage, c *minmaxConfig, methods []string, grid []float64, curves [][][]float64) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s (n = %d, %s steps): mean residual of %d seeds", c.Workload, c.N, c.Steps, c.Seeds)
	p.X.Label.Text = "epochs"
	p.Y.Label.Text = "residual"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Legend.Top = false
	p.Legend.Left = true
	for m, name := range methods {
		mean := meanCurve(curves[m])
		var pts plotter.XYs
		for j, g := range grid {
			// Log axes: drop epoch 0, and values that are not positive
			// and finite (a diverged run).
			if g > 0 && mean[j] > 0 && !math.IsInf(mean[j], 0) {
				pts = append(pts, plotter.XY{X: g, Y: mean[j]})
			}
		}
		if len(pts) == 0 {
			continue
		}
		if err := addLine(p, name, pts, m); err != nil {
			return err
		}
	}
	return st.writePlot(c.Plot, p, 7*vg.Inch, 5*vg.Inch)
}
