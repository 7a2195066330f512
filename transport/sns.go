package transport

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/pdekit/pdekit/iterate"
)

// SinkhornNewtonSparse solves entropic OT at regularisation reg by
// Sinkhorn-Newton-Sparse (Tang et al., ICLR 2024): log-domain Sinkhorn steps warm up the potentials,
// then Newton steps maximise the concave dual
//
//	L(f, g) = <a, f> + <b, g> - eps sum_ij exp((f_i + g_j - C_ij)/eps),
//
// whose Hessian is -(1/eps) [[diag(P1), P], [P^T, diag(P^T 1)]]. The
// off-diagonal block P is sparsified to its largest entries (a fraction
// Keep of them); the diagonal keeps the full row and column sums, which
// makes the sparsified matrix positive definite (the constant shift f + t,
// g - t, the null direction of the full Hessian, is no longer exact null)
// so that Jacobi-preconditioned CG solves it. A backtracking Armijo line
// search on L follows; if it fails (the Newton direction is poor far from
// the optimum) the solver switches back to Warmup Sinkhorn steps. Every
// plan evaluation is in the log domain, so small eps does not overflow.
//
// The zero Settings are the method as published: 20 Sinkhorn steps, then
// Newton steps on a Hessian that keeps about 2 entries of the plan per
// row (more where the plan's mass needs them, see Settings.Keep).
// MaxIterations caps the Newton steps; zero means 200.
func SinkhornNewtonSparse(ctx context.Context, a, b, c []float64, reg float64, s *Settings) (*Result, error) {
	n, m := len(a), len(b)
	set, err := s.prepare(a, b, c, 200, param{"regularisation", reg})
	if err != nil {
		return nil, err
	}
	if set.Warmup == 0 {
		set.Warmup = 20
	}
	if set.Drop == 0 {
		set.Drop = 1e-3
	}
	if set.CGTol == 0 {
		set.CGTol = 1e-3
	}
	if set.Warmup < 0 || !(set.Keep >= 0 && set.Keep <= 1) || !(set.Drop > 0 && set.Drop < 1) || !(set.CGTol > 0 && set.CGTol < 1) {
		return nil, fmt.Errorf("transport: SNS settings Warmup %d, Keep %g, Drop %g, CGTol %g out of range", set.Warmup, set.Keep, set.Drop, set.CGTol)
	}
	eps := reg
	f, g := make([]float64, n), make([]float64, m)
	cTransformStart(c, f, g)
	res := &Result{}
	st := &res.Stats
	scale := mass(a)
	// The Newton steps are the iterations the callback sees and
	// MaxIterations caps; the warm-up runs under the same tolerance.
	mon := set.Control.Start(ctx, scale, &res.Outcome)
	floor := int(math.Ceil(2 / float64(min(n, m)) * float64(n*m)))
	if set.Keep > 0 {
		floor = max(1, int(math.Ceil(set.Keep*float64(n*m))))
	}
	w := newSNSWork(c, n, m, eps, floor, set.Keep == 0, set.Drop)
	warm := func() iterate.Reason {
		ws := set
		ws.MaxIterations = max(set.Warmup, 1)
		ws.CheckEvery = ws.MaxIterations
		var r Result
		sinkhornFrom(a, b, c, eps, ws, true, f, g, stage(ctx, set.Control, set.Tolerance, ws.MaxIterations, scale, &r.Outcome), &r)
		st.SinkhornIterations += r.Iterations
		// Sinkhorn leaves its kernel at (f, g): the reference of w.
		w.rebase(r.Plan, f, g)
		if r.Reason == iterate.Diverged || r.Reason == iterate.Cancelled {
			mon.Stop(r.Reason, r.Err())
			return r.Reason
		}
		return 0
	}
	why := warm()
	obj := w.evaluate(a, b, f, g)
	if why == 0 {
		why = mon.Check(0, w.err, nil)
	}
	for why == 0 {
		// Newton direction: D d = grad with D = [[diag r, Ps], [Ps^T,
		// diag s]]; the step in (f, g) is eps d.
		w.sparsify()
		st.CGIterations += w.solve(set.CGTol)
		slope := 0.0
		for i, v := range w.d {
			slope += v * w.grad[i]
		}
		slope *= eps
		alpha, accepted := 1.0, false
		for k := 0; k < 40; k++ {
			for i := range f {
				w.f[i] = f[i] + alpha*eps*w.d[i]
			}
			for j := range g {
				w.g[j] = g[j] + alpha*eps*w.d[n+j]
			}
			errOld := w.err
			trial := w.evaluate(a, b, w.f, w.g)
			st.LineSearchEvals++
			// Armijo on L; near the optimum L changes below its rounding,
			// so a drop of the marginal error is accepted as well.
			if trial >= obj+1e-4*alpha*slope || (w.err < errOld && trial >= obj-1e-12*math.Abs(obj)) {
				copy(f, w.f)
				copy(g, w.g)
				obj, accepted = trial, true
				break
			}
			w.err = errOld
			alpha /= 2
		}
		st.NewtonIterations++
		if !accepted {
			// Switch back: Sinkhorn steps from the last good point.
			st.SwitchBacks++
			if why = warm(); why != 0 {
				break
			}
			obj = w.evaluate(a, b, f, g)
		}
		why = mon.Check(st.NewtonIterations, w.err, nil)
	}
	res.Iterations = st.SinkhornIterations + st.NewtonIterations
	res.F, res.G = f, g
	res.Plan = w.plan(f, g)
	for i, p := range res.Plan {
		res.Cost += p * c[i]
	}
	res.MarginalError = marginalError(res.Plan, a, b)
	return res, nil
}

