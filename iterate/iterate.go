package iterate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Reason tells why a run stopped. The zero value means it has not.
type Reason int

const (
	// ConvergedRelative: the residual fell to Tolerance times the scale.
	ConvergedRelative Reason = iota + 1
	// ConvergedAbsolute: the residual fell to AbsTolerance (or to zero).
	ConvergedAbsolute
	// Completed: the method did all its work successfully: an integration
	// reached its end time, an exact method its optimum, a training loop
	// its last epoch.
	Completed
	// IterationLimit: MaxIterations, or a method's own work cap, was
	// reached first.
	IterationLimit
	// Breakdown: the method cannot continue (a curvature p^T A p <= 0 in
	// CG, a step size below the resolution of t); Outcome.Message says
	// which quantity failed.
	Breakdown
	// Diverged: the residual, or the state, became NaN or infinite.
	Diverged
	// StoppedByCallback: the callback returned false.
	StoppedByCallback
	// Cancelled: the context was done.
	Cancelled
	// Stagnated: the residual stopped decreasing above the tolerance (a
	// solver's true residual did not fall after a restart: the tolerance
	// is below the accuracy the method attains in floating point).
	Stagnated
)

var reasons = [...]struct {
	name string
	err  error
}{
	ConvergedRelative: {"converged (relative tolerance)", nil},
	ConvergedAbsolute: {"converged (absolute tolerance)", nil},
	Completed:         {"completed", nil},
	IterationLimit:    {"iteration limit reached", ErrIterationLimit},
	Breakdown:         {"breakdown", ErrBreakdown},
	Diverged:          {"diverged", ErrDiverged},
	StoppedByCallback: {"stopped by callback", ErrStopped},
	Cancelled:         {"cancelled", ErrCancelled},
	Stagnated:         {"stagnated", ErrStagnated},
}

