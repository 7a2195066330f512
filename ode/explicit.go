package ode

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/iterate"
)

// Func computes dy = f(t, y), overwriting dy. It must not keep y or dy.
type Func func(dy []float64, t float64, y []float64)

// Controller selects the step-size controller of adaptive methods.
type Controller int

const (
	// PI is OrdinaryDiffEq's PI controller (the default): with EEst the
	// scaled error of the step and errold that of the last accepted step,
	// q = clamp(EEst^beta1 / errold^beta2 / gamma, 1/qmax, 1/qmin),
	// dt_new = dt/q; beta1 = 7/(10 p), beta2 = 2/(5 p) for a method of
	// order p unless the method overrides them (DP5: 0.17, 0.04),
	// gamma = 0.9, qmin = 1/5, qmax = 10.
	PI Controller = iota
	// I is the integral controller, q = clamp(EEst^(1/(q+1)) / gamma, ...)
	// with q the embedded order.
	I
)

// Settings controls an integration. The zero value, and a nil *Settings,
// mean the defaults.
//
// The embedded Control's tolerances are those of the error test,
// relative to the size of the state with an absolute floor:
// RMS(err / (AbsTolerance + Tolerance max(|y0|, |y1|))) <= 1, SciPy's and
// OrdinaryDiffEq's rtol and atol. Both zero mean 1e-3 and 1e-6 (their
// defaults); one of them zero is a purely absolute or purely relative
// test. MaxIterations caps the accepted plus rejected steps; zero means
// 1e6, and reaching it ends Solve with reason IterationLimit. The callback
// is called at the start and after every accepted step, with the state
// and the step's scaled error estimate; History records those estimates.
type Settings struct {
	iterate.Control
	// Dt is the first step of an adaptive method (zero: chosen by
	// Hairer's algorithm) and the step of a fixed-step one (required).
	Dt float64
	// Fixed runs an adaptive method at the fixed step Dt (for order
	// studies).
	Fixed bool
	// DtMax caps the step; zero means the whole interval.
	DtMax float64
	// Controller selects the step-size controller (PI by default).
	Controller Controller
	// Events are located by Solve along the dense output.
	Events []Event
}

// Event is a function of the state whose zeros Solve locates: after each
// accepted step with a sign change of G between its ends (in Direction:
// +1 rising, -1 falling, 0 either), the crossing is found on the dense
// output by the Illinois method to the resolution of t. A Terminal event
// ends the integration there.
type Event struct {
	G         func(t float64, y []float64) float64
	Direction int
	Terminal  bool
}

// EventHit is a located event: which one, when, and the state there.
type EventHit struct {
	Index int
	T     float64
	Y     []float64
}

// StepInfo describes one accepted step: the quantities the regularized
// neural-ODE methods read.
type StepInfo struct {
	T0, T1 float64
	// ErrorEstimate is the scaled error EEst of the step (0 for fixed
	// steps): the RMS of err / (ATol + RTol max(|y0|, |y1|)).
	ErrorEstimate float64
	// EigenEstimate is ||k_s - k_{s-1}|| / ||g_s - g_{s-1}||, the
	// estimate of the Jacobian's dominant eigenvalue from the last two
	// stages (g their arguments); StiffnessRatio is dt EigenEstimate over
	// the method's stability size, above 1 when the step is limited by
	// stability rather than accuracy.
	EigenEstimate, StiffnessRatio float64
	// Rejected counts the rejected attempts before this step.
	Rejected int
}

// Stats counts the work of an integration; JacEvals, Factorizations
// (LU factorisations of the iteration matrices; a Radau step's pair
// counts as one, as SciPy's nlu) and LinearSolves are those of the stiff
// solvers. FEvals counts every evaluation of f, the
// JacFEvals spent on finite-difference Jacobians included; SciPy's nfev
// leaves those out (it counts them as njev), so FEvals - JacFEvals is the
// figure to compare with it.
type Stats struct {
	FEvals, Accepted, Rejected int
	JacEvals, LinearSolves     int
	JacFEvals                  int
	Factorizations             int
}

// ErrorKind tells why an integration failed.
type ErrorKind int

