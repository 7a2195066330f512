package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pdekit/pdekit/io/h5"
)

// TestPINNCommand: simulate pinn trains in stages, logs one line per
// stage, writes the network and its last points (as many as the stages
// added) and a plot, and its summary's final error is the last stage's
// measured on the finer grid; bad problems, samplers and sizes are usage
// errors naming the flag.
func TestPINNCommand(t *testing.T) {
	dir := t.TempDir()
	out, png, log := filepath.Join(dir, "p.h5"), filepath.Join(dir, "p.png"), filepath.Join(dir, "p.log")
	code, stdout, errs := sim(t, "pinn", "--problem", "exp2d", "--sampler", "das", "--points", "60", "--boundary", "40", "--epochs", "30", "--stages", "3",
		"--lbfgs", "50", "--width", "8", "--depth", "2", "--lr", "3e-3", "--flow-steps", "10", "--flow-batch", "60", "--validate-every", "10",
		"--seed", "2", "--out", out, "--plot", png, "--log", log, "--json")
	require.Equal(t, 0, code, errs)
	var s struct {
		RelL2  float64   `json:"rel_l2"`
		Stages int       `json:"stages"`
		Points int       `json:"points"`
		Errors []float64 `json:"stage_rel_l2"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &s))
	if s.Stages != 3 || s.Points != 180 || len(s.Errors) != 3 || !(s.RelL2 > 0) || s.RelL2 > 1 || s.Errors[2] > s.Errors[0] {
		t.Errorf("summary %s", stdout)
	}
	lines, err := os.ReadFile(log)
	require.NoError(t, err)
	if n := strings.Count(string(lines), "\n"); n != 3 || !strings.Contains(string(lines), `"lbfgs_iterations"`) {
		t.Errorf("log of %d lines:\n%s", n, lines)
	}
	f, err := h5.Open(out)
	require.NoError(t, err)
	defer f.Close()
	_, dims, err := h5.Read[float64](f, "points")
	require.NoError(t, err)
	require.Equal(t, []int{180, 2}, dims)
	_, _, err = h5.Read[float64](f, "params/w0")
	require.NoError(t, err)
	if fi, err := os.Stat(png); err != nil || fi.Size() < 1000 {
		t.Errorf("plot: %v", err)
	}
	// --resume of a finished run has no stage left: the same network, so
	// the same errors; a setting of the run cannot change.
	code, again, errs := sim(t, "pinn", "--resume", out, "--json")
	require.Equal(t, 0, code, errs)
	var r struct {
		RelL2  float64   `json:"rel_l2"`
		Errors []float64 `json:"stage_rel_l2"`
	}
	require.NoError(t, json.Unmarshal([]byte(again), &r))
	if r.RelL2 != s.RelL2 || len(r.Errors) != 3 || r.Errors[2] != s.Errors[2] {
		t.Errorf("resumed: %s; first: %s", again, stdout)
	}
	if code, _, errs := sim(t, "pinn", "--resume", out, "--sampler", "rar"); code != 2 || !strings.Contains(errs, "--sampler cannot change") {
		t.Errorf("--sampler with --resume: exit %d, %q", code, errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--problem", "wave"}, "--problem"},
		{[]string{"--problem", "exp0d"}, "--problem"},
		{[]string{"--sampler", "best"}, "--sampler"},
		{[]string{"--points", "0"}, "--points 0"},
		{[]string{"--beta", "-1"}, "--beta -1"},
		{[]string{"--boundary-weight", "0"}, "--boundary-weight 0"},
	} {
		code, _, errs := sim(t, append([]string{"pinn"}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}
