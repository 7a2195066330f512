// Package iterate holds the contract every iterative method of the toolkit
// shares: how a run is controlled (Control), why it stopped (Reason) and
// what came out (Outcome). Linear solvers, multigrid, the bandit-tuned
// sequences, Halpern and sketched-Newton solvers, optimal transport, the
// ODE integrators and the training loops all embed these blocks, so a
// caller learns one shape:
//
//	s := &solvers.Settings{Control: iterate.Control{Tolerance: 1e-10}}
//	res, err := solvers.Solve(ctx, a, b, &solvers.CG{}, s)
//	if err != nil { ... }           // misuse or bad input, never non-convergence
//	if err := res.Err(); err != nil { // why it stopped, as an error
//		if errors.Is(err, iterate.ErrNotConverged) { ... }
//	}
//
// The stopping rule is the same everywhere: a run has converged when its
// residual r satisfies
//
//	r <= Tolerance * scale   or   r <= AbsTolerance,
//
// where scale is the quantity the method documents (||b|| for a linear
// solve, the initial residual for a fixed-point method, the total mass for
// transport). Both tolerances zero mean the method's documented defaults;
// one of them zero switches its test off. Every method takes a
// context.Context as its first argument (Go's convention, rather than a
// field of Control) and stops with reason Cancelled when it is done.
//
// A method applies the rule through a Monitor, which also records the
// history, calls the callback (at every iteration, 0 and the last
// included) and keeps the outcome's iteration count, residual and runtime.
package iterate