const (
	// NonFinite: f returned NaN or infinity, or the state became so.
	NonFinite ErrorKind = iota + 1
	// StepUnderflow: the step fell below the resolution of t.
	StepUnderflow
	// TooManySteps: Settings.MaxIterations steps were taken.
	TooManySteps
	// NoConvergence: an implicit method's Newton iteration did not
	// converge at a fixed step (Settings.Fixed).
	NoConvergence
)

// Error is a failed integration: it says when and why; the integrator's
// state stays at the last accepted step.
type Error struct {
	T    float64
	Kind ErrorKind
	Msg  string
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("ode: at t = %g: %s", e.T, e.Msg) }

// Explicit integrates with an explicit Runge-Kutta Tableau, in the gonum
// style: Init, then Step until State reaches the end; Dense interpolates
// within the last step.
type Explicit struct {
	tab *Tableau
	f   Func
	set Settings

	t, t1, dir float64
	y, y0, y1  []float64
	k          [][]float64
	g          []float64 // stage argument
	gPrev      []float64 // argument of the penultimate stage
	errv, w    []float64
	h, hLast   float64
	ctl        controller
	fsalValid  bool
	f1Valid    bool // k[last] (or f1 for Hermite) holds f(t, y) at the end of the last step
	f1         []float64
	stats      Stats
}

// NewExplicit returns an integrator for dy/dt = f(t, y) with tab.
func NewExplicit(tab *Tableau, f Func, s *Settings) *Explicit {
	e := &Explicit{tab: tab, f: f}
	if s != nil {
		e.set = *s
	}
	return e
}

// Init starts at (t0, y0) towards t1; y0 is copied. It returns an error
// for bad settings or input.
func (e *Explicit) Init(t0 float64, y0 []float64, t1 float64) error {
	s := &e.set
	if len(y0) == 0 {
		return fmt.Errorf("ode: empty initial state")
	}
	for i, v := range y0 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("ode: y0[%d] = %g is not finite", i, v)
		}
	}
	fixed, err := s.prepare(e.tab, t0, t1)
	if err != nil {
		return err
	}
	n, st := len(y0), e.tab.Stages()
	e.t, e.t1 = t0, t1
	e.dir = math.Copysign(1, t1-t0)
	e.y = append(e.y[:0], y0...)
	e.y0, e.y1, e.g, e.gPrev, e.errv, e.f1 = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	e.k = make([][]float64, st)
	for i := range e.k {
		e.k[i] = make([]float64, n)
	}
	e.w = make([]float64, st)
	e.fsalValid, e.f1Valid = false, false
	e.stats = Stats{}
	e.ctl = newController(e.tab, s.Controller)
	if fixed {
		e.h = s.Dt
	} else if s.Dt > 0 {
		e.h = s.Dt
	} else if err := e.initialStep(); err != nil {
		return err
	}
	return nil
}

// prepare resolves the settings' defaults for an explicit method tab
// from t0 to t1, checks them, and reports whether steps are fixed.
func (s *Settings) prepare(tab *Tableau, t0, t1 float64) (fixed bool, err error) {
	ctl, err := s.Control.Resolve(iterate.Control{Tolerance: 1e-3, AbsTolerance: 1e-6, MaxIterations: 1000000})
	if err != nil {
		return false, fmt.Errorf("ode: tolerances: %w", err)
	}
	s.Control = ctl
	if math.IsNaN(t0) || math.IsNaN(t1) || math.IsInf(t0, 0) || math.IsInf(t1, 0) || t0 == t1 {
		return false, fmt.Errorf("ode: interval [%g, %g] is empty or not finite", t0, t1)
	}
	fixed = s.Fixed || !tab.Adaptive()
	if fixed && !(s.Dt > 0) {
		return false, fmt.Errorf("ode: %s with fixed steps needs Settings.Dt > 0", tab.Name)
	}
	if s.Dt < 0 || s.DtMax < 0 {
		return false, fmt.Errorf("ode: Dt = %g and DtMax = %g must be nonnegative (the direction comes from t0 and t1)", s.Dt, s.DtMax)
	}
	if s.DtMax == 0 {
		s.DtMax = math.Abs(t1 - t0)
	}
	return fixed, nil
}

// eval calls f and counts it, reporting a non-finite result.
func (e *Explicit) eval(dy []float64, t float64, y []float64) error {
	return evalCounted(e.f, &e.stats, dy, t, y)
}