// snsWork holds the buffers of one SNS solve. The plan at potentials
// (f, g) is P_ij = u_i K_ij v_j with the kernel K_ij = exp((f0_i + g0_j -
// C_ij)/eps) of reference potentials (f0, g0) and the scalings u_i =
// exp((f_i - f0_i)/eps), v_j = exp((g_j - g0_j)/eps): its row and column
// sums are two matrix-vector products, and no entry is exponentiated
// again until a scaling leaves [1e-100, 1e100] and the reference moves.
type snsWork struct {
	n, m     int
	c        []float64
	eps      float64
	k        []float64 // kernel at the reference
	f0, g0   []float64
	u, v     []float64
	kv, ktu  []float64
	rs, cs   []float64 // row and column sums of the plan
	grad     []float64 // (a - rs, b - cs)
	err      float64   // ||grad||_1
	f, g     []float64 // trial potentials
	floor    int       // least number of entries kept
	adaptive bool
	drop     float64
	// Sparsified off-diagonal block in CSR.
	ptr  []int
	col  []int
	val  []float64
	sel  []float64 // scratch for the selection
	d    []float64 // Newton direction
	r, z []float64 // CG vectors
	q, y []float64
}

func newSNSWork(c []float64, n, m int, eps float64, floor int, adaptive bool, drop float64) *snsWork {
	nm := n + m
	return &snsWork{n: n, m: m, c: c, eps: eps, floor: floor, adaptive: adaptive, drop: drop,
		f0: make([]float64, n), g0: make([]float64, m), u: make([]float64, n), v: make([]float64, m),
		kv: make([]float64, n), ktu: make([]float64, m), rs: make([]float64, n), cs: make([]float64, m),
		grad: make([]float64, nm), f: make([]float64, n), g: make([]float64, m), ptr: make([]int, n+1),
		d: make([]float64, nm), r: make([]float64, nm), z: make([]float64, nm), q: make([]float64, nm), y: make([]float64, nm)}
}

// rebase makes k (the kernel at (f, g), owned by w from now on) the
// reference.
func (w *snsWork) rebase(k, f, g []float64) {
	w.k = k
	copy(w.f0, f)
	copy(w.g0, g)
}

