package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/neuralop"
)

// darcySets writes small Darcy training and test files with generate.
func darcySets(t testing.TB, dir string) (tr, te string) {
	t.Helper()
	tr, te = filepath.Join(dir, "tr.h5"), filepath.Join(dir, "te.h5")
	for _, a := range [][]string{
		{"generate", "darcy", "--samples", "24", "--n", "17", "--seed", "1", "--out", tr},
		{"generate", "darcy", "--samples", "8", "--n", "17", "--seed", "2", "--out", te},
	} {
		code, _, errs := sim(t, a...)
		require.Equal(t, 0, code, errs)
	}
	return tr, te
}

var smallMgNO = []string{"--channels", "4", "--layers", "2", "--levels", "3", "--batch", "6"}

// TestTrainEvalPredict: train writes a checkpoint whose test errors eval
// reproduces and a log line per epoch, and predict writes the predictions
// as HDF5. (TestTrainResumesAfterSIGTERM resumes a run.)
func TestTrainEvalPredict(t *testing.T) {
	dir := t.TempDir()
	tr, te := darcySets(t, dir)
	model := filepath.Join(dir, "m.h5")
	args := append([]string{"train", "mgno", "--train", tr, "--test", te, "--epochs", "4", "--out", model, "--json", "--log", filepath.Join(dir, "log.jsonl")}, smallMgNO...)
	code, out, errs := sim(t, args...)
	require.Equal(t, 0, code, errs)
	var s struct {
		Final float64 `json:"final_test_rel_l2"`
		Best  float64 `json:"best_test_rel_l2"`
		Epoch int     `json:"best_epoch"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	code, out, errs = sim(t, "eval", "--model", model, "--data", te, "--last", "--json")
	require.Equal(t, 0, code, errs)
	var e struct {
		L2 struct{ Mean float64 } `json:"rel_l2"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &e))
	// Other batch sizes change only the rounding of the products.
	if math.Abs(e.L2.Mean-s.Final) > 1e-6*s.Final {
		t.Errorf("eval with the last weights: %g; train reported %g", e.L2.Mean, s.Final)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "log.jsonl"))
	if n := strings.Count(string(log), "\n"); n != 4 {
		t.Errorf("%d log lines for 4 epochs", n)
	}
	pred := filepath.Join(dir, "p.h5")
	// A progress line per batch when the log interval is short.
	defer func(d time.Duration) { logEvery = d }(logEvery)
	logEvery = time.Nanosecond
	code, _, errs = sim(t, "predict", "--model", model, "--in", te, "--out", pred, "--batch", "2")
	require.Equal(t, 0, code, errs)
	for _, want := range []string{"predict: 2/8 done", "predict: 8/8 done"} {
		if !strings.Contains(errs, want) {
			t.Errorf("predict's progress: no %q in %q", want, errs)
		}
	}
	f, err := h5.Open(pred)
	require.NoError(t, err)
	info, err := f.Stat("tensor")
	f.Close()
	require.NoError(t, err)
	if info.Type != "float32" || len(info.Dims) != 4 || info.Dims[0] != 8 || info.Dims[2] != 17 {
		t.Errorf("predictions %v", info)
	}
}

func first(code int, _, _ string) int { return code }

// readParams reads the last weights of a checkpoint.
func readParams(t *testing.T, path string) map[string][]float32 {
	f, err := h5.Open(path)
	require.NoError(t, err)
	defer f.Close()
	names, err := f.List("params")
	require.NoError(t, err)
	out := map[string][]float32{}
	var walk func(group string, names []string)
	walk = func(group string, names []string) {
		for _, n := range names {
			p := group + "/" + n
			if _, err := f.Stat(p); err == nil {
				v, _, err := h5.Read[float32](f, p)
				require.NoError(t, err)
				out[p] = v
			} else if sub, err := f.List(p); err == nil {
				walk(p, sub)
			}
		}
	}
	walk("params", names)
	require.NotEmpty(t, out)
	return out
}

