package iterate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
)

func TestResolve(t *testing.T) {
	def := Control{Tolerance: 1e-8, AbsTolerance: 1e-12, MaxIterations: 100}
	for _, tc := range []struct {
		in, want Control
	}{
		{Control{}, def},
		{Control{Tolerance: 1e-3}, Control{Tolerance: 1e-3, MaxIterations: 100}},
		// An absolute test alone: the relative one is off, not defaulted.
		{Control{AbsTolerance: 1e-14}, Control{AbsTolerance: 1e-14, MaxIterations: 100}},
		{Control{MaxIterations: 7}, Control{Tolerance: 1e-8, AbsTolerance: 1e-12, MaxIterations: 7}},
	} {
		got, err := tc.in.Resolve(def)
		if err != nil || got.Tolerance != tc.want.Tolerance || got.AbsTolerance != tc.want.AbsTolerance || got.MaxIterations != tc.want.MaxIterations {
			t.Errorf("Resolve(%+v) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []Control{{Tolerance: -1}, {Tolerance: math.NaN()}, {AbsTolerance: -1e-9}, {MaxIterations: -3}} {
		if _, err := bad.Resolve(def); err == nil {
			t.Errorf("Resolve(%+v) accepted", bad)
		}
	}
}

// TestMonitorRule runs the rule on residual sequences and checks the
// reason, the iteration it stops at, the history and the callback.
func TestMonitorRule(t *testing.T) {
	for _, tc := range []struct {
		name  string
		c     Control
		scale float64
		rs    []float64
		want  Reason
		at    int
	}{
		{"relative", Control{Tolerance: 1e-2, MaxIterations: 100}, 10, []float64{10, 1, 0.2, 0.09}, ConvergedRelative, 3},
		{"absolute floor first", Control{Tolerance: 1e-6, AbsTolerance: 0.5, MaxIterations: 100}, 10, []float64{10, 1, 0.4}, ConvergedAbsolute, 2},
		{"relative off", Control{AbsTolerance: 1e-3, MaxIterations: 100}, 10, []float64{10, 1e-2, 1e-4}, ConvergedAbsolute, 2},
		{"zero residual", Control{MaxIterations: 100}, 10, []float64{10, 0}, ConvergedAbsolute, 1},
		{"scale zero", Control{Tolerance: 0.5, MaxIterations: 100}, 0, []float64{1, 0.1, 0}, ConvergedAbsolute, 2},
		{"limit", Control{Tolerance: 1e-9, MaxIterations: 2}, 1, []float64{1, 0.5, 0.25, 0.1}, IterationLimit, 2},
		{"no limit", Control{Tolerance: 1e-9}, 1, []float64{1, 0.5, 1e-10}, ConvergedRelative, 2},
		{"NaN", Control{Tolerance: 1e-9, MaxIterations: 100}, 1, []float64{1, math.NaN()}, Diverged, 1},
		{"Inf", Control{Tolerance: 1e-9, MaxIterations: 100}, 1, []float64{1, math.Inf(1)}, Diverged, 1},
	} {
		var seen []int
		c := tc.c
		c.History = true
		c.Callback = func(p Progress) bool { seen = append(seen, p.Iteration); return true }
		var out Outcome
		m := c.Start(context.Background(), tc.scale, &out)
		var why Reason
		it := 0
		for ; it < len(tc.rs); it++ {
			if why = m.Check(it, tc.rs[it], nil); why != 0 {
				break
			}
		}
		if why != tc.want || it != tc.at || out.Reason != tc.want || out.Iterations != tc.at {
			t.Errorf("%s: stopped by %v at %d (outcome %v at %d), want %v at %d", tc.name, why, it, out.Reason, out.Iterations, tc.want, tc.at)
		}
		// The callback and the history see every iteration, the last too.
		if len(seen) != tc.at+1 || len(out.History) != tc.at+1 || seen[tc.at] != tc.at {
			t.Errorf("%s: callback saw %v, history %v", tc.name, seen, out.History)
		}
		if r := tc.rs[tc.at]; !math.IsNaN(r) && out.Residual != r {
			t.Errorf("%s: residual %g, want %g", tc.name, out.Residual, r)
		}
		if tc.scale > 0 && !math.IsNaN(tc.rs[tc.at]) && out.RelResidual != tc.rs[tc.at]/tc.scale {
			t.Errorf("%s: relative residual %g", tc.name, out.RelResidual)
		}
		if (out.Err() == nil) != tc.want.Converged() {
			t.Errorf("%s: Err() = %v for %v", tc.name, out.Err(), tc.want)
		}
	}
}

// TestMonitorStops: the callback and the context stop a run, but never
// take back a convergence; Stop records the method's own reasons with
// their cause.
func TestMonitorStops(t *testing.T) {
	var out Outcome
	m := Control{Tolerance: 0.1, Callback: func(p Progress) bool { return p.Iteration < 2 }}.Start(nil, 1, &out)
	for it, r := range []float64{1, 0.9, 0.8, 0.7} {
		if why := m.Check(it, r, nil); why != 0 {
			if why != StoppedByCallback || it != 2 {
				t.Errorf("callback stop: %v at %d", why, it)
			}
			break
		}
	}
	out = Outcome{}
	m = Control{Tolerance: 0.1, Callback: func(Progress) bool { return false }}.Start(nil, 1, &out)
	if why := m.Check(0, 0.01, nil); why != ConvergedRelative {
		t.Errorf("a converged iteration with a callback that says stop: %v", why)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out = Outcome{}
	m = Control{Tolerance: 0.1}.Start(ctx, 1, &out)
	if why := m.Check(0, 1, nil); why != Cancelled || !errors.Is(out.Err(), context.Canceled) || !errors.Is(out.Err(), ErrCancelled) || !m.Done() {
		t.Errorf("cancelled: %v, Err %v", why, out.Err())
	}
	out = Outcome{}
	m = Control{}.Start(nil, 1, &out)
	m.Observe(0, 1e300, nil) // Observe applies no tolerance
	if out.Reason != 0 {
		t.Errorf("Observe stopped at %v", out.Reason)
	}
	cause := fmt.Errorf("p^T A p = -1: %w", errNotSPD)
	m.Stop(Breakdown, cause)
	err := out.Err()
	if out.Message != cause.Error() || !errors.Is(err, ErrBreakdown) || !errors.Is(err, ErrNotConverged) || !errors.Is(err, errNotSPD) || errors.Is(err, ErrDiverged) {
		t.Errorf("breakdown: message %q, Err %v", out.Message, err)
	}
	m.Stop(Completed, nil)
	if out.Err() != nil || !Completed.Converged() {
		t.Errorf("completed: Err %v", out.Err())
	}
}

var errNotSPD = errors.New("not SPD")

func TestReasonNames(t *testing.T) {
	for r := ConvergedRelative; r <= Cancelled; r++ {
		if r.String() == "" || r.String() == fmt.Sprintf("Reason(%d)", int(r)) {
			t.Errorf("reason %d has no name", int(r))
		}
		if r.Converged() != (r.Err() == nil) {
			t.Errorf("%v: Converged %v but Err %v", r, r.Converged(), r.Err())
		}
	}
	if Reason(99).String() != "Reason(99)" || Reason(0).String() != "not stopped" {
		t.Errorf("names: %q, %q", Reason(99), Reason(0))
	}
}

// A method reports every iteration to its Monitor; the caller reads the
// Outcome and, where it wants an error, Err.
func ExampleMonitor() {
	// Halving the residual from 1 until it is 1e-3 of the start.
	var out Outcome
	c, _ := Control{Tolerance: 1e-3}.Resolve(Control{MaxIterations: 100})
	m := c.Start(context.Background(), 1, &out)
	r := 1.0
	for it := 0; m.Check(it, r, nil) == 0; it++ {
		r /= 2
	}
	fmt.Println(out.Reason, out.Iterations, out.Residual)

	// The same run capped at 5 iterations fails, as an error.
	out = Outcome{}
	m = Control{Tolerance: 1e-3, MaxIterations: 5}.Start(context.Background(), 1, &out)
	r = 1
	for it := 0; m.Check(it, r, nil) == 0; it++ {
		r /= 2
	}
	err := out.Err()
	fmt.Println(err)
	fmt.Println(errors.Is(err, ErrNotConverged), errors.Is(err, ErrIterationLimit))
	// Output:
	// converged (relative tolerance) 10 0.0009765625
	// iteration limit reached after 5 iterations (relative residual 0.0312)
	// true true
}
