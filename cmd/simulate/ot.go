package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/sparse"
	"github.com/pdekit/pdekit/transport"
)

// otSolve runs one transport method on (a, b, cost) with the flags of c.
type otSolve func(ctx context.Context, c *otConfig, a, b, cost []float64, s *transport.Settings) (*transport.Result, error)

var otMethods = []option[otSolve]{
	{"sinkhorn", func(ctx context.Context, c *otConfig, a, b, cost []float64, s *transport.Settings) (*transport.Result, error) {
		return transport.Sinkhorn(ctx, a, b, cost, c.Reg, s)
	}},
	{"sinkhorn-log", func(ctx context.Context, c *otConfig, a, b, cost []float64, s *transport.Settings) (*transport.Result, error) {
		return transport.SinkhornLog(ctx, a, b, cost, c.Reg, s)
	}},
	{"sinkhorn-eps", func(ctx context.Context, c *otConfig, a, b, cost []float64, s *transport.Settings) (*transport.Result, error) {
		return transport.SinkhornEpsScaling(ctx, a, b, cost, c.Reg, s)
	}},
	{"sns", func(ctx context.Context, c *otConfig, a, b, cost []float64, s *transport.Settings) (*transport.Result, error) {
		return transport.SinkhornNewtonSparse(ctx, a, b, cost, c.Reg, s)
	}},
	{"emd", func(ctx context.Context, c *otConfig, a, b, cost []float64, s *transport.Settings) (*transport.Result, error) {
		return transport.EMD(ctx, a, b, cost, s)
	}},
	{"unbalanced", func(ctx context.Context, c *otConfig, a, b, cost []float64, s *transport.Settings) (*transport.Result, error) {
		return transport.SinkhornUnbalanced(ctx, a, b, cost, c.Reg, c.Tau, s)
	}},
	{"sparse", func(ctx context.Context, c *otConfig, a, b, cost []float64, s *transport.Settings) (*transport.Result, error) {
		return transport.SparsityConstrained(ctx, a, b, cost, c.Reg, c.K, s)
	}},
}

// otCost computes a cost matrix between clouds x and y in d dimensions.
type otCost func(c *otConfig, x, y []float64, d int) ([]float64, error)

var otCosts = []option[otCost]{
	{"sqeuclidean", func(_ *otConfig, x, y []float64, d int) ([]float64, error) {
		return transport.CostMatrix(x, y, d, transport.SqEuclidean)
	}},
	{"euclidean", func(_ *otConfig, x, y []float64, d int) ([]float64, error) {
		return transport.CostMatrix(x, y, d, transport.Euclidean)
	}},
	{"minkowski", func(c *otConfig, x, y []float64, d int) ([]float64, error) {
		return transport.CostMatrixLp(x, y, d, c.P)
	}},
}

type otConfig struct {
	common
	In      string           `json:"in"`
	Out     string           `json:"out,omitempty"`
	Method  *choice[otSolve] `json:"method"`
	Cost    *choice[otCost]  `json:"cost"`
	Fields  bool             `json:"fields"`
	Reg     float64          `json:"reg"`
	Tol     float64          `json:"tol"`
	Tau     float64          `json:"tau"`
	P       float64          `json:"p"`
	MaxIter int              `json:"maxiter"`
	K       int              `json:"k"`
	Warmup  int              `json:"warmup"`
}

