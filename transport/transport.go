package transport

import (
	"context"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/pdekit/pdekit/internal/parallel"
	"github.com/pdekit/pdekit/iterate"
)

// Metric is a ground cost between points.
type Metric int

const (
	// SqEuclidean is |x - y|^2 (W2).
	SqEuclidean Metric = iota
	// Euclidean is |x - y| (W1).
	Euclidean
)

// CostMatrix returns the n x m cost matrix (row-major) between the points
// x [n, d] and y [m, d], both row-major. Any other cost can be passed to
// the solvers as a row-major slice directly.
func CostMatrix(x, y []float64, d int, metric Metric) ([]float64, error) {
	if metric != SqEuclidean && metric != Euclidean {
		return nil, fmt.Errorf("transport: unknown metric %d", metric)
	}
	return costMatrix(x, y, d, func(t float64) float64 { return t * t }, func(s float64) float64 {
		if metric == Euclidean {
			return math.Sqrt(s)
		}
		return s
	})
}

// CostMatrixLp returns the Minkowski distances (sum_k |x_k - y_k|^p)^(1/p)
// between the points x [n, d] and y [m, d] (p >= 1; POT's
// ot.dist(metric="minkowski", p=p)). Raise them to the power q for a W_q
// ground cost.
func CostMatrixLp(x, y []float64, d int, p float64) ([]float64, error) {
	if !(p >= 1) || math.IsInf(p, 0) {
		return nil, fmt.Errorf("transport: Minkowski exponent %g, want finite and >= 1", p)
	}
	return costMatrix(x, y, d, func(t float64) float64 { return math.Pow(math.Abs(t), p) }, func(s float64) float64 { return math.Pow(s, 1/p) })
}

// costMatrix sums term(x_k - y_k) over the coordinates and applies final.
func costMatrix(x, y []float64, d int, term, final func(float64) float64) ([]float64, error) {
	if d < 1 || len(x)%d != 0 || len(y)%d != 0 || len(x) == 0 || len(y) == 0 {
		return nil, fmt.Errorf("transport: point arrays of lengths %d and %d are not whole [n, %d] clouds", len(x), len(y), d)
	}
	n, m := len(x)/d, len(y)/d
	c := make([]float64, n*m)
	forRows(n, m*d, func(i int) {
		xi := x[i*d : (i+1)*d]
		for j := 0; j < m; j++ {
			var s float64
			for k, v := range y[j*d : (j+1)*d] {
				s += term(xi[k] - v)
			}
			c[i*m+j] = final(s)
		}
	})
	return c, nil
}

// checkMarginals returns an error naming the first bad weight, or
// unequal masses (relative 1e-9).
func checkMarginals(a, b []float64) error {
	var sa, sb float64
	for name, w := range map[string][]float64{"a": a, "b": b} {
		if len(w) == 0 {
			return fmt.Errorf("transport: marginal %s is empty", name)
		}
		for i, v := range w {
			if !(v >= 0) || math.IsInf(v, 0) {
				return fmt.Errorf("transport: marginal %s[%d] = %g is not a nonnegative number", name, i, v)
			}
		}
	}
	for _, v := range a {
		sa += v
	}
	for _, v := range b {
		sb += v
	}
	if sa == 0 {
		return fmt.Errorf("transport: the marginals have zero mass")
	}
	if math.Abs(sa-sb) > 1e-9*math.Max(sa, sb) {
		return fmt.Errorf("transport: marginals have masses %.17g and %.17g; balanced transport needs them equal", sa, sb)
	}
	return nil
}

