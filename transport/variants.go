package transport

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// SinkhornEpsScaling solves entropic OT at s.Reg by log-domain Sinkhorn
// with epsilon scaling: stages at eps_k = max(Reg, e^-k max C), each warm-
// started from the previous potentials and run to a marginal error of
// 1e-3 (or 100 iterations), then the final stage at Reg to s.Tol. At small
// Reg this needs far fewer iterations than starting cold. Iterations
// counts all stages.
func SinkhornEpsScaling(a, b, c []float64, s *Settings) (*Result, error) {
	n, m := len(a), len(b)
	if err := checkMarginals(a, b); err != nil {
		return nil, err
	}
	set, err := s.defaults(n, m, len(c))
	if err != nil {
		return nil, err
	}
	maxC := 0.0
	for _, v := range c {
		maxC = math.Max(maxC, math.Abs(v))
	}
	f, g := make([]float64, n), make([]float64, m)
	total := 0
	for eps := maxC; eps > 1.5*set.Reg; eps /= math.E {
		st := set
		st.Reg = eps
		st.Tol = math.Max(set.Tol, 1e-3)
		st.MaxIter = min(100, set.MaxIter-total)
		if st.MaxIter <= 0 {
			break
		}
		r, err := sinkhornFrom(a, b, c, st, true, f, g)
		if err != nil {
			return nil, err
		}
		total += r.Iterations
	}
	final := set
	final.MaxIter = max(1, set.MaxIter-total)
	r, err := sinkhornFrom(a, b, c, final, true, f, g)
	if err != nil {
		return nil, err
	}
	r.Iterations += total
	return r, nil
}

