package halpern

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"

	"github.com/pdekit/pdekit/iterate"
)

// Operator is a single-valued monotone operator F on R^d: Apply computes
// dst = F(u), overwriting dst.
type Operator interface {
	Dim() int
	Apply(dst, u []float64)
}

// FiniteSum is an Operator given as the mean F = (1/n) sum_i F_i of n
// components, the structure the variance-reduced methods exploit. A call
// of Apply counts as n component evaluations.
type FiniteSum interface {
	Operator
	// Len returns the number of components n.
	Len() int
	// AddDiff adds a (F_i(u) - F_i(v)) to dst: the pair of component
	// evaluations a variance-reduced estimator takes. It counts as two.
	AddDiff(dst []float64, a float64, i int, u, v []float64)
}

// Resolvent is the maximally monotone part G of the inclusion, given by its
// resolvent: Resolve computes dst = J_{eta G}(u) = (I + eta G)^{-1} u.
// dst and u may be the same slice. For the indicator of a closed convex set
// the resolvent is the projection onto the set whatever eta is; Box,
// Simplex, Ball and Product are such sets, and a nil Resolvent means G = 0.
type Resolvent interface {
	Resolve(dst, u []float64, eta float64)
}

// lipschitzer is the optional capability of an Operator that knows its
// Lipschitz constant (or the inverse of its cocoercivity modulus).
type lipschitzer interface{ Lipschitz() float64 }

// averageLipschitzer is the optional capability of a FiniteSum that knows
// its constant on average: (1/n) sum_i ||F_i(u) - F_i(v)||^2 <= L^2 ||u - v||^2.
type averageLipschitzer interface{ AverageLipschitz() float64 }

// Problem is the monotone inclusion 0 in F(u) + G(u).
type Problem struct {
	// F is the single-valued part. The variance-reduced methods need a
	// FiniteSum.
	F Operator
	// G is the set-valued part through its resolvent; nil means G = 0.
	G Resolvent
	// U0 is the starting point and the anchor of the Halpern-type
	// methods; nil means zero. It is not modified.
	U0 []float64
	// L is the Lipschitz constant of F (for Halpern's forward-backward
	// map, the inverse of F's cocoercivity modulus). Zero means ask F
	// for Lipschitz() if it has it. It sets the theoretical step sizes.
	L float64
	// LAvg is the constant of the components on average,
	// (1/n) sum_i ||F_i(u) - F_i(v)||^2 <= LAvg^2 ||u - v||^2. Zero means
	// ask F for AverageLipschitz() if it has it.
	LAvg float64
}

// Settings controls a solve. The zero value, and a nil *Settings, mean the
// documented defaults.
//
// The embedded Control tests the residual ||u - J_G(u - F(u))|| (||F(u)||
// when G is nil), the fixed-point residual with unit step, the computable
// optimality measure of the paper; its Tolerance is relative to that
// residual at U0. Both tolerances zero mean Tolerance 1e-6; MaxIterations
// zero means no cap on the (outer) iterations. The residual is checked on
// the schedule of CheckEvery and CheckGrowth, not every iteration, so the
// callback and History see the checks: Progress.Iteration is the
// iteration of the check and Result.HistoryEpochs its epoch count.
type Settings struct {
	iterate.Control
	// MaxEpochs caps the work in epochs, n component evaluations each: a
	// real number, since a budget of half an epoch is as meaningful as
	// one of ten. Zero means 1000. A method checks it between its (outer)
	// iterations and inside its inner loop, so it may overshoot by one
	// iteration. Reaching it ends the run with reason IterationLimit.
	MaxEpochs float64
	// CheckEvery is the spacing, in epochs, of residual checks: the
	// residual costs a full evaluation of F, which is not counted in
	// Stats.Evaluations. Zero means 1. The first and last iterates are
	// always checked.
	CheckEvery float64
	// CheckGrowth, if positive, spaces the checks geometrically for
	// log-scale histories: after a check due at e the next is due at
	// max(e + CheckEvery, e (1 + CheckGrowth)). See NextCheck.
	CheckGrowth float64
	// Seed seeds the random choices of the stochastic methods.
	Seed uint64
	// Restart makes the Halpern-type methods (Halpern, EAG, VRHalpern,
	// VRInexactHalpern) re-anchor at the current iterate, and restart
	// their schedules, whenever a residual check finds the residual at
	// most half of what it was at the last anchor: the restart of Cai,
	// Song, Guzman and Diakonikolas (2022), linear convergence on sharp
	// problems such as polyhedral games. The method then uses the checks,
	// so each counts as a full evaluation in Stats.Evaluations. EG
	// ignores it.
	Restart bool
}

// NextCheck returns the epoch at which the residual check after the one
// due at e is due, with the spacing of CheckEvery and CheckGrowth (zero
// values meaning their defaults). A check is taken at the first iterate at
// or past its due epoch.
func (s Settings) NextCheck(e float64) float64 {
	step := s.CheckEvery
	if step <= 0 {
		step = 1
	}
	return math.Max(e+step, e*(1+s.CheckGrowth))
}

