package transport

import (
	"fmt"
	"math"
	"sort"

	"github.com/pdekit/pdekit/internal/parallel"
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
// x [n, d] and y [m, d], both row-major.
func CostMatrix(x, y []float64, d int, metric Metric) ([]float64, error) {
	if d < 1 || len(x)%d != 0 || len(y)%d != 0 || len(x) == 0 || len(y) == 0 {
		return nil, fmt.Errorf("transport: point arrays of lengths %d and %d are not whole [n, %d] clouds", len(x), len(y), d)
	}
	n, m := len(x)/d, len(y)/d
	c := make([]float64, n*m)
	for i := 0; i < n; i++ {
		xi := x[i*d : (i+1)*d]
		for j := 0; j < m; j++ {
			var s float64
			for k, v := range y[j*d : (j+1)*d] {
				t := xi[k] - v
				s += t * t
			}
			if metric == Euclidean {
				s = math.Sqrt(s)
			}
			c[i*m+j] = s
		}
	}
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

// Settings controls the Sinkhorn solvers.
type Settings struct {
	// Reg is the entropic regularisation epsilon (> 0).
	Reg float64
	// Tol stops when the marginal error ||P1 - a||_1 + ||P^T 1 - b||_1
	// falls below it; zero means 1e-9.
	Tol float64
	// MaxIter caps the iterations (a row and a column update each);
	// zero means 100000.
	MaxIter int
	// CheckEvery is how often (in iterations) the marginal error is
	// computed; zero means 10, as POT.
	CheckEvery int
}

// Result is an entropic transport plan and its figures.
type Result struct {
	// Plan is P, n x m row-major.
	Plan []float64
	// Cost is <P, C>.
	Cost float64
	// MarginalError is ||P1 - a||_1 + ||P^T 1 - b||_1 at the end.
	MarginalError float64
	Iterations    int
	Converged     bool
	// F and G are the dual potentials: P_ij = exp((F_i + G_j - C_ij)/Reg).
	F, G []float64
}

func (s *Settings) defaults(n, m, lc int) (Settings, error) {
	var set Settings
	if s != nil {
		set = *s
	}
	if !(set.Reg > 0) || math.IsInf(set.Reg, 0) {
		return set, fmt.Errorf("transport: regularisation %g must be a positive number", set.Reg)
	}
	if lc != n*m {
		return set, fmt.Errorf("transport: cost matrix has %d entries for %d x %d marginals", lc, n, m)
	}
	if set.Tol == 0 {
		set.Tol = 1e-9
	}
	if set.MaxIter == 0 {
		set.MaxIter = 100000
	}
	if set.CheckEvery == 0 {
		set.CheckEvery = 10
	}
	return set, nil
}

// SinkhornLog solves entropic OT in the log domain, stable at small
// regularisation: alternately F_i = eps log a_i - eps LSE_j((G_j - C_ij)/eps)
// and G_j = eps log b_j - eps LSE_i((F_i - C_ij)/eps), with log-sum-exp
// shifted by the maximum, rows (and columns) in parallel.
func SinkhornLog(a, b, c []float64, s *Settings) (*Result, error) {
	n, m := len(a), len(b)
	if err := checkMarginals(a, b); err != nil {
		return nil, err
	}
	set, err := s.defaults(n, m, len(c))
	if err != nil {
		return nil, err
	}
	eps := set.Reg
	ct := transpose(c, n, m)
	f, g := make([]float64, n), make([]float64, m)
	la, lb := logs(a), logs(b)
	res := &Result{F: f, G: g}
	for it := 1; it <= set.MaxIter; it++ {
		lseUpdate(f, la, c, g, n, m, eps)
		lseUpdate(g, lb, ct, f, m, n, eps)
		res.Iterations = it
		if it%set.CheckEvery == 0 || it == set.MaxIter {
			// After the column update, columns match b exactly; the
			// error is in the rows.
			res.MarginalError = rowError(a, c, f, g, n, m, eps)
			if math.IsNaN(res.MarginalError) {
				return nil, fmt.Errorf("transport: log-domain Sinkhorn produced NaN at iteration %d", it)
			}
			if res.MarginalError <= set.Tol {
				res.Converged = true
				break
			}
		}
	}
	res.Plan = make([]float64, n*m)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			p := math.Exp((f[i] + g[j] - c[i*m+j]) / eps)
			res.Plan[i*m+j] = p
			res.Cost += p * c[i*m+j]
		}
	}
	res.MarginalError = marginalError(res.Plan, a, b)
	return res, nil
}

func logs(w []float64) []float64 {
	out := make([]float64, len(w))
	for i, v := range w {
		out[i] = math.Log(v)
	}
	return out
}

func transpose(c []float64, n, m int) []float64 {
	t := make([]float64, n*m)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			t[j*n+i] = c[i*m+j]
		}
	}
	return t
}

