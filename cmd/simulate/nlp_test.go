package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestNLP solves HS48 (optimum 0 at x = 1, Hock and Schittkowski 1981) with
// both solvers and checks the JSON summary.
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
		}
		if err := json.Unmarshal([]byte(stdout), &s); err != nil {
			t.Fatalf("%s: not JSON: %q", solver, stdout)
		}
		if math.Abs(s.Objective) > 1e-9 || s.KKT > 1e-9 || s.History[len(s.History)-1] != s.KKT {
			t.Errorf("%s: f = %g, KKT %g, history ends at %g", solver, s.Objective, s.KKT, s.History[len(s.History)-1])
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
		{[]string{"--problem", "hs49", "--maxiter", "2"}, 1, "above --tol"},
	} {
		code, _, errs := sim(t, append([]string{"nlp"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}