// Settings controls every solver of the package. The zero value, and a
// nil *Settings, mean the documented defaults.
//
// The embedded Control tests the marginal error ||P1 - a||_1 +
// ||P^T 1 - b||_1, its Tolerance relative to the mass sum(a) (for
// probability marginals relative and absolute agree). Both tolerances
// zero mean Tolerance 1e-9. MaxIterations zero means the solver's own
// default (each solver's comment gives it). The Sinkhorn solvers test,
// record and report to the callback every CheckEvery iterations.
type Settings struct {
	iterate.Control
	// CheckEvery is how often (in iterations) the Sinkhorn solvers
	// compute the marginal error; zero means 10, as POT.
	CheckEvery int

	// Warmup is the number of log-domain Sinkhorn steps before the first
	// Newton step (N1) of SinkhornNewtonSparse; zero means 20.
	Warmup int
	// Keep is the fraction lambda of the plan's n m entries that
	// SinkhornNewtonSparse keeps in the sparsified Hessian (the largest
	// ones). Zero means adaptive: the fewest largest entries that hold
	// all but Drop of the plan's mass, and at least the paper's
	// lambda = 2/min(n, m) (two per row).
	Keep float64
	// Drop is the fraction of the plan's mass the adaptive sparsification
	// may leave out; zero means 1e-3. A Newton step on the sparsified
	// Hessian then reduces the error by about this factor.
	Drop float64
	// CGTol is the relative residual of the conjugate-gradient solve of
	// each Newton system; zero means 1e-3 (an inexact Newton step, as
	// accurate as the sparsified Hessian it solves with).
	CGTol float64

	// SemiDual makes SparsityConstrained solve the semi-dual (columns
	// match b exactly) instead of the dual.
	SemiDual bool
}

// Result is a transport plan, its figures and the shared outcome block
// (Residual is the quantity the solver tested: the marginal error for the
// balanced solvers).
type Result struct {
	// Plan is P, n x m row-major.
	Plan []float64
	// Cost is <P, C>.
	Cost float64
	// MarginalError is ||P1 - a||_1 + ||P^T 1 - b||_1 of Plan.
	MarginalError float64
	// F and G are the dual potentials: P_ij = exp((F_i + G_j - C_ij)/reg)
	// for the entropic solvers; F_i + G_j <= C_ij with equality where
	// P_ij > 0 for EMD.
	F, G []float64
	iterate.Outcome
	Stats Stats
}

// Stats counts the work of a solve beyond Outcome.Iterations.
type Stats struct {
	// SinkhornIterations counts the Sinkhorn steps of SinkhornNewtonSparse
	// (warm-up and any switch-back), NewtonIterations its Newton steps
	// (Iterations is their sum).
	SinkhornIterations, NewtonIterations int
	// CGIterations is the total of the conjugate-gradient iterations,
	// LineSearchEvals the plan evaluations of the line searches.
	CGIterations, LineSearchEvals int
	// SwitchBacks counts returns to Sinkhorn steps after a Newton step
	// failed to improve.
	SwitchBacks int
	// Evaluations counts the objective and gradient evaluations of
	// SparsityConstrained.
	Evaluations int
}

// checkReg returns an error unless the regularisation named what is a
// positive finite number.
func checkReg(what string, reg float64) error {
	if !(reg > 0) || math.IsInf(reg, 0) {
		return fmt.Errorf("transport: %s %g must be a positive finite number", what, reg)
	}
	return nil
}

// param is a named parameter of a solver that must be positive and finite
// (a regularisation, a penalty).
type param struct {
	name string
	v    float64
}

// prepare checks a balanced solver's input (marginals of equal mass, the
// cost matrix's size, the parameters) and returns s with the defaults
// filled, the Control's maximum iterations defaulting to maxIter.
func (s *Settings) prepare(a, b, c []float64, maxIter int, params ...param) (Settings, error) {
	if err := checkMarginals(a, b); err != nil {
		return Settings{}, err
	}
	return s.resolve(a, b, c, maxIter, params...)
}

// resolve checks the cost matrix's size and the parameters and returns s
// with the defaults filled.
func (s *Settings) resolve(a, b, c []float64, maxIter int, params ...param) (Settings, error) {
	for _, p := range params {
		if err := checkReg(p.name, p.v); err != nil {
			return Settings{}, err
		}
	}
	var set Settings
	if s != nil {
		set = *s
	}
	n, m := len(a), len(b)
	if len(c) != n*m {
		return set, fmt.Errorf("transport: cost matrix has %d entries for %d x %d marginals", len(c), n, m)
	}
	for i, v := range c {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return set, fmt.Errorf("transport: cost[%d] = %v (row %d, column %d)", i, v, i/m, i%m)
		}
	}
	ctl, err := set.Control.Resolve(iterate.Control{Tolerance: 1e-9, MaxIterations: maxIter})
	if err != nil {
		return set, fmt.Errorf("transport: %w", err)
	}
	set.Control = ctl
	if set.CheckEvery < 0 {
		return set, fmt.Errorf("transport: CheckEvery = %d is negative", set.CheckEvery)
	}
	if set.CheckEvery == 0 {
		set.CheckEvery = 10
	}
	return set, nil
}

