package sketchnewton

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/iterate"
)

// Settings controls Solve. The zero value, and a nil *Settings, mean the
// defaults, which are the constants of the paper's code (Param.jl).
//
// The embedded Control tests the KKT residual ||(grad_x L, c)||, its
// Tolerance relative to the residual at the start. Both tolerances zero
// mean the paper's absolute test, AbsTolerance 1e-4; MaxIterations zero
// means 1e4 Newton iterations. The callback sees every iterate's KKT
// residual; with History set, Result.Trace also records every step.
type Settings struct {
	iterate.Control
	// Eta1 and Eta2 are the initial penalties of the exact augmented
	// Lagrangian; zero means 1 and 0.1.
	Eta1, Eta2 float64
	// Delta is the initial accuracy parameter; zero means 0.1.
	Delta float64
	// XiB is the curvature floor of the regularized Hessian; zero
	// means 0.1.
	XiB float64
	// Beta is the Armijo parameter; zero means 0.1.
	Beta float64
	// Nu is the penalty update factor; zero means 1.5.
	Nu float64
	// Theta scales the adaptive accuracy condition; zero means 1.
	Theta float64
	// SingularTol aborts when lambda_min(G G^T) falls below it, the
	// constraint Jacobian losing rank; zero means 1e-2.
	SingularTol float64
	// Lambda0 is the initial multiplier; nil means zero.
	Lambda0 []float64
	// PaperGradient uses the Hessian of f in place of the Hessian of
	// the Lagrangian in the merit gradient, as the paper's code does;
	// the two agree for linear constraints.
	PaperGradient bool
	// DenseLimit is the largest n for which the per-iteration spectral
	// checks (lambda_min(G G^T), lambda_min(Z^T H Z) on the null space)
	// are done densely; zero means 2000. Above it they are skipped:
	// lambda_min(G G^T) is taken as 1 and no shift is added.
	DenseLimit int
	// Seed seeds the sketches.
	Seed uint64
}

// Iteration records one Newton iteration.
type Iteration struct {
	Iter int
	// KKT is ||(grad_x L, c)|| at the start of the iteration.
	KKT float64
	// Merit and MeritNew are L_eta before and after the step, with the
	// penalties Eta1, Eta2 the step used.
	Merit, MeritNew float64
	Eta1, Eta2      float64
	// Step is the Armijo step length.
	Step float64
	// InnerResidual is ||K z - rhs|| of the accepted direction and
	// InnerTolerance the accuracy condition's bound on it.
	InnerResidual, InnerTolerance float64
	// InnerSteps are the sketch steps of this iteration.
	InnerSteps int
}

// Stats counts the work of a solve.
type Stats struct {
	// InnerSteps counts sketch (or Kaczmarz) steps; for Exact, dense
	// factorizations or MINRES iterations.
	InnerSteps int
	// Flops estimates the floating-point operations of the KKT solves.
	Flops int64
	// PenaltyIncreases counts penalty updates, Backtracks Armijo halvings.
	PenaltyIncreases, Backtracks int
	// InnerCapHits counts solves that stopped at their step cap before
	// meeting the accuracy condition.
	InnerCapHits int
}

// Result is the outcome of Solve: the solution, the shared outcome block
// (Residual is the KKT residual ||(grad_x L, c)|| at (X, Lambda)) and the
// work done.
type Result struct {
	X, Lambda []float64
	// F is f(X).
	F float64
	iterate.Outcome
	// Trace records every Newton step when Control.History is set.
	Trace []Iteration
	Stats Stats
}