// String returns a short description of r.
func (r Reason) String() string {
	if r > 0 && int(r) < len(reasons) {
		return reasons[r].name
	}
	if r == 0 {
		return "not stopped"
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Converged reports whether r is a successful end: ConvergedRelative,
// ConvergedAbsolute or Completed.
func (r Reason) Converged() bool {
	return r == ConvergedRelative || r == ConvergedAbsolute || r == Completed
}

// Err returns nil for a successful reason and otherwise an *Error that
// matches ErrNotConverged and the reason's own sentinel with errors.Is.
func (r Reason) Err() error {
	if r.Converged() {
		return nil
	}
	return &Error{Reason: r}
}

// The sentinel errors of an unsuccessful run. Every *Error matches
// ErrNotConverged and the sentinel of its reason.
var (
	ErrNotConverged   = errors.New("not converged")
	ErrIterationLimit = errors.New("iteration limit reached")
	ErrBreakdown      = errors.New("breakdown")
	ErrDiverged       = errors.New("diverged")
	ErrStopped        = errors.New("stopped by callback")
	ErrCancelled      = errors.New("cancelled")
	ErrStagnated      = errors.New("stagnated")
)

// Error is an unsuccessful outcome as an error value. errors.Is matches it
// against ErrNotConverged, the sentinel of its Reason and, through Unwrap,
// the cause a method gave (solvers.ErrNotSPD for CG on an indefinite
// matrix, context.Canceled for a cancelled run).
type Error struct {
	Reason     Reason
	Iterations int
	// RelResidual is the last relative residual, NaN where the run tested
	// none (an integration, a training loop).
	RelResidual float64
	Message     string
	Cause       error
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := e.Reason.String()
	switch {
	case math.IsNaN(e.RelResidual):
		s += fmt.Sprintf(" after %d iterations", e.Iterations)
	case e.Iterations > 0 || e.RelResidual != 0:
		s += fmt.Sprintf(" after %d iterations (relative residual %.3g)", e.Iterations, e.RelResidual)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is reports whether target is ErrNotConverged or the sentinel of the
// error's reason.
func (e *Error) Is(target error) bool {
	if target == ErrNotConverged {
		return true
	}
	return e.Reason > 0 && int(e.Reason) < len(reasons) && reasons[e.Reason].err == target
}

// Unwrap returns the cause the method gave, if any.
func (e *Error) Unwrap() error { return e.Cause }

// Progress is what a callback sees after every iteration.
type Progress struct {
	// Iteration counts from 0, the initial state.
	Iteration int
	// Residual is the quantity the stopping rule tests (for an
	// integrator, the scaled error estimate of the step; for a training
	// loop, the loss).
	Residual float64
	// X is the current iterate or state. It is live: copy it to keep it.
	// Nil where a method has no single vector to show.
	X []float64
}

// Control is the block of settings every iterative method embeds. Its zero
// value means the method's documented defaults.
type Control struct {
	// Tolerance is relative to the scale the method documents: the run has
	// converged when the residual is at most Tolerance * scale.
	Tolerance float64
	// AbsTolerance is an absolute floor: the run has converged when the
	// residual is at most AbsTolerance. Tolerance and AbsTolerance both
	// zero mean the method's defaults; one of them zero (the other set)
	// switches that test off.
	AbsTolerance float64
	// MaxIterations caps the iterations; zero means the method's default.
	// Reaching it ends the run with reason IterationLimit, not an error.
	MaxIterations int
	// Callback, if set, is called at iteration 0 and after every
	// iteration, the last included; returning false stops the run with
	// reason StoppedByCallback (a run that converged at that iteration
	// stays converged).
	Callback func(Progress) bool
	// History records every iteration's residual in Outcome.History.
	History bool
}

// Resolve returns c with zero fields replaced by those of def (both
// tolerances from def when both are zero; MaxIterations when zero). It
// returns an error naming a negative or NaN field.
func (c Control) Resolve(def Control) (Control, error) {
	if !(c.Tolerance >= 0) {
		return c, fmt.Errorf("Tolerance = %v is not a nonnegative number", c.Tolerance)
	}
	if !(c.AbsTolerance >= 0) {
		return c, fmt.Errorf("AbsTolerance = %v is not a nonnegative number", c.AbsTolerance)
	}
	if c.MaxIterations < 0 {
		return c, fmt.Errorf("MaxIterations = %d is negative", c.MaxIterations)
	}
	if c.Tolerance == 0 && c.AbsTolerance == 0 {
		c.Tolerance, c.AbsTolerance = def.Tolerance, def.AbsTolerance
	}
	if c.MaxIterations == 0 {
		c.MaxIterations = def.MaxIterations
	}
	return c, nil
}

// Outcome is the block of results every iterative method embeds.
type Outcome struct {
	// Iterations is the number of iterations done.
	Iterations int
	// Residual is the last residual tested, and RelResidual that over the
	// scale of the relative tolerance (Residual itself when the scale is
	// zero).
	Residual, RelResidual float64
	// Reason is why the run stopped.
	Reason Reason
	// Message explains a Breakdown, a divergence or a cancellation; empty
	// otherwise.
	Message string
	// History holds the residual at iterations 0, 1, ... when
	// Control.History is set.
	History []float64
	// Runtime is the wall time of the run.
	Runtime time.Duration

	cause  error
	tested bool // the residual was tested against a tolerance (Check)
}

// Err returns nil when the run converged (or completed) and an *Error
// otherwise.
func (o *Outcome) Err() error {
	if o.Reason.Converged() {
		return nil
	}
	rel := o.RelResidual
	if !o.tested {
		rel = math.NaN() // an integrator's error estimate or a loss is no residual
	}
	return &Error{Reason: o.Reason, Iterations: o.Iterations, RelResidual: rel, Message: o.Message, Cause: o.cause}
}

// Monitor applies a Control to one run: it keeps the Outcome, applies the
// stopping rule, records the history, calls the callback and watches the
// context. A method creates one with Start and reports every iteration to
// Check (or Observe).
type Monitor struct {
	ctx   context.Context
	c     Control
	scale float64
	start time.Time
	out   *Outcome
}

// Start begins a run controlled by c (already resolved) whose relative
// tolerance refers to scale, recording into out. A nil ctx never cancels.
func (c Control) Start(ctx context.Context, scale float64, out *Outcome) *Monitor {
	if ctx == nil {
		ctx = context.Background()
	}
	return &Monitor{ctx: ctx, c: c, scale: scale, start: time.Now(), out: out}
}

// Scale returns the scale of the relative tolerance.
func (m *Monitor) Scale() float64 { return m.scale }

// SetScale sets the scale of the relative tolerance, for methods whose
// scale is the initial residual: they call it before Check(0, ...).
func (m *Monitor) SetScale(scale float64) { m.scale = scale }

// Check records iteration it with residual r and iterate x (nil allowed)
// and returns the reason to stop, or 0 to go on. In order: a NaN or
// infinite r is Diverged; r <= Tolerance*scale is ConvergedRelative;
// r <= AbsTolerance or r == 0 is ConvergedAbsolute; the callback, called
// in every case, may stop the run; then a done context is Cancelled and
// it >= MaxIterations is IterationLimit.
func (m *Monitor) Check(it int, r float64, x []float64) Reason {
	return m.record(it, r, x, true)
}

// Observe is Check without the tolerance test, for runs whose end is not
// a residual: integrators (r is the step's error estimate) and training
// loops (r is the loss).
func (m *Monitor) Observe(it int, r float64, x []float64) Reason {
	return m.record(it, r, x, false)
}

func (m *Monitor) record(it int, r float64, x []float64, test bool) Reason {
	o := m.out
	o.tested = test
	o.Iterations, o.Residual, o.RelResidual = it, r, r
	if m.scale > 0 {
		o.RelResidual = r / m.scale
	}
	o.Runtime = time.Since(m.start)
	if m.c.History {
		o.History = append(o.History, r)
	}
	var why Reason
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0):
		why = Diverged
	case !test:
	case m.c.Tolerance > 0 && m.scale > 0 && r <= m.c.Tolerance*m.scale:
		why = ConvergedRelative
	case r <= m.c.AbsTolerance || r == 0:
		why = ConvergedAbsolute
	}
	if m.c.Callback != nil && !m.c.Callback(Progress{Iteration: it, Residual: r, X: x}) && why == 0 {
		why = StoppedByCallback
	}
	if why == 0 {
		select {
		case <-m.ctx.Done():
			m.Stop(Cancelled, m.ctx.Err())
			return Cancelled
		default:
		}
		if m.c.MaxIterations > 0 && it >= m.c.MaxIterations {
			why = IterationLimit
		}
	}
	if why != 0 {
		o.Reason = why
	}
	return why
}

// Confirm tests a recomputed residual r (for a solver, ||b - A x|| of the
// final iterate, where the method tested a recurrence) against the
// tolerances, after Check said converged. It records r as the Outcome's
// residual and returns true when r meets a tolerance; otherwise it takes
// the convergence back (the Outcome's reason is cleared) and returns
// false: the method should restart from its iterate and go on. A NaN or
// infinite r ends the run as Diverged.
func (m *Monitor) Confirm(r float64) bool {
	o := m.out
	o.Residual, o.RelResidual = r, r
	if m.scale > 0 {
		o.RelResidual = r / m.scale
	}
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0):
		o.Reason = Diverged
		return true
	case m.c.Tolerance > 0 && m.scale > 0 && r <= m.c.Tolerance*m.scale:
		o.Reason = ConvergedRelative
	case r <= m.c.AbsTolerance || r == 0:
		o.Reason = ConvergedAbsolute
	default:
		o.Reason = 0
		return false
	}
	return true
}

// Stop ends the run with a reason the method decided itself (Breakdown,
// Completed, a work cap) and the error that explains it, if any, which
// becomes Outcome.Message and the cause of Outcome.Err.
func (m *Monitor) Stop(why Reason, cause error) {
	o := m.out
	o.Reason = why
	o.Runtime = time.Since(m.start)
	if cause != nil {
		o.cause = cause
		o.Message = cause.Error()
	}
}

// Done reports whether the context is done, for methods that want to stop
// inside a long iteration.
func (m *Monitor) Done() bool {
	select {
	case <-m.ctx.Done():
		return true
	default:
		return false
	}
}