func mass(a []float64) float64 {
	var s float64
	for _, v := range a {
		s += v
	}
	return s
}

// SinkhornLog solves entropic OT at regularisation reg with log-domain
// potentials, stable at small regularisation: the iterates are potentials
// F, G plus scalings u, v of the stabilised kernel K_ij = exp((F_i + G_j -
// C_ij)/eps), and whenever a scaling leaves [1e-50, 1e50] it is absorbed
// into its potential and K recomputed (Schmitzer, "Stabilized sparse
// scaling algorithms for entropy regularized transport problems", SIAM J.
// Sci. Comput. 2019). Between absorptions an iteration is two
// matrix-vector products, as plain Sinkhorn's; K's entries never exceed
// about 1, so nothing overflows, and underflow only drops negligible
// entries. MaxIterations zero means 100000.
func SinkhornLog(ctx context.Context, a, b, c []float64, reg float64, s *Settings) (*Result, error) {
	return sinkhorn(ctx, a, b, c, reg, s, true)
}

// Sinkhorn solves entropic OT at regularisation reg by plain scaling
// (Sinkhorn-Knopp) on the kernel K = exp(-C/eps): u = a / (K v),
// v = b / (K^T u). It is fast but under- or overflows at small eps (reason
// Diverged; SinkhornLog is the stable variant). MaxIterations zero means
// 100000.
func Sinkhorn(ctx context.Context, a, b, c []float64, reg float64, s *Settings) (*Result, error) {
	return sinkhorn(ctx, a, b, c, reg, s, false)
}

// sinkhorn is the scaling loop both solvers share; stabilised absorbs the
// scalings into the potentials when they grow.
func sinkhorn(ctx context.Context, a, b, c []float64, reg float64, s *Settings, stabilised bool) (*Result, error) {
	n, m := len(a), len(b)
	set, err := s.prepare(a, b, c, 100000, param{"regularisation", reg})
	if err != nil {
		return nil, err
	}
	res := &Result{}
	mon := set.Control.Start(ctx, mass(a), &res.Outcome)
	f, g := make([]float64, n), make([]float64, m)
	if stabilised {
		cTransformStart(c, f, g)
	}
	sinkhornFrom(a, b, c, reg, set, stabilised, f, g, mon, res)
	return res, nil
}

// cTransformStart sets the starting potentials f_i = min_j C_ij and
// g_j = min_i (C_ij - f_i), so that every row and column of the
// stabilised kernel exp((f_i + g_j - C_ij)/eps) has an entry 1. From zero
// potentials a row whose costs all exceed about 700 eps underflows to zero
// and its scaling to infinity: at eps 1e-5 on a cost normalised to [0, 1],
// most rows.
func cTransformStart(c, f, g []float64) {
	n, m := len(f), len(g)
	for i := range f {
		f[i] = math.Inf(1)
		for _, v := range c[i*m : (i+1)*m] {
			f[i] = math.Min(f[i], v)
		}
	}
	for j := range g {
		g[j] = math.Inf(1)
	}
	for i := 0; i < n; i++ {
		for j, v := range c[i*m : (i+1)*m] {
			g[j] = math.Min(g[j], v-f[i])
		}
	}
}

// stage returns a monitor for an inner run of a solver (a warm-up, an
// epsilon stage): the context and the tolerance rule of ctl, without its
// callback and history.
func stage(ctx context.Context, ctl iterate.Control, tol float64, maxIter int, scale float64, out *iterate.Outcome) *iterate.Monitor {
	return iterate.Control{Tolerance: tol, AbsTolerance: ctl.AbsTolerance, MaxIterations: maxIter}.Start(ctx, scale, out)
}