// SinkhornUnbalanced solves entropic OT with KL-relaxed marginals,
//
//	min_P <C, P> + eps sum P (log P - 1) + tau KL(P1 | a) + tau KL(P^T 1 | b),
//
// by the scaling iterations of Chizat, Peyre, Schmitzer and Vialard (2018)
// in the log domain: f_i = tau/(tau+eps) (eps log a_i - eps LSE_j((g_j -
// C_ij)/eps)) and the same for g. The marginals are not matched, so it
// stops when an iteration changes the potentials by at most s.Tol (max
// norm, relative to 1 + |f|); MarginalError reports the deviation from a
// and b. As tau grows the solution tends to balanced entropic OT.
func SinkhornUnbalanced(a, b, c []float64, tau float64, s *Settings) (*Result, error) {
	n, m := len(a), len(b)
	for name, w := range map[string][]float64{"a": a, "b": b} {
		if len(w) == 0 {
			return nil, fmt.Errorf("transport: marginal %s is empty", name)
		}
		for i, v := range w {
			if !(v > 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("transport: unbalanced marginal %s[%d] = %g must be positive and finite", name, i, v)
			}
		}
	}
	if !(tau > 0) || math.IsInf(tau, 0) {
		return nil, fmt.Errorf("transport: marginal penalty tau %g must be positive and finite", tau)
	}
	set, err := s.defaults(n, m, len(c))
	if err != nil {
		return nil, err
	}
	eps := set.Reg
	phi := tau / (tau + eps)
	f, g := make([]float64, n), make([]float64, m)
	ct := make([]float64, n*m) // C transposed, for the column updates
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			ct[j*n+i] = c[i*m+j]
		}
	}
	res := &Result{F: f, G: g}
	// update sets x_i = phi (eps log w_i - eps LSE_j((y_j - cost_ij)/eps))
	// and returns the largest relative change.
	update := func(x, w, y, cost []float64, cols int) float64 {
		change := make([]float64, len(x))
		forRows(len(x), cols, func(i int) {
			row := cost[i*cols : (i+1)*cols]
			mx := math.Inf(-1)
			for j, v := range row {
				mx = math.Max(mx, (y[j]-v)/eps)
			}
			s := 0.0
			for j, v := range row {
				s += math.Exp((y[j]-v)/eps - mx)
			}
			nv := phi * (eps*math.Log(w[i]) - eps*(mx+math.Log(s)))
			change[i] = math.Abs(nv-x[i]) / (1 + math.Abs(nv))
			x[i] = nv
		})
		worst := 0.0
		for _, v := range change {
			worst = math.Max(worst, v)
		}
		return worst
	}
	for it := 1; it <= set.MaxIter; it++ {
		d1 := update(f, a, g, c, m)
		d2 := update(g, b, f, ct, n)
		res.Iterations = it
		if math.IsNaN(d1) || math.IsNaN(d2) {
			return nil, fmt.Errorf("transport: unbalanced Sinkhorn produced NaN at iteration %d", it)
		}
		if math.Max(d1, d2) <= set.Tol {
			res.Converged = true
			break
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

// SparseSettings controls SparsityConstrained.
type SparseSettings struct {
	// Gamma is the quadratic regularisation (> 0).
	Gamma float64
	// K is the largest number of nonzeros per column of the plan (>= 1).
	K int
	// SemiDual solves the semi-dual (columns match b exactly) instead of
	// the dual.
	SemiDual bool
	// Tol is the gradient norm (max norm) at which L-BFGS stops; zero
	// means 1e-9.
	Tol float64
	// MaxIter caps the L-BFGS iterations; zero means 10000.
	MaxIter int
}

// SparseResult is a sparsity-constrained plan.
type SparseResult struct {
	Result
	// Evaluations counts objective and gradient evaluations.
	Evaluations int
}

// SparsityConstrained solves quadratically regularised OT with at most K
// nonzeros per column of the plan (Liu, Puigcerver and Blondel, ICLR 2023)
// through its dual, maximised by L-BFGS (gonum's optimize):
//
//	max_{f,g} <f, a> + <g, b> - sum_j delta(f + g_j - C_{:,j}),
//	delta(x) = 1/(2 gamma) sum_{i in topk(x)} max(x_i, 0)^2,
//
// with plan column j = max(topk(f + g_j - C_{:,j}), 0)/gamma; or through
// the semi-dual max_f <f, a> - sum_j b_j maxOmega(f - C_{:,j}; b_j), whose
// plan column is b_j times the projection of (f - C_{:,j})/(b_j gamma) onto
// the simplex restricted to its K largest entries, so columns sum to b
// exactly. Ties in the top K are broken by the lower row index.
func SparsityConstrained(a, b, c []float64, s *SparseSettings) (*SparseResult, error) {
	n, m := len(a), len(b)
	if err := checkMarginals(a, b); err != nil {
		return nil, err
	}
	if s == nil {
		return nil, errors.New("transport: SparsityConstrained needs settings with Gamma and K")
	}
	set := *s
	if len(c) != n*m {
		return nil, fmt.Errorf("transport: cost matrix has %d entries for %d x %d marginals", len(c), n, m)
	}
	if !(set.Gamma > 0) || math.IsInf(set.Gamma, 0) {
		return nil, fmt.Errorf("transport: Gamma %g must be positive and finite", set.Gamma)
	}
	if set.K < 1 {
		return nil, fmt.Errorf("transport: K = %d nonzeros per column, want >= 1", set.K)
	}
	if set.Tol == 0 {
		set.Tol = 1e-9
	}
	if set.MaxIter == 0 {
		set.MaxIter = 10000
	}
	k := min(set.K, n)
	gamma := set.Gamma
	col := make([]float64, n)
	idx := make([]int, k)
	plan := make([]float64, n*m)
	res := &SparseResult{}
	// eval returns minus the (semi-)dual and its gradient at z, and fills
	// plan.
	eval := func(z, grad []float64) float64 {
		res.Evaluations++
		f := z[:n]
		obj := 0.0
		for i := range a {
			obj += a[i] * f[i]
		}
		if !set.SemiDual {
			for j := range b {
				obj += b[j] * z[n+j]
			}
		}
		clear(plan)
		for j := 0; j < m; j++ {
			gj := 0.0
			if !set.SemiDual {
				gj = z[n+j]
			}
			for i := 0; i < n; i++ {
				col[i] = f[i] + gj - c[i*m+j]
			}
			topK(idx, col)
			if set.SemiDual {
				obj -= b[j] * sparseSimplexColumn(plan, j, m, idx, col, b[j], gamma)
			} else {
				for _, i := range idx {
					if v := col[i]; v > 0 {
						obj -= v * v / (2 * gamma)
						plan[i*m+j] = v / gamma
					}
				}
			}
		}
		if grad != nil {
			for i := 0; i < n; i++ {
				s := 0.0
				for _, p := range plan[i*m : (i+1)*m] {
					s += p
				}
				grad[i] = -(a[i] - s)
			}
			if !set.SemiDual {
				for j := 0; j < m; j++ {
					s := 0.0
					for i := 0; i < n; i++ {
						s += plan[i*m+j]
					}
					grad[n+j] = -(b[j] - s)
				}
			}
		}
		return -obj
	}
	dim := n + m
	if set.SemiDual {
		dim = n
	}
	prob := optimize.Problem{
		Func: func(z []float64) float64 { return eval(z, nil) },
		Grad: func(grad, z []float64) { eval(z, grad) },
	}
	opt, err := optimize.Minimize(prob, make([]float64, dim),
		&optimize.Settings{GradientThreshold: set.Tol, MajorIterations: set.MaxIter}, &optimize.LBFGS{})
	if opt == nil {
		return nil, fmt.Errorf("transport: L-BFGS: %v", err)
	}
	res.Iterations = opt.Stats.MajorIterations
	res.Converged = opt.Status == optimize.GradientThreshold
	eval(opt.X, nil)
	res.Plan = plan
	res.F = append([]float64(nil), opt.X[:n]...)
	if set.SemiDual {
		res.G = make([]float64, m)
	} else {
		res.G = append([]float64(nil), opt.X[n:]...)
	}
	for i, p := range plan {
		res.Cost += p * c[i]
	}
	res.MarginalError = marginalError(plan, a, b)
	return res, nil
}

// topK writes into idx the indices of the len(idx) largest entries of x
// (ties to the lower index), by insertion into a sorted window: O(len(x) k).
func topK(idx []int, x []float64) {
	k := 0
	for i, v := range x {
		if k < len(idx) {
			idx[k] = i
			k++
		} else if v <= x[idx[k-1]] {
			continue
		} else {
			idx[k-1] = i
		}
		// Bubble the new entry up to keep idx sorted by decreasing value.
		for p := k - 1; p > 0 && x[idx[p]] > x[idx[p-1]]; p-- {
			idx[p], idx[p-1] = idx[p-1], idx[p]
		}
	}
}

// sparseSimplexColumn sets column j of the plan to b times the Euclidean
// projection of x/(b gamma), restricted to the entries idx (sorted by
// decreasing x), onto the probability simplex, and returns maxOmega(x; b)
// = <x, g> - gamma b/2 |g|^2.
func sparseSimplexColumn(plan []float64, j, m int, idx []int, x []float64, b, gamma float64) float64 {
	if b == 0 {
		return 0
	}
	scale := 1 / (b * gamma)
	// Threshold theta: largest r with y_r - (sum_{s<=r} y_s - 1)/r > 0.
	cum, theta := 0.0, 0.0
	for r, i := range idx {
		y := x[i] * scale
		cum += y
		if t := (cum - 1) / float64(r+1); y-t > 0 {
			theta = t
		}
	}
	val, norm := 0.0, 0.0
	for _, i := range idx {
		gi := x[i]*scale - theta
		if gi <= 0 {
			continue
		}
		plan[i*m+j] = b * gi
		val += x[i] * gi
		norm += gi * gi
	}
	return val - gamma*b/2*norm
}
