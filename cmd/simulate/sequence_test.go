package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/mesh"
)

// TestSequenceShifted runs a short shifted-Laplacian sequence and checks
// the figures against each other: the grid oracle pays exactly the
// minimum of each instance's grid row, best-fixed is the cheapest grid
// column, and the learners beat Gauss-Seidel.
func TestSequenceShifted(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "seq.h5")
	code, stdout, errs := sim(t, "sequence", "--instances", "150", "--trials", "2", "--json", "--out", out,
		"--plot", filepath.Join(dir, "seq.png"), "--policies", "gs,1.5,best-fixed,tsallis,tsallis-cb,chebcb,oracle")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var s struct {
		Policies map[string]struct {
			Iterations float64 `json:"iterations_per_instance"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("not JSON: %q", stdout)
	}
	gs := s.Policies["omega=1"].Iterations
	for _, p := range []string{"tsallis", "tsallis-cb", "chebcb", "best-fixed", "oracle"} {
		if s.Policies[p].Iterations >= gs {
			t.Errorf("%s: %.1f iterations per instance, Gauss-Seidel %.1f", p, s.Policies[p].Iterations, gs)
		}
	}
	f, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, dims, err := h5.Read[int64](f, "grid_iterations")
	if err != nil || len(dims) != 3 || dims[0] != 2 || dims[1] != 150 {
		t.Fatalf("grid_iterations %v: %v", dims, err)
	}
	orc, _, err := h5.Read[int64](f, "policies/oracle/iterations")
	if err != nil {
		t.Fatal(err)
	}
	g := dims[2]
	for i := range orc {
		m := tab[i*g]
		for _, v := range tab[i*g : (i+1)*g] {
			m = min(m, v)
		}
		if orc[i] != m {
			t.Fatalf("instance %d: oracle %d, grid minimum %d", i, orc[i], m)
		}
	}
	bf, _, _ := h5.Read[int64](f, "policies/best-fixed/iterations")
	var bfTot, colTot int64
	for trial := 0; trial < 2; trial++ {
		bfTot, colTot = 0, -1
		for i := 0; i < 150; i++ {
			bfTot += bf[trial*150+i]
		}
		for col := 0; col < g; col++ {
			var s int64
			for i := 0; i < 150; i++ {
				s += tab[(trial*150+i)*g+col]
			}
			if colTot < 0 || s < colTot {
				colTot = s
			}
		}
		if bfTot != colTot {
			t.Errorf("trial %d: best-fixed total %d, cheapest grid column %d", trial, bfTot, colTot)
		}
	}
}

// TestSequenceResume: learners saved after a first run and loaded into a
// second continue from what they learned (the file round trip itself is
// tested in io/h5); missing state is a usage error.
func TestSequenceResume(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "state.h5")
	if code, _, errs := sim(t, "sequence", "--instances", "60", "--policies", "tsallis,chebcb", "--save-state", st); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if code, _, errs := sim(t, "sequence", "--instances", "60", "--seed", "2", "--policies", "tsallis,chebcb", "--load-state", st); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	code, _, errs := sim(t, "sequence", "--instances", "10", "--policies", "tsallis-cb", "--load-state", st)
	if code != 2 || !strings.Contains(errs, "tsallis-cb") {
		t.Errorf("loading a policy the file lacks: exit %d, %s", code, errs)
	}
}

// TestSequenceFile reads instances from an HDF5 file in natural name order.
func TestSequenceFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "inst.h5")
	f, err := h5.Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	g := mesh.NewGrid(mesh.Dirichlet, 6, 6)
	for i, name := range []string{"2", "10", "1"} {
		a := mesh.NewStencil(g, 4+0.1*float64(i), []float64{-1, -1}, []float64{-1, -1}).ToCSR()
		if err := h5.WriteCSR(f, name+"/matrix", a); err != nil {
			t.Fatal(err)
		}
		b := make([]float64, g.Len())
		for j := range b {
			b[j] = 1
		}
		h5.Write(f, name+"/rhs", []int{len(b)}, b, nil)
		h5.Write(f, name+"/context", []int{1}, []float64{0.1 * float64(i)}, nil)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.h5")
	if code, _, errs := sim(t, "sequence", "--workload", "file", "--file", path, "--policies", "gs,chebcb", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r, _ := h5.Open(out)
	defer r.Close()
	ctx, _, err := h5.Read[float64](r, "context")
	if err != nil {
		t.Fatal(err)
	}
	// Natural order 1, 2, 10 holds contexts 0.2, 0, 0.1.
	want := []float64{0.2, 0, 0.1}
	for i := range want {
		if d := ctx[i] - want[i]; d > 1e-15 || d < -1e-15 {
			t.Fatalf("contexts %v, want %v", ctx, want)
		}
	}
}

func TestSequenceBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.h5")
	f, _ := h5.Create(empty, false)
	h5.Write(f, "x", []int{1}, []float64{1}, nil)
	f.Close()
	bad := filepath.Join(dir, "bad.h5")
	f, _ = h5.Create(bad, false)
	g := mesh.NewGrid(mesh.Dirichlet, 3, 3)
	h5.WriteCSR(f, "7/matrix", mesh.NewLaplacian(g).ToCSR())
	h5.Write(f, "7/rhs", []int{9}, []float64{1, 1, 1, 1, math.NaN(), 1, 1, 1, 1}, nil)
	f.Close()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--workload", "nope"}, `unknown --workload "nope"`},
		{[]string{"--policies", "gs,wild"}, `"wild" is not a policy`},
		{[]string{"--policies", "2.5"}, `"2.5" is not a policy`},
		{[]string{"--policies", "gs,gs"}, "given twice"},
		{[]string{"--workload", "file"}, "needs --file"},
		{[]string{"--workload", "file", "--file", empty}, "no instance groups"},
		{[]string{"--workload", "file", "--file", "/no/such.h5"}, "--file"},
		{[]string{"--workload", "file", "--file", bad}, "instance 7: rhs[4] = NaN"},
		{[]string{"--trials", "0"}, "--trials"},
		{[]string{"--context-range", "1,0"}, "--context-range"},
		{[]string{"--trials", "2", "--save-state", filepath.Join(dir, "s.h5")}, "--trials 1"},
	} {
		code, _, errs := sim(t, append([]string{"sequence"}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, %q (want 2 and %q)", tc.args, code, errs, tc.msg)
		}
	}
}
