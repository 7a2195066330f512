package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/sparse"
	"github.com/pdekit/pdekit/transport"
)

var otMethods = []string{"sinkhorn", "sinkhorn-log", "sinkhorn-eps", "sns", "emd", "unbalanced", "sparse"}

func cmdOT(args []string, stdout, stderr io.Writer) error {
	var c struct {
		common
		In, Out, Method, Cost string
		Fields                bool
		Reg, Tol, Tau, P      float64
		MaxIter, K, Warmup    int
	}
	fs := newFlags("ot", `Optimal transport between two point clouds or two densities read from one HDF5 file
(datasets x and y; optional weights a and b, uniform otherwise), or for a cost matrix given
in the file (dataset cost [n, m], then --cost is ignored). Clouds are [n, d] and
[m, d]; with --fields, x and y are nonnegative densities on the same 1-D or 2-D grid over
the unit interval or square (cell centres), normalised to unit mass, and zero cells are
dropped. The cost matrix is normalised by its maximum, as ../shared/peers/optimal_transport.py
does ("scale" reports the maximum). Methods: sinkhorn (plain scaling), sinkhorn-log
(stabilised log domain), sinkhorn-eps (log domain with epsilon scaling), sns
(Sinkhorn-Newton-Sparse), emd (exact network simplex), unbalanced (KL-relaxed marginals,
--tau), sparse (at most --k nonzeros per column, --reg is the quadratic gamma). Prints cost,
marginal error, iterations and seconds (--json: the peer script's line); --out writes the
plan (CSR when at most 10% is nonzero) and the potentials.`,
		"simulate ot --in clouds.h5 --method sns --reg 0.001 --tol 1e-9 --out plan.h5", stderr)
	c.common.register(fs)
	fs.StringVar(&c.In, "in", "", "HDF5 file with datasets x and y (required)")
	fs.StringVar(&c.Out, "out", "", "write the plan and potentials to this HDF5 file")
	fs.StringVar(&c.Method, "method", "sinkhorn-log", "method: "+strings.Join(otMethods, ", "))
	fs.StringVar(&c.Cost, "cost", "sqeuclidean", "ground cost: sqeuclidean (W2), euclidean (W1) or minkowski (--p)")
	fs.Float64Var(&c.P, "p", 1, "minkowski: the exponent of (sum |x_k - y_k|^p)^(1/p)")
	fs.BoolVar(&c.Fields, "fields", false, "x and y are densities on a grid, not point clouds")
	fs.Float64Var(&c.Reg, "reg", 0.01, "entropic regularisation (quadratic gamma for sparse; ignored by emd)")
	fs.Float64Var(&c.Tol, "tol", 1e-9, "stop when the marginal error ||P1-a||_1 + ||P^T 1-b||_1 is below this")
	fs.Float64Var(&c.Tau, "tau", 1, "unbalanced: KL marginal penalty")
	fs.IntVar(&c.MaxIter, "maxiter", 0, "iteration cap (0: the method's default)")
	fs.IntVar(&c.K, "k", 2, "sparse: nonzeros per column")
	fs.IntVar(&c.Warmup, "warmup", 0, "sns: Sinkhorn steps before the first Newton step (0: 20; the paper uses 700 for W1)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.common.apply(); err != nil {
		return err
	}
	if c.In == "" {
		return usageErr("--in is required")
	}
	if err := oneOf("--method", c.Method, otMethods); err != nil {
		return err
	}
	var metric transport.Metric
	switch c.Cost {
	case "sqeuclidean":
		metric = transport.SqEuclidean
	case "euclidean":
		metric = transport.Euclidean
	case "minkowski":
	default:
		return usageErr("--cost %q: want sqeuclidean, euclidean or minkowski", c.Cost)
	}
	if err := checkOut(c.Out, c.Force); err != nil {
		return err
	}
	cost, a, b, d, err := readCostInput(c.In)
	if err != nil {
		return err
	}
	if cost == nil {
		var x, y []float64
		if x, y, a, b, d, err = readOTInput(c.In, c.Fields); err != nil {
			return err
		}
		if c.Cost == "minkowski" {
			cost, err = transport.CostMatrixLp(x, y, d, c.P)
		} else {
			cost, err = transport.CostMatrix(x, y, d, metric)
		}
		if err != nil {
			return usageErr("%v", err)
		}
	}
	n, m := len(a), len(b)
	scale := 0.0
	for _, v := range cost {
		scale = math.Max(scale, v)
	}
	if scale > 0 {
		for i := range cost {
			cost[i] /= scale
		}
	}
	start := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// --tol is the marginal error of the normalised problem (mass 1).
	set := &transport.Settings{Control: iterate.Control{Tolerance: c.Tol, MaxIterations: c.MaxIter}, Warmup: c.Warmup}
	var r *transport.Result
	switch c.Method {
	case "sinkhorn":
		r, err = transport.Sinkhorn(ctx, a, b, cost, c.Reg, set)
	case "sinkhorn-log":
		r, err = transport.SinkhornLog(ctx, a, b, cost, c.Reg, set)
	case "sinkhorn-eps":
		r, err = transport.SinkhornEpsScaling(ctx, a, b, cost, c.Reg, set)
	case "unbalanced":
		r, err = transport.SinkhornUnbalanced(ctx, a, b, cost, c.Reg, c.Tau, set)
	case "sns":
		r, err = transport.SinkhornNewtonSparse(ctx, a, b, cost, c.Reg, set)
	case "emd":
		r, err = transport.EMD(ctx, a, b, cost, set)
	case "sparse":
		r, err = transport.SparsityConstrained(ctx, a, b, cost, c.Reg, c.K, set)
	}
	if err != nil {
		return usageErr("%v", err)
	}
	plan, f, g, iters, value, merr := r.Plan, r.F, r.G, r.Iterations, r.Cost, r.MarginalError
	converged := r.Reason.Converged()
	extra := map[string]any{}
	if c.Method == "sns" {
		extra["sinkhorn_iters"], extra["newton_iters"], extra["cg_iters"] = r.Stats.SinkhornIterations, r.Stats.NewtonIterations, r.Stats.CGIterations
	}
	secs := time.Since(start).Seconds()
	nnz := 0
	for _, p := range plan {
		if p != 0 {
			nnz++
		}
	}
	if c.Out != "" {
		if err := writePlan(c.Out, c.Force, plan, f, g, n, m, nnz, map[string]any{"method": c.Method, "cost": value, "marginal_error": merr,
			"iterations": iters, "reg": c.Reg, "tol": c.Tol, "in": c.In, "metric": c.Cost, "scale": scale}); err != nil {
			return err
		}
	}
	kind := "cloud"
	if c.Fields {
		kind = "field"
	}
	line := map[string]any{"case": fmt.Sprintf("ot-%s-ot-n%d-d%d-%s-reg%g-seed0", filepath.Base(c.In), n, d, c.Cost, c.Reg),
		"impl": "pdekit-" + c.Method, "n": n, "m": m, "seconds": secs, "iters": iters, "cost": value, "marginal_err": merr,
		"converged": converged, "nnz": nnz, "scale": scale, "threads": c.Threads, "kind": kind}
	for k, v := range extra {
		line[k] = v
	}
	if c.JSON {
		b, _ := json.Marshal(line)
		fmt.Fprintln(stdout, string(b))
	} else {
		report(stdout, false, line)
	}
	if !converged {
		return fmt.Errorf("%s: %w", c.Method, r.Err())
	}
	return nil
}

