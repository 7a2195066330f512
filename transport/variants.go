package transport

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"

	"github.com/pdekit/pdekit/iterate"
)

// SinkhornEpsScaling solves entropic OT at regularisation reg by
// log-domain Sinkhorn with epsilon scaling: stages at eps_k = max(reg,
// e^-k max C), each warm-started from the previous potentials and run to a
// marginal error of 1e-3 (or 100 iterations), then the final stage at reg
// to the tolerance. At small reg this needs far fewer iterations than
// starting cold. MaxIterations (zero: 100000) caps, and Iterations counts,
// all stages; the callback and history see the final stage.
func SinkhornEpsScaling(ctx context.Context, a, b, c []float64, reg float64, s *Settings) (*Result, error) {
	n, m := len(a), len(b)
	set, err := s.prepare(a, b, c, 100000, param{"regularisation", reg})
	if err != nil {
		return nil, err
	}
	maxC := 0.0
	for _, v := range c {
		maxC = math.Max(maxC, math.Abs(v))
	}
	scale := mass(a)
	f, g := make([]float64, n), make([]float64, m)
	total := 0
	for eps := maxC; eps > 1.5*reg; eps /= math.E {
		st := set
		st.MaxIterations = min(100, set.MaxIterations-total)
		if st.MaxIterations <= 0 {
			break
		}
		var r Result
		sinkhornFrom(a, b, c, eps, st, true, f, g, stage(ctx, set.Control, math.Max(set.Tolerance, 1e-3), st.MaxIterations, scale, &r.Outcome), &r)
		total += r.Iterations
		if r.Reason == iterate.Diverged || r.Reason == iterate.Cancelled {
			r.Iterations = total
			return &r, nil
		}
	}
	final := set
	final.MaxIterations = max(1, set.MaxIterations-total)
	r := &Result{}
	sinkhornFrom(a, b, c, reg, final, true, f, g, final.Control.Start(ctx, scale, &r.Outcome), r)
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
// and b. As tau grows the solution tends to balanced entropic OT. The
// Control tests that change (its Tolerance relative to 1) every
// iteration; MaxIterations zero means 100000.
func SinkhornUnbalanced(ctx context.Context, a, b, c []float64, reg, tau float64, s *Settings) (*Result, error) {
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
	set, err := s.resolve(a, b, c, 100000, param{"regularisation", reg}, param{"marginal penalty tau", tau})
	if err != nil {
		return nil, err
	}
	eps := reg
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
	// There is no change to test before the first iteration, so the
	// first check (and callback) is at iteration 1.
	mon := set.Control.Start(ctx, 1, &res.Outcome)
	var why iterate.Reason
	for it := 1; why == 0; it++ {
		d1 := update(f, a, g, c, m)
		d2 := update(g, b, f, ct, n)
		d := math.Max(d1, d2)
		if math.IsNaN(d1) || math.IsNaN(d2) {
			d = math.NaN()
		}
		why = mon.Check(it, d, nil)
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
// exactly (Settings.SemiDual). gamma is the quadratic regularisation (> 0)
// and k the largest number of nonzeros per column (>= 1). Ties in the top
// K are broken by the lower row index.
//
// The Control tests the max norm of the gradient of the (semi-)dual at
// every L-BFGS iteration, its Tolerance relative to the mass sum(a);
// MaxIterations zero means 10000. An L-BFGS line search that cannot make
// progress ends the solve with reason Breakdown.
func SparsityConstrained(ctx context.Context, a, b, c []float64, gamma float64, k int, s *Settings) (*Result, error) {
	n, m := len(a), len(b)
	if k < 1 {
		return nil, fmt.Errorf("transport: k = %d nonzeros per column, want >= 1", k)
	}
	set, err := s.prepare(a, b, c, 10000, param{"gamma", gamma})
	if err != nil {
		return nil, err
	}
	k = min(k, n)
	col := make([]float64, n)
	idx := make([]int, k)
	plan := make([]float64, n*m)
	res := &Result{}
	// eval returns minus the (semi-)dual and its gradient at z, and fills
	// plan.
	eval := func(z, grad []float64) float64 {
		res.Stats.Evaluations++
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
	// The monitor decides when to stop: gonum's own tests are off, and a
	// recorder applies the rule at every major iteration.
	mon := set.Control.Start(ctx, mass(a), &res.Outcome)
	rec := &recorder{mon: mon}
	opt, err := optimize.Minimize(prob, make([]float64, dim),
		&optimize.Settings{GradientThreshold: math.NaN(), Converger: optimize.NeverTerminate{}, Recorder: rec},
		&optimize.LBFGS{GradStopThreshold: math.NaN()})
	if opt == nil {
		return nil, fmt.Errorf("transport: L-BFGS: %v", err)
	}
	if res.Reason == 0 {
		mon.Stop(iterate.Breakdown, fmt.Errorf("L-BFGS stopped (%v): %v", opt.Status, err))
	}
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

// recorder applies a Monitor to gonum's optimizer: after every major
// iteration it checks the max norm of the gradient and stops the optimizer
// when the monitor gives a reason.
type recorder struct {
	mon *iterate.Monitor
	it  int // major iterations seen; the first is the starting point
}

var errStop = errors.New("transport: stop")

func (r *recorder) Init() error { return nil }

func (r *recorder) Record(loc *optimize.Location, op optimize.Operation, _ *optimize.Stats) error {
	if op != optimize.MajorIteration {
		return nil
	}
	g := 0.0
	for _, v := range loc.Gradient {
		g = math.Max(g, math.Abs(v))
	}
	why := r.mon.Check(r.it, g, loc.X)
	r.it++
	if why != 0 {
		return errStop
	}
	return nil
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
