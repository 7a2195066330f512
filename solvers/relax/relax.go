package relax

import (
	"context"
	"fmt"
	"math"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

// Policy chooses the relaxation factor omega for each system of a
// sequence and learns from the cost of its choices. Choose is called with
// the instance's context value (a diagonal shift, a diffusion coefficient;
// ignored by non-contextual policies), then Update with the cost of the
// solve at the returned omega (its iteration count). Update always refers
// to the latest Choose.
type Policy interface {
	Choose(c float64) float64
	Update(cost float64)
}

// Searcher is a Policy that looks at the instance itself before choosing:
// the Oracle. Sequence and Compare call Search instead of Choose, passing
// a cost function that solves the instance at a given omega. It is for
// evaluation only: a real sequence cannot afford it.
type Searcher interface {
	Policy
	Search(in *Instance, cost func(omega float64) (float64, error)) (float64, error)
}

// Instance is one system of a sequence: A x = B with context value
// Context. X0, if set, is the initial guess the source suggests (the
// previous time step's state, say); it is used when warm starting.
type Instance struct {
	A       *sparse.CSR
	B       []float64
	Context float64
	X0      []float64
}

// DefaultGrid returns the paper's omega grid: 20 values evenly spaced on
// [1, 1.95].
func DefaultGrid() []float64 { return Linspace(1, 1.95, 20) }

// Linspace returns n values evenly spaced on [lo, hi], both included, as
// MATLAB's linspace computes them.
func Linspace(lo, hi float64, n int) []float64 {
	g := make([]float64, n)
	if n == 1 {
		g[0] = hi
		return g
	}
	for i := range g {
		g[i] = lo + float64(i)*(hi-lo)/float64(n-1)
	}
	g[n-1] = hi
	return g
}

// Base is the solver whose relaxation factor is tuned.
type Base int

const (
	// SOR is the SOR iteration x += (D/omega + L)^{-1} (b - A x), the
	// residual recomputed every iteration: solvers.Richardson with the
	// forward solvers.SOR preconditioner.
	SOR Base = iota
	// SSORCG is conjugate gradients preconditioned by SSOR with the same
	// omega (solvers.CG with the symmetric solvers.SOR preconditioner,
	// forward sweep first, as PETSc orders it; the paper's MATLAB code
	// applies the backward factor first, which can change a count by one
	// or two).
	SSORCG
)

// String returns the base solver's name as the command line spells it.
func (b Base) String() string {
	switch b {
	case SOR:
		return "sor"
	case SSORCG:
		return "ssor-cg"
	}
	return fmt.Sprintf("Base(%d)", int(b))
}

// Solve solves A x = rhs with the base solver at relaxation factor omega
// under the settings s (s.Preconditioner is replaced; nil means
// defaults). It is the one place a cost is measured, so counts agree with
// the solvers package exactly.
func (b Base) Solve(ctx context.Context, a *sparse.CSR, rhs []float64, omega float64, s *solvers.Settings) (*solvers.Result, error) {
	var set solvers.Settings
	if s != nil {
		set = *s
	}
	var m solvers.Method
	var sweep solvers.Sweep
	switch b {
	case SOR:
		m, sweep = &solvers.Richardson{}, solvers.Forward
	case SSORCG:
		m, sweep = &solvers.CG{}, solvers.Symmetric
	default:
		return nil, fmt.Errorf("relax: unknown base solver %d", int(b))
	}
	pc, err := solvers.NewSOR(a, omega, sweep)
	if err != nil {
		return nil, fmt.Errorf("relax: %w", err)
	}
	set.Preconditioner = pc
	return solvers.Solve(ctx, a, rhs, m, &set)
}

// Sequence solves the systems of a sequence one after another with the
// base solver, omega chosen by Policy and the policy updated with each
// solve's iteration count. The zero value with a Policy set is usable.
type Sequence struct {
	// Base is the solver tuned; the zero value is SOR.
	Base Base
	// Policy chooses omega. It must be set.
	Policy Policy
	// Control applies to every solve of the sequence. Its zero value is
	// the paper's: relative tolerance 1e-8 (against ||b||), at most 10000
	// iterations. A solve that reaches the cap costs the cap.
	iterate.Control
	// WarmStart starts each solve from the previous solution when the
	// sizes agree (else from Instance.X0, else zero). Off in the paper's
	// SOR experiments.
	WarmStart bool

	prev []float64
}

// Step is the outcome of one system of a sequence.
type Step struct {
	// Omega is the relaxation factor used.
	Omega float64
	// Iterations is the cost fed to the policy: the solve's iterations,
	// or the cap when it did not converge.
	Iterations int
	// Result is the base solver's result; Result.X is the solution.
	Result *solvers.Result
}

// Solve solves the instance with the omega the policy chooses for its
// context and updates the policy with the iteration count.
// A solve that does not converge within MaxIterations is not an error:
// its cost is the cap and Result.Reason says why it stopped.
func (s *Sequence) Solve(ctx context.Context, in *Instance) (*Step, error) {
	if s.Policy == nil {
		return nil, fmt.Errorf("relax: Sequence without a Policy")
	}
	set, err := settings(s.Control)
	if err != nil {
		return nil, err
	}
	if s.WarmStart {
		set.X0 = in.X0
		if len(s.prev) == len(in.B) {
			set.X0 = s.prev
		}
	}
	cost := func(omega float64) (*solvers.Result, error) {
		return s.Base.Solve(ctx, in.A, in.B, omega, &set)
	}
	omega, res, err := choose(s.Policy, in, cost, set.MaxIterations)
	if err != nil {
		return nil, err
	}
	if res == nil {
		if res, err = cost(omega); err != nil {
			return nil, err
		}
	}
	its := charge(res, set.MaxIterations)
	s.Policy.Update(float64(its))
	if s.WarmStart {
		s.prev = append(s.prev[:0], res.X...)
	}
	return &Step{Omega: omega, Iterations: its, Result: res}, nil
}

// charge is what a solve costs: its iterations when it converged, and
// the cap when it did not (diverged, stagnated or capped), as the
// authors' script charges; else a diverging omega, stopped early by an
// overflowing residual, would look cheap.
func charge(res *solvers.Result, cap int) int {
	if res.Reason.Converged() {
		return res.Iterations
	}
	return cap
}

// settings returns the solver settings of a sequence's solves under c.
func settings(c iterate.Control) (solvers.Settings, error) {
	c, err := c.Resolve(iterate.Control{Tolerance: 1e-8, MaxIterations: 10000})
	if err != nil {
		return solvers.Settings{}, fmt.Errorf("relax: %w", err)
	}
	return solvers.Settings{Control: c}, nil
}

// choose asks p for omega. A Searcher evaluates the instance through cost;
// the result of its chosen omega is returned when it was computed, so the
// caller need not solve again.
func choose(p Policy, in *Instance, cost func(float64) (*solvers.Result, error), cap int) (float64, *solvers.Result, error) {
	sr, ok := p.(Searcher)
	if !ok {
		omega := p.Choose(in.Context)
		if !(omega > 0 && omega < 2) || math.IsNaN(omega) {
			return 0, nil, fmt.Errorf("relax: policy chose omega = %v, not in (0, 2)", omega)
		}
		return omega, nil, nil
	}
	seen := map[float64]*solvers.Result{}
	omega, err := sr.Search(in, func(w float64) (float64, error) {
		if r, ok := seen[w]; ok {
			return float64(charge(r, cap)), nil
		}
		r, err := cost(w)
		if err != nil {
			return 0, err
		}
		seen[w] = r
		return float64(charge(r, cap)), nil
	})
	if err != nil {
		return 0, nil, err
	}
	return omega, seen[omega], nil
}