// sinkhornFrom runs the scaling loop at eps from the potentials f and g
// (updated in place) with checked settings, the stopping rule of mon, and
// fills res (its Plan is the kernel at the final f, g).
func sinkhornFrom(a, b, c []float64, eps float64, set Settings, stabilised bool, f, g []float64, mon *iterate.Monitor, res *Result) {
	n, m := len(a), len(b)
	u, v := make([]float64, n), make([]float64, m)
	k := make([]float64, n*m)
	kernel := func() {
		forRows(n, m, func(i int) {
			row := k[i*m : (i+1)*m]
			for j := range row {
				row[j] = math.Exp((f[i] + g[j] - c[i*m+j]) / eps)
			}
		})
		for i := range u {
			u[i] = 1
		}
		for j := range v {
			v[j] = 1
		}
	}
	absorb := func() {
		for i := range u {
			f[i] += eps * math.Log(u[i])
		}
		for j := range v {
			g[j] += eps * math.Log(v[j])
		}
		kernel()
	}
	kernel()
	kv, ktu := make([]float64, n), make([]float64, m)
	res.F, res.G = f, g
	const big = 1e50
	gemv := blas64.Implementation().Dgemv
	marginal := func() float64 {
		gemv(blas.NoTrans, n, m, 1, k, m, v, 1, 0, kv, 1)
		var e float64
		for i := range u {
			e += math.Abs(u[i]*kv[i] - a[i])
		}
		// The column marginal is matched exactly after a column update.
		return e
	}
	why := mon.Check(0, marginalError(k, a, b), nil)
	for it := 1; why == 0; it++ {
		gemv(blas.NoTrans, n, m, 1, k, m, v, 1, 0, kv, 1)
		for i := range u {
			u[i] = a[i] / kv[i]
		}
		gemv(blas.Trans, n, m, 1, k, m, u, 1, 0, ktu, 1)
		for j := range v {
			v[j] = b[j] / ktu[j]
		}
		if stabilised && (outside(u, big) || outside(v, big)) {
			absorb()
		}
		if it%set.CheckEvery == 0 || it == set.MaxIterations {
			e := marginal()
			why = mon.Check(it, e, nil)
			if why == iterate.Diverged {
				if !stabilised {
					mon.Stop(why, fmt.Errorf("Sinkhorn's scalings overflowed at iteration %d (regularisation %g is too small for the plain kernel; use SinkhornLog)", it, eps))
				} else {
					mon.Stop(why, fmt.Errorf("log-domain Sinkhorn produced NaN at iteration %d", it))
				}
			}
		}
	}
	// The plan diag(u) K diag(v) in place of K, and the scalings absorbed
	// into the potentials: the plan is the kernel at (f, g), without
	// exponentiating again.
	for i := range u {
		f[i] += eps * math.Log(u[i])
	}
	for j := range v {
		g[j] += eps * math.Log(v[j])
	}
	cost := make([]float64, n)
	forRows(n, m, func(i int) {
		row, cr := k[i*m:(i+1)*m], c[i*m:(i+1)*m]
		ui, s := u[i], 0.0
		for j := range row {
			row[j] *= ui * v[j]
			s += row[j] * cr[j]
		}
		cost[i] = s
	})
	res.Plan = k
	res.Cost = 0
	for _, s := range cost {
		res.Cost += s
	}
	res.MarginalError = marginalError(res.Plan, a, b)
}

// outside reports whether a scaling left [1/big, big] (or a zero mass made
// it 0 or infinite).
func outside(x []float64, big float64) bool {
	for _, v := range x {
		if !(v < big && v > 1/big) {
			return true
		}
	}
	return false
}

// forRows calls f for every row in parallel.
func forRows(n, m int, f func(i int)) {
	parallel.For(n, max(1, (1<<14)/max(m, 1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			f(i)
		}
	})
}

func marginalError(p, a, b []float64) float64 {
	n, m := len(a), len(b)
	col := make([]float64, m)
	var e float64
	for i := 0; i < n; i++ {
		var s float64
		for j := 0; j < m; j++ {
			s += p[i*m+j]
			col[j] += p[i*m+j]
		}
		e += math.Abs(s - a[i])
	}
	for j := range col {
		e += math.Abs(col[j] - b[j])
	}
	return e
}

