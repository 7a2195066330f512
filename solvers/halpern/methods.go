package halpern

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/pdekit/pdekit/iterate"
)

// anchor sets dst = lambda u0 + (1 - lambda) u.
func anchor(dst []float64, lambda float64, u0, u []float64) {
	for i := range dst {
		dst[i] = lambda*u0[i] + (1-lambda)*u[i]
	}
}

// checkStep rejects a negative or non-finite step size.
func checkStep(name, field string, v float64) error {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("halpern: %s: %s = %g is not a nonnegative number", name, field, v)
	}
	return nil
}

// Halpern is the Halpern iteration u_{k+1} = lambda_k u_0 + (1-lambda_k) T(u_k),
// lambda_k = 1/(k+2), on the forward-backward map T(u) = J_{eta G}(u - eta F(u)),
// which is nonexpansive when F is (1/L)-cocoercive and eta <= 2/L. Its
// fixed-point residual ||u_k - T(u_k)|| is at most 2 ||u_0 - u*|| / (k+1)
// (Lieder 2021). On a merely monotone F (a bilinear game) T is not
// nonexpansive: use EAG or the variance-reduced methods, or FixedPoint
// with the resolvent.
type Halpern struct {
	// Step is eta; zero means 1/L.
	Step float64
}

// Solve runs the Halpern iteration on the forward-backward map of p. Each
// iteration costs one full evaluation of F.
func (h Halpern) Solve(ctx context.Context, p *Problem, s *Settings) (*Result, error) {
	const name = "Halpern"
	r, u, err := newRun(ctx, p, s, name)
	if err != nil {
		return nil, err
	}
	if err := checkStep(name, "Step", h.Step); err != nil {
		return nil, err
	}
	eta := h.Step
	if eta == 0 {
		l, err := constant(name, "L", r.lFull)
		if err != nil {
			return nil, err
		}
		eta = 1 / l
	}
	fu := make([]float64, r.d)
	t := func(dst, x []float64) {
		r.full(fu, x)
		floats.AddScaledTo(dst, x, -eta, fu)
		r.resolve(dst, dst, eta)
	}
	return h.iterate(r, u, t, false), nil
}

// FixedPoint runs the Halpern iteration on a nonexpansive map t of R^d
// from x0 (the anchor), stopping when ||x - t(x)|| <= Settings.Tolerance.
// t(dst, x) writes t(x) into dst. Each application counts as one
// evaluation and one epoch; the residual is the one the iteration computes
// anyway, so every iteration is checked.
func (h Halpern) FixedPoint(ctx context.Context, t func(dst, x []float64), x0 []float64, s *Settings) (*Result, error) {
	if len(x0) == 0 {
		return nil, fmt.Errorf("halpern: FixedPoint: empty starting point")
	}
	r, u, err := newRun(ctx, &Problem{F: dimOnly(len(x0)), U0: x0}, s, "FixedPoint")
	if err != nil {
		return nil, err
	}
	counted := func(dst, x []float64) {
		t(dst, x)
		r.res.Stats.Evaluations++
		r.res.Stats.FullEvaluations++
	}
	return h.iterate(r, u, counted, true), nil
}

// dimOnly stands in for F when Halpern iterates a bare map.
type dimOnly int

func (d dimOnly) Dim() int             { return int(d) }
func (d dimOnly) Apply(_, _ []float64) { panic("halpern: internal error: FixedPoint has no operator") }

// iterate is the Halpern loop. With ownResidual the stopping test uses
// ||u - T(u)||; otherwise the run's residual on its schedule.
func (h Halpern) iterate(r *run, u []float64, t func(dst, x []float64), ownResidual bool) *Result {
	u0 := append([]float64(nil), u...)
	tu := make([]float64, r.d)
	k := 0 // iterations since the last anchor
	var why iterate.Reason
	if !ownResidual {
		why = r.check(0, u)
	}
	for it := 0; why == 0; it++ {
		t(tu, u)
		if ownResidual {
			if why = r.record(it, r.epochs(), floats.Distance(u, tu, 2), u, r.overBudget()); why != 0 {
				break
			}
		}
		if r.restarted() {
			copy(u0, u)
			k = 0
		}
		anchor(u, 1/float64(k+2), u0, tu)
		k++
		if !ownResidual {
			var again bool
			if why, again = r.advance(it+1, u, u0); again {
				k = 0
			}
		}
	}
	return r.finish(u)
}

// EG is the extragradient method of Korpelevich with projections:
// ubar = J(u - eta F(u)), u+ = J(u - eta F(ubar)). Two full evaluations
// per iteration.
type EG struct {
	// Step is eta; zero means 1/(2L), inside EG's theoretical eta < 1/L.
	Step float64
}

// Solve runs the extragradient method on p.
func (m EG) Solve(ctx context.Context, p *Problem, s *Settings) (*Result, error) {
	return extragradient(ctx, p, s, "EG", m.Step, 2, false)
}