// evalCounted calls f, counts the evaluation in st and reports a
// non-finite result as an *Error at t: the one evaluation path of every
// integrator.
func evalCounted(f Func, st *Stats, dy []float64, t float64, y []float64) error {
	f(dy, t, y)
	st.FEvals++
	for i, v := range dy {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &Error{T: t, Kind: NonFinite, Msg: fmt.Sprintf("f returned %g in component %d", v, i)}
		}
	}
	return nil
}

// newController returns tab's step-size controller of the given kind,
// before its first step.
func newController(tab *Tableau, kind Controller) controller {
	order := float64(tab.Order)
	c := controller{kind: kind, beta1: 7 / (10 * order), beta2: 2 / (5 * order),
		iExp: 1 / float64(tab.ErrorOrder+1), qmin: 0.2, qmaxGrow: 10, errOld: 1e-4}
	if tab.beta1 != 0 {
		c.beta1, c.beta2 = tab.beta1, tab.beta2
	}
	return c
}

// controller is the step-size control every adaptive integrator shares
// (see Controller for the formulas).
type controller struct {
	kind         Controller
	beta1, beta2 float64 // PI exponents
	iExp         float64 // I exponent, 1/(embedded order + 1)
	qmin         float64 // smallest step ratio on rejection, 1/5
	qmaxGrow     float64 // largest growth on acceptance
	errOld       float64
}

// acceptQ returns the step ratio q (dt_new = dt/q) after an accepted
// step with scaled error eest, whether a bound clamped it, and the
// exponents of eest and errold in the unclamped q (the derivatives a
// tape solve needs).
func (c *controller) acceptQ(eest float64) (q float64, clamped bool, expE, expOld float64) {
	q, expE, expOld = math.Pow(eest, c.beta1)/math.Pow(c.errOld, c.beta2)/0.9, c.beta1, c.beta2
	if c.kind == I {
		q, expE, expOld = math.Pow(eest, c.iExp)/0.9, c.iExp, 0
	}
	if q < 1/c.qmaxGrow || q > 1/c.qmin || math.IsNaN(q) {
		return math.Max(1/c.qmaxGrow, math.Min(q, 1/c.qmin)), true, expE, expOld
	}
	return q, false, expE, expOld
}

// accepted returns the next step after an accepted one of size h with
// scaled error eest.
func (c *controller) accepted(h, eest float64) float64 {
	q, _, _, _ := c.acceptQ(eest)
	c.errOld = math.Max(eest, 1e-4)
	return h / q
}

// rejectQ returns the ratio q of the retry step h/q after a rejected
// step, whether it is clamped, and the exponent of eest in it.
func (c *controller) rejectQ(eest float64) (q float64, clamped bool, exp float64) {
	exp = c.beta1
	if c.kind == I {
		exp = c.iExp
	}
	q = math.Pow(eest, exp) / 0.9
	if q >= 1/c.qmin {
		return 1 / c.qmin, true, exp
	}
	return q, false, exp
}

// rejected returns the retry step after a rejected one.
func (c *controller) rejected(h, eest float64) float64 {
	q, _, _ := c.rejectQ(eest)
	return h / q
}

// nextStep returns the size of the next attempt from (t, h) towards t1,
// whether it ends the interval, or the *Error that stops the run (too many
// attempts, or a step below the resolution of t).
func nextStep(st Stats, set *Settings, t, t1, dir, h float64) (float64, bool, error) {
	if st.Accepted+st.Rejected >= set.MaxIterations {
		return 0, false, &Error{T: t, Kind: TooManySteps, Msg: fmt.Sprintf("%d steps taken, the MaxIterations cap", set.MaxIterations)}
	}
	h = math.Min(h, set.DtMax)
	if rest := math.Abs(t1 - t); rest <= h*(1+1e-10) {
		// The end, also when rounding left it a hair beyond this step
		// (ten steps of 0.1 do not sum to 1): no step of 1e-16 after it.
		h = rest
	}
	if t+dir*h == t {
		return 0, false, &Error{T: t, Kind: StepUnderflow, Msg: fmt.Sprintf("step %g is below the resolution of t", h)}
	}
	return h, h == math.Abs(t1-t), nil
}

