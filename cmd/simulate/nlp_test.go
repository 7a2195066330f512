package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestNLP solves HS48 (optimum 0 at x = 1, Hock and Schittkowski 1981) with
// both solvers and checks the JSON summary: the KKT history starts at the
// residual of the starting point x0 = (3, 5, -3, 2, -2), which is feasible,
// so with lambda = 0 it is |grad f(x0)| = |(4, 16, -16, 8, -8)| = sqrt(656),
// and it has one entry per iteration plus the start.
func TestNLP(t *testing.T) {
	for _, solver := range []string{"exact", "sketch"} {
		code, stdout, errs := sim(t, "nlp", "--problem", "hs48", "--solver", solver, "--tol", "1e-9", "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", solver, code, errs)
		}
		var s struct {
			Objective float64   `json:"objective"`
			KKT       float64   `json:"kkt_residual"`
			History   []float64 `json:"kkt_history"`
			Reason    string    `json:"reason"`
			Iters     int       `json:"iterations"`
		}
		if err := json.Unmarshal([]byte(stdout), &s); err != nil {
			t.Fatalf("%s: not JSON: %q", solver, stdout)
		}
		if math.Abs(s.Objective) > 1e-9 || s.KKT > 1e-9 {
			t.Errorf("%s: f = %g, KKT %g", solver, s.Objective, s.KKT)
		}
		if len(s.History) != s.Iters+1 || math.Abs(s.History[0]-math.Sqrt(656)) > 1e-12 || s.History[len(s.History)-1] != s.KKT {
			t.Errorf("%s: %d iterations, KKT history %v; want %d entries from sqrt(656) = %.15g to the final KKT", solver, s.Iters, s.History, s.Iters+1, math.Sqrt(656))
		}
	}
}

func TestNLPBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--problem", "hs99"}, 2, `--problem "hs99"`},
		{[]string{"--solver", "lu"}, 2, "lu"},
		{[]string{"--sketch", "srht"}, 2, `--sketch "srht"`},
		{[]string{"--tol", "0"}, 2, "--tol must be positive"},
		{[]string{"--problem", "poisson", "--n", "0"}, 2, "--n must be at least 1"},
		{[]string{"--problem", "hs49", "--maxiter", "2"}, 1, "did not converge: hs49: iteration limit reached after 2 iterations"},
	} {
		code, _, errs := sim(t, append([]string{"nlp"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}