// lseUpdate sets dst_i = eps (logw_i - LSE_j((other_j - c_ij)/eps)) for
// the rows i of the n x m matrix c, in parallel.
func lseUpdate(dst, logw, c, other []float64, n, m int, eps float64) {
	t := lseTask{dst: dst, logw: logw, c: c, other: other, m: m, eps: eps}
	parallel.Run(parallel.Parts(n*m, 1<<14), &t)
}

type lseTask struct {
	dst, logw, c, other []float64
	m                   int
	eps                 float64
}

func (t *lseTask) Do(part, parts int) {
	n := len(t.dst)
	lo, hi := parallel.Range(n, part, parts)
	inv := 1 / t.eps
	for i := lo; i < hi; i++ {
		row := t.c[i*t.m : (i+1)*t.m]
		mx := math.Inf(-1)
		for j, cij := range row {
			if v := t.other[j] - cij; v > mx {
				mx = v
			}
		}
		var s float64
		for j, cij := range row {
			s += math.Exp((t.other[j] - cij - mx) * inv)
		}
		if math.IsInf(t.logw[i], -1) {
			t.dst[i] = math.Inf(-1)
			continue
		}
		t.dst[i] = t.eps*t.logw[i] - mx - t.eps*math.Log(s)
	}
}

// rowError returns sum_i |sum_j P_ij - a_i| for the potentials.
func rowError(a, c, f, g []float64, n, m int, eps float64) float64 {
	var e float64
	for i := 0; i < n; i++ {
		var s float64
		for j := 0; j < m; j++ {
			s += math.Exp((f[i] + g[j] - c[i*m+j]) / eps)
		}
		e += math.Abs(s - a[i])
	}
	return e
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

// Sinkhorn solves entropic OT by plain scaling (Sinkhorn-Knopp) on the
// kernel K = exp(-C/eps): u = a / (K v), v = b / (K^T u). It is fast but
// under- or overflows at small eps; SinkhornLog is the stable variant.
func Sinkhorn(a, b, c []float64, s *Settings) (*Result, error) {
	n, m := len(a), len(b)
	if err := checkMarginals(a, b); err != nil {
		return nil, err
	}
	set, err := s.defaults(n, m, len(c))
	if err != nil {
		return nil, err
	}
	eps := set.Reg
	k := make([]float64, n*m)
	for i, v := range c {
		k[i] = math.Exp(-v / eps)
	}
	kt := transpose(k, n, m)
	u, v := make([]float64, n), make([]float64, m)
	for j := range v {
		v[j] = 1
	}
	kv, ktu := make([]float64, n), make([]float64, m)
	res := &Result{}
	for it := 1; it <= set.MaxIter; it++ {
		matVec(kv, k, v, n, m)
		for i := range u {
			u[i] = a[i] / kv[i]
		}
		matVec(ktu, kt, u, m, n)
		for j := range v {
			v[j] = b[j] / ktu[j]
		}
		res.Iterations = it
		if it%set.CheckEvery == 0 || it == set.MaxIter {
			matVec(kv, k, v, n, m)
			var e float64
			for i := range u {
				e += math.Abs(u[i]*kv[i] - a[i])
			}
			res.MarginalError = e
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return nil, fmt.Errorf("transport: Sinkhorn's scalings overflowed at iteration %d (regularisation %g is too small for the plain kernel; use SinkhornLog)", it, eps)
			}
			if e <= set.Tol {
				res.Converged = true
				break
			}
		}
	}
	res.Plan = make([]float64, n*m)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			p := u[i] * k[i*m+j] * v[j]
			res.Plan[i*m+j] = p
			res.Cost += p * c[i*m+j]
		}
	}
	res.F, res.G = make([]float64, n), make([]float64, m)
	for i := range u {
		res.F[i] = eps * math.Log(u[i])
	}
	for j := range v {
		res.G[j] = eps * math.Log(v[j])
	}
	res.MarginalError = marginalError(res.Plan, a, b)
	return res, nil
}

// matVec sets dst = K x for the rows of the n x m matrix k, in parallel.
func matVec(dst, k, x []float64, n, m int) {
	t := mvTask{dst: dst, k: k, x: x, m: m}
	parallel.Run(parallel.Parts(n*m, 1<<15), &t)
}

type mvTask struct {
	dst, k, x []float64
	m         int
}

func (t *mvTask) Do(part, parts int) {
	lo, hi := parallel.Range(len(t.dst), part, parts)
	for i := lo; i < hi; i++ {
		row := t.k[i*t.m : (i+1)*t.m]
		var s0, s1 float64
		j := 0
		for ; j+1 < len(row); j += 2 {
			s0 += row[j] * t.x[j]
			s1 += row[j+1] * t.x[j+1]
		}
		for ; j < len(row); j++ {
			s0 += row[j] * t.x[j]
		}
		t.dst[i] = s0 + s1
	}
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