// theta returns where t lies in the last step [t1 - h, t1] as a fraction,
// or an error when it is outside.
func theta(t, t1, h float64) (float64, error) {
	t0 := t1 - h
	if h == 0 || (t-t0)*(t-t1) > 0 {
		return 0, fmt.Errorf("ode: Dense at t = %g outside the last step [%g, %g]", t, t0, t1)
	}
	return (t - t0) / h, nil
}

// rms returns the scaled RMS norm of v against the scale of a and b.
func (e *Explicit) rms(v, a, b []float64) float64 {
	return scaledRMS(v, a, b, e.set.AbsTolerance, e.set.Tolerance)
}

// scaledRMS returns RMS(v / (atol + rtol max(|a|, |b|))), the norm of
// every error test.
func scaledRMS[T float32 | float64](v, a, b []T, atol, rtol float64) float64 {
	var s float64
	for i, x := range v {
		sc := atol + rtol*math.Max(math.Abs(float64(a[i])), math.Abs(float64(b[i])))
		s += (float64(x) / sc) * (float64(x) / sc)
	}
	return math.Sqrt(s / float64(len(v)))
}

// initialStep chooses the first step by Hairer's algorithm (Solving ODEs
// I, II.4), as OrdinaryDiffEq does; its two evaluations count, and the
// first is kept as the first stage.
func (e *Explicit) initialStep() error {
	f0 := e.k[0]
	if err := e.eval(f0, e.t, e.y); err != nil {
		return err
	}
	e.fsalValid = true
	var err error
	e.h, err = hairerStep(e.tab.Order, e.set.DtMax, e.rms(e.y, e.y, e.y), e.rms(f0, e.y, e.y), func(h0 float64) (float64, error) {
		for i := range e.g {
			e.g[i] = e.y[i] + e.dir*h0*f0[i]
		}
		f1 := e.errv
		if err := e.eval(f1, e.t+e.dir*h0, e.g); err != nil {
			return 0, err
		}
		for i := range f1 {
			f1[i] -= f0[i]
		}
		return e.rms(f1, e.y, e.y) / h0, nil
	})
	return err
}

// hairerStep returns the first step of a method of the given order from
// d0 = ||y0||, d1 = ||f(t0, y0)|| and d2(h0) = ||f(t0 + h0, y0 + h0 f0) -
// f0|| / h0 (scaled norms), capped at dtMax.
func hairerStep(order int, dtMax, d0, d1 float64, d2 func(h0 float64) (float64, error)) (float64, error) {
	h0 := 0.01 * d0 / d1
	if d0 < 1e-5 || d1 < 1e-5 {
		h0 = 1e-6
	}
	h0 = math.Min(h0, dtMax)
	dd, err := d2(h0)
	if err != nil {
		return 0, err
	}
	var h1 float64
	if m := math.Max(d1, dd); m <= 1e-15 {
		h1 = math.Max(1e-6, h0*1e-3)
	} else {
		h1 = math.Pow(0.01/m, 1/float64(order))
	}
	return math.Min(math.Min(100*h0, h1), dtMax), nil
}

// State returns the current time and state (live; copy to keep).
func (e *Explicit) State() (float64, []float64) { return e.t, e.y }

// Stats returns the work counts so far.
func (e *Explicit) Stats() Stats { return e.stats }

// Done reports whether the end of the interval was reached.
func (e *Explicit) Done() bool { return e.t == e.t1 }