// scalings sets u and v for (f, g) and reports whether they stay within
// [1e-100, 1e100].
func (w *snsWork) scalings(f, g []float64) bool {
	ok := true
	for i := range f {
		w.u[i] = math.Exp((f[i] - w.f0[i]) / w.eps)
		ok = ok && w.u[i] > 1e-100 && w.u[i] < 1e100
	}
	for j := range g {
		w.v[j] = math.Exp((g[j] - w.g0[j]) / w.eps)
		ok = ok && w.v[j] > 1e-100 && w.v[j] < 1e100
	}
	return ok
}

// evaluate computes the plan's row and column sums, the gradient and the
// marginal error at (f, g), and returns L(f, g).
func (w *snsWork) evaluate(a, b, f, g []float64) float64 {
	n, m := w.n, w.m
	if !w.scalings(f, g) {
		k := w.k
		forRows(n, m, func(i int) {
			row := k[i*m : (i+1)*m]
			cr := w.c[i*m : (i+1)*m]
			for j := range row {
				row[j] = math.Exp((f[i] + g[j] - cr[j]) / w.eps)
			}
		})
		w.rebase(k, f, g)
		w.scalings(f, g)
	}
	gemv := blas64.Implementation().Dgemv
	gemv(blas.NoTrans, n, m, 1, w.k, m, w.v, 1, 0, w.kv, 1)
	gemv(blas.Trans, n, m, 1, w.k, m, w.u, 1, 0, w.ktu, 1)
	var obj, mass float64
	w.err = 0
	for i := range a {
		w.rs[i] = w.u[i] * w.kv[i]
		obj += a[i] * f[i]
		mass += w.rs[i]
		w.grad[i] = a[i] - w.rs[i]
		w.err += math.Abs(w.grad[i])
	}
	for j := range b {
		w.cs[j] = w.v[j] * w.ktu[j]
		obj += b[j] * g[j]
		w.grad[n+j] = b[j] - w.cs[j]
		w.err += math.Abs(w.grad[n+j])
	}
	return obj - w.eps*mass
}

// plan returns the plan at (f, g) as a new matrix.
func (w *snsWork) plan(f, g []float64) []float64 {
	w.scalings(f, g)
	p := make([]float64, w.n*w.m)
	m := w.m
	forRows(w.n, m, func(i int) {
		for j, kv := range w.k[i*m : (i+1)*m] {
			p[i*m+j] = w.u[i] * kv * w.v[j]
		}
	})
	return p
}

// sparsify keeps the largest entries of the current plan (its scalings
// are those of the last evaluate) in the CSR block: the floor count, or
// when adaptive the fewest that hold all but drop of the mass if more.
func (w *snsWork) sparsify() {
	n, m := w.n, w.m
	// Mass per binary exponent of the entries (a histogram in factors of 2).
	var hist [2048]float64
	var count [2048]int
	total := 0.0
	for i := 0; i < n; i++ {
		ui := w.u[i]
		for j, kv := range w.k[i*m : (i+1)*m] {
			p := ui * kv * w.v[j]
			e := math.Float64bits(p) >> 52 & 0x7ff
			hist[e] += p
			count[e]++
			total += p
		}
	}
	rho := math.Inf(1)
	kept, mass := 0, 0.0
	for e := 2047; e >= 0; e-- {
		if count[e] == 0 {
			continue
		}
		enough := kept >= w.floor && (!w.adaptive || mass >= (1-w.drop)*total)
		if enough {
			break
		}
		kept += count[e]
		mass += hist[e]
		rho = math.Float64frombits(uint64(e) << 52)
	}
	if !w.adaptive {
		// A fixed fraction: select the exact count.
		target := w.floor
		if w.sel == nil {
			w.sel = make([]float64, n*m)
		}
		sel := w.sel
		for i := 0; i < n; i++ {
			for j, kv := range w.k[i*m : (i+1)*m] {
				sel[i*m+j] = w.u[i] * kv * w.v[j]
			}
		}
		rho = kthLargest(sel, target)
	}
	w.col, w.val = w.col[:0], w.val[:0]
	for i := 0; i < n; i++ {
		w.ptr[i] = len(w.col)
		ui := w.u[i]
		for j, kv := range w.k[i*m : (i+1)*m] {
			if p := ui * kv * w.v[j]; p >= rho && p > 0 {
				w.col = append(w.col, j)
				w.val = append(w.val, p)
			}
		}
	}
	w.ptr[n] = len(w.col)
}

