package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdekit/pdekit/io/h5"
)

// darcy2d is the system of 'generate darcy': solved with algebraic
// multigrid (both coarsenings) its solution is the data set's, and AMG
// takes a handful of iterations on it as a matrix file too.
func TestDarcy2dAMG(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.h5")
	if code, _, errs := sim(t, "generate", "darcy", "--samples", "1", "--n", "41", "--seed", "5", "--out", data); code != 0 {
		t.Fatal(errs)
	}
	want := readAll(t, data)["tensor"]
	for _, c := range []string{"rs", "sa"} {
		out := filepath.Join(dir, "x-"+c+".h5")
		code, js, errs := sim(t, "solve", "--problem", "darcy2d", "--n", "41", "--seed", "5", "--pc", "amg", "--amg", c,
			"--rtol", "1e-10", "--out", out, "--json")
		if code != 0 {
			t.Fatal(errs)
		}
		var sum struct{ Iterations int }
		if err := json.Unmarshal([]byte(js), &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Iterations > 15 {
			t.Errorf("%s: %d AMG-PCG iterations to 1e-10 on darcy2d 41, want at most 15", c, sum.Iterations)
		}
		f, err := h5.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		x, _, err := h5.Read[float64](f, "x")
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		// The data set stores the 41 x 41 nodes, boundary zeros included.
		var worst float64
		for j := 0; j < 39; j++ {
			for i := 0; i < 39; i++ {
				got, w := x[j*39+i], float64(want[(j+1)*41+i+1])
				worst = math.Max(worst, math.Abs(got-w)/math.Abs(w))
			}
		}
		if worst > 1e-6 {
			t.Errorf("%s: darcy2d's solution differs from generate darcy's by %.3g (relative)", c, worst)
		}
	}
	mtx := filepath.Join(dir, "A.mtx")
	if code, _, errs := sim(t, "export", "--problem", "darcy2d", "--n", "41", "--out", mtx); code != 0 {
		t.Fatal(errs)
	}
	code, js, errs := sim(t, "solve", "--matrix", mtx, "--method", "amg", "--json")
	if code != 0 {
		t.Fatal(errs)
	}
	var sum struct {
		Iterations int
		Relres     float64
	}
	if err := json.Unmarshal([]byte(js), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Iterations > 20 || !(sum.Relres <= 1e-8) {
		t.Errorf("--method amg on the exported matrix: %d V-cycles to relres %g, want at most 20 to 1e-8", sum.Iterations, sum.Relres)
	}
}

// The unstructured finite-element matrix: P1 on gmsh's Delaunay meshes of
// the L-shaped domain with a hole (the lshape problem) at three sizes and
// on a user's mesh file (--mesh). AMG-PCG's iterations stay flat where
// IC(0)'s grow.
func TestLShapeAMG(t *testing.T) {
	if testing.Short() {
		t.Skip("runs gmsh to mesh three L-shapes (a few seconds): skipped under -short")
	}
	var its []int
	for _, n := range []string{"16", "32", "64"} {
		code, js, errs := sim(t, "solve", "--problem", "lshape", "--n", n, "--seed", "3", "--pc", "amg", "--json")
		if code != 0 {
			t.Fatal(errs)
		}
		var sum struct {
			Iterations, N int
		}
		if err := json.Unmarshal([]byte(js), &sum); err != nil {
			t.Fatal(err)
		}
		its = append(its, sum.Iterations)
		t.Logf("lshape n %s: %d unknowns, %d AMG-PCG iterations", n, sum.N, sum.Iterations)
	}
	if its[2] > 12 || its[2]-its[0] > 2 {
		t.Errorf("AMG-PCG iterations %v on lshape 16, 32, 64: want at most 12 and flat", its)
	}
	code, js, errs := sim(t, "solve", "--mesh", filepath.Join("..", "..", "io", "msh", "testdata", "lshape41.msh"), "--json")
	if code != 0 {
		t.Fatal(errs)
	}
	var sum struct {
		Mesh   string
		N      int
		Relres float64
	}
	if err := json.Unmarshal([]byte(js), &sum); err != nil || sum.N < 10 || !(sum.Relres <= 1e-8) || sum.Mesh == "" {
		t.Errorf("--mesh: %s (%v)", js, err)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--mesh", "/no/such.msh"}, "no such file"},
		{[]string{"--mesh", filepath.Join("..", "..", "io", "msh", "testdata", "lshape.geo")}, "not a gmsh file"},
		{[]string{"--problem", "lshape", "--n", "1"}, "mesh size 1/n"},
		{[]string{"--mesh", "x.msh", "--matrix", "A.mtx"}, "choose one"},
	} {
		code, _, errs := sim(t, append([]string{"solve"}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errs, c.msg)
		}
	}
}

// --method direct factors with CHOLMOD (SPD) or UMFPACK (otherwise) and
// solves in one iteration to rounding, reporting the factorisation.
func TestSolveDirect(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--problem", "darcy2d", "--n", "65"}, "cholesky (CHOLMOD"},
		{[]string{"--problem", "convdiff2d", "--n", "40", "--peclet", "100"}, "lu (UMFPACK)"},
	} {
		code, js, errs := sim(t, append([]string{"solve", "--method", "direct", "--rtol", "1e-12", "--json"}, c.args...)...)
		if code != 0 {
			t.Fatal(errs)
		}
		var sum struct {
			Iterations    int
			Relres        float64
			Factorization string
			FactorNNZ     float64 `json:"factor_nnz"`
		}
		if err := json.Unmarshal([]byte(js), &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Iterations != 1 || !(sum.Relres <= 1e-12) || !strings.HasPrefix(sum.Factorization, c.want) || !(sum.FactorNNZ > 0) {
			t.Errorf("%v: %s", c.args, js)
		}
	}
	sing := filepath.Join(t.TempDir(), "s.mtx")
	if err := os.WriteFile(sing, []byte("%%MatrixMarket matrix coordinate real general\n2 2 4\n1 1 1\n1 2 2\n2 1 2\n2 2 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := sim(t, "solve", "--matrix", sing, "--method", "direct"); code != 2 || !strings.Contains(errs, "singular") {
		t.Errorf("a singular matrix: exit %d, %s", code, errs)
	}
}

// solve --schwarz: the slab path on one process, the coarse level in the
// summary, fewer iterations than IC(0) alone; bad uses exit 2.
func TestSolveSchwarz(t *testing.T) {
	var sums [2]struct {
		Iterations     int
		Relres         float64
		CoarseUnknowns int    `json:"coarse_unknowns"`
		CoarseMethod   string `json:"coarse_method"`
		Ranks          int
	}
	for k, extra := range [][]string{nil, {"--schwarz", "4"}} {
		code, js, errs := sim(t, append([]string{"solve", "--problem", "poisson3d", "--n", "24", "--pc", "ic0", "--json"}, extra...)...)
		if code != 0 {
			t.Fatal(errs)
		}
		if err := json.Unmarshal([]byte(js), &sums[k]); err != nil {
			t.Fatal(err)
		}
	}
	s := sums[1]
	// Coarse nodes 0, 4, ..., 24 per axis: 7^3.
	if s.Ranks != 1 || s.CoarseUnknowns != 343 || !strings.HasPrefix(s.CoarseMethod, "cholesky") || !(s.Relres <= 1e-8) || s.Iterations >= sums[0].Iterations {
		t.Errorf("--schwarz 4: %+v; IC(0) alone %d iterations", s, sums[0].Iterations)
	}
	mtx := filepath.Join(t.TempDir(), "a.mtx")
	if err := os.WriteFile(mtx, []byte("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 2\n2 2 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--problem", "poisson3d", "--n", "8", "--schwarz", "-1"},
		{"--problem", "poisson3d", "--n", "8", "--schwarz", "2", "--method", "jacobi"},
		{"--matrix", mtx, "--schwarz", "2"},
	} {
		if code, _, errs := sim(t, append([]string{"solve"}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, %s", args, code, errs)
		}
	}
}
