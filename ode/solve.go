package ode

import (
	"fmt"
	"math"
)

// Solution is the result of Solve.
type Solution struct {
	// T and Y are the saved times and states.
	T []float64
	Y [][]float64
	// Steps describes every accepted step.
	Steps []StepInfo
	Stats Stats
}

// Solve integrates dy/dt = f(t, y) from (t0, y0) to t1 with the method
// tab. With saveAt nil it saves t0 and the end of every step; otherwise it
// saves exactly the times in saveAt (monotone from t0 towards t1, within
// the interval) by the method's dense output. On a failure it returns
// what was saved up to the failing time with an *Error.
func Solve(tab *Tableau, f Func, t0, t1 float64, y0 []float64, saveAt []float64, s *Settings) (*Solution, error) {
	e := NewExplicit(tab, f, s)
	if err := e.Init(t0, y0, t1); err != nil {
		return nil, err
	}
	dir := math.Copysign(1, t1-t0)
	for i, t := range saveAt {
		if (t-t0)*dir < 0 || (t-t1)*dir > 0 || (i > 0 && (t-saveAt[i-1])*dir < 0) {
			return nil, fmt.Errorf("ode: saveAt[%d] = %g is outside [%g, %g] or out of order", i, t, t0, t1)
		}
	}
	sol := &Solution{}
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
	buf := make([]float64, len(y0))
	for !e.Done() {
		info, err := e.Step()
		if err != nil {
			sol.Stats = e.Stats()
			return sol, err
		}
		sol.Steps = append(sol.Steps, info)
		t, y := e.State()
		if saveAt == nil {
			save(t, y)
			continue
		}
		for next < len(saveAt) && (saveAt[next]-t)*dir <= 0 {
			if saveAt[next] == t {
				save(t, y)
			} else {
				if err := e.Dense(buf, saveAt[next]); err != nil {
					return sol, err
				}
				save(saveAt[next], buf)
			}
			next++
		}
	}
	sol.Stats = e.Stats()
	return sol, nil
}
