package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/ode"
)

// benchODE compares evaluations at equal end-point error with the peer:
// for every line of ../shared/peers/odes.py output whose method is the
// reference one (RK45 for the nonstiff problems, Radau for the stiff), it
// sweeps the tolerance of each of our methods and reports the fewest
// evaluations whose end error is at most the peer's.
func benchODE(args []string, stdout, stderr io.Writer) error {
	var cm common
	var peers, methods, rtols string
	fs := newFlags("bench ode", `Work and precision of the integrators on the ODE test problems, one JSON line per
problem, method and tolerance: evaluations (without those of finite-difference Jacobians),
steps, end-point error and seconds, at --rtol (atol = rtol/1000), in the shape of the SciPy
peer script's lines. With --peers (that script's output), evaluations at equal end-point
error instead: for each problem and tolerance it takes the error of SciPy's RK45 (nonstiff)
or Radau (stiff), sweeps our tolerance (rtol = 10^(-k/8), atol = rtol/1000) and prints, per
method, the fewest evaluations reaching that error and the ratio. Errors are
max_i |y_i - ref_i| / max(|ref_i|, 1) against Vern6 at rtol = atol = 1e-14 (nonstiff) or
Rodas4 at rtol 1e-12, atol 1e-14 (stiff).`,
		"simulate bench ode --methods tsit5,dp5,vern6 --rtol 1e-6,1e-9", stderr)
	cm.register(fs)
	fs.StringVar(&peers, "peers", "", "the peer script's output (JSON lines): compare at equal error")
	fs.StringVar(&rtols, "rtol", "1e-3,1e-6,1e-9", "relative tolerances without --peers (atol = rtol/1000)")
	fs.StringVar(&methods, "methods", "tsit5,dp5,vern6,rodas4,rodas5,radau5", "our methods")
	st, err := cm.parseBegin(fs, args, "bench ode", stdout, stderr)
	if err != nil {
		return err
	}
	defer st.end()
	chosen, err := list("methods", methods, odeMethods)
	if err != nil {
		return err
	}
	probs := odeProblems()
	// The peer script's problems only: the Brusselator's 2048 unknowns
	// would make the sweep minutes long, and the script has no peer for
	// it (ode --problem brusselator2d runs it).
	delete(probs, "brusselator2d")
	if peers == "" {
		return odeWorkPrecision(st, chosen, probs, rtols)
	}
	fp, err := os.Open(peers)
	if err != nil {
		return usageErr("--peers: %v", err)
	}
	defer fp.Close()
	refs := map[string][]float64{}
	sc := bufio.NewScanner(fp)
	for sc.Scan() {
		var line struct {
			Case, Impl string
			NFev       int     `json:"nfev"`
			Err        float64 `json:"relerr_end"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || !strings.HasPrefix(line.Case, "ode-") {
			continue
		}
		name := line.Case[4:strings.LastIndex(line.Case, "-rtol")]
		p, ok := probs[name]
		if !ok || (line.Impl != "scipy-RK45" && !p.stiff) || (line.Impl != "scipy-Radau" && p.stiff) {
			continue
		}
		ref, ok := refs[name]
		if !ok {
			var err error
			if ref, err = p.reference(st.ctx, nil); err != nil {
				return st.fail(fmt.Errorf("%s reference: %w", name, err))
			}
			refs[name] = ref
		}
		for _, mo := range chosen {
			mname, m := mo.name, mo.val
			if _, explicit := m.(*ode.Tableau); explicit == p.stiff {
				continue
			}
			best, bestErr, bestTol := -1, 0.0, 0.0
			for k := 16; k <= 104; k++ {
				tol := math.Pow(10, -float64(k)/8)
				sol, err := ode.Solve(st.ctx, p.method(m), p.f, 0, p.t1, p.y0, nil, &ode.Settings{Control: iterate.Control{Tolerance: tol, AbsTolerance: tol / 1000}})
				if err != nil || !sol.Reason.Converged() {
					continue
				}
				e := 0.0
				for i, v := range sol.Y[len(sol.Y)-1] {
					e = math.Max(e, math.Abs(v-ref[i])/math.Max(math.Abs(ref[i]), 1))
				}
				// Evaluations as SciPy counts them: without those of
				// finite-difference Jacobians (its njev).
				nfev := sol.Stats.FEvals - sol.Stats.JacFEvals
				if e <= line.Err && (best < 0 || nfev < best) {
					best, bestErr, bestTol = nfev, e, tol
				}
				if best >= 0 && nfev > 3*best {
					break
				}
			}
			out := map[string]any{"case": line.Case + "-equal-error", "impl": "pdekit-" + mname, "peer": line.Impl,
				"peer_nfev": line.NFev, "target_err": line.Err}
			if best >= 0 {
				out["nfev"], out["relerr_end"], out["rtol"], out["ratio"] = best, bestErr, bestTol, float64(best)/float64(line.NFev)
			} else {
				out["nfev"] = nil
			}
			if err := st.line(out); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return usageErr("--peers: %v", err)
	}
	return st.complete()
}

// odeWorkPrecision prints, for every problem and method of its kind
// (explicit methods on the nonstiff problems, Rosenbrock on the stiff),
// one line per tolerance: the peer script's fields for the same case.
func odeWorkPrecision(st *stage, chosen []option[ode.Method], probs map[string]odeProblem, rtols string) error {
	var tols []float64
	for _, f := range strings.Split(rtols, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(v > 0) {
			return usageErr("--rtol %q: want positive numbers separated by commas", rtols)
		}
		tols = append(tols, v)
	}
	names := make([]string, 0, len(probs))
	for k := range probs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		p := probs[name]
		ref, err := p.reference(st.ctx, nil)
		if err != nil {
			return st.fail(fmt.Errorf("%s reference: %w", name, err))
		}
		for _, mo := range chosen {
			if _, explicit := mo.val.(*ode.Tableau); explicit == p.stiff {
				continue
			}
			for _, tol := range tols {
				start := time.Now()
				sol, err := ode.Solve(st.ctx, p.method(mo.val), p.f, 0, p.t1, p.y0, nil, &ode.Settings{Control: iterate.Control{Tolerance: tol, AbsTolerance: tol / 1000}})
				secs := time.Since(start).Seconds()
				if err != nil {
					return st.fail(err)
				}
				e := 0.0
				for i, v := range sol.Y[len(sol.Y)-1] {
					e = math.Max(e, math.Abs(v-ref[i])/math.Max(math.Abs(ref[i]), 1))
				}
				if err := st.line(map[string]any{"case": fmt.Sprintf("ode-%s-rtol%s", name, formatG(tol)), "impl": "pdekit-" + mo.name,
					"nfev": sol.Stats.FEvals - sol.Stats.JacFEvals, "steps": sol.Stats.Accepted, "relerr_end": e, "seconds": secs,
					"success": sol.Reason.Converged()}); err != nil {
					return err
				}
			}
		}
	}
	return st.complete()
}
