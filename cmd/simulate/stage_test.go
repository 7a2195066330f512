package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"time"

	"github.com/stretchr/testify/require"

	"github.com/pdekit/pdekit/io/h5"
)

// writeClouds writes two n-point clouds in 2-D for `simulate ot`.
func writeClouds(t testing.TB, path string, n int) {
	t.Helper()
	f, err := h5.Create(path, false)
	require.NoError(t, err)
	x, y := make([]float64, 2*n), make([]float64, 2*n)
	for i := 0; i < n; i++ {
		x[2*i], x[2*i+1] = math.Mod(0.37*float64(i), 1), math.Mod(0.61*float64(i), 1)
		y[2*i], y[2*i+1] = 0.3+0.4*math.Mod(0.53*float64(i), 1), 0.2+0.5*math.Mod(0.29*float64(i), 1)
	}
	require.NoError(t, h5.Write(f, "x", []int{n, 2}, x, nil))
	require.NoError(t, h5.Write(f, "y", []int{n, 2}, y, nil))
	require.NoError(t, f.Close())
}

// writeShards writes two shards of a synthetic data set of the layout
// `generate` writes (config attribute, sample-index, a float32 field), so
// that `merge` has work without generating it.
func writeShards(t *testing.T, dir string, perShard, side int) []string {
	t.Helper()
	cfg := `{"dataset":"darcy","samples":` + strconv.Itoa(2*perShard) + `,"recipe":{"seed":3}}`
	var paths []string
	for s := 0; s < 2; s++ {
		p := filepath.Join(dir, "shard-"+strconv.Itoa(s)+".h5")
		f, err := h5.Create(p, false)
		require.NoError(t, err)
		data := make([]float32, perShard*side*side)
		for i := range data {
			data[i] = float32(math.Sin(float64(i + s)))
		}
		index := make([]int64, perShard)
		for i := range index {
			index[i] = int64(s*perShard + i)
		}
		require.NoError(t, h5.Write(f, "tensor", []int{perShard, side, side}, data, nil))
		require.NoError(t, h5.Write(f, "sample-index", []int{perShard}, index, nil))
		require.NoError(t, f.SetAttr("/", "config", cfg))
		require.NoError(t, f.Close())
		paths = append(paths, p)
	}
	return paths
}

// commandCase is one command run small, as the contract tests need it:
// args (with DIR for the test's folder), the HDF5 files it writes, and
// whether it iterates (so its summary has a reason).
type commandCase struct {
	name    string
	args    []string
	h5      []string
	reason  bool
	seeded  bool
	prepare func(t *testing.T, dir string)
}

func commandCases() []commandCase {
	return []commandCase{
		{name: "run", args: []string{"run", "--config", "DIR/tiny.json", "--out", "DIR"}, h5: []string{"m.h5"}, reason: true, seeded: true,
			prepare: func(t *testing.T, dir string) { writeConfig(t, dir, "tiny.json", tinyDarcyJob) }},
		{name: "run-solve", args: []string{"run", "--config", "DIR/solve.json", "--out", "DIR"}, h5: []string{"solution.h5"}, reason: true,
			prepare: func(t *testing.T, dir string) { writeConfig(t, dir, "solve.json", string(solveConfigJSON)) }},
		{name: "solve", args: []string{"solve", "--n", "15", "--out", "DIR/x.h5"}, h5: []string{"x.h5"}, reason: true},
		{name: "export", args: []string{"export", "--n", "8", "--out", "DIR/A.h5"}, h5: []string{"A.h5"}},
		{name: "generate", args: []string{"generate", "darcy", "--samples", "2", "--n", "17", "--seed", "4", "--out", "DIR/d.h5"}, h5: []string{"d.h5"}, seeded: true},
		{name: "merge", args: []string{"merge", "DIR/m.h5", "--threads", "2", "DIR/shard-0.h5", "DIR/shard-1.h5"}, h5: []string{"m.h5"}, seeded: true,
			prepare: func(t *testing.T, dir string) { writeShards(t, dir, 3, 4) }},
		{name: "sequence", args: []string{"sequence", "--instances", "20", "--policies", "gs,tsallis", "--out", "DIR/s.h5", "--save-state", "DIR/state.h5"},
			h5: []string{"s.h5", "state.h5"}, seeded: true},
		{name: "minmax", args: []string{"minmax", "--workload", "qp", "--n", "10", "--epochs", "20", "--seeds", "1", "--out", "DIR/mm.h5"},
			h5: []string{"mm.h5"}, seeded: true},
		{name: "nlp", args: []string{"nlp", "--problem", "hs48", "--solver", "exact"}, reason: true, seeded: true},
		{name: "ode", args: []string{"ode", "--problem", "lotka-volterra", "--out", "DIR/o.h5"}, h5: []string{"o.h5"}, reason: true},
		{name: "ot", args: []string{"ot", "--in", "DIR/clouds.h5", "--method", "emd", "--out", "DIR/plan.h5"}, h5: []string{"plan.h5"}, reason: true,
			prepare: func(t *testing.T, dir string) { writeClouds(t, filepath.Join(dir, "clouds.h5"), 20) }},
		{name: "train", args: append([]string{"train", "mgno", "--train", "DIR/tr.h5", "--test", "DIR/te.h5", "--epochs", "2", "--out", "DIR/m.h5"}, smallMgNO...),
			h5: []string{"m.h5"}, reason: true, seeded: true, prepare: func(t *testing.T, dir string) { darcySets(t, dir) }},
		{name: "eval", args: []string{"eval", "--model", "DIR/m.h5", "--data", "DIR/te.h5"},
			prepare: func(t *testing.T, dir string) { trainedModel(t, dir) }},
		{name: "predict", args: []string{"predict", "--model", "DIR/m.h5", "--in", "DIR/te.h5", "--out", "DIR/p.h5"}, h5: []string{"p.h5"},
			prepare: func(t *testing.T, dir string) { trainedModel(t, dir) }},
		{name: "version", args: []string{"version"}},
		{name: "bench", args: []string{"bench", "spmv", "--sizes", "16", "--export", "DIR"}},
	}
}