// readCostInput reads a user-given cost matrix: the dataset "cost" [n, m]
// with optional weights a and b (uniform otherwise). It returns a nil cost
// when the file has none (clouds or densities instead).
func readCostInput(path string) (cost, a, b []float64, d int, err error) {
	f, err := h5.Open(path)
	if err != nil {
		return nil, nil, nil, 0, usageErr("--in: %v", err)
	}
	defer f.Close()
	if _, serr := f.Stat("cost"); serr != nil {
		return nil, nil, nil, 0, nil
	}
	cost, dims, err := h5.Read[float64](f, "cost")
	if err != nil || len(dims) != 2 {
		return nil, nil, nil, 0, usageErr("--in %s: cost must be a float64 matrix [n, m]: %v", path, err)
	}
	for i, v := range cost {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, nil, 0, usageErr("cost has %v at entry %d", v, i)
		}
	}
	weights := func(name string, n int) ([]float64, error) {
		if _, err := f.Stat(name); err != nil {
			w := make([]float64, n)
			for i := range w {
				w[i] = 1 / float64(n)
			}
			return w, nil
		}
		w, wd, err := h5.Read[float64](f, name)
		if err != nil || len(wd) != 1 || wd[0] != n {
			return nil, usageErr("weights %s must be a float64 vector of %d: %v", name, n, err)
		}
		return w, nil
	}
	if a, err = weights("a", dims[0]); err != nil {
		return
	}
	if b, err = weights("b", dims[1]); err != nil {
		return
	}
	return cost, a, b, 0, nil
}

