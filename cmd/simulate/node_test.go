package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// writeIDX writes a gzipped IDX file of unsigned bytes.
func writeIDX(t *testing.T, path string, dims []int, data []byte) {
	t.Helper()
	b := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		b = append(b, byte(d>>24), byte(d>>16), byte(d>>8), byte(d))
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(append(b, data...))
	w.Close()
	require.NoError(t, os.WriteFile(path, z.Bytes(), 0o644))
}

// fakeFashion writes Fashion-MNIST-shaped files whose class k is a noisy
// image with a bright 6 x 6 block at a place of its own: separable data.
func fakeFashion(t *testing.T, dir string, ntrain, ntest int) {
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, s := range []struct {
		split string
		n     int
	}{{"train", ntrain}, {"t10k", ntest}} {
		im, lb := make([]byte, s.n*784), make([]byte, s.n)
		for i := 0; i < s.n; i++ {
			k := i % 10
			lb[i] = byte(k)
			for p := 0; p < 784; p++ {
				im[i*784+p] = byte(rnd.IntN(60))
			}
			r0, c0 := 2+(k/5)*12, 1+(k%5)*5
			for r := r0; r < r0+6; r++ {
				for c := c0; c < c0+5; c++ {
					im[i*784+r*28+c] = 255
				}
			}
		}
		writeIDX(t, filepath.Join(dir, s.split+"-images-idx3-ubyte.gz"), []int{s.n, 28, 28}, im)
		writeIDX(t, filepath.Join(dir, s.split+"-labels-idx1-ubyte.gz"), []int{s.n}, lb)
	}
}

type nodeSummary struct {
	Accuracy float64 `json:"test_accuracy"`
	MSE      float64 `json:"test_mse"`
	NFE      float64 `json:"nfe"`
	Epochs   int     `json:"epochs"`
	Reason   string  `json:"reason"`
}

// TestNodeFashion: on separable Fashion-MNIST-shaped data a small neural
// ODE classifier learns (test accuracy above 0.9 after 4 epochs, chance is
// 0.1), with and without the error regulariser; the summary reports the
// evaluations per solve. The log has a line per epoch.
func TestNodeFashion(t *testing.T) {
	dir := t.TempDir()
	fakeFashion(t, dir, 200, 100)
	for _, reg := range []string{"none", "both", "kinetic"} {
		log := filepath.Join(dir, reg+".jsonl")
		code, out, errs := sim(t, "node", "--task", "fmnist", "--data", dir, "--hidden", "8", "--epochs", "4", "--batch", "20",
			"--lr", "0.01", "--tol", "1e-4", "--reg", reg, "--out", filepath.Join(dir, reg+".h5"), "--log", log, "--json")
		require.Equal(t, 0, code, errs)
		var s nodeSummary
		require.NoError(t, json.Unmarshal([]byte(out), &s))
		if s.Accuracy < 0.9 || s.NFE < 6 || s.Epochs != 4 || s.Reason != "completed" {
			t.Errorf("reg %s: %+v", reg, s)
		}
		b, _ := os.ReadFile(log)
		if n := strings.Count(string(b), "\n"); n != 4 {
			t.Errorf("reg %s: %d log lines for 4 epochs", reg, n)
		}
	}
	// A float32 model predicts in float64 with its weights converted: the
	// same accuracy on separable data, the summary saying float64.
	var e32, e64 struct {
		nodeSummary
		Float64 bool `json:"float64"`
	}
	for _, e := range []struct {
		v    any
		args []string
	}{{&e32, nil}, {&e64, []string{"--float64"}}} {
		code, out, errs := sim(t, append([]string{"node", "eval", "--model", filepath.Join(dir, "none.h5"), "--json"}, e.args...)...)
		require.Equal(t, 0, code, errs)
		require.NoError(t, json.Unmarshal([]byte(out), e.v))
	}
	if e32.Float64 || !e64.Float64 || math.Abs(e64.Accuracy-e32.Accuracy) > 0.02 || e64.NFE < 6 {
		t.Errorf("node eval in float64 of a float32 model: %+v; in float32: %+v", e64, e32)
	}
	code, _, errs := sim(t, "node", "--task", "fmnist", "--data", t.TempDir(), "--out", filepath.Join(dir, "x.h5"))
	if code != 2 || !strings.Contains(errs, "dataset-fashion-mnist") {
		t.Errorf("missing data: exit %d, %q", code, errs)
	}
}