// trainedModel writes small Darcy sets and a model trained on them.
func trainedModel(t *testing.T, dir string) {
	tr, te := darcySets(t, dir)
	code, _, errs := sim(t, append([]string{"train", "mgno", "--train", tr, "--test", te, "--epochs", "1", "--out", filepath.Join(dir, "m.h5")}, smallMgNO...)...)
	require.Equal(t, 0, code, errs)
}

func withDir(args []string, dir string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, "DIR", dir)
	}
	return out
}

// TestOneJSONObject: with --json every command prints exactly one JSON
// object whose top-level keys include the shared ones, and every HDF5 file
// it writes records the configuration, the toolkit version, the command
// and, where the command has one, the seed.
func TestOneJSONObject(t *testing.T) {
	for _, tc := range commandCases() {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.prepare != nil {
				tc.prepare(t, dir)
			}
			code, stdout, errs := sim(t, append(withDir(tc.args, dir), "--json")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			dec := json.NewDecoder(strings.NewReader(stdout))
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				t.Fatalf("stdout is not a JSON object: %q", stdout)
			}
			if dec.More() {
				t.Fatalf("more than one JSON value on stdout: %q", stdout)
			}
			for _, k := range []string{"command", "version", "seconds", "outputs"} {
				if _, ok := obj[k]; !ok {
					t.Errorf("key %q missing from %v", k, obj)
				}
			}
			if want, got := strings.TrimSuffix(tc.name, "-solve"), fmt.Sprint(obj["command"]); got != want && !strings.HasPrefix(got, want+" ") {
				t.Errorf("command = %v", obj["command"])
			}
			if _, ok := obj["reason"]; ok != tc.reason {
				t.Errorf("reason present %v, want %v: %v", ok, tc.reason, obj)
			}
			outs, _ := obj["outputs"].([]any)
			var listed []string
			for _, o := range outs {
				listed = append(listed, filepath.Base(o.(string)))
			}
			for _, name := range tc.h5 {
				if !contains(listed, name) {
					t.Errorf("outputs %v do not list %s", listed, name)
				}
				checkStamp(t, filepath.Join(dir, name), tc.seeded)
			}
		})
	}
}

// checkStamp checks the attributes every HDF5 output carries.
func checkStamp(t *testing.T, path string, seeded bool) {
	t.Helper()
	f, err := h5.Open(path)
	require.NoError(t, err)
	defer f.Close()
	cfg, err := f.AttrString("/", "config")
	var m map[string]any
	if err != nil || json.Unmarshal([]byte(cfg), &m) != nil {
		t.Errorf("%s: config attribute %q (%v) is not a JSON object", path, cfg, err)
	}
	for _, a := range []string{"version", "command"} {
		if v, err := f.AttrString("/", a); err != nil || v == "" {
			t.Errorf("%s: attribute %s = %q, %v", path, a, v, err)
		}
	}
	if _, err := f.AttrInt64("/", "seed"); (err == nil) != seeded {
		t.Errorf("%s: seed attribute present %v, want %v (%v)", path, err == nil, seeded, err)
	}
}