// Stats counts the work of a solve.
type Stats struct {
	// Evaluations counts component evaluations, the paper's oracle
	// calls: a full evaluation of a FiniteSum counts n, AddDiff counts
	// two, and an Operator that is not a FiniteSum counts 1 per Apply.
	Evaluations int64
	// FullEvaluations counts full evaluations of F by the method.
	FullEvaluations int64
	// ResidualChecks counts the residual evaluations (one full F each,
	// not included above).
	ResidualChecks int
}

// Result is the outcome of a solve: the final iterate, the shared outcome
// block (iterations, the residual at X and its ratio to the residual at
// U0, reason, history of the checks, runtime) and the work done. Reason is
// one of ConvergedRelative, ConvergedAbsolute, IterationLimit (MaxEpochs
// or MaxIterations), Diverged, StoppedByCallback or Cancelled.
type Result struct {
	// X is the final iterate.
	X []float64
	iterate.Outcome
	// Epochs is Stats.Evaluations / n.
	Epochs float64
	// HistoryEpochs holds the epoch count of every History entry.
	HistoryEpochs []float64
	Stats         Stats
}

// Method is a solver for monotone inclusions: Halpern, EG, EAG,
// VRHalpern (the paper's Algorithm 1) and VRInexactHalpern (Algorithm 2).
type Method interface {
	Solve(ctx context.Context, p *Problem, s *Settings) (*Result, error)
}

// run is the harness every method shares: it counts evaluations, checks
// the residual on schedule and decides when to stop.
type run struct {
	mon   *iterate.Monitor
	s     Settings
	f     Operator
	fs    FiniteSum // nil when F is not a finite sum
	g     Resolvent
	n     int
	d     int
	res   *Result
	next  float64 // epochs at which the next residual check is due
	fu    []float64
	tmp   []float64
	rnd   *rand.Rand
	lFull float64
	lAvg  float64

	// Restart bookkeeping: with restart set, a residual check at most
	// half the residual at the last anchor asks the method to re-anchor.
	restart   bool
	anchorRes float64
	reanchor  bool
}

func newRun(ctx context.Context, p *Problem, s *Settings, name string) (*run, []float64, error) {
	if p == nil || p.F == nil {
		return nil, nil, fmt.Errorf("halpern: %s: problem has no operator F", name)
	}
	r := &run{f: p.F, g: p.G, d: p.F.Dim(), n: 1, res: &Result{}}
	if s != nil {
		r.s = *s
	}
	var err error
	if r.s.Control, err = r.s.Control.Resolve(iterate.Control{Tolerance: 1e-6}); err != nil {
		return nil, nil, fmt.Errorf("halpern: %s: %w", name, err)
	}
	if r.s.MaxEpochs < 0 || math.IsNaN(r.s.MaxEpochs) {
		return nil, nil, fmt.Errorf("halpern: %s: MaxEpochs %g is negative", name, r.s.MaxEpochs)
	}
	if r.s.MaxEpochs == 0 {
		r.s.MaxEpochs = 1000
	}
	if r.s.CheckEvery < 0 || math.IsNaN(r.s.CheckEvery) {
		return nil, nil, fmt.Errorf("halpern: %s: CheckEvery %g is negative", name, r.s.CheckEvery)
	}
	if r.s.CheckEvery == 0 {
		r.s.CheckEvery = 1
	}
	if r.s.CheckGrowth < 0 || math.IsNaN(r.s.CheckGrowth) || math.IsInf(r.s.CheckGrowth, 0) {
		return nil, nil, fmt.Errorf("halpern: %s: CheckGrowth %g is not a nonnegative number", name, r.s.CheckGrowth)
	}
	if r.d <= 0 {
		return nil, nil, fmt.Errorf("halpern: %s: operator dimension is %d", name, r.d)
	}
	if fs, ok := p.F.(FiniteSum); ok {
		r.fs = fs
		r.n = fs.Len()
		if r.n <= 0 {
			return nil, nil, fmt.Errorf("halpern: %s: finite sum has %d components", name, r.n)
		}
	}
	if c, ok := p.G.(interface{ checkDim(d int) error }); ok {
		if err := c.checkDim(r.d); err != nil {
			return nil, nil, fmt.Errorf("halpern: %s: %w", name, err)
		}
	}
	u := make([]float64, r.d)
	if p.U0 != nil {
		if len(p.U0) != r.d {
			return nil, nil, fmt.Errorf("halpern: %s: U0 has length %d, operator dimension is %d", name, len(p.U0), r.d)
		}
		for i, v := range p.U0 {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("halpern: %s: U0[%d] = %g is not finite", name, i, v)
			}
		}
		copy(u, p.U0)
	}
	r.lFull, r.lAvg = p.L, p.LAvg
	if r.lFull == 0 {
		if l, ok := p.F.(lipschitzer); ok {
			r.lFull = l.Lipschitz()
		}
	}
	if r.lAvg == 0 {
		if l, ok := p.F.(averageLipschitzer); ok {
			r.lAvg = l.AverageLipschitz()
		}
	}
	r.fu = make([]float64, r.d)
	r.tmp = make([]float64, r.d)
	r.restart = r.s.Restart
	r.rnd = rand.New(rand.NewPCG(r.s.Seed, r.s.Seed^0x9e3779b97f4a7c15))
	r.mon = r.s.Control.Start(ctx, 0, &r.res.Outcome)
	return r, u, nil
}

