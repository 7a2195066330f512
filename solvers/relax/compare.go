package relax

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/solvers"
)

// Entry is a named policy in a comparison.
type Entry struct {
	Name   string
	Policy Policy
}

// CompareSettings controls Compare. The zero value is the paper's SOR
// setting: tolerance 1e-8, 10000 iterations at most, zero initial guesses,
// no grid table.
type CompareSettings struct {
	// Control applies to every solve, as Sequence's.
	iterate.Control
	// WarmStart starts every solve from the instance's X0 (the state of a
	// time-stepping source), as the paper's heat-equation experiment does.
	WarmStart bool
	// Grid, if set, is solved at every omega on every instance, filling
	// Comparison.GridIterations: what the best fixed omega in hindsight
	// needs. Policies choosing one of these omegas reuse those solves.
	Grid []float64
	// Progress, if set, is called after each instance with the number done.
	Progress func(done int)
}

// Comparison holds the outcome of Compare: per policy and instance the
// omega chosen, the iterations charged (the solve's, or the cap when it
// did not converge: diverged, stagnated or capped) and the seconds (of
// the solve at that omega plus the policy's own time).
type Comparison struct {
	Names      []string
	Omega      [][]float64
	Iterations [][]int
	Seconds    [][]float64
	// Context holds each instance's context value.
	Context []float64

	unconverged, diverged int
	// Reasons says why each of those solves stopped.
	Reasons [][]iterate.Reason
	// Grid, GridIterations[t][g], GridSeconds[t][g] and GridReasons[t][g]
	// are the grid table (CompareSettings.Grid), iterations charged as
	// above.
	Grid           []float64
	GridIterations [][]int
	GridSeconds    [][]float64
	GridReasons    [][]iterate.Reason
}

// Unconverged returns the number of distinct solves, policies' and grid's,
// that did not converge (a solve shared by several policies counts once).
func (c *Comparison) Unconverged() int { return c.unconverged }

// Diverged returns how many of the Unconverged solves diverged (their
// residual overflowed).
func (c *Comparison) Diverged() int { return c.diverged }

// Total returns the total iterations of policy p.
func (c *Comparison) Total(p int) int {
	var s int
	for _, v := range c.Iterations[p] {
		s += v
	}
	return s
}

// BestFixed returns the grid omega with the fewest total iterations over
// the sequence (the best fixed omega in hindsight, the first of equals),
// its total and its index. It needs the grid table.
func (c *Comparison) BestFixed() (omega float64, total, index int, err error) {
	if len(c.Grid) == 0 {
		return 0, 0, 0, errors.New("relax: best fixed omega needs the grid table (CompareSettings.Grid)")
	}
	index, total = -1, 0
	for g := range c.Grid {
		var s int
		for _, row := range c.GridIterations {
			s += row[g]
		}
		if index < 0 || s < total {
			index, total = g, s
		}
	}
	return c.Grid[index], total, index, nil
}

type solveRecord struct {
	res     *solvers.Result
	seconds float64
}

// Compare runs every policy over the same sequence of systems from src and
// records what each chose and paid. On each instance the solves at equal
// omegas are shared, so a cost is the same number for every policy that
// chose that omega, and the iteration counts are those of base.Solve. The
// source advances with the instance's most accurate solution. Policies are
// updated exactly as Sequence updates them.
func Compare(ctx context.Context, src Source, base Base, entries []Entry, s *CompareSettings) (*Comparison, error) {
	var set CompareSettings
	if s != nil {
		set = *s
	}
	solveSet, err := settings(set.Control)
	if err != nil {
		return nil, err
	}
	c := &Comparison{Grid: set.Grid}
	for _, e := range entries {
		if e.Policy == nil {
			return nil, fmt.Errorf("relax: policy %q is nil", e.Name)
		}
		c.Names = append(c.Names, e.Name)
	}
	np := len(entries)
	c.Omega = make([][]float64, np)
	c.Iterations = make([][]int, np)
	c.Seconds = make([][]float64, np)
	c.Reasons = make([][]iterate.Reason, np)
	var prev []float64
	for t := 0; ; t++ {
		in, err := src.Next(prev)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if set.WarmStart {
			solveSet.X0 = in.X0
		}
		seen := map[float64]*solveRecord{}
		cost := func(omega float64) (*solvers.Result, error) {
			if r, ok := seen[omega]; ok {
				return r.res, nil
			}
			start := time.Now()
			res, err := base.Solve(ctx, in.A, in.B, omega, &solveSet)
			if err != nil {
				return nil, fmt.Errorf("instance %d, omega %v: %w", t, omega, err)
			}
			if res.Reason == iterate.Cancelled {
				return nil, ctx.Err()
			}
			if !res.Reason.Converged() {
				c.unconverged++
				if res.Reason == iterate.Diverged {
					c.diverged++
				}
			}
			seen[omega] = &solveRecord{res: res, seconds: time.Since(start).Seconds()}
			return res, nil
		}
		if len(set.Grid) > 0 {
			row := make([]int, len(set.Grid))
			secs := make([]float64, len(set.Grid))
			why := make([]iterate.Reason, len(set.Grid))
			for g, w := range set.Grid {
				res, err := cost(w)
				if err != nil {
					return nil, err
				}
				row[g], secs[g], why[g] = charge(res, solveSet.MaxIterations), seen[w].seconds, res.Reason
			}
			c.GridIterations = append(c.GridIterations, row)
			c.GridSeconds = append(c.GridSeconds, secs)
			c.GridReasons = append(c.GridReasons, why)
		}
		c.Context = append(c.Context, in.Context)
		for p, e := range entries {
			start := time.Now()
			before := len(seen)
			omega, res, err := choose(e.Policy, in, cost, solveSet.MaxIterations)
			if err != nil {
				return nil, fmt.Errorf("relax: policy %q: %w", e.Name, err)
			}
			own := time.Since(start).Seconds()
			if len(seen) > before { // a searcher's solves are not the policy's own time
				own = 0
			}
			if res == nil {
				if res, err = cost(omega); err != nil {
					return nil, err
				}
			}
			start = time.Now()
			its := charge(res, solveSet.MaxIterations)
			e.Policy.Update(float64(its))
			own += time.Since(start).Seconds()
			c.Omega[p] = append(c.Omega[p], omega)
			c.Iterations[p] = append(c.Iterations[p], its)
			c.Reasons[p] = append(c.Reasons[p], res.Reason)
			c.Seconds[p] = append(c.Seconds[p], seen[omega].seconds+own)
		}
		prev = nil
		var best, bestOmega float64
		for w, r := range seen {
			rr := r.res.RelResidual
			if prev == nil || rr < best || (rr == best && w < bestOmega) {
				prev, best, bestOmega = r.res.X, rr, w
			}
		}
		if set.Progress != nil {
			set.Progress(t + 1)
		}
	}
	return c, nil
}