// The binary, built once for the signal tests.
var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "simulate-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "simulate")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = errors.New(string(out))
		}
	})
	if binErr != nil {
		t.Fatalf("building simulate: %v", binErr)
	}
	return binPath
}

// TestSIGTERMLeavesNothing: SIGTERM in the middle of every command's work
// ends it with exit status 143, as a shell reports a process a scheduler
// stopped, and leaves no output and no temporary file behind; SIGINT gives
// 130.
func TestSIGTERMLeavesNothing(t *testing.T) {
	bin := binary(t)
	cases := []struct {
		name    string
		args    []string
		prepare func(t *testing.T, dir string)
		dir     string
	}{
		{"run", []string{"run", "--config", "DIR/big.json", "--out", "DIR"}, func(t *testing.T, dir string) {
			writeConfig(t, dir, "big.json", `{"problem":"poisson2d","n":1500,"method":"jacobi","pc":"none","rtol":1e-12,"out":"s.h5","picture":"s.png"}`)
		}, ""},
		{"run-darcy", []string{"run", "--config", "DIR/big.json", "--out", "DIR"}, func(t *testing.T, dir string) {
			writeConfig(t, dir, "big.json", `{"job":"darcy-mgno","n":129,"train_samples":100,"test_samples":10,"seed":1,"epochs":50,"batch":10,"lr":1e-3,"channels":12,"layers":3,"levels":4,"out":"m.h5","picture":"m.png","summary":"s.json"}`)
		}, ""},
		{"solve", []string{"solve", "--problem", "poisson3d", "--n", "100", "--method", "jacobi", "--maxiter", "1000000", "--rtol", "1e-12", "--out", "DIR/x.h5"}, nil, ""},
		{"export", []string{"export", "--problem", "poisson3d", "--n", "150", "--out", "DIR/A.mtx"}, nil, ""},
		{"generate", []string{"generate", "darcy", "--samples", "1000", "--n", "257", "--out", "DIR/d.h5"}, nil, ""},
		{"merge", []string{"merge", "DIR/m.h5", "DIR/shard-0.h5", "DIR/shard-1.h5"}, func(t *testing.T, dir string) { writeShards(t, dir, 3000, 64) }, ""},
		{"sequence", []string{"sequence", "--instances", "100000", "--side", "20", "--out", "DIR/s.h5"}, nil, ""},
		{"minmax", []string{"minmax", "--n", "500", "--epochs", "1000000", "--seeds", "1", "--methods", "eg", "--out", "DIR/mm.h5"}, nil, ""},
		{"nlp", []string{"nlp", "--problem", "poisson", "--n", "15", "--maxiter", "100000", "--tol", "1e-12"}, nil, ""},
		{"ode", []string{"ode", "--problem", "vanderpol-mu1000", "--method", "rosenbrock23", "--rtol", "1e-13", "--atol", "1e-16", "--out", "DIR/o.h5"}, nil, ""},
		{"ot", []string{"ot", "--in", "DIR/clouds.h5", "--reg", "1e-4", "--tol", "1e-14", "--maxiter", "10000000", "--out", "DIR/plan.h5"},
			func(t *testing.T, dir string) { writeClouds(t, filepath.Join(dir, "clouds.h5"), 2000) }, ""},
		{"bench", []string{"bench", "linsys", "--sizes", "1023", "--cases", "poisson2d"}, nil, ""},
		{"sigint", []string{"solve", "--problem", "poisson3d", "--n", "100", "--method", "jacobi", "--maxiter", "1000000", "--rtol", "1e-12", "--out", "DIR/x.h5"}, nil, ""},
	}
	// Every input file is written and closed before any command starts: a
	// child inherits the descriptors open at its start, and with them
	// libhdf5's file locks.
	for i := range cases {
		cases[i].dir = t.TempDir()
		if cases[i].prepare != nil {
			cases[i].prepare(t, cases[i].dir)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := tc.dir
			before := listDir(t, dir)
			cmd := exec.Command(bin, withDir(tc.args, dir)...)
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			sig, want := syscall.SIGTERM, 143
			if tc.name == "sigint" {
				sig, want = syscall.SIGINT, 130
			}
			// Long enough for the command to be in its work, far shorter
			// than the work.
			select {
			case err := <-done:
				t.Fatalf("finished before the signal: %v: %s", err, stderr.String())
			case <-time.After(1500 * time.Millisecond):
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 60 s after %v", sig)
			}
			if code := cmd.ProcessState.ExitCode(); code != want {
				t.Errorf("exit status %d after %v, want %d: %s", code, sig, want, stderr.String())
			}
			if !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("stderr does not say it was interrupted: %q", stderr.String())
			}
			if after := listDir(t, dir); strings.Join(after, " ") != strings.Join(before, " ") {
				t.Errorf("files before %v, after %v", before, after)
			}
		})
	}
}

