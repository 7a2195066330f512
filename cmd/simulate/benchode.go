package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

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
	var peers, methods string
	fs := newFlags("bench ode", `Evaluations at equal end-point error against SciPy: reads the JSON lines of
the peer script odes.py (--peers), takes the error of scipy-RK45 (nonstiff) or scipy-Radau
(stiff) for each problem and tolerance, sweeps our tolerance (rtol = 10^(-k/8), atol =
rtol/1000) and prints, per method, the fewest evaluations reaching that error and the ratio.
Errors are measured as odes.py does, max_i |y_i - ref_i| / max(|ref_i|, 1), against Vern6
at rtol = atol = 1e-14 (nonstiff) or Rodas4 at rtol 1e-12, atol 1e-14 (stiff).`,
		"simulate bench ode --peers odes.jsonl --methods tsit5,dp5,vern6", stderr)
	cm.register(fs)
	fs.StringVar(&peers, "peers", "", "odes.py output (JSON lines), required")
	fs.StringVar(&methods, "methods", "tsit5,dp5,vern6,rodas4,rodas5", "our methods")
	st, err := cm.parseBegin(fs, args, "bench ode", stdout, stderr)
	if err != nil {
		return err
	}
	defer st.end()
	if peers == "" {
		return usageErr("--peers is required")
	}
	fp, err := os.Open(peers)
	if err != nil {
		return usageErr("--peers: %v", err)
	}
	defer fp.Close()
	chosen, err := list("methods", methods, odeMethods)
	if err != nil {
		return err
	}
	probs := odeProblems()
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
			if ref, err = p.reference(st.ctx); err != nil {
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
				sol, err := ode.Solve(st.ctx, autonomous(m), p.f, 0, p.t1, p.y0, nil, &ode.Settings{Control: iterate.Control{Tolerance: tol, AbsTolerance: tol / 1000}})
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