// TestNodeSpiral: the spiral fit's test MSE falls tenfold in 150 epochs
// (the task's default learning rate and tolerance); node eval of the
// checkpoint reports the same test MSE and NFE.
func TestNodeSpiral(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log.jsonl")
	code, out, errs := sim(t, "node", "--task", "spiral", "--epochs", "150", "--float64",
		"--out", filepath.Join(dir, "s.h5"), "--log", log, "--json")
	require.Equal(t, 0, code, errs)
	var s nodeSummary
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	first := firstValidation(t, log)
	if !(s.MSE < first/10) || math.IsNaN(s.MSE) {
		t.Errorf("test MSE %g after 150 epochs, %g after the first", s.MSE, first)
	}
	// node eval reproduces the summary's figures from the checkpoint.
	code, out, errs = sim(t, "node", "eval", "--model", filepath.Join(dir, "s.h5"), "--last", "--json")
	require.Equal(t, 0, code, errs)
	var e nodeSummary
	require.NoError(t, json.Unmarshal([]byte(out), &e))
	if e.MSE != s.MSE || e.NFE != s.NFE {
		t.Errorf("node eval: MSE %g, NFE %g; the run reported %g, %g", e.MSE, e.NFE, s.MSE, s.NFE)
	}
	if code, _, errs := sim(t, "node", "eval", "--model", filepath.Join(dir, "log.jsonl")); code != 2 {
		t.Errorf("node eval of a log: exit %d, %q", code, errs)
	}
}

// TestNodeResumesAfterSIGTERM: a regularised run (its weight decays with
// the epoch) stopped by SIGTERM half way and resumed ends with the
// parameters of the run that never stopped, bit for bit.
func TestNodeResumesAfterSIGTERM(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	args := func(out string) []string {
		return []string{"node", "--task", "spiral", "--epochs", "150", "--lr", "0.02", "--reg", "error", "--lambda", "1", "--lambda-end", "0.1",
			"--tol", "1e-5", "--threads", "1", "--out", out}
	}
	start := time.Now()
	out, err := exec.Command(bin, append(args(filepath.Join(dir, "ref.h5")), "--log", filepath.Join(dir, "ref.jsonl"))...).CombinedOutput()
	require.NoError(t, err, string(out))
	whole := time.Since(start)
	// Stop it half way (earlier if the machine got faster and it ended
	// before the signal).
	for wait := whole / 2; ; wait /= 2 {
		os.Remove(filepath.Join(dir, "cut.h5"))
		os.Remove(filepath.Join(dir, "cut.jsonl"))
		cmd := exec.Command(bin, append(args(filepath.Join(dir, "cut.h5")), "--log", filepath.Join(dir, "cut.jsonl"))...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		time.Sleep(wait)
		_ = cmd.Process.Signal(syscall.SIGTERM) // it may have ended
		_ = cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if code == 143 {
			if !strings.Contains(stderr.String(), "--resume") {
				t.Errorf("the interrupted run's message does not say how to resume: %s", stderr.String())
			}
			break
		}
		if code != 0 || wait < 50*time.Millisecond {
			t.Fatalf("exit %d after SIGTERM at %s of %s: %s", code, wait, whole, stderr.String())
		}
	}
	out, err = exec.Command(bin, "node", "--resume", filepath.Join(dir, "cut.h5"), "--threads", "1", "--log", filepath.Join(dir, "cut.jsonl")).CombinedOutput()
	require.NoError(t, err, string(out))
	a, b := readParams(t, filepath.Join(dir, "ref.h5")), readParams(t, filepath.Join(dir, "cut.h5"))
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			t.Fatalf("parameter %s differs after the resume", k)
		}
	}
}