// apply computes y = D x for the sparsified matrix.
func (w *snsWork) apply(y, x []float64) {
	n := w.n
	xf, xg := x[:n], x[n:]
	yf, yg := y[:n], y[n:]
	clear(yg)
	for i := 0; i < n; i++ {
		s := w.rs[i] * xf[i]
		for k := w.ptr[i]; k < w.ptr[i+1]; k++ {
			j, v := w.col[k], w.val[k]
			s += v * xg[j]
			yg[j] += v * xf[i]
		}
		yf[i] = s
	}
	for j := range yg {
		yg[j] += w.cs[j] * xg[j]
	}
}

// solve runs Jacobi-preconditioned CG on D d = grad from d = 0 and returns
// the iterations.
func (w *snsWork) solve(tol float64) int {
	n := w.n
	diag := func(i int) float64 {
		if i < n {
			return w.rs[i]
		}
		return w.cs[i-n]
	}
	clear(w.d)
	copy(w.r, w.grad)
	norm0 := 0.0
	for _, v := range w.r {
		norm0 += v * v
	}
	norm0 = math.Sqrt(norm0)
	if norm0 == 0 {
		return 0
	}
	rz := 0.0
	for i, v := range w.r {
		w.z[i] = v / diag(i)
		rz += v * w.z[i]
	}
	copy(w.q, w.z)
	maxIt := 10 * (w.n + w.m)
	for it := 1; it <= maxIt; it++ {
		w.apply(w.y, w.q)
		qy := 0.0
		for i, v := range w.q {
			qy += v * w.y[i]
		}
		if !(qy > 0) {
			return it
		}
		alpha := rz / qy
		rr := 0.0
		for i := range w.d {
			w.d[i] += alpha * w.q[i]
			w.r[i] -= alpha * w.y[i]
			rr += w.r[i] * w.r[i]
		}
		if math.Sqrt(rr) <= tol*norm0 {
			return it
		}
		rzNew := 0.0
		for i, v := range w.r {
			w.z[i] = v / diag(i)
			rzNew += v * w.z[i]
		}
		beta := rzNew / rz
		rz = rzNew
		for i := range w.q {
			w.q[i] = w.z[i] + beta*w.q[i]
		}
	}
	return maxIt
}

// kthLargest returns the k-th largest value of x (1-based), reordering x:
// quickselect with median-of-three pivots and a three-way partition (many
// entries of a plan underflow to the same 0), O(len(x)) on average.
func kthLargest(x []float64, k int) float64 {
	k = max(1, min(k, len(x)))
	lo, hi := 0, len(x) // the answer lies in x[lo:hi]
	target := k - 1     // index in descending order
	for hi-lo > 1 {
		a, b, c := x[lo], x[lo+(hi-lo)/2], x[hi-1]
		pivot := max(min(a, b), min(max(a, b), c))
		// x[lo:gt] > pivot, x[gt:i] == pivot, x[lt:hi] < pivot.
		gt, i, lt := lo, lo, hi
		for i < lt {
			switch v := x[i]; {
			case v > pivot:
				x[i], x[gt] = x[gt], x[i]
				gt++
				i++
			case v < pivot:
				lt--
				x[i], x[lt] = x[lt], x[i]
			default:
				i++
			}
		}
		switch {
		case target < gt:
			hi = gt
		case target < lt:
			return pivot
		default:
			lo = lt
		}
	}
	return x[lo]
}
