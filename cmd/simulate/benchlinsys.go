package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/amg"
	"github.com/pdekit/pdekit/sparse"
)

// linsysImpls are the solver configurations of `bench linsys`, named after
// the peer in ../shared/peers/linsys.py that does the same work.
var linsysImpls = []struct {
	name      string
	flags     methodFlags
	symmetric bool // needs a symmetric matrix
	nonsym    bool // only for nonsymmetric matrices (restarted GMRES on the Poisson matrix takes tens of thousands of iterations)
	stencil   bool // apply A matrix-free (the same operator, not the same storage as the peer)
}{
	{"pdekit-cg", defaultMethodFlags("cg", "none"), true, false, false},
	{"pdekit-cg-jacobi", defaultMethodFlags("cg", "jacobi"), true, false, false},
	{"pdekit-cg-icc", defaultMethodFlags("cg", "ic0"), true, false, false},
	{"pdekit-cg-ssor", defaultMethodFlags("cg", "ssor"), true, false, false},
	{"pdekit-cg-mg", defaultMethodFlags("cg", "mg"), true, false, false},
	{"pdekit-cg-stencil", defaultMethodFlags("cg", "none"), true, false, true},
	{"pdekit-cg-mg-stencil", defaultMethodFlags("cg", "mg"), true, false, true},
	{"pdekit-cg-amg", defaultMethodFlags("cg", "amg"), true, false, false},
	{"pdekit-cg-amg-sa", amgFlags(amg.SmoothedAggregation), true, false, false},
	{"pdekit-gmres", defaultMethodFlags("gmres", "none"), false, true, false},
	{"pdekit-gmres-ilu", defaultMethodFlags("gmres", "ilu0"), false, false, false},
	{"pdekit-bicgstab", defaultMethodFlags("bicgstab", "none"), false, true, false},
	{"pdekit-bcgs-ilu", defaultMethodFlags("bicgstab", "ilu0"), false, false, false},
	{"pdekit-gmres-mg", defaultMethodFlags("gmres", "mg"), false, false, false},
}

// amgFlags are the defaults with --pc amg of the given coarsening.
func amgFlags(c amg.Coarsening) methodFlags {
	f := defaultMethodFlags("cg", "amg")
	f.AMG.Set(c.String())
	return f
}

func benchLinsys(args []string, stdout, stderr io.Writer) error {
	var cm common
	var export, sizes, cases, impls string
	var rtol float64
	var maxiter int
	fs := newFlags("bench linsys", "Solve the named problems with each solver once (setup included, as PETSc's KSPSolve does) and print JSON lines; with --export, write CASE.mtx for the SciPy/PETSc/hypre peer script linsys.py.",
		"simulate bench linsys --threads 1 --sizes 255,511 --export mats", stderr)
	cm.register(fs)
	fs.StringVar(&export, "export", "", "also write each matrix as CASE.mtx into this folder (made if missing)")
	fs.StringVar(&sizes, "sizes", "255,511,1023", "grid sizes n (n x n unknowns; 2^k-1 for multigrid)")
	fs.StringVar(&cases, "cases", "poisson2d,anisotropic2d,convdiff2d", "problems (anisotropic2d uses eps 0.01, convdiff2d Peclet 10)")
	var names []string
	for _, im := range linsysImpls {
		names = append(names, im.name)
	}
	fs.StringVar(&impls, "impls", strings.Join(names, ","), "solvers to run")
	fs.Float64Var(&rtol, "rtol", 1e-8, "stop when ||b - A x|| <= rtol ||b||")
	fs.IntVar(&maxiter, "maxiter", 100000, "iteration cap")
	st, err := cm.parseBegin(fs, args, "bench linsys", stdout, stderr)
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
	table := make([]option[bool], len(names))
	for i, nm := range names {
		table[i] = option[bool]{nm, true}
	}
	chosen, err := list("impls", impls, table)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, o := range chosen {
		want[o.name] = true
	}
	for _, name := range strings.Split(cases, ",") {
		for _, n := range ns {
			prob, a, caseName, err := benchCase(st, problemFlags{Problem: name, N: n, Eps: 0.01, Peclet: 10}, export)
			if err != nil {
				return err
			}
			b := make([]float64, len(prob.b()))
			a.MulVecTo(b, ones(len(b)))
			for _, im := range linsysImpls {
				if !want[im.name] || im.symmetric && !prob.symmetric || im.nonsym && prob.symmetric {
					continue
				}
				f := im.flags
				line := map[string]any{"case": caseName, "impl": im.name, "n": len(b), "nnz": a.NNZ(), "threads": cm.Threads}
				start := time.Now()
				method, pc, err := f.build(func() *sparse.CSR { return a }, prob.grid, prob.rediscretize, prob.shape)
				if err != nil {
					line["error"] = err.Error()
				} else {
					s := &solvers.Settings{Control: iterate.Control{Tolerance: rtol, MaxIterations: maxiter}}
					if pc != nil {
						s.Preconditioner = pc
					}
					setup := time.Since(start).Seconds()
					var op solvers.Operator = a
					if im.stencil {
						op = prob.op
					}
					res, err := solvers.Solve(st.ctx, op, b, method, s)
					secs := time.Since(start).Seconds()
					if err != nil {
						return err
					}
					line["iters"], line["seconds"], line["setup_seconds"] = res.Iterations, secs, setup
					line["relres"], line["reason"] = trueRelres(a, res.X, b), res.Reason.String()
				}
				if err := st.line(line); err != nil {
					return err
				}
			}
		}
	}
	return st.complete()
}