// needFiniteSum returns an error naming the method when F is not a
// FiniteSum.
func (r *run) needFiniteSum(name string) error {
	if r.fs == nil {
		return fmt.Errorf("halpern: %s needs F to be a FiniteSum (components), got %T", name, r.f)
	}
	return nil
}

// constant returns l when it can set a default step size, or an error
// naming the field the user must set.
func constant(name, field string, l float64) (float64, error) {
	if !(l > 0) || math.IsInf(l, 0) {
		return 0, fmt.Errorf("halpern: %s: the default step size needs Problem.%s > 0 (or an F that reports it); set the step size or the constant", name, field)
	}
	return l, nil
}

// full computes dst = F(u) and counts it.
func (r *run) full(dst, u []float64) {
	r.f.Apply(dst, u)
	r.res.Stats.Evaluations += int64(r.n)
	r.res.Stats.FullEvaluations++
}

// addDiff adds a (F_i(u) - F_i(v)) to dst and counts two evaluations.
func (r *run) addDiff(dst []float64, a float64, i int, u, v []float64) {
	r.fs.AddDiff(dst, a, i, u, v)
	r.res.Stats.Evaluations += 2
}

// resolve computes dst = J_{eta G}(src).
func (r *run) resolve(dst, src []float64, eta float64) {
	if r.g == nil {
		if &dst[0] != &src[0] {
			copy(dst, src)
		}
		return
	}
	r.g.Resolve(dst, src, eta)
}

func (r *run) epochs() float64 { return float64(r.res.Stats.Evaluations) / float64(r.n) }

// overBudget reports whether the epoch budget is spent.
func (r *run) overBudget() bool { return r.epochs() >= r.s.MaxEpochs }

// residual returns ||u - J_G(u - F(u))||, not counted as work.
func (r *run) residual(u []float64) float64 {
	r.f.Apply(r.fu, u)
	r.res.Stats.ResidualChecks++
	if r.g == nil {
		return floats.Norm(r.fu, 2)
	}
	floats.SubTo(r.tmp, u, r.fu)
	r.g.Resolve(r.tmp, r.tmp, 1)
	floats.Sub(r.tmp, u)
	return floats.Norm(r.tmp, 2)
}

// check is called with the iterate after iteration it (0 for the start);
// it checks the residual when one is due and returns the reason to stop,
// or 0 to go on.
func (r *run) check(it int, u []float64) iterate.Reason {
	ep := r.epochs()
	r.res.Epochs = ep
	limit := r.overBudget()
	if it > 0 && ep < r.next && !limit && (r.s.MaxIterations == 0 || it < r.s.MaxIterations) {
		if r.mon.Done() {
			// A cancelled run ends with a check of its final iterate.
			return r.record(it, ep, r.residual(u), u, false)
		}
		return 0
	}
	rn := r.residual(u)
	if r.restart {
		// The method uses this residual, so it is work.
		r.res.Stats.Evaluations += int64(r.n)
		ep = r.epochs()
	}
	return r.record(it, ep, rn, u, limit)
}

// advance checks the iterate u of iteration it and, when the check asks for
// a restart, re-anchors u0 at u; it returns the reason to stop (or 0) and
// whether the method must restart its schedule.
func (r *run) advance(it int, u, u0 []float64) (iterate.Reason, bool) {
	why := r.check(it, u)
	if r.restarted() {
		copy(u0, u)
		return why, true
	}
	return why, false
}

// restarted reports whether the last residual check asked for a restart,
// and clears the request.
func (r *run) restarted() bool {
	a := r.reanchor
	r.reanchor = false
	return a
}

// record stores the residual rn of iteration it at iterate u and decides;
// overBudget says whether the epoch budget was spent before the check.
func (r *run) record(it int, ep, rn float64, u []float64, overBudget bool) iterate.Reason {
	r.res.Epochs = ep
	for r.next <= ep {
		r.next = r.s.NextCheck(r.next)
	}
	if it == 0 {
		r.mon.SetScale(rn)
	}
	if r.restart {
		if it == 0 || r.anchorRes == 0 {
			r.anchorRes = rn
		} else if rn <= r.anchorRes/2 {
			r.anchorRes = rn
			r.reanchor = true
		}
	}
	if r.s.History {
		r.res.HistoryEpochs = append(r.res.HistoryEpochs, ep)
	}
	why := r.mon.Check(it, rn, u)
	if why == 0 && overBudget {
		why = iterate.IterationLimit
		r.mon.Stop(why, nil)
	}
	return why
}

// finish fills the result at the final iterate u.
func (r *run) finish(u []float64) *Result {
	r.res.X = append([]float64(nil), u...)
	r.res.Epochs = r.epochs()
	return r.res
}