// Step takes one accepted step towards the end of the interval (the last
// one ends exactly there), retrying rejected attempts, and describes it.
func (e *Explicit) Step() (StepInfo, error) {
	tab := e.tab
	fixed := e.set.Fixed || !tab.Adaptive()
	st := tab.Stages()
	info := StepInfo{T0: e.t}
	for {
		h, last, err := nextStep(e.stats, &e.set, e.t, e.t1, e.dir, e.h)
		if err != nil {
			return info, err
		}
		hs := e.dir * h
		if !e.fsalValid {
			if err := e.eval(e.k[0], e.t, e.y); err != nil {
				return info, err
			}
			e.fsalValid = true
		}
		for i := 1; i < st; i++ {
			copy(e.gPrev, e.g)
			copy(e.g, e.y)
			for j, a := range tab.A[i] {
				if a != 0 {
					axpy(hs*a, e.k[j], e.g)
				}
			}
			if err := e.eval(e.k[i], e.t+tab.C[i]*hs, e.g); err != nil {
				return info, err
			}
		}
		if tab.FSAL {
			copy(e.y1, e.g)
		} else {
			copy(e.y1, e.y)
			for j, b := range tab.B {
				if b != 0 {
					axpy(hs*b, e.k[j], e.y1)
				}
			}
		}
		eest := 0.0
		if !fixed {
			clear(e.errv)
			for j, c := range tab.E {
				if c != 0 {
					axpy(hs*c, e.k[j], e.errv)
				}
			}
			eest = e.rms(e.errv, e.y, e.y1)
			if math.IsNaN(eest) {
				return info, &Error{T: e.t, Kind: NonFinite, Msg: "the error estimate is NaN"}
			}
			if eest > 1 {
				e.stats.Rejected++
				info.Rejected++
				e.h = e.ctl.rejected(h, eest)
				continue
			}
		}
		// Accepted.
		for i, v := range e.y1 {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return info, &Error{T: e.t, Kind: NonFinite, Msg: fmt.Sprintf("the state became %g in component %d", v, i)}
			}
		}
		if st >= 2 {
			var dk, dg float64
			for i := range e.g {
				a := e.k[st-1][i] - e.k[st-2][i]
				b := e.g[i] - e.gPrev[i]
				dk += a * a
				dg += b * b
			}
			if dg > 0 {
				info.EigenEstimate = math.Sqrt(dk / dg)
				if tab.Stability > 0 {
					info.StiffnessRatio = h * info.EigenEstimate / tab.Stability
				}
			}
		}
		copy(e.y0, e.y)
		copy(e.y, e.y1)
		e.hLast = hs
		tNew := e.t + hs
		if last {
			tNew = e.t1
		}
		info.T1, info.ErrorEstimate = tNew, eest
		e.t = tNew
		e.stats.Accepted++
		if tab.FSAL {
			e.k[0], e.k[st-1] = e.k[st-1], e.k[0]
			e.fsalValid = true
			e.f1Valid = true
		} else {
			e.fsalValid = false
			e.f1Valid = false
		}
		if !fixed {
			e.h = e.ctl.accepted(h, eest)
		}
		return info, nil
	}
}

// Dense writes the interpolated state at t, which must lie in the last
// accepted step, into dst, with the method's own interpolant (cubic
// Hermite where it has none; for a fixed-step method that costs one
// evaluation of f at the step's end, once per step).
func (e *Explicit) Dense(dst []float64, t float64) error {
	th, err := theta(t, e.t, e.hLast)
	if err != nil {
		return err
	}
	h := e.hLast
	tab := e.tab
	st := tab.Stages()
	// After an FSAL step k[0] holds f(t1, y1) and k[st-1] the old k[0].
	stage := func(i int) []float64 {
		if tab.FSAL {
			switch i {
			case 0:
				return e.k[st-1]
			case st - 1:
				return e.k[0]
			}
		}
		return e.k[i]
	}
	switch {
	case tab.interp != nil:
		tab.interp(e.w, th)
		copy(dst, e.y0)
		for i := 0; i < st; i++ {
			if e.w[i] != 0 {
				axpy(h*e.w[i], stage(i), dst)
			}
		}
	case tab.dp5Dense:
		k1, k7 := stage(0), stage(6)
		for i := range dst {
			r2 := e.y[i] - e.y0[i]
			r3 := h*k1[i] - r2
			r4 := r2 - h*k7[i] - r3
			var r5 float64
			for j, d := range dp5D {
				if d != 0 {
					r5 += d * stage(j)[i]
				}
			}
			r5 *= h
			dst[i] = e.y0[i] + th*(r2+(1-th)*(r3+th*(r4+(1-th)*r5)))
		}
	default:
		f0 := stage(0)
		var f1 []float64
		if tab.FSAL {
			f1 = e.k[0]
		} else {
			if !e.f1Valid {
				if err := e.eval(e.f1, e.t, e.y); err != nil {
					return err
				}
				e.f1Valid = true
			}
			f1 = e.f1
		}
		h00 := 2*th*th*th - 3*th*th + 1
		h10 := th*th*th - 2*th*th + th
		h01 := -2*th*th*th + 3*th*th
		h11 := th*th*th - th*th
		for i := range dst {
			dst[i] = h00*e.y0[i] + h10*h*f0[i] + h01*e.y[i] + h11*h*f1[i]
		}
	}
	return nil
}

func axpy(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}