// Solve minimizes p from x0 (not modified) by Newton steps on the KKT
// conditions, each solved inexactly by inner to the adaptive accuracy
// condition, with Armijo backtracking on the exact augmented Lagrangian
// L_eta = f + lambda^T c + (eta1/2)||c||^2 + (eta2/2)||grad_x L||^2 whose
// penalties grow until the direction is a descent direction (Hong, Na,
// Mahoney and Kolar, ICML 2023). Bad input gives an error; a run that
// stops early says why in Result.Reason.
func Solve(ctx context.Context, p Problem, x0 []float64, inner InnerSolver, s *Settings) (*Result, error) {
	n, m := p.Dims()
	if n <= 0 || m < 0 || m > n {
		return nil, fmt.Errorf("sketchnewton: problem has n = %d variables and m = %d constraints; want 0 <= m <= n, n > 0", n, m)
	}
	if len(x0) != n {
		return nil, fmt.Errorf("sketchnewton: x0 has length %d, problem has %d variables", len(x0), n)
	}
	for i, v := range x0 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("sketchnewton: x0[%d] = %g is not finite", i, v)
		}
	}
	if inner == nil {
		return nil, fmt.Errorf("sketchnewton: no inner KKT solver")
	}
	var set Settings
	if s != nil {
		set = *s
	}
	def := func(v *float64, d float64, name string) error {
		if *v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0) {
			return fmt.Errorf("sketchnewton: %s = %g is not a nonnegative number", name, *v)
		}
		if *v == 0 {
			*v = d
		}
		return nil
	}
	for _, d := range []struct {
		v    *float64
		d    float64
		name string
	}{{&set.Eta1, 1, "Eta1"}, {&set.Eta2, 0.1, "Eta2"}, {&set.Delta, 0.1, "Delta"},
		{&set.XiB, 0.1, "XiB"}, {&set.Beta, 0.1, "Beta"}, {&set.Nu, 1.5, "Nu"}, {&set.Theta, 1, "Theta"}, {&set.SingularTol, 1e-2, "SingularTol"}} {
		if err := def(d.v, d.d, d.name); err != nil {
			return nil, err
		}
	}
	if set.Beta >= 0.5 {
		return nil, fmt.Errorf("sketchnewton: Beta = %g, want it in (0, 0.5)", set.Beta)
	}
	if set.Nu <= 1 {
		return nil, fmt.Errorf("sketchnewton: Nu = %g, want it > 1", set.Nu)
	}
	var err error
	if set.Control, err = set.Control.Resolve(iterate.Control{AbsTolerance: 1e-4, MaxIterations: 10000}); err != nil {
		return nil, fmt.Errorf("sketchnewton: %w", err)
	}
	if set.DenseLimit == 0 {
		set.DenseLimit = 2000
	}
	lam := make([]float64, m)
	if set.Lambda0 != nil {
		if len(set.Lambda0) != m {
			return nil, fmt.Errorf("sketchnewton: Lambda0 has length %d, problem has %d constraints", len(set.Lambda0), m)
		}
		copy(lam, set.Lambda0)
	}
	sv := &solver{p: p, n: n, m: m, set: set, inner: inner,
		rnd: rand.New(rand.NewPCG(set.Seed, set.Seed^0x2545f4914f6cdd1d))}
	return sv.run(ctx, append([]float64(nil), x0...), lam)
}

type solver struct {
	p     Problem
	n, m  int
	set   Settings
	inner InnerSolver
	rnd   *rand.Rand
	res   Result
}

// point is the data of the problem at (x, lambda).
type point struct {
	f     float64
	g, gl []float64 // grad f, grad_x L
	c     []float64
	jacM  mat.Matrix
}

func (sv *solver) eval(pt *point, x, lam []float64) {
	n, m := sv.n, sv.m
	if pt.g == nil {
		pt.g, pt.gl, pt.c = make([]float64, n), make([]float64, n), make([]float64, m)
	}
	pt.f = sv.p.Func(x)
	sv.p.Grad(pt.g, x)
	sv.p.Cons(pt.c, x)
	pt.jacM = sv.p.Jac(x)
	copy(pt.gl, pt.g)
	// grad_x L = grad f + G^T lambda.
	forEach(pt.jacM, func(i, j int, v float64) { pt.gl[j] += v * lam[i] })
}

// merit returns L_eta at the point.
func merit(pt *point, lam []float64, eta1, eta2 float64) float64 {
	return pt.f + floats.Dot(lam, pt.c) + eta1/2*floats.Dot(pt.c, pt.c) + eta2/2*floats.Dot(pt.gl, pt.gl)
}