// TestNeuralBadInput: bad input exits 2 naming the problem.
func TestNeuralBadInput(t *testing.T) {
	dir := t.TempDir()
	tr, te := darcySets(t, dir)
	model := filepath.Join(dir, "m.h5")
	require.Equal(t, 0, first(sim(t, append([]string{"train", "mgno", "--train", tr, "--test", te, "--epochs", "1", "--out", model}, smallMgNO...)...)))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--train", tr}, "needs a MODEL"},
		{[]string{"train", "unet", "--train", tr, "--test", te}, `"unet"`},
		{[]string{"train", "fno", "--train", tr}, "--test is required"},
		{[]string{"train", "fno", "--train", tr, "--test", te, "--input", "bogus", "--out", filepath.Join(dir, "x.h5")}, `no dataset "bogus"`},
		{[]string{"train", "fno", "--train", tr, "--test", te, "--train-samples", "5:2"}, "--train-samples"},
		{[]string{"train", "mgno", "--train", tr, "--test", te, "--levels", "6", "--out", filepath.Join(dir, "y.h5")}, "too small for 6"},
		{[]string{"train", "--resume", model, "--lr", "0.1"}, "--lr cannot change a resumed run"},
		{[]string{"train", "--resume", te}, "not a checkpoint of simulate train"},
		{[]string{"eval", "--model", te, "--data", te}, "not a neural-operator checkpoint"},
		{[]string{"eval", "--model", model, "--data", te, "--input", "bogus"}, `no dataset "bogus"`},
		{[]string{"predict", "--model", model, "--in", te}, "--out is required"},
		{[]string{"train", "mgno", "--train", tr, "--test", te, "--out", model}, "already exists"},
	} {
		code, _, errs := sim(t, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestTrainSFNOCommand: train sfno reads frames in and out of ns2d
// trajectories, reports the Sobolev metric, and its checkpoint evaluates
// (eval, the same test error) and predicts the frames after the input
// ones from a trajectory file (predict, [N, out frames, H, W]).
func TestTrainSFNOCommand(t *testing.T) {
	dir := t.TempDir()
	data := func(name string, n, seed int) string {
		p := filepath.Join(dir, name)
		require.Equal(t, 0, first(sim(t, "generate", "ns2d", "--samples", strconv.Itoa(n), "--n", "32", "--sub", "2", "--dt", "0.01",
			"--frames", "15", "--t-start", "2", "--t-end", "5", "--seed", strconv.Itoa(seed), "--out", p)))
		return p
	}
	tr, te := data("tr.h5", 8, 1), data("te.h5", 3, 2)
	model := filepath.Join(dir, "sf.h5")
	code, out, errs := sim(t, "train", "sfno", "--train", tr, "--test", te, "--in-frames", "6", "--out-frames", "8", "--first-frame", "1",
		"--modes", "3", "--modes-t", "3", "--width", "6", "--latent", "6", "--epochs", "3", "--out", model, "--json")
	require.Equal(t, 0, code, errs)
	var s struct {
		L2      float64 `json:"final_test_rel_l2"`
		Sobolev float64 `json:"final_test_rel_sobolev"`
		Epochs  int     `json:"epochs"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	if s.Epochs != 3 || !(s.L2 > 0) || !(s.Sobolev > 0) {
		t.Errorf("summary %s", out)
	}
	code, out, errs = sim(t, "eval", "--model", model, "--last", "--data", te, "--first-frame", "1", "--json")
	require.Equal(t, 0, code, errs)
	var e struct {
		L2      neuralop.Summary `json:"rel_l2"`
		Sobolev neuralop.Summary `json:"rel_sobolev"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &e))
	if e.L2.Mean != s.L2 || e.Sobolev.Mean != s.Sobolev {
		t.Errorf("eval: rel L2 %g, Sobolev %g; train reported %g, %g", e.L2.Mean, e.Sobolev.Mean, s.L2, s.Sobolev)
	}
	pred := filepath.Join(dir, "pred.h5")
	code, _, errs = sim(t, "predict", "--model", model, "--in", te, "--first-frame", "1", "--out", pred)
	require.Equal(t, 0, code, errs)
	f, err := h5.Open(pred)
	require.NoError(t, err)
	defer f.Close()
	_, dims, err := h5.Read[float32](f, "tensor")
	require.NoError(t, err)
	if !slices.Equal(dims, []int{3, 8, 16, 16}) {
		t.Errorf("predicted %v, want [3 8 16 16]", dims)
	}
	// finetune: each trajectory's output layer refined against the
	// equation; the errors before are the model's own.
	tuned := filepath.Join(dir, "tuned.h5")
	code, out, errs = sim(t, "finetune", "--model", model, "--last", "--data", te, "--first-frame", "1", "--iterations", "5", "--out", tuned, "--json")
	require.Equal(t, 0, code, errs)
	var ft struct {
		Before neuralop.Summary `json:"rel_l2_before"`
		After  neuralop.Summary `json:"rel_l2_after"`
		LossB  float64          `json:"loss_before"`
		LossA  float64          `json:"loss_after"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &ft))
	if math.Abs(ft.Before.Mean-s.L2) > 1e-4*s.L2 || !(ft.After.Mean > 0) || !(ft.LossA < ft.LossB) {
		t.Errorf("finetune: %s (the model's test error %g)", out, s.L2)
	}
	g, err := h5.Open(tuned)
	require.NoError(t, err)
	defer g.Close()
	if _, dims, err := h5.Read[float32](g, "tensor"); err != nil || !slices.Equal(dims, []int{3, 8, 16, 16}) {
		t.Errorf("fine-tuned %v, %v", dims, err)
	}
	if code, _, errs := sim(t, "finetune", "--model", model, "--data", te, "--dt", "-1"); code != 2 || !strings.Contains(errs, "--dt") {
		t.Errorf("negative --dt: exit %d, %q", code, errs)
	}
	// The frames' own derivative, anchored on the last input frames: the
	// truth's loss (the floor) is reported and below the prediction's.
	code, out, errs = sim(t, "finetune", "--model", model, "--last", "--data", te, "--first-frame", "1", "--iterations", "5",
		"--frame-dt", "0.2", "--anchor", "2", "--json")
	require.Equal(t, 0, code, errs)
	var fa struct {
		LossB float64 `json:"loss_before"`
		LossA float64 `json:"loss_after"`
		LossT float64 `json:"loss_truth"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &fa))
	if !(fa.LossA < fa.LossB) || !(fa.LossT > 0) || !(fa.LossT < fa.LossB) {
		t.Errorf("finetune --anchor: %s", out)
	}
	for _, bad := range [][]string{{"--spectral-dt"}, {"--anchor", "2"}, {"--frame-dt", "0.2", "--anchor", "99"}} {
		if code, _, errs := sim(t, append([]string{"finetune", "--model", model, "--last", "--data", te, "--first-frame", "1"}, bad...)...); code != 2 {
			t.Errorf("finetune %v: exit %d, %q", bad, code, errs)
		}
	}
}

