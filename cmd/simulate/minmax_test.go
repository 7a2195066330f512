package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdekit/pdekit/io/h5"
)

// TestMinmaxGame runs every method on a small game and checks the figures:
// each method cuts the residual of the uniform strategies (about 0.2) by
// 10x, the HDF5 curves end at the reported final residual, and the mean
// curve is the mean of the seeds'.
func TestMinmaxGame(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "mm.h5")
	code, stdout, errs := sim(t, "minmax", "--workload", "game", "--n", "20", "--epochs", "1000", "--seeds", "2",
		"--target", "2e-2", "--json",
		"--out", out, "--plot", filepath.Join(dir, "mm.png"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var s struct {
		Methods map[string]struct {
			Final  []float64 `json:"final_residual"`
			Target []float64 `json:"epochs_to_target"`
			Reason []string  `json:"reason"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("not JSON: %q", stdout)
	}
	f, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	grid, _, err := h5.Read[float64](f, "epochs")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"eg", "eag", "alg1", "alg2"} {
		r := s.Methods[m]
		for seed := 0; seed < 2; seed++ {
			if r.Reason[seed] != "iteration limit reached" {
				t.Errorf("%s seed %d: %s at residual %g, want the budget spent", m, seed, r.Reason[seed], r.Final[seed])
			}
			if r.Target[seed] <= 0 {
				t.Errorf("%s seed %d: never reached the target", m, seed)
			}
		}
		res, dims, err := h5.Read[float64](f, m+"/residual")
		if err != nil || len(dims) != 2 || dims[0] != 2 || dims[1] != len(grid) {
			t.Fatalf("%s/residual %v: %v", m, dims, err)
		}
		mean, _, err := h5.Read[float64](f, m+"/mean_residual")
		if err != nil {
			t.Fatal(err)
		}
		k := len(grid)
		for seed := 0; seed < 2; seed++ {
			if got := res[seed*k+k-1]; got != r.Final[seed] {
				t.Errorf("%s seed %d: curve ends at %g, final residual %g", m, seed, got, r.Final[seed])
			}
		}
		for j := 0; j < k; j++ {
			if want := (res[j] + res[k+j]) / 2; math.Abs(mean[j]-want) > 1e-15*want {
				t.Fatalf("%s: mean residual at %g epochs is %g, seeds average %g", m, grid[j], mean[j], want)
			}
		}
	}
}

func TestMinmaxBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--workload", "lp"}, `--workload "lp"`},
		{[]string{"--methods", "eg,sgd"}, "sgd"},
		{[]string{"--methods", "eg,eg"}, `"eg" given twice`},
		{[]string{"--steps", "tuned"}, "tuned"},
		{[]string{"--epochs", "-3"}, "--epochs must be positive"},
		{[]string{"--n", "1"}, "--n must be at least 2"},
		{[]string{"--seeds", "0"}, "--seeds must be at least 1"},
	} {
		code, _, errs := sim(t, append([]string{"minmax"}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}
