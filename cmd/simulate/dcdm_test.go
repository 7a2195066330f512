package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDCDMCommands: train dcdm writes a checkpoint and a summary; solve
// --method dcdm applies it to another system of its dimension, larger
// and from a matrix file too; misuse is exit 2 naming the problem.
func TestDCDMCommands(t *testing.T) {
	dir := t.TempDir()
	model, logf := filepath.Join(dir, "dcdm.h5"), filepath.Join(dir, "log.jsonl")
	code, out, errs := sim(t, "train", "dcdm", "--dim", "2", "--n", "16", "--samples", "60", "--epochs", "2",
		"--channels", "4", "--full", "2", "--half", "2", "--up", "2", "--lr", "1e-3", "--schedule", "step", "--log", logf, "--out", model, "--json")
	require.Equal(t, 0, code, errs)
	// --schedule step halves the rate every fifth of the run: every epoch
	// of two.
	logData, err := os.ReadFile(logf)
	require.NoError(t, err)
	var lrs []float64
	for _, l := range strings.Split(strings.TrimSpace(string(logData)), "\n") {
		var e struct{ LR float64 }
		require.NoError(t, json.Unmarshal([]byte(l), &e))
		lrs = append(lrs, e.LR)
	}
	if len(lrs) != 2 || lrs[0] != 1e-3 || lrs[1] != 5e-4 {
		t.Errorf("learning rates %v, want [0.001 0.0005]", lrs)
	}
	var s struct {
		Params int     `json:"params"`
		Loss   float64 `json:"validation_loss"`
		Epochs int     `json:"epochs"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	// 4 (9+1) + 6 (9 16 + 4) + 5 = 40 + 888 + 5.
	if s.Params != 933 || s.Epochs != 2 || !(s.Loss > 0 && s.Loss < 1.5) {
		t.Errorf("summary %s", out)
	}
	a, b := filepath.Join(dir, "A.mtx"), filepath.Join(dir, "b.mtx")
	require.Equal(t, 0, first(sim(t, "export", "--problem", "obstacles2d", "--n", "32", "--seed", "3", "--out", a, "--rhs", b)))
	for _, args := range [][]string{
		{"--problem", "obstacles2d", "--n", "32", "--seed", "3"},
		{"--matrix", a, "--rhs", b},
		{"--matrix", a, "--rhs", b, "--conjugate", "50"},
	} {
		code, out, errs := sim(t, append([]string{"solve", "--method", "dcdm", "--model", model, "--rtol", "0.5", "--json", "--allow-unconverged"}, args...)...)
		require.Equal(t, 0, code, errs)
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &r))
		want := 2.0
		if args[len(args)-2] == "--conjugate" {
			want = 50
		}
		if r["method"] != "dcdm" || !(r["iterations"].(float64) >= 1) || r["conjugate"] != want {
			t.Errorf("%v: %s", args, out)
		}
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"solve", "--problem", "obstacles2d", "--n", "16", "--method", "dcdm"}, "needs --model"},
		{[]string{"solve", "--problem", "obstacles2d", "--n", "16", "--method", "dcdm", "--model", model, "--pc", "ic0"}, "no --pc"},
		{[]string{"solve", "--problem", "obstacles3d", "--n", "8", "--method", "dcdm", "--model", model}, "2-D network"},
		{[]string{"solve", "--problem", "poisson2d", "--n", "16", "--method", "cg", "--model", model}, "for --method dcdm"},
		{[]string{"solve", "--problem", "obstacles2d", "--n", "16", "--method", "dcdm", "--model", model, "--conjugate", "-1"}, "--conjugate must be"},
		{[]string{"train", "dcdm", "--n", "15", "--out", filepath.Join(dir, "x.h5")}, "even n"},
	} {
		if code, _, errs := sim(t, tc.args...); code != 2 || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, %q (want %q)", tc.args, code, errs, tc.msg)
		}
	}
}
