package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func sim(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestRunSolveJob(t *testing.T) {
	dir := t.TempDir()
	code, cfg, _ := sim(t, "run", "--print-config", "solve")
	if code != 0 {
		t.Fatalf("--print-config solve: exit %d", code)
	}
	writeConfig(t, dir, "solve.json", cfg)
	conf := filepath.Join(dir, "solve.json")
	dir = filepath.Join(dir, "out") // made by run, as in a fresh clone
	code, out, errs := sim(t, "run", "--config", conf, "--out", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("not one JSON object: %q", out)
	}
	// max of u for -Laplace u = 1 on the unit square is 0.0736713...
	// (series solution, e.g. Timoshenko & Goodier, torsion of a square bar);
	// the 5-point scheme on a 128-interval grid is within 1e-4 of it.
	if m := s["max_u"].(float64); m < 0.0735 || m > 0.0738 {
		t.Errorf("max u = %v", m)
	}
	for _, f := range []string{"solution.h5", "solution.png"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// A second run without --force must refuse and keep the files.
	if code, _, errs := sim(t, "run", "--config", conf, "--out", dir); code != 2 || !strings.Contains(errs, "already exists") {
		t.Errorf("second run: exit %d, %s", code, errs)
	}
}

// TestRunDarcyJob runs the main job at a test's size: the checkpoint it
// writes must evaluate, on the test samples the job made, to the error
// its summary reports, and the summary file must equal what it printed.
func TestRunDarcyJob(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "tiny.json", tinyDarcyJob)
	code, out, errs := sim(t, "run", "--config", filepath.Join(dir, "tiny.json"), "--out", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var s struct {
		Job       string                      `json:"job"`
		Params    int                         `json:"params"`
		Epochs    int                         `json:"epochs"`
		Reason    string                      `json:"reason"`
		Classical float64                     `json:"classical_seconds_per_sample"`
		L2        struct{ Mean, Max float64 } `json:"test_rel_l2"`
		Outputs   []string                    `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("not one JSON object: %q: %v", out, err)
	}
	if s.Job != "darcy-mgno" || s.Epochs != 3 || s.Params == 0 || !(s.Classical > 0) || len(s.Outputs) != 3 {
		t.Errorf("summary %+v", s)
	}
	// Predicting zero has relative error 1; three epochs must beat it.
	if !(s.L2.Mean > 0 && s.L2.Mean < 1 && s.L2.Max >= s.L2.Mean) {
		t.Errorf("test relative L2 %+v", s.L2)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	if f["job"] != "darcy-mgno" || f["test_rel_l2"] == nil {
		t.Errorf("summary.json %v", f)
	}
	for _, name := range []string{"m.h5", "m.png"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The checkpoint is an ordinary one: eval can read it.
	if code, _, errs := sim(t, "generate", "darcy", "--samples", "2", "--n", "17", "--seed", "9", "--out", filepath.Join(dir, "d.h5")); code != 0 {
		t.Fatalf("generate: %s", errs)
	}
	if code, _, errs := sim(t, "eval", "--model", filepath.Join(dir, "m.h5"), "--data", filepath.Join(dir, "d.h5")); code != 0 {
		t.Errorf("eval of the job's checkpoint: exit %d: %s", code, errs)
	}
}

func TestRunDefaultConfig(t *testing.T) {
	var cfg runConfig
	if err := json.Unmarshal(defaultConfig, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Job != "darcy-mgno" || cfg.N != 65 {
		t.Errorf("embedded default %+v", cfg)
	}
	dir := t.TempDir()
	for _, tc := range []struct{ cfg, msg string }{
		{`{"job":"nope","n":9,"out":"a","picture":"b"}`, `unknown job "nope"`},
		{`{"job":"darcy-mgno","n":5,"out":"a","picture":"b"}`, "n >= 9"},
		{`{"job":"darcy-mgno","n":17,"train_samples":2,"test_samples":1,"epochs":1,"batch":1,"lr":1e-3,"out":"a","picture":"b","sumary":"c"}`, `unknown field "sumary"`},
	} {
		writeConfig(t, dir, "c.json", tc.cfg)
		if code, _, errs := sim(t, "run", "--config", filepath.Join(dir, "c.json"), "--out", dir); code != 2 || !strings.Contains(errs, tc.msg) {
			t.Errorf("%s: exit %d, %q", tc.cfg, code, errs)
		}
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	nonSquare, nanA := filepath.Join(dir, "ns.mtx"), filepath.Join(dir, "nan.mtx")
	require.NoError(t, os.WriteFile(nonSquare, []byte("%%MatrixMarket matrix coordinate real general\n2 3 2\n1 1 1.0\n2 2 2.0\n"), 0o644))
	require.NoError(t, os.WriteFile(nanA, []byte("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 nan\n2 2 2.0\n"), 0o644))
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{}, 2, "usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"solve", "--problem", "nope"}, 2, `unknown problem "nope"`},
		{[]string{"solve", "--problem", "darcy2d", "--n", "4"}, 2, "darcy2d wants 5 to 8193 nodes"},
		{[]string{"solve", "--problem", "darcy2d", "--n", "33", "--method", "mg", "--coarse", "rediscretize"}, 2, "--coarse rediscretize needs"},
		{[]string{"solve", "--n", "0"}, 2, "--n must be at least 1"},
		{[]string{"solve", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"solve", "--n", "8", "extra"}, 2, "unexpected argument"},
		{[]string{"solve", "--matrix", "/no/such.mtx"}, 2, "no such file"},
		{[]string{"solve", "--matrix", nonSquare}, 2, "is 2 x 3: a linear system needs a square matrix"},
		{[]string{"solve", "--matrix", nanA}, 2, "entry (0, 0) is NaN"},
		{[]string{"solve", "--method", "nope"}, 2, "unknown --method"},
		{[]string{"solve", "--pc", "nope"}, 2, "unknown --pc"},
		{[]string{"solve", "--method", "pcg"}, 2, "pcg needs a --pc"},
		{[]string{"solve", "--method", "sor", "--pc", "ic0"}, 2, "takes no --pc"},
		{[]string{"solve", "--method", "direct", "--pc", "amg"}, 2, "direct is a sparse factorisation"},
		{[]string{"solve", "--rtol", "inf"}, 2, "--rtol +Inf: want a finite number"},
		{[]string{"pinn", "--lr", "inf"}, 2, "--lr +Inf: want a finite number"},
		{[]string{"train", "dcdm", "--lr", "nan"}, 2, "--lr NaN: want a finite number"},
		{[]string{"pinn", "--plot", "p.txt"}, 2, "the plot is a PNG: name it .png"},
		{[]string{"solve", "--method", "sor", "--omega", "2.5"}, 2, "omega = 2.5"},
		{[]string{"solve", "--pc", "mg", "--n", "100", "--smoother", "bogus"}, 2, "--smoother"},
		{[]string{"solve", "--pc", "ic0", "--problem", "convdiff2d"}, 2, "symmetric"},
		{[]string{"solve", "--pc", "mg", "--n", "31", "--cycle", "X"}, 2, "unknown --cycle"},
		{[]string{"solve", "--n", "31", "--method", "gmres", "--restart", "0"}, 2, "--restart"},
		{[]string{"solve", "--n", "31", "--method", "mg", "--json"}, 0, ""},
		{[]string{"solve", "--n", "31", "--method", "bicgstab", "--pc", "ilu0", "--problem", "convdiff2d"}, 0, ""},
		{[]string{"solve", "--n", "16", "--maxiter", "2"}, 1, "did not converge"},
		{[]string{"solve", "--n", "16", "--maxiter", "2", "--allow-unconverged"}, 0, ""},
		// Helmholtz with k^2 above the first eigenvalues is indefinite: CG
		// must report it rather than loop.
		{[]string{"solve", "--problem", "helmholtz2d", "--k", "20", "--n", "32"}, 1, "breakdown"},
		{[]string{"solve", "--help"}, 0, "example:"},
		{[]string{"bench"}, 2, "needs a suite"},
	} {
		code, _, errs := sim(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, errs, tc.msg)
		}
	}
}

func TestExportSolveRoundTrip(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "A.mtx"), filepath.Join(dir, "b.mtx")
	if code, _, errs := sim(t, "export", "--problem", "poisson3d", "--n", "10", "--out", a, "--rhs", b); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	// The same system solved from the file and from the problem must give
	// the same iteration count and solution.
	x1, x2 := filepath.Join(dir, "x1.h5"), filepath.Join(dir, "x2.h5")
	_, o1, e1 := sim(t, "solve", "--matrix", a, "--rhs", b, "--json", "--out", x1)
	_, o2, e2 := sim(t, "solve", "--problem", "poisson3d", "--n", "10", "--json", "--out", x2)
	var s1, s2 map[string]any
	if json.Unmarshal([]byte(o1), &s1) != nil || json.Unmarshal([]byte(o2), &s2) != nil {
		t.Fatalf("outputs %q %q / %s %s", o1, o2, e1, e2)
	}
	if s1["iterations"] != s2["iterations"] || s1["converged"] != true {
		t.Errorf("file: %v, problem: %v", s1, s2)
	}
	h := filepath.Join(dir, "A.h5")
	if code, _, errs := sim(t, "export", "--problem", "anisotropic2d", "--n", "12", "--out", h); code != 0 {
		t.Fatalf("export h5: %s", errs)
	}
	if code, _, errs := sim(t, "solve", "--matrix", h); code != 0 {
		t.Errorf("solve from h5: %s", errs)
	}
}

// TestObstacleProblems: the obstacle systems solve by name (CG, and
// faster with IC(0)), export with their right-hand side so that the file
// gives the same solve, refuse geometric multigrid, and differ by seed.
func TestObstacleProblems(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "A.mtx"), filepath.Join(dir, "b.mtx")
	require.Equal(t, 0, first(sim(t, "export", "--problem", "obstacles2d", "--n", "40", "--seed", "5", "--out", a, "--rhs", b)))
	iters := func(args ...string) float64 {
		code, out, errs := sim(t, append([]string{"solve", "--rtol", "1e-8", "--json"}, args...)...)
		require.Equal(t, 0, code, errs)
		var s map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &s))
		return s["iterations"].(float64)
	}
	named := iters("--problem", "obstacles2d", "--n", "40", "--seed", "5")
	if file := iters("--matrix", a, "--rhs", b); file != named {
		t.Errorf("from the file %g iterations, by name %g", file, named)
	}
	if ic := iters("--problem", "obstacles2d", "--n", "40", "--seed", "5", "--pc", "ic0"); !(ic < named) {
		t.Errorf("IC(0)-PCG %g iterations, CG %g", ic, named)
	}
	iters("--problem", "obstacles3d", "--n", "12", "--shape", "spheres")
	if code, _, errs := sim(t, "solve", "--problem", "obstacles2d", "--n", "16", "--pc", "mg"); code != 2 || !strings.Contains(errs, "obstacle") {
		t.Errorf("multigrid on obstacles: exit %d, %q", code, errs)
	}
	if code, _, errs := sim(t, "solve", "--problem", "obstacles2d", "--n", "16", "--shape", "cones"); code != 2 || !strings.Contains(errs, "cones") {
		t.Errorf("unknown shape: exit %d, %q", code, errs)
	}
}

func TestBenchPrintsJSONLines(t *testing.T) {
	code, out, errs := sim(t, "bench", "spmv", "--sizes", "16")
	if code != 0 {
		t.Fatal(errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), out)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["case"] != "poisson2d-16" || !(m["seconds"].(float64) > 0) {
			t.Errorf("line %q: %v", l, err)
		}
	}
}

func TestBenchLinsys(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := sim(t, "bench", "linsys", "--sizes", "15", "--cases", "poisson2d,convdiff2d", "--export", dir)
	if code != 0 {
		t.Fatal(errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// Twelve solvers for symmetric matrices on Poisson, five for nonsymmetric ones on
	// convection-diffusion.
	if len(lines) != 17 {
		t.Fatalf("%d lines: %q", len(lines), out)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["reason"] != "converged (relative tolerance)" || !(m["relres"].(float64) <= 1e-8) {
			t.Errorf("line %q: %v", l, err)
		}
	}
	for _, c := range []string{"poisson2d-15.mtx", "convdiff2d-15.mtx"} {
		if _, err := os.Stat(filepath.Join(dir, c)); err != nil {
			t.Error(err)
		}
	}
	// The exported files are outputs: not overwritten without --force.
	if code, _, errs := sim(t, "bench", "linsys", "--sizes", "15", "--cases", "poisson2d", "--export", dir); code != 2 || !strings.Contains(errs, "already exists") {
		t.Errorf("export over existing files: exit %d, %q", code, errs)
	}
	if code, _, errs := sim(t, "bench", "linsys", "--sizes", "15", "--cases", "poisson2d", "--export", dir, "--force"); code != 0 {
		t.Errorf("export with --force: exit %d, %q", code, errs)
	}
	if code, _, errs := sim(t, "bench", "spmv", "--sizes", "16", "--export", filepath.Join(dir, "new")); code != 0 {
		t.Errorf("export to a new folder: exit %d, %q", code, errs)
	}
	writeConfig(t, dir, "file", "")
	if code, _, errs := sim(t, "bench", "spmv", "--sizes", "16", "--export", filepath.Join(dir, "file")); code != 2 || !strings.Contains(errs, "--export") {
		t.Errorf("export into a file: exit %d, %q", code, errs)
	}
	// Multigrid needs a grid, which a matrix file does not give.
	if code, _, errs := sim(t, "solve", "--matrix", filepath.Join(dir, "poisson2d-15.mtx"), "--pc", "mg"); code != 2 || !strings.Contains(errs, "needs a grid") {
		t.Errorf("mg on a file: exit %d, %q", code, errs)
	}
}

// TestZeroTolerance: a zero tolerance is refused by every command that
// takes one (it is never replaced by a default), except that --rtol 0
// with --atol runs the absolute test alone, and the answer meets it.
func TestZeroTolerance(t *testing.T) {
	for _, args := range [][]string{
		{"solve", "--n", "8", "--rtol", "0"},
		{"ot", "--in", "missing.h5", "--tol", "0"},
		{"generate", "darcy", "--samples", "1", "--n", "9", "--tol", "0", "--out", "x.h5"},
		{"sequence", "--instances", "2", "--tol", "0"},
		{"nlp", "--problem", "hs48", "--tol", "0"},
		{"ode", "--problem", "lotka-volterra", "--rtol", "0"},
	} {
		code, _, errs := sim(t, args...)
		if code != 2 || !strings.Contains(errs, "tol") {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
	code, out, errs := sim(t, "solve", "--n", "31", "--rtol", "0", "--atol", "1e-9", "--json")
	var s struct {
		Reason string  `json:"reason"`
		RelRes float64 `json:"relres"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil {
		t.Fatalf("--rtol 0 --atol 1e-9: exit %d, %s %s", code, out, errs)
	}
	// ||b|| = 31 for b = 1 on 31 x 31 points: the absolute test is a
	// relative 1e-9/31; the default relative 1e-8 would stop far above.
	if s.Reason != "converged (absolute tolerance)" || s.RelRes > 1e-9/31*(1+1e-9) {
		t.Errorf("reason %q, relative residual %.3g", s.Reason, s.RelRes)
	}
}

// TestMain lets the test binary serve as the child that vets HDF5 files,
// as the simulate binary does (vetInput runs os.Executable), and removes
// the binary the signal tests built.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == vetCommand {
		os.Exit(vetMain(os.Args[2:]))
	}
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// TestBenchODEWithoutPeers: bench ode runs as its help shows, without the
// peer's output: a line per problem, method of its kind and tolerance,
// the end error falling with the tolerance.
func TestBenchODEWithoutPeers(t *testing.T) {
	code, out, errs := sim(t, "bench", "ode", "--methods", "tsit5", "--rtol", "1e-4,1e-8")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	errAt := map[string]float64{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m struct {
			Case string
			Err  float64 `json:"relerr_end"`
			NFev int     `json:"nfev"`
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil || m.NFev <= 0 {
			t.Fatalf("line %q: %v", l, err)
		}
		errAt[m.Case] = m.Err
	}
	if len(errAt) != 6 { // three nonstiff problems, two tolerances
		t.Fatalf("%d cases: %v", len(errAt), errAt)
	}
	for c, e := range errAt {
		if strings.HasSuffix(c, "-rtol1e-08") {
			if loose := errAt[strings.TrimSuffix(c, "1e-08")+"0.0001"]; !(e < loose) {
				t.Errorf("%s: error %.3g not below %.3g at 1e-4", c, e, loose)
			}
		}
	}
}