func cmdOT(args []string, stdout, stderr io.Writer) error {
	c := otConfig{Method: newChoice("method", "sinkhorn-log", otMethods...), Cost: newChoice("cost", "sqeuclidean", otCosts...)}
	fs := newFlags("ot", `Optimal transport between two point clouds or two densities read from one HDF5 file
(datasets x and y; optional weights a and b, uniform otherwise), or for a cost matrix given
in the file (dataset cost [n, m], then --cost is ignored). Clouds are [n, d] and
[m, d]; with --fields, x and y are nonnegative densities on the same 1-D or 2-D grid over
the unit interval or square (cell centres), normalised to unit mass, and zero cells are
dropped. The cost matrix is normalised by its maximum, as the peer script
optimal_transport.py does ("scale" reports the maximum). Methods: sinkhorn (plain scaling),
sinkhorn-log (stabilised log domain), sinkhorn-eps (log domain with epsilon scaling), sns
(Sinkhorn-Newton-Sparse), emd (exact network simplex), unbalanced (KL-relaxed marginals,
--tau), sparse (at most --k nonzeros per column, --reg is the quadratic gamma). Prints cost,
marginal error, iterations and seconds (--json: one object that is also the peer script's
line); --out writes the plan (CSR when at most 10% is nonzero) and the potentials.`,
		"simulate generate clouds --samples 1000 --seed 1 --out clouds.h5\n  simulate ot --in clouds.h5 --method sns --reg 0.001 --tol 1e-9 --out plan.h5", stderr)
	c.common.register(fs)
	c.common.registerConvergence(fs)
	fs.StringVar(&c.In, "in", "", "HDF5 file with datasets x and y (required)")
	fs.StringVar(&c.Out, "out", "", "write the plan and potentials to this HDF5 file")
	fs.Var(c.Method, "method", "method: "+c.Method.Names())
	fs.Var(c.Cost, "cost", "ground cost: sqeuclidean (W2), euclidean (W1) or minkowski (--p)")
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
	if c.In == "" {
		return usageErr("--in is required")
	}
	if !(c.Tol > 0) {
		return usageErr("--tol %g must be positive (a marginal error of zero is not reached in floating point)", c.Tol)
	}
	st, err := c.common.begin("ot", &c, stdout, stderr, c.Out)
	if err != nil {
		return err
	}
	defer st.end()
	in, err := readOTInput(c.In, c.Fields)
	if err != nil {
		return err
	}
	cost, a, b, d := in.cost, in.a, in.b, in.d
	if cost == nil {
		if cost, err = c.Cost.Get()(&c, in.x, in.y, d); err != nil {
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
	// --tol is the marginal error of the normalised problem (mass 1).
	cb, prog := iterations(st.stderr, "ot", "marginal error")
	defer prog.done()
	set := &transport.Settings{Control: iterate.Control{Tolerance: c.Tol, MaxIterations: c.MaxIter, Callback: cb}, Warmup: c.Warmup}
	start := time.Now()
	r, err := c.Method.Get()(st.ctx, &c, a, b, cost, set)
	if err != nil {
		return usageErr("%v", err)
	}
	secs := time.Since(start).Seconds()
	nnz := 0
	for _, p := range r.Plan {
		if p != 0 {
			nnz++
		}
	}
	if c.Out != "" {
		if err := writePlan(st, c.Out, r, n, m, nnz, scale); err != nil {
			return st.fail(err)
		}
	}
	kind := "cloud"
	if c.Fields {
		kind = "field"
	}
	// The peer script's line (case, impl, seconds, iters, ...) with the
	// shared keys: compare.py joins it on "case".
	sum := st.summary().set("case", fmt.Sprintf("ot-%s-ot-n%d-d%d-%s-reg%g-seed0", filepath.Base(c.In), n, d, c.Cost, c.Reg),
		"impl", "pdekit-"+c.Method.String(), "n", n, "m", m, "iters", r.Iterations, "cost", r.Cost,
		"marginal_err", r.MarginalError, "nnz", nnz, "scale", scale, "threads", c.Threads, "kind", kind)
	if c.Method.String() == "sns" {
		sum.set("sinkhorn_iters", r.Stats.SinkhornIterations, "newton_iters", r.Stats.NewtonIterations, "cg_iters", r.Stats.CGIterations)
	}
	sum.outcome(c.Method.String(), &r.Outcome)
	sum.Seconds = secs // the solve alone, as the peer script times it
	return st.report(sum)
}

// otInput is what `ot` reads from its file: a user-given cost matrix
// (dataset "cost" [n, m]), or clouds or densities x and y; and the weights
// a and b (uniform where the file has none).
type otInput struct {
	cost, x, y, a, b []float64
	d                int
}

// readOTInput reads the input of `ot` from path.
func readOTInput(path string, fields bool) (*otInput, error) {
	f, err := openInput(path)
	if err != nil {
		return nil, usageErr("--in: %v", err)
	}
	defer f.Close()
	in := &otInput{}
	var n, m int
	if _, serr := f.Stat("cost"); serr == nil {
		cost, dims, err := readFloats(f, "cost")
		if err != nil || len(dims) != 2 {
			return nil, usageErr("--in %s: cost must be a matrix [n, m]: %v", path, err)
		}
		in.cost, n, m = cost, dims[0], dims[1]
	} else {
		xs, xd, err1 := readFloats(f, "x")
		ys, yd, err2 := readFloats(f, "y")
		if err1 != nil || err2 != nil {
			return nil, usageErr("--in %s needs datasets x and y (or cost): %v", path, firstErr(err1, err2))
		}
		if fields {
			if len(xd) != len(yd) || len(xd) < 1 || len(xd) > 2 || fmt.Sprint(xd) != fmt.Sprint(yd) {
				return nil, usageErr("--fields: x %v and y %v must be densities on the same 1-D or 2-D grid", xd, yd)
			}
			if in.x, in.a, err = transport.GridDensity(xs, xd...); err != nil {
				return nil, usageErr("density x: %v", err)
			}
			if in.y, in.b, err = transport.GridDensity(ys, yd...); err != nil {
				return nil, usageErr("density y: %v", err)
			}
			in.d = len(xd)
			return in, nil
		}
		if len(xd) != 2 || len(yd) != 2 || xd[1] != yd[1] {
			return nil, usageErr("clouds x %v and y %v must be [n, d] and [m, d] (use --fields for densities)", xd, yd)
		}
		in.x, in.y, in.d, n, m = xs, ys, xd[1], xd[0], yd[0]
	}
	for name, v := range map[string][]float64{"x": in.x, "y": in.y, "cost": in.cost} {
		for i, w := range v {
			if math.IsNaN(w) || math.IsInf(w, 0) {
				return nil, usageErr("%s has %v at entry %d", name, w, i)
			}
		}
	}
	if in.a, err = readWeights(f, "a", n); err != nil {
		return nil, err
	}
	if in.b, err = readWeights(f, "b", m); err != nil {
		return nil, err
	}
	return in, nil
}

// readFloats reads a float64 or float32 dataset as float64.
func readFloats(f *h5.File, name string) ([]float64, []int, error) {
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

// readWeights reads the weights name, a vector of n, or returns uniform
// weights when the file has none.
func readWeights(f *h5.File, name string, n int) ([]float64, error) {
	if _, err := f.Stat(name); err != nil {
		w := make([]float64, n)
		for i := range w {
			w[i] = 1 / float64(n)
		}
		return w, nil
	}
	w, dims, err := readFloats(f, name)
	if err != nil || len(dims) != 1 || dims[0] != n {
		return nil, usageErr("weights %s must be a vector of %d: %v", name, n, err)
	}
	return w, nil
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
func writePlan(st *stage, path string, r *transport.Result, n, m, nnz int, scale float64) error {
	out, err := st.createH5(path)
	if err != nil {
		return err
	}
	defer out.Abort()
	plan := r.Plan
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
	if err := h5.Write(out, "f", []int{n}, r.F, nil); err != nil {
		return err
	}
	if err := h5.Write(out, "g", []int{m}, r.G, nil); err != nil {
		return err
	}
	for _, a := range []struct {
		k string
		v any
	}{{"cost", r.Cost}, {"marginal_error", r.MarginalError}, {"iterations", r.Iterations}, {"reason", r.Reason.String()}, {"scale", scale}} {
		if err := out.SetAttr("/", a.k, a.v); err != nil {
			return err
		}
	}
	return st.closeH5(out, path)
}