// Wasserstein1D returns the p-Wasserstein distance W_p (p >= 1) between
// two weighted point sets on the line by the closed form: the L^p distance
// between their quantile functions, integrated over the merged breakpoints
// of the two cumulative distributions. Weights are normalised.
func Wasserstein1D(x, a, y, b []float64, p float64) (float64, error) {
	if len(x) != len(a) || len(y) != len(b) {
		return 0, fmt.Errorf("transport: %d points with %d weights, %d points with %d weights", len(x), len(a), len(y), len(b))
	}
	if !(p >= 1) {
		return 0, fmt.Errorf("transport: W_p needs p >= 1, got %g", p)
	}
	if err := checkMarginalsLoose(a, b); err != nil {
		return 0, err
	}
	type pt struct{ v, w float64 }
	prep := func(xs, ws []float64) []pt {
		out := make([]pt, len(xs))
		var s float64
		for _, w := range ws {
			s += w
		}
		for i := range xs {
			out[i] = pt{xs[i], ws[i] / s}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].v < out[j].v })
		return out
	}
	u, v := prep(x, a), prep(y, b)
	var total float64
	i, j := 0, 0
	ru, rv := u[0].w, v[0].w // mass left at the current atoms
	for i < len(u) && j < len(v) {
		step := math.Min(ru, rv)
		total += step * math.Pow(math.Abs(u[i].v-v[j].v), p)
		ru -= step
		rv -= step
		if ru <= 1e-15 {
			i++
			if i < len(u) {
				ru = u[i].w
			}
		}
		if rv <= 1e-15 {
			j++
			if j < len(v) {
				rv = v[j].w
			}
		}
	}
	return math.Pow(total, 1/p), nil
}

// checkMarginalsLoose checks weights without requiring equal masses (they
// are normalised).
func checkMarginalsLoose(a, b []float64) error {
	for name, w := range map[string][]float64{"a": a, "b": b} {
		var s float64
		for i, v := range w {
			if !(v >= 0) || math.IsInf(v, 0) {
				return fmt.Errorf("transport: weight %s[%d] = %g is not a nonnegative number", name, i, v)
			}
			s += v
		}
		if s == 0 {
			return fmt.Errorf("transport: weights %s have zero mass", name)
		}
	}
	return nil
}

// GridDensity returns the support of a density given on a regular grid
// over the unit interval, square or cube (shape with 1 to 3 axes, values
// row-major): the centres ((i+1/2)/n_0, ...) of the cells with positive
// density as [k, d] points, and their masses normalised to 1. Zero cells
// are dropped (they carry no mass and would make log-domain potentials
// infinite). It returns an error for a negative or non-finite value, a
// zero total or a shape that does not match.
func GridDensity(density []float64, shape ...int) (points, weights []float64, err error) {
	if len(shape) < 1 || len(shape) > 3 {
		return nil, nil, fmt.Errorf("transport: density grid has %d axes, want 1 to 3", len(shape))
	}
	size := 1
	for _, s := range shape {
		size *= s
	}
	if size != len(density) || size == 0 {
		return nil, nil, fmt.Errorf("transport: density has %d values for the grid %v", len(density), shape)
	}
	total := 0.0
	for i, w := range density {
		if !(w >= 0) || math.IsInf(w, 0) {
			return nil, nil, fmt.Errorf("transport: density is %v at cell %d, must be nonnegative and finite", w, i)
		}
		total += w
	}
	if total == 0 {
		return nil, nil, fmt.Errorf("transport: density has zero mass")
	}
	d := len(shape)
	for i, w := range density {
		if w == 0 {
			continue
		}
		q := i
		at := len(points)
		points = append(points, make([]float64, d)...)
		for a := d - 1; a >= 0; a-- {
			points[at+a] = (float64(q%shape[a]) + 0.5) / float64(shape[a])
			q /= shape[a]
		}
		weights = append(weights, w/total)
	}
	return points, weights, nil
}