// TestNodeAdjoints: the continuous adjoint trains the classifier as the
// discrete one does (same accuracy on separable data) and refuses the
// global regularisers and the biased local sampling.
func TestNodeAdjoints(t *testing.T) {
	dir := t.TempDir()
	fakeFashion(t, dir, 100, 50)
	var acc [2]float64
	for i, adj := range []string{"discrete", "continuous"} {
		code, out, errs := sim(t, "node", "--task", "fmnist", "--data", dir, "--hidden", "8", "--epochs", "3", "--batch", "20",
			"--lr", "0.01", "--tol", "1e-5", "--float64", "--adjoint", adj, "--reg", "local-error", "--out", filepath.Join(dir, adj+".h5"), "--json")
		require.Equal(t, 0, code, errs)
		var s nodeSummary
		require.NoError(t, json.Unmarshal([]byte(out), &s))
		acc[i] = s.Accuracy
	}
	if acc[0] < 0.9 || acc[1] < 0.9 {
		t.Errorf("accuracy discrete %g, continuous %g", acc[0], acc[1])
	}
	for _, args := range [][]string{{"--reg", "error"}, {"--reg", "local-stiff", "--sampling", "biased"}} {
		code, _, errs := sim(t, append([]string{"node", "--task", "spiral", "--adjoint", "continuous", "--out", filepath.Join(dir, "x.h5")}, args...)...)
		if code != 2 || !strings.Contains(errs, "--adjoint discrete") {
			t.Errorf("continuous with %v: exit %d, %q", args, code, errs)
		}
	}
}

// TestNodeLatent: the latent ODE's test MSE on the sine series falls
// below half its first-epoch value in 40 epochs (float64, 200 series),
// with the local error regulariser (unbiased times) on.
func TestNodeLatent(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log.jsonl")
	code, out, errs := sim(t, "node", "--task", "latent", "--epochs", "40", "--train-samples", "200", "--test-samples", "50",
		"--batch", "50", "--float64", "--tol", "1e-5", "--reg", "local-error", "--out", filepath.Join(dir, "l.h5"), "--log", log, "--json")
	require.Equal(t, 0, code, errs)
	var s nodeSummary
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	first := firstValidation(t, log)
	if !(s.MSE < first/2) {
		t.Errorf("test MSE %g after 40 epochs, %g after the first", s.MSE, first)
	}
}

// firstValidation returns the validation error of a log's first epoch.
func firstValidation(t *testing.T, log string) float64 {
	t.Helper()
	b, err := os.ReadFile(log)
	require.NoError(t, err)
	var first struct {
		Validation float64 `json:"validation"`
	}
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(string(b), "\n", 2)[0]), &first))
	return first.Validation
}

// TestNodeValidateShards: in a data-parallel run each process validates
// whole test batches, and the shares' sums over 1, 3 and 5 processes (the
// last more than there are batches) give Validate's error over the same
// count, for the latent task and for fmnist.
func TestNodeValidateShards(t *testing.T) {
	dir := t.TempDir()
	fakeFashion(t, dir, 60, 50)
	for _, task := range []string{"latent", "fmnist"} {
		c := newNodeConfig()
		require.NoError(t, c.Task.Set(task))
		c.Batch, c.TrainN, c.TestN, c.Tol, c.Hidden, c.Seed, c.Data = 20, 60, 50, 1e-5, 8, 1, dir
		tk, err := newNodeTask[float64](context.Background(), c)
		require.NoError(t, err)
		want, err := tk.Validate(context.Background())
		require.NoError(t, err)
		whole := 0
		for _, size := range []int{1, 3, 5} {
			var sum float64
			var count int
			for r := 0; r < size; r++ {
				s, n, err := tk.ValidateShard(context.Background(), r, size)
				require.NoError(t, err)
				sum, count = sum+s, count+n
			}
			if size == 1 {
				whole = count
			}
			if got := sum / float64(count); math.Abs(got-want) > 1e-12*math.Abs(want) || count == 0 || count != whole {
				t.Errorf("%s on %d shards: %g over %d, whole %g over %d", task, size, got, count, want, whole)
			}
		}
	}
}