// listDir lists a folder, hidden temporary files included.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// TestNonConvergenceRule: every iterative command fails (exit 1) with the
// one message when its work does not converge, and --allow-unconverged
// makes the same run exit 0 with the summary still saying so.
func TestNonConvergenceRule(t *testing.T) {
	dir := t.TempDir()
	writeClouds(t, filepath.Join(dir, "clouds.h5"), 30)
	for _, args := range [][]string{
		{"solve", "--n", "16", "--maxiter", "2"},
		{"sequence", "--instances", "3", "--policies", "gs", "--maxiter", "2"},
		{"minmax", "--workload", "qp", "--n", "10", "--epochs", "5", "--seeds", "1", "--tol", "1e-12"},
		{"nlp", "--problem", "hs49", "--maxiter", "2"},
		{"ode", "--problem", "arenstorf", "--method", "rk4", "--dt", "1e-5"},
		{"ot", "--in", filepath.Join(dir, "clouds.h5"), "--maxiter", "3"},
	} {
		code, _, errs := sim(t, args...)
		if code != 1 || !strings.Contains(errs, "did not converge") || !strings.Contains(errs, "--allow-unconverged") {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
		code, stdout, errs := sim(t, append(args, "--allow-unconverged", "--json")...)
		var obj map[string]any
		if code != 0 || json.Unmarshal([]byte(stdout), &obj) != nil || obj["converged"] != false {
			t.Errorf("%v --allow-unconverged: exit %d, %q, %s", args, code, stdout, errs)
		}
	}
}

// TestTrainResumesAfterSIGTERM: SIGTERM in the middle of a training run
// exits 143 leaving a complete checkpoint, and --resume from it ends with
// the weights, bit for bit, of the run that was never stopped.
func TestTrainResumesAfterSIGTERM(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	run := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		return cmd
	}
	for _, a := range [][]string{
		{"generate", "darcy", "--samples", "160", "--n", "33", "--seed", "1", "--out", "tr.h5"},
		{"generate", "darcy", "--samples", "16", "--n", "33", "--seed", "2", "--out", "te.h5"},
	} {
		out, err := run(a...).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	args := func(out string) []string {
		return []string{"train", "mgno", "--train", "tr.h5", "--test", "te.h5", "--epochs", "12", "--batch", "8",
			"--channels", "8", "--layers", "2", "--levels", "4", "--threads", "1", "--out", out}
	}
	out, err := run(args("ref.h5")...).CombinedOutput()
	require.NoError(t, err, string(out))
	cmd := run(args("cut.h5")...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	time.Sleep(1500 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Fatalf("exit %d after SIGTERM: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "epoch") || strings.Contains(stderr.String(), "epoch 12/12") {
		t.Fatalf("the run was not stopped in the middle: %s", stderr.String())
	}
	out, err = run("train", "--resume", "cut.h5", "--threads", "1").CombinedOutput()
	require.NoError(t, err, string(out))
	a, b := readParams(t, filepath.Join(dir, "ref.h5")), readParams(t, filepath.Join(dir, "cut.h5"))
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			t.Fatalf("parameter %s differs after the resume", k)
		}
	}
}

// tinyDarcyJob is the main job at a size a test affords.
const tinyDarcyJob = `{"job":"darcy-mgno","n":17,"train_samples":24,"test_samples":6,"seed":3,"epochs":3,"batch":6,"lr":3e-3,
"channels":4,"layers":2,"levels":2,"out":"m.h5","picture":"m.png","summary":"summary.json"}`

func writeConfig(t *testing.T, dir, name, cfg string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDivergedRun: a run whose residual overflows prints a valid JSON
// summary (non-finite numbers as null) and exits 1 even with
// --allow-unconverged.
func TestDivergedRun(t *testing.T) {
	code, out, errs := sim(t, "solve", "--problem", "helmholtz2d", "--k", "10", "--n", "20", "--method", "sor", "--omega", "1.95",
		"--allow-unconverged", "--json")
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("stdout is not JSON: %q (%v)", out, err)
	}
	if code != 1 || s["reason"] != "diverged" || s["relres"] != nil || !strings.Contains(errs, "diverged") {
		t.Errorf("exit %d, summary %v, stderr %q", code, s, errs)
	}
	type inner struct {
		A float64 `json:"a"`
		B float64 `json:"-"`
		C float64 `json:"c,omitempty"`
	}
	type outer struct {
		inner
		D []float64
	}
	got, err := json.Marshal(jsonSafe(reflect.ValueOf(map[string]any{"x": outer{inner{math.Inf(1), 1, 0}, []float64{math.NaN(), 2}}})))
	if err != nil || string(got) != `{"x":{"D":[null,2],"a":null}}` {
		t.Errorf("jsonSafe: %s, %v", got, err)
	}
}

// TestOutputChecks: an output folder that does not exist is refused
// before any work (exit 2, the path named); temporary files of an earlier
// killed run on the same output are removed and reported; a failing later
// step (the plot) removes the outputs the run already wrote.
func TestOutputChecks(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	code, _, errs := sim(t, "sequence", "--instances", "50000", "--policies", "gs", "--out", filepath.Join(dir, "no", "s.h5"))
	if code != 2 || !strings.Contains(errs, filepath.Join(dir, "no")) || time.Since(start) > 5*time.Second {
		t.Errorf("missing folder: exit %d after %v, %q", code, time.Since(start), errs)
	}
	stale := filepath.Join(dir, ".x.h5.tmp-4242")
	writeConfig(t, dir, ".x.h5.tmp-4242", "partial")
	code, _, errs = sim(t, "solve", "--n", "8", "--out", filepath.Join(dir, "x.h5"))
	if _, err := os.Stat(stale); code != 0 || err == nil || !strings.Contains(errs, stale) {
		t.Errorf("stale temporary file: exit %d, stat %v, %q", code, err, errs)
	}
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.MkdirAll(filepath.Join(sub, "keep"), 0o755))
	code, _, errs = sim(t, "sequence", "--instances", "3", "--policies", "gs", "--out", filepath.Join(dir, "s.h5"), "--plot", sub, "--force")
	if _, err := os.Stat(filepath.Join(dir, "s.h5")); code == 0 || err == nil {
		t.Errorf("failing plot: exit %d, s.h5 left behind (%v): %q", code, err, errs)
	}
}

