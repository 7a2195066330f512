package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/ode"
	"github.com/pdekit/pdekit/sparse"
)

// odeProblem is one of the problems of ../shared/peers/odes.py, or the
// 2-D Brusselator of the SciML benchmarks.
type odeProblem struct {
	f     ode.Func
	y0    []float64
	t1    float64
	stiff bool
	// pattern is the Jacobian's sparsity of a large stiff problem (nil:
	// dense); timed says f depends on t.
	pattern *sparse.CSR
	timed   bool
}

func odeProblems() map[string]odeProblem {
	vdp := func(mu float64) ode.Func {
		return func(dy []float64, _ float64, y []float64) { dy[0] = y[1]; dy[1] = mu*(1-y[0]*y[0])*y[1] - y[0] }
	}
	return map[string]odeProblem{
		"lotka-volterra": {f: func(dy []float64, _ float64, y []float64) {
			dy[0] = 1.5*y[0] - y[0]*y[1]
			dy[1] = -3*y[1] + y[0]*y[1]
		}, y0: []float64{1, 1}, t1: 10},
		"vanderpol-mu1": {f: vdp(1), y0: []float64{2, 0}, t1: 20},
		"arenstorf": {f: func(dy []float64, _ float64, y []float64) {
			const mu = 0.012277471
			const mup = 1 - mu
			d1 := math.Pow((y[0]+mu)*(y[0]+mu)+y[1]*y[1], 1.5)
			d2 := math.Pow((y[0]-mup)*(y[0]-mup)+y[1]*y[1], 1.5)
			dy[0], dy[1] = y[2], y[3]
			dy[2] = y[0] + 2*y[3] - mup*(y[0]+mu)/d1 - mu*(y[0]-mup)/d2
			dy[3] = y[1] - 2*y[2] - mup*y[1]/d1 - mu*y[1]/d2
		}, y0: []float64{0.994, 0, 0, -2.00158510637908252240537862224}, t1: 17.0652165601579625588917206249},
		"vanderpol-mu1000": {f: vdp(1000), y0: []float64{2, 0}, t1: 3000, stiff: true},
		"robertson": {f: func(dy []float64, _ float64, y []float64) {
			dy[0] = -0.04*y[0] + 1e4*y[1]*y[2]
			dy[1] = 0.04*y[0] - 1e4*y[1]*y[2] - 3e7*y[1]*y[1]
			dy[2] = 3e7 * y[1] * y[1]
		}, y0: []float64{1, 0, 0}, t1: 1e5, stiff: true},
		"brusselator2d": brusselator2d(),
	}
}

// brusselator2d is the 2-D Brusselator of the SciML benchmarks on a 32^2
// grid (2048 unknowns), with its Jacobian's pattern.
func brusselator2d() odeProblem {
	f, y0, pat := ode.Brusselator2D(32)
	return odeProblem{f: f, y0: y0, t1: 11.5, stiff: true, pattern: pat, timed: true}
}

// method returns the stiff method m set for the problem: a Rosenbrock
// method told the problem is autonomous when it is (sparing a time
// derivative per step; Radau5 needs none) and set to central-difference Jacobians, which its
// order needs at tight tolerances (their evaluations count apart, as
// SciPy's njev); on a sparse problem each takes the Jacobian's pattern
// (coloured differences) and factors its systems by sparse LU. Radau5
// needs no time derivative and uses the Jacobian only in its Newton
// iteration: forward differences, as SciPy's Radau.
func (p odeProblem) method(m ode.Method) ode.Method {
	set := func(r ode.Rosenbrock23, central bool) ode.Rosenbrock23 {
		r.Autonomous, r.CentralDiff = !p.timed, central
		if p.pattern != nil {
			r.Sparsity, r.DirectW = p.pattern, true
		}
		return r
	}
	switch s := m.(type) {
	case ode.Rosenbrock23:
		return set(s, true)
	case ode.Rodas4:
		return ode.Rodas4(set(ode.Rosenbrock23(s), true))
	case ode.Rodas5:
		return ode.Rodas5(set(ode.Rosenbrock23(s), true))
	case ode.Rodas5P:
		return ode.Rodas5P(set(ode.Rosenbrock23(s), true))
	case ode.Radau5:
		return ode.Radau5(set(ode.Rosenbrock23(s), false))
	}
	return m
}

