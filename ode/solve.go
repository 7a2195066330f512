package ode

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/pdekit/pdekit/iterate"
)

// Solution is the result of Solve: the saved states, the accepted steps,
// the events and the shared outcome block. Reason is Completed when the
// integration reached t1 or a terminal event, IterationLimit when
// Settings.MaxIterations steps were taken first, Diverged when f or the
// state became NaN or infinite, Breakdown when the step fell below the
// resolution of t (or a stiff solver's linear solve failed),
// StoppedByCallback or Cancelled; Message says when and why. Iterations
// counts the accepted steps and Residual is the last one's scaled error
// estimate.
type Solution struct {
	// T and Y are the saved times and states.
	T []float64
	Y [][]float64
	// Steps describes every accepted step.
	Steps []StepInfo
	// Events lists the located events in time order.
	Events []EventHit
	iterate.Outcome
	Stats Stats
}

// Solve integrates dy/dt = f(t, y) from (t0, y0) to t1 with the method m
// (a *Tableau, Rosenbrock23, Rodas4, Rodas5 or Rodas5P). With saveAt nil it saves t0
// and the end of every step; otherwise it saves exactly the times in
// saveAt (monotone from t0 towards t1, within the interval) by the
// method's dense output. It returns an error only for bad input or
// settings; an integration that stops early keeps what it saved up to
// then and says why in Solution.Reason (Solution.Err as an error).
func Solve(ctx context.Context, m Method, f Func, t0, t1 float64, y0 []float64, saveAt []float64, s *Settings) (*Solution, error) {
	e := m.newIntegrator(f, s)
	if err := e.Init(t0, y0, t1); err != nil {
		return nil, err
	}
	dir := math.Copysign(1, t1-t0)
	for i, t := range saveAt {
		if (t-t0)*dir < 0 || (t-t1)*dir > 0 || (i > 0 && (t-saveAt[i-1])*dir < 0) {
			return nil, fmt.Errorf("ode: saveAt[%d] = %g is outside [%g, %g] or out of order", i, t, t0, t1)
		}
	}
	evs := e.settings().Events
	gPrev := make([]float64, len(evs))
	for i, ev := range evs {
		if ev.G == nil {
			return nil, fmt.Errorf("ode: event %d has no function", i)
		}
		gPrev[i] = ev.G(t0, y0)
	}
	sol := &Solution{}
	// The integrator counts rejected steps against MaxIterations itself.
	ctl := e.settings().Control
	ctl.MaxIterations = 0
	mon := ctl.Start(ctx, 0, &sol.Outcome)
	save := func(t float64, y []float64) {
		sol.T = append(sol.T, t)
		sol.Y = append(sol.Y, append([]float64(nil), y...))
	}
	next := 0
	if saveAt == nil {
		save(t0, y0)
	} else {
		for next < len(saveAt) && saveAt[next] == t0 {
			save(t0, y0)
			next++
		}
	}
	// fail ends the run at a step-level error with the reason its kind
	// means.
	fail := func(err error) (*Solution, error) {
		sol.Stats = e.Stats()
		why := iterate.Breakdown
		var oe *Error
		if errors.As(err, &oe) {
			switch oe.Kind {
			case NonFinite:
				why = iterate.Diverged
			case TooManySteps:
				why = iterate.IterationLimit
			}
		}
		mon.Stop(why, err)
		return sol, nil
	}
	buf := make([]float64, len(y0))
	if mon.Observe(0, 0, y0) != 0 {
		sol.Stats = e.Stats()
		return sol, nil
	}
	for !e.Done() {
		info, err := e.Step()
		if err != nil {
			return fail(err)
		}
		sol.Steps = append(sol.Steps, info)
		t, y := e.State()
		if len(evs) > 0 {
			hit, stop, err := locate(e, evs, gPrev, info.T0, t, buf)
			if err != nil {
				return fail(err)
			}
			sol.Events = append(sol.Events, hit...)
			if stop {
				last := hit[len(hit)-1]
				for next < len(saveAt) && (saveAt[next]-last.T)*dir <= 0 {
					if err := e.Dense(buf, saveAt[next]); err != nil {
						return fail(err)
					}
					save(saveAt[next], buf)
					next++
				}
				if saveAt == nil || (len(sol.T) > 0 && sol.T[len(sol.T)-1] != last.T) {
					save(last.T, last.Y)
				}
				sol.Stats = e.Stats()
				mon.Stop(iterate.Completed, nil)
				sol.Message = fmt.Sprintf("terminal event %d at t = %g", last.Index, last.T)
				return sol, nil
			}
		}
		if saveAt == nil {
			save(t, y)
		} else {
			for next < len(saveAt) && (saveAt[next]-t)*dir <= 0 {
				if saveAt[next] == t {
					save(t, y)
				} else {
					if err := e.Dense(buf, saveAt[next]); err != nil {
						return fail(err)
					}
					save(saveAt[next], buf)
				}
				next++
			}
		}
		if mon.Observe(len(sol.Steps), info.ErrorEstimate, y) != 0 {
			sol.Stats = e.Stats()
			return sol, nil
		}
	}
	sol.Stats = e.Stats()
	mon.Stop(iterate.Completed, nil)
	return sol, nil
}

// locate finds the events whose functions change sign over the last step
// [t0, t1], in time order, up to and including the first terminal one;
// gPrev holds each function's value at t0 and is advanced to t1.
func locate(e integrator, evs []Event, gPrev []float64, t0, t1 float64, buf []float64) ([]EventHit, bool, error) {
	_, y1 := e.State()
	var hits []EventHit
	for i, ev := range evs {
		g0, g1 := gPrev[i], ev.G(t1, y1)
		gPrev[i] = g1
		crosses := (g0 < 0 && g1 >= 0) || (g0 > 0 && g1 <= 0)
		if !crosses || (ev.Direction > 0 && g0 > 0) || (ev.Direction < 0 && g0 < 0) {
			continue
		}
		// Illinois (modified regula falsi) on the dense output.
		a, b, ga, gb := t0, t1, g0, g1
		side := 0
		for it := 0; it < 200 && math.Abs(b-a) > 4*math.Nextafter(math.Abs(b), math.Inf(1))-4*math.Abs(b); it++ {
			m := b - gb*(b-a)/(gb-ga)
			if !(m > math.Min(a, b) && m < math.Max(a, b)) {
				m = (a + b) / 2
			}
			if err := e.Dense(buf, m); err != nil {
				return nil, false, err
			}
			gm := ev.G(m, buf)
			if gm == 0 {
				a, b = m, m
				break
			}
			if (gm < 0) == (gb < 0) {
				b, gb = m, gm
				if side == -1 {
					ga /= 2
				}
				side = -1
			} else {
				a, ga = m, gm
				if side == 1 {
					gb /= 2
				}
				side = 1
			}
		}
		tc := b
		if err := e.Dense(buf, tc); err != nil {
			return nil, false, err
		}
		hits = append(hits, EventHit{Index: i, T: tc, Y: append([]float64(nil), buf...)})
	}
	// Time order, and cut after the first terminal event.
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && (hits[j].T-hits[j-1].T)*(t1-t0) < 0; j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
	for k, h := range hits {
		if evs[h.Index].Terminal {
			return hits[:k+1], true, nil
		}
	}
	return hits, false, nil
}