// EAG is the anchored (Halpern-type) extragradient method of Yoon and Ryu
// (2021), as the paper's baseline: with lambda_k = 1/(k+2) and
// base = lambda_k u_0 + (1-lambda_k) u, ubar = J(base - eta F(u)) and
// u+ = J(base - eta F(ubar)). Its residual decays as O(1/k).
type EAG struct {
	// Step is eta; zero means 1/(8L), the constant of Yoon and Ryu's
	// EAG-C.
	Step float64
}

// Solve runs the anchored extragradient method on p.
func (m EAG) Solve(ctx context.Context, p *Problem, s *Settings) (*Result, error) {
	return extragradient(ctx, p, s, "EAG", m.Step, 8, true)
}

func extragradient(ctx context.Context, p *Problem, s *Settings, name string, step, div float64, anchored bool) (*Result, error) {
	r, u, err := newRun(ctx, p, s, name)
	if err != nil {
		return nil, err
	}
	if err := checkStep(name, "Step", step); err != nil {
		return nil, err
	}
	eta := step
	if eta == 0 {
		l, err := constant(name, "L", r.lFull)
		if err != nil {
			return nil, err
		}
		eta = 1 / (div * l)
	}
	// EG has no anchor to restart, so it takes no residual checks as work.
	r.restart = r.restart && anchored
	u0 := append([]float64(nil), u...)
	base := make([]float64, r.d)
	fu := make([]float64, r.d)
	ubar := make([]float64, r.d)
	why := r.check(0, u)
	it := 0
	for k := 0; why == 0; k++ {
		if anchored {
			anchor(base, 1/float64(k+2), u0, u)
		} else {
			copy(base, u)
		}
		r.full(fu, u)
		floats.AddScaledTo(ubar, base, -eta, fu)
		r.resolve(ubar, ubar, eta)
		r.full(fu, ubar)
		floats.AddScaledTo(u, base, -eta, fu)
		r.resolve(u, u, eta)
		it++
		var again bool
		if why, again = r.advance(it, u, u0); again {
			k = -1
		}
	}
	return r.finish(u), nil
}

// VRHalpern is Algorithm 1 of Cai, Alacaoglu and Diakonikolas (ICLR 2024),
// for F cocoercive on average: the Halpern iteration with the anchor inside
// the resolvent,
//
//	u_{k+1} = J_{eta G}(lambda_k u_0 + (1-lambda_k) u_k - eta g_k),  lambda_k = 2/(k+4),
//
// where g_k is the PAGE estimator of F(u_k): with probability p_k a full
// evaluation, otherwise g_{k-1} + (1/b) sum_{j in S} (F_j(u_k) - F_j(u_{k-1}))
// over a batch S of b components drawn without replacement, with
// p_k = 1 for k <= 1, 4/(k+4) while k-1 <= sqrt(n), then 4/(sqrt(n)+5).
//
// Without cocoercivity there is no guarantee: on a bilinear game the
// anchored forward step expands once lambda_k falls below what the step's
// rotation needs, so with the theoretical step it can diverge on a small
// game. The paper's experiments nevertheless run it on the 500 x 500 game
// with the tuned step 5/||A||_F, where it converges, in plateaus.
type VRHalpern struct {
	// Step is eta; zero means 1/(2 LAvg).
	Step float64
	// Batch is b; zero means floor(sqrt(n)).
	Batch int
}

// Solve runs Algorithm 1 on p, whose F must be a FiniteSum.
func (m VRHalpern) Solve(ctx context.Context, p *Problem, s *Settings) (*Result, error) {
	const name = "VRHalpern"
	r, u, err := newRun(ctx, p, s, name)
	if err != nil {
		return nil, err
	}
	if err := r.needFiniteSum(name); err != nil {
		return nil, err
	}
	if err := checkStep(name, "Step", m.Step); err != nil {
		return nil, err
	}
	eta := m.Step
	if eta == 0 {
		l, err := constant(name, "LAvg", r.lAvg)
		if err != nil {
			return nil, err
		}
		eta = 1 / (2 * l)
	}
	n := r.n
	b := m.Batch
	if b < 0 || b > n {
		return nil, fmt.Errorf("halpern: %s: Batch = %d, want 0..%d", name, b, n)
	}
	if b == 0 {
		b = max(1, int(math.Sqrt(float64(n))))
	}
	sq := math.Sqrt(float64(n))
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	u0 := append([]float64(nil), u...)
	prev := make([]float64, r.d)
	g := make([]float64, r.d)
	why := r.check(0, u)
	it := 0
	for k := 0; why == 0; k++ {
		pk := 4 / (sq + 5)
		switch {
		case k <= 1:
			pk = 1
		case float64(k-1) <= sq:
			pk = 4 / float64(k+4)
		}
		if pk >= 1 || r.rnd.Float64() < pk {
			r.full(g, u)
		} else {
			// A partial Fisher-Yates shuffle draws the batch without
			// replacement in O(b).
			for t := 0; t < b; t++ {
				j := t + r.rnd.IntN(n-t)
				perm[t], perm[j] = perm[j], perm[t]
				r.addDiff(g, 1/float64(b), perm[t], u, prev)
			}
		}
		copy(prev, u)
		lambda := 2 / float64(k+4)
		for i := range u {
			u[i] = lambda*u0[i] + (1-lambda)*u[i] - eta*g[i]
		}
		r.resolve(u, u, eta)
		it++
		var again bool
		if why, again = r.advance(it, u, u0); again {
			k = -1
		}
	}
	return r.finish(u), nil
}