// readOTInput reads the clouds (or densities) x and y and their weights.
func readOTInput(path string, fields bool) (x, y, a, b []float64, d int, err error) {
	f, err := h5.Open(path)
	if err != nil {
		return nil, nil, nil, nil, 0, usageErr("--in: %v", err)
	}
	defer f.Close()
	read := func(name string) ([]float64, []int, error) {
		info, err := f.Stat(name)
		if err != nil {
			return nil, nil, err
		}
		if info.Type == "float32" {
			v, dims, err := h5.Read[float32](f, name)
			out := make([]float64, len(v))
			for i, w := range v {
				out[i] = float64(w)
			}
			return out, dims, err
		}
		return h5.Read[float64](f, name)
	}
	xs, xd, err1 := read("x")
	ys, yd, err2 := read("y")
	if err1 != nil || err2 != nil {
		return nil, nil, nil, nil, 0, usageErr("--in %s needs datasets x and y: %v", path, firstErr(err1, err2))
	}
	if fields {
		if len(xd) != len(yd) || len(xd) < 1 || len(xd) > 2 || fmt.Sprint(xd) != fmt.Sprint(yd) {
			return nil, nil, nil, nil, 0, usageErr("--fields: x %v and y %v must be densities on the same 1-D or 2-D grid", xd, yd)
		}
		x, a, err = transport.GridDensity(xs, xd...)
		if err != nil {
			return nil, nil, nil, nil, 0, usageErr("density x: %v", err)
		}
		y, b, err = transport.GridDensity(ys, yd...)
		if err != nil {
			return nil, nil, nil, nil, 0, usageErr("density y: %v", err)
		}
		return x, y, a, b, len(xd), nil
	}
	if len(xd) != 2 || len(yd) != 2 || xd[1] != yd[1] {
		return nil, nil, nil, nil, 0, usageErr("clouds x %v and y %v must be [n, d] and [m, d] (use --fields for densities)", xd, yd)
	}
	for name, v := range map[string][]float64{"x": xs, "y": ys} {
		for i, w := range v {
			if math.IsNaN(w) || math.IsInf(w, 0) {
				return nil, nil, nil, nil, 0, usageErr("%s has %v at entry %d", name, w, i)
			}
		}
	}
	weights := func(name string, n int) ([]float64, error) {
		if _, err := f.Stat(name); err != nil {
			w := make([]float64, n)
			for i := range w {
				w[i] = 1 / float64(n)
			}
			return w, nil
		}
		w, dims, err := read(name)
		if err != nil || len(dims) != 1 || dims[0] != n {
			return nil, usageErr("weights %s must be a vector of %d: %v", name, n, err)
		}
		return w, nil
	}
	if a, err = weights("a", xd[0]); err != nil {
		return
	}
	if b, err = weights("b", yd[0]); err != nil {
		return
	}
	return xs, ys, a, b, xd[1], nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// writePlan writes the plan (CSR when sparse) and the potentials.
func writePlan(path string, force bool, plan, f, g []float64, n, m, nnz int, attrs map[string]any) error {
	out, err := h5.Create(path, force)
	if err != nil {
		return usageErr("%v", err)
	}
	defer out.Abort()
	if nnz*10 <= n*m {
		var rows, cols []int
		var vals []float64
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				if v := plan[i*m+j]; v != 0 {
					rows, cols, vals = append(rows, i), append(cols, j), append(vals, v)
				}
			}
		}
		csr, err := sparse.FromTriplets(n, m, rows, cols, vals)
		if err != nil {
			return err
		}
		if err := h5.WriteCSR(out, "plan", csr); err != nil {
			return err
		}
	} else if err := h5.Write(out, "plan", []int{n, m}, plan, nil); err != nil {
		return err
	}
	if err := h5.Write(out, "f", []int{n}, f, nil); err != nil {
		return err
	}
	if err := h5.Write(out, "g", []int{m}, g, nil); err != nil {
		return err
	}
	if err := out.SetConfig("/", attrs); err != nil {
		return err
	}
	return out.Close()
}