// A data set written by another tool (PDEBench's flat layout, float64, no
// attributes of ours) is read by eval and predict the same as our own
// file, with one note on the conversion.
func TestForeignDataSet(t *testing.T) {
	dir := t.TempDir()
	tr, te := darcySets(t, dir)
	model := filepath.Join(dir, "m.h5")
	require.Equal(t, 0, first(sim(t, append([]string{"train", "mgno", "--train", tr, "--test", te, "--epochs", "1", "--out", model}, smallMgNO...)...)))
	src := readAll(t, te)
	foreign := filepath.Join(dir, "foreign.hdf5")
	f, err := h5.Create(foreign, false)
	require.NoError(t, err)
	info := map[string][]int{}
	g, err := h5.Open(te)
	require.NoError(t, err)
	for _, nm := range []string{"nu", "tensor"} {
		st, err := g.Stat(nm)
		require.NoError(t, err)
		info[nm] = st.Dims
	}
	g.Close()
	for _, nm := range []string{"nu", "tensor"} {
		v := make([]float64, len(src[nm]))
		for i, x := range src[nm] {
			v[i] = float64(x)
		}
		require.NoError(t, h5.Write(f, nm, info[nm], v, nil))
	}
	require.NoError(t, f.Close())
	_, ours, _ := sim(t, "eval", "--model", model, "--data", te, "--json")
	code, theirs, errs := sim(t, "eval", "--model", model, "--data", foreign, "--json")
	if code != 0 || !strings.Contains(errs, "float64; converted to float32") {
		t.Fatalf("eval of a foreign file: exit %d, %s", code, errs)
	}
	var a, b struct {
		RelL2 struct{ Mean float64 } `json:"rel_l2"`
	}
	require.NoError(t, json.Unmarshal([]byte(ours), &a))
	require.NoError(t, json.Unmarshal([]byte(theirs), &b))
	if a.RelL2.Mean != b.RelL2.Mean || !(a.RelL2.Mean > 0) {
		t.Errorf("eval: our file %v, the foreign one %v", a.RelL2.Mean, b.RelL2.Mean)
	}
	if code, _, errs := sim(t, "predict", "--model", model, "--in", foreign, "--out", filepath.Join(dir, "p.h5")); code != 0 {
		t.Errorf("predict of a foreign file: %s", errs)
	}
}