// VRInexactHalpern is Algorithm 2 of Cai, Alacaoglu and Diakonikolas
// (ICLR 2024), for F monotone and Lipschitz on average: the inexact
// Halpern iteration on the resolvent,
//
//	u_{k+1} = lambda_k u_0 + (1-lambda_k) ũ_k,  ũ_k ≈ J_{c(F+G)}(u_k),  lambda_k = 1/(k+2),
//
// with ũ_k from M_k steps of the loopless-SVRG forward-reflected-backward
// method (Alacaoglu and Malitsky 2022) on the strongly monotone inclusion
// 0 in B(v) + cG(v), B(v) = cF(v) + v - u_k:
//
//	vbar = alpha v + (1-alpha) w
//	v+   = J_{gamma c G}(vbar - gamma [B(w) + B_j(v) - B_j(w_prev)])
//	w    = v+ with probability p (then B(w) is recomputed in full)
//
// with j uniform, alpha = 1-p and w_prev the snapshot of the previous
// step. The snapshot is the inner iterate, as the method is defined (the
// published script sets it to u_k).
type VRInexactHalpern struct {
	// C is the resolvent parameter c; zero means sqrt(n)/LAvg, which
	// makes the inner operator's average constant c LAvg + 1 = sqrt(n)+1.
	C float64
	// Gamma is the inner step; zero means sqrt(p(1-p)) / (c LAvg + 1),
	// the variance-reduced FoRB step for the inner constant.
	Gamma float64
	// InnerScale sets M_k = max(1, floor(InnerScale n ln(k+2))); zero
	// means 1. The published script uses 0.05 with a 5x larger Gamma.
	InnerScale float64
	// P is the snapshot probability; zero means 1/n (1/2 when n = 1).
	P float64
}

// Solve runs Algorithm 2 on p, whose F must be a FiniteSum.
func (m VRInexactHalpern) Solve(ctx context.Context, p *Problem, s *Settings) (*Result, error) {
	const name = "VRInexactHalpern"
	r, u, err := newRun(ctx, p, s, name)
	if err != nil {
		return nil, err
	}
	if err := r.needFiniteSum(name); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		field string
		v     float64
	}{{"C", m.C}, {"Gamma", m.Gamma}, {"InnerScale", m.InnerScale}, {"P", m.P}} {
		if err := checkStep(name, f.field, f.v); err != nil {
			return nil, err
		}
	}
	if m.P > 1 {
		return nil, fmt.Errorf("halpern: %s: P = %g is not a probability", name, m.P)
	}
	n := r.n
	prob := m.P
	if prob == 0 {
		prob = 1 / float64(max(n, 2))
	}
	c, gamma := m.C, m.Gamma
	if c == 0 || gamma == 0 {
		l, err := constant(name, "LAvg", r.lAvg)
		if err != nil {
			return nil, err
		}
		if c == 0 {
			c = math.Sqrt(float64(n)) / l
		}
		if gamma == 0 {
			gamma = math.Sqrt(prob*(1-prob)) / (c*l + 1)
		}
	}
	scale := m.InnerScale
	if scale == 0 {
		scale = 1
	}
	alpha := 1 - prob
	d := r.d
	u0 := append([]float64(nil), u...)
	v := make([]float64, d)
	vn := make([]float64, d)
	w := make([]float64, d)
	wprev := make([]float64, d)
	bw := make([]float64, d)
	// snapshot sets bw = B(w) = c F(w) + w - u.
	snapshot := func() {
		r.full(bw, w)
		for i := range bw {
			bw[i] = c*bw[i] + w[i] - u[i]
		}
	}
	why := r.check(0, u)
	it := 0
	for k := 0; why == 0; k++ {
		steps := max(1, int(scale*float64(n)*math.Log(float64(k+2))))
		copy(v, u)
		copy(w, u)
		copy(wprev, u)
		snapshot()
		prevSame := true // wprev holds the same point as w
		for t := 0; t < steps && !r.overBudget(); t++ {
			j := r.rnd.IntN(n)
			for i := range vn {
				vbar := alpha*v[i] + (1-alpha)*w[i]
				vn[i] = vbar - gamma*(bw[i]+v[i]-wprev[i])
			}
			r.addDiff(vn, -gamma*c, j, v, wprev)
			r.resolve(vn, vn, gamma*c)
			if r.rnd.Float64() < prob {
				// wprev becomes the old snapshot, w the new iterate.
				w, wprev = wprev, w
				copy(w, vn)
				snapshot()
				prevSame = false
			} else if !prevSame {
				copy(wprev, w)
				prevSame = true
			}
			v, vn = vn, v
		}
		anchor(u, 1/float64(k+2), u0, v)
		it++
		var again bool
		if why, again = r.advance(it, u, u0); again {
			k = -1
		}
	}
	return r.finish(u), nil
}