// TestProgressWithoutTerminal: with stderr not a terminal, long work
// writes plain progress lines (counts, elapsed, ETA) at the log interval,
// here shortened to a millisecond.
func TestProgressWithoutTerminal(t *testing.T) {
	defer func(d time.Duration) { logEvery = d }(logEvery)
	logEvery = time.Millisecond
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"solve", "--n", "64", "--method", "jacobi", "--maxiter", "3000", "--allow-unconverged"}, "solve: iteration "},
		{[]string{"sequence", "--instances", "40", "--policies", "gs"}, "ETA"},
		{[]string{"generate", "darcy", "--samples", "6", "--n", "33", "--out", filepath.Join(t.TempDir(), "d.h5")}, "generate: "},
	} {
		code, _, errs := sim(t, tc.args...)
		if code != 0 || !strings.Contains(errs, tc.want) || strings.Contains(errs, "\r") {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, errs)
		}
	}
}

// TestCorruptHDF5: files on which libhdf5 itself crashes (SIGSEGV in
// H5Dread) or spins (H5Aread) are refused with exit 2 and a message that
// names the file, read first in a child process under a deadline; the
// good file they were made from passes. (They are byte flips of a
// generate clouds file and of an export file.)
func TestCorruptHDF5(t *testing.T) {
	defer func(d time.Duration) { vetDeadline = d }(vetDeadline)
	vetDeadline = 2 * time.Second
	for _, tc := range []struct{ file, msg string }{
		{"testdata/h5-segv.h5", "crashed reading it"},
		{"testdata/h5-spin.h5", "did not finish reading it"},
	} {
		code, _, errs := sim(t, "ot", "--in", tc.file, "--method", "emd")
		if code != 2 || !strings.Contains(errs, tc.msg) || !strings.Contains(errs, tc.file) {
			t.Errorf("%s: exit %d, %q", tc.file, code, errs)
		}
	}
	if code, _, errs := sim(t, "ot", "--in", "testdata/h5-good.h5", "--method", "emd"); code != 0 {
		t.Errorf("good file: exit %d, %q", code, errs)
	}
}