// reference returns the end state by Vern6 at rtol = atol = 1e-14, for
// the small stiff problems Rodas4 at rtol 1e-12, atol 1e-14, for the
// Brusselator Radau5 at rtol = atol = 1e-11 (within 4e-11 of it at 1e-12,
// in 6 s against 10).
func (p odeProblem) reference(ctx context.Context, cb func(iterate.Progress) bool) ([]float64, error) {
	var m ode.Method = ode.Vern6
	set := &ode.Settings{Control: iterate.Control{Tolerance: 1e-14, AbsTolerance: 1e-14, Callback: cb}}
	switch {
	case p.pattern != nil:
		m, set = p.method(ode.Radau5{}), &ode.Settings{Control: iterate.Control{Tolerance: 1e-11, AbsTolerance: 1e-11, MaxIterations: 10000000, Callback: cb}}
	case p.stiff:
		m, set = p.method(ode.Rodas4{}), &ode.Settings{Control: iterate.Control{Tolerance: 1e-12, AbsTolerance: 1e-14, MaxIterations: 10000000, Callback: cb}}
	}
	sol, err := ode.Solve(ctx, m, p.f, 0, p.t1, p.y0, nil, set)
	if err != nil {
		return nil, err
	}
	if err := sol.Err(); err != nil {
		return nil, err
	}
	return sol.Y[len(sol.Y)-1], nil
}

var odeMethods = []option[ode.Method]{{"tsit5", ode.Tsit5}, {"dp5", ode.DP5}, {"vern6", ode.Vern6}, {"bs3", ode.BS3},
	{"rk4", ode.RK4}, {"midpoint", ode.Midpoint}, {"euler", ode.Euler},
	{"rosenbrock23", ode.Rosenbrock23{}}, {"rodas4", ode.Rodas4{}}, {"rodas5", ode.Rodas5{}}, {"rodas5p", ode.Rodas5P{}}, {"radau5", ode.Radau5{}}}

type odeConfig struct {
	common
	Problem *choice[odeProblem] `json:"problem"`
	Method  *choice[ode.Method] `json:"method"`
	RTol    float64             `json:"rtol"`
	ATol    float64             `json:"atol"`
	Dt      float64             `json:"dt,omitempty"`
	Out     string              `json:"out,omitempty"`
}