func frobenius(a mat.Matrix) float64 {
	var ss float64
	forEach(a, func(_, _ int, v float64) { ss += v * v })
	return math.Sqrt(ss)
}

// mulVec sets dst = a x for a dense or sparse matrix.
func mulVec(dst []float64, a mat.Matrix, x []float64) {
	clear(dst)
	forEach(a, func(i, j int, v float64) { dst[i] += v * x[j] })
}

// mulVecT sets dst = a^T x.
func mulVecT(dst []float64, a mat.Matrix, x []float64) {
	clear(dst)
	forEach(a, func(i, j int, v float64) { dst[j] += v * x[i] })
}

// spectral returns lambda_min(G G^T) and whether the reduced Hessian
// Z^T H Z has an eigenvalue below 1e-6, densely.
func spectral(g, h mat.Matrix, n, m int) (xiG float64, indefinite bool) {
	gd := mat.DenseCopyOf(g)
	xiG = 1
	if m > 0 {
		var ggt mat.SymDense
		ggt.SymOuterK(1, gd)
		var eig mat.EigenSym
		if !eig.Factorize(&ggt, false) {
			return 0, false
		}
		xiG = eig.Values(nil)[0]
	}
	if n == m {
		return xiG, false
	}
	hd := mat.DenseCopyOf(h)
	var z *mat.Dense
	if m == 0 {
		z = mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			z.Set(i, i, 1)
		}
	} else {
		var qr mat.QR
		qr.Factorize(gd.T())
		var q mat.Dense
		qr.QTo(&q)
		z = mat.DenseCopyOf(q.Slice(0, n, m, n))
	}
	var hz, zhz mat.Dense
	hz.Mul(hd, z)
	zhz.Mul(z.T(), &hz)
	sym := mat.NewSymDense(n-m, nil)
	for i := 0; i < n-m; i++ {
		for j := i; j < n-m; j++ {
			sym.SetSym(i, j, (zhz.At(i, j)+zhz.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return xiG, true
	}
	return xiG, eig.Values(nil)[0] < 1e-6
}

func (sv *solver) run(ctx context.Context, x, lam []float64) (*Result, error) {
	n, m, set := sv.n, sv.m, sv.set
	res := &sv.res
	var cur, trial point
	eta1, eta2, delta := set.Eta1, set.Eta2, set.Delta
	nn := n + m
	z := make([]float64, nn)
	r := make([]float64, nn)
	rhs := make([]float64, nn)
	gradEta := make([]float64, nn)
	hv := make([]float64, n)
	gv := make([]float64, m)
	xt := make([]float64, n)
	lt := make([]float64, m)
	zeroLam := make([]float64, m)
	mon := set.Control.Start(ctx, 0, &res.Outcome)
	done := func() (*Result, error) {
		res.X, res.Lambda, res.F = x, lam, cur.f
		return res, nil
	}
	stop := func(why iterate.Reason, err error) (*Result, error) {
		mon.Stop(why, err)
		return done()
	}
	sv.eval(&cur, x, lam)
	for k := 0; ; k++ {
		kktNorm := math.Hypot(floats.Norm(cur.gl, 2), floats.Norm(cur.c, 2))
		if math.IsNaN(cur.f) {
			kktNorm = math.NaN()
		}
		if k == 0 {
			mon.SetScale(kktNorm)
		}
		if mon.Check(k, kktNorm, x) != 0 {
			return done()
		}
		h := sv.p.HessLag(x, lam)
		g := cur.jacM
		xiG, indefinite := 1.0, false
		if n <= set.DenseLimit {
			xiG, indefinite = spectral(g, h, n, m)
		}
		if xiG < set.SingularTol {
			return stop(iterate.Breakdown, fmt.Errorf("lambda_min(G G^T) = %.3g < %g: the constraint Jacobian is (nearly) rank deficient at iteration %d", xiG, set.SingularTol, k))
		}
		hFro, gFro := frobenius(h), frobenius(g)
		shift := 0.0
		if indefinite {
			shift = set.XiB + hFro
		}
		kk := newKKT(h, g, shift)
		bFro2 := 0.0
		for i := 0; i < n; i++ {
			bFro2 += kk.rowNorm2[i]
		}
		bFro2 -= gFro * gFro // row norms of the top block include G^T
		psi := 20 * math.Max(bFro2, 1) / (math.Min(xiG, 1) * math.Min(set.XiB, 1))
		ups := math.Max(math.Max(gFro, hFro), 1)
		deltaTrial := func() float64 {
			return (0.5 - set.Beta) * eta2 / ((1 + eta1 + eta2) * ups * ups * psi * psi)
		}
		delta = math.Max(math.Min(delta, deltaTrial()), 1e-6)
		for i := 0; i < n; i++ {
			rhs[i] = -cur.gl[i]
		}
		for i := 0; i < m; i++ {
			rhs[n+i] = -cur.c[i]
		}
		rhsNorm := floats.Norm(rhs, 2)
		clear(z)
		// r = K z - rhs = -rhs at z = 0 (the paper's code starts from +rhs).
		for i := range r {
			r[i] = -rhs[i]
		}
		hm := h
		if set.PaperGradient {
			hm = sv.p.HessLag(x, zeroLam)
		}
		stepsBefore := res.Stats.InnerSteps
		var innerRes, innerTol, slope float64
		for {
			innerTol = set.Theta * delta * rhsNorm / (kk.fro * psi)
			var capped bool
			var err error
			innerRes, capped, err = sv.inner.solve(ctx, kk, z, r, rhs, innerTol, sv.rnd, &res.Stats)
			if err != nil {
				if ctx.Err() != nil {
					return stop(iterate.Cancelled, ctx.Err())
				}
				return nil, err
			}
			if capped {
				res.Stats.InnerCapHits++
			}
			// grad L_eta = [gl + eta2 H gl + eta1 G^T c; c + eta2 G gl].
			mulVec(hv, hm, cur.gl)
			mulVecT(gradEta[:n], g, cur.c)
			for i := 0; i < n; i++ {
				gradEta[i] = cur.gl[i] + eta2*hv[i] + eta1*gradEta[i]
			}
			mulVec(gv, g, cur.gl)
			for i := 0; i < m; i++ {
				gradEta[n+i] = cur.c[i] + eta2*gv[i]
			}
			slope = floats.Dot(gradEta, z)
			if eta1 > 1e8 || eta2 < 1e-8 || slope <= -eta2/2*rhsNorm*rhsNorm {
				break
			}
			eta1 *= set.Nu * set.Nu
			eta2 /= set.Nu
			delta = math.Max(math.Min(delta/math.Pow(set.Nu, 4), deltaTrial()), 1e-6)
			res.Stats.PenaltyIncreases++
		}
		m0 := merit(&cur, lam, eta1, eta2)
		alpha := 1.0
		var m1 float64
		for ls := 0; ; ls++ {
			for i := 0; i < n; i++ {
				xt[i] = x[i] + alpha*z[i]
			}
			for i := 0; i < m; i++ {
				lt[i] = lam[i] + alpha*z[n+i]
			}
			sv.eval(&trial, xt, lt)
			m1 = merit(&trial, lt, eta1, eta2)
			if m1 <= m0+alpha*set.Beta*slope {
				break
			}
			if ls == 60 {
				return stop(iterate.Breakdown, fmt.Errorf("Armijo line search failed at iteration %d: the direction's slope %.3g on the merit function is not a descent", k, slope))
			}
			alpha /= 2
			res.Stats.Backtracks++
		}
		copy(x, xt)
		copy(lam, lt)
		cur, trial = trial, cur
		if set.History {
			res.Trace = append(res.Trace, Iteration{Iter: k, KKT: kktNorm, Merit: m0, MeritNew: m1, Eta1: eta1, Eta2: eta2, Step: alpha,
				InnerResidual: innerRes, InnerTolerance: innerTol, InnerSteps: res.Stats.InnerSteps - stepsBefore})
		}
	}
}
