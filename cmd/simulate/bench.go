package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/io/mtx"
	"github.com/pdekit/pdekit/sparse"
)

// column is a vector as a one-column matrix for Matrix Market output.
func column(v []float64) mat.Matrix { return mat.NewVecDense(len(v), v) }

func cmdBench(args []string, stdout, stderr io.Writer) error {
	var cm common
	var export string
	var sizes string
	if len(args) > 0 && args[0] == "linsys" {
		return benchLinsys(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "nn" {
		return benchNN(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "pde" {
		return benchPDE(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "ode" {
		return benchODE(args[1:], stdout, stderr)
	}
	fs := newFlags("bench", "Print JSON lines of benchmark figures (case, impl, seconds, ...) to join with the peer scripts' lines. Suites: spmv, linsys, nn, pde, ode.",
		"simulate bench spmv --threads 1 --export mats", stderr)
	cm.register(fs)
	fs.StringVar(&export, "export", "", "also write each matrix as CASE.mtx into this folder (made if missing; for the peer scripts)")
	fs.StringVar(&sizes, "sizes", "256,1024", "grid sizes n of the n x n Poisson matrices")
	if len(args) == 0 || args[0] != "spmv" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fs.Usage()
			return nil
		}
		return usageErr("bench needs a suite: spmv, linsys, nn, pde or ode")
	}
	st, err := cm.parseBegin(fs, args[1:], "bench spmv", stdout, stderr)
	if err != nil {
		return err
	}
	defer st.end()
	if export != "" {
		if err := os.MkdirAll(export, 0o755); err != nil {
			return usageErr("--export: %v", err)
		}
		if err := writableFolder(filepath.Join(export, "CASE.mtx")); err != nil {
			return usageErr("--export: %v", err)
		}
	}
	ns, err := parseSizes(sizes)
	if err != nil {
		return err
	}
	for _, n := range ns {
		prob, a, name, err := benchCase(st, problemFlags{Problem: "poisson2d", N: n}, export)
		if err != nil {
			return err
		}
		x := ones(len(prob.b()))
		y := make([]float64, len(x))
		for _, impl := range []struct {
			name string
			mul  func(dst, x []float64)
		}{{"pdekit-spmv", a.MulVecTo}, {"pdekit-stencil", prob.op.MulVecTo}} {
			secs := timeIt(func() { impl.mul(y, x) })
			if err := st.line(map[string]any{"case": name, "impl": impl.name, "n": len(x), "nnz": a.NNZ(), "seconds": secs, "threads": cm.Threads}); err != nil {
				return err
			}
		}
	}
	return st.complete()
}

// ones returns a vector of n ones.
func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// parseSizes parses --sizes: a comma-separated list of grid sizes.
func parseSizes(sizes string) ([]int, error) {
	var ns []int
	if err := json.Unmarshal([]byte("["+sizes+"]"), &ns); err != nil || len(ns) == 0 {
		return nil, usageErr("--sizes %q is not a comma-separated list of integers", sizes)
	}
	for _, n := range ns {
		if n < 2 || n > 4096 {
			return nil, usageErr("--sizes: %d not in 2..4096", n)
		}
	}
	return ns, nil
}

// benchCase builds a benchmark problem and its matrix, names the case
// PROBLEM-N as the peer scripts are told, and writes CASE.mtx into export
// when it is set.
func benchCase(st *stage, p problemFlags, export string) (*problem, *sparse.CSR, string, error) {
	prob, err := p.build()
	if err != nil {
		return nil, nil, "", err
	}
	a := prob.op.ToCSR()
	name := fmt.Sprintf("%s-%d", p.Problem, p.N)
	if export != "" {
		sym := mtx.General
		if prob.symmetric {
			sym = mtx.Symmetric
		}
		path := filepath.Join(export, name+".mtx")
		if err := st.writeFile(path, func(w io.Writer) error { return mtx.WriteCSR(w, a, sym) }); err != nil {
			return nil, nil, "", err
		}
	}
	return prob, a, name, nil
}

// timeIt returns the best of five averages of f over about 0.2 s each:
// the minimum filters the noise of a shared machine.
func timeIt(f func()) float64 {
	f()
	reps := 1
	for {
		t := time.Now()
		for i := 0; i < reps; i++ {
			f()
		}
		if time.Since(t) > 20*time.Millisecond {
			break
		}
		reps *= 2
	}
	reps *= 10
	best := 0.0
	for k := 0; k < 5; k++ {
		t := time.Now()
		for i := 0; i < reps; i++ {
			f()
		}
		s := time.Since(t).Seconds() / float64(reps)
		if k == 0 || s < best {
			best = s
		}
	}
	return best
}