func cmdODE(args []string, stdout, stderr io.Writer) error {
	var probs []option[odeProblem]
	all := odeProblems() // once: the Brusselator's pattern is built with it
	for _, name := range []string{"lotka-volterra", "vanderpol-mu1", "arenstorf", "vanderpol-mu1000", "robertson", "brusselator2d"} {
		probs = append(probs, option[odeProblem]{name, all[name]})
	}
	c := odeConfig{Problem: newChoice("problem", "lotka-volterra", probs...), Method: newChoice("method", "tsit5", odeMethods...)}
	fs := newFlags("ode", `Integrate one of the test problems of the peer script odes.py and report function
evaluations (as SciPy counts them: without those of a finite-difference Jacobian, which
"nfev_jac" reports), steps, the relative end-point error against a tight reference (Vern6 at
rtol = atol = 1e-14, or for the stiff problems Rodas4 at 1e-12/1e-14) and the time;
--json prints one object that is also the peer script's line for compare.py. The stiff
Rosenbrock methods are told a problem is autonomous when it is and take central-difference
Jacobians; radau5 (Radau IIA, order 5, as SciPy's Radau) takes forward differences.
Problems: lotka-volterra, vanderpol-mu1, arenstorf (nonstiff); vanderpol-mu1000, robertson
(stiff: rosenbrock23, rodas4, rodas5, rodas5p, radau5); brusselator2d (stiff, 2048 unknowns:
the SciML benchmarks' 2-D Brusselator on a 32^2 grid, t in [0, 11.5]; its sparse Jacobian by
coloured differences, the methods' linear systems by sparse LU; its reference is Radau5 at
1e-11, about 6 s). Methods: tsit5, dp5, vern6, bs3 (adaptive), rk4, midpoint, euler (fixed
step --dt), rosenbrock23, rodas4, rodas5, rodas5p, radau5 (stiff). An integration
that stops early (too many steps, a blow-up) exits 1 unless --allow-unconverged.`,
		"simulate ode --problem arenstorf --method tsit5 --rtol 1e-6 --atol 1e-9 --out orbit.h5", stderr)
	c.common.register(fs)
	c.common.registerConvergence(fs)
	fs.Var(c.Problem, "problem", "test problem: "+c.Problem.Names())
	fs.Var(c.Method, "method", "integration method: "+c.Method.Names())
	fs.Float64Var(&c.RTol, "rtol", 1e-6, "relative tolerance")
	fs.Float64Var(&c.ATol, "atol", 1e-9, "absolute tolerance")
	fs.Float64Var(&c.Dt, "dt", 0, "fixed step of rk4, midpoint and euler")
	fs.StringVar(&c.Out, "out", "", "write the trajectory (datasets t and y) to this HDF5 file")
	if err := parse(fs, args); err != nil {
		return err
	}
	p, tab := c.Problem.Get(), c.Method.Get()
	if _, explicit := tab.(*ode.Tableau); p.stiff && explicit {
		return usageErr("--problem %s is stiff: use --method rosenbrock23, rodas4, rodas5, rodas5p or radau5", c.Problem)
	}
	if !(c.RTol > 0) || !(c.ATol > 0) {
		return usageErr("--rtol %g and --atol %g must be positive", c.RTol, c.ATol)
	}
	st, err := c.common.begin("ode", &c, stdout, stderr, c.Out)
	if err != nil {
		return err
	}
	defer st.end()
	start := time.Now()
	cb, prog := iterations(st.stderr, "ode", "step error")
	defer prog.done()
	sol, err := ode.Solve(st.ctx, p.method(tab), p.f, 0, p.t1, p.y0, nil, &ode.Settings{Control: iterate.Control{Tolerance: c.RTol, AbsTolerance: c.ATol, Callback: cb}, Dt: c.Dt})
	secs := time.Since(start).Seconds()
	if err != nil {
		return usageErr("%v", err)
	}
	refCB, refProg := iterations(st.stderr, "ode reference", "step error")
	yRef, rerr := p.reference(st.ctx, refCB)
	refProg.done()
	if rerr != nil {
		return st.fail(fmt.Errorf("reference solution: %w", rerr))
	}
	yEnd := sol.Y[len(sol.Y)-1]
	var relerr float64
	for i := range yEnd {
		relerr = math.Max(relerr, math.Abs(yEnd[i]-yRef[i])/math.Max(math.Abs(yRef[i]), 1))
	}
	if c.Out != "" {
		if err := writeTrajectory(st, c.Out, sol); err != nil {
			return st.fail(err)
		}
	}
	ok := sol.Reason.Converged()
	sum := st.summary().set("case", fmt.Sprintf("ode-%s-rtol%s", c.Problem, formatG(c.RTol)), "impl", "pdekit-"+c.Method.String(),
		"nfev", sol.Stats.FEvals-sol.Stats.JacFEvals, "nfev_jac", sol.Stats.JacFEvals, "njev", sol.Stats.JacEvals,
		"steps", sol.Stats.Accepted, "rejected", sol.Stats.Rejected, "relerr_end", relerr, "success", ok)
	sum.outcome(c.Method.String(), &sol.Outcome)
	sum.Seconds = secs // the integration alone, as the peer script times it
	return st.report(sum)
}

// formatG prints a float as Python's "%g" does, for the case names
// ("1e-06" in both).
func formatG(v float64) string { return fmt.Sprintf("%g", v) }

func writeTrajectory(st *stage, path string, sol *ode.Solution) error {
	f, err := st.createH5(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	n, d := len(sol.T), len(sol.Y[0])
	flat := make([]float64, 0, n*d)
	for _, y := range sol.Y {
		flat = append(flat, y...)
	}
	if err := h5.Write(f, "t", []int{n}, sol.T, nil); err != nil {
		return err
	}
	if err := h5.Write(f, "y", []int{n, d}, flat, nil); err != nil {
		return err
	}
	if err := f.SetAttr("/", "reason", sol.Reason.String()); err != nil {
		return err
	}
	return st.closeH5(f, path)
}
