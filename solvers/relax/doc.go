// Package relax tunes the relaxation factor omega of SOR, and of
// SSOR-preconditioned CG, online across a sequence of related linear
// systems (time steps, parameter sweeps), after Khodak, Chow, Balcan and
// Talwalkar, "Learning to Relax: Setting Solver Parameters Across a
// Sequence of Linear System Instances" (ICLR 2024). A bandit fed only each
// solve's iteration count approaches the best fixed omega in hindsight; a
// contextual bandit, told a scalar that describes each system (a diagonal
// shift, a diffusion coefficient), approaches the instance-optimal omega.
//
// A Sequence solves the systems one at a time; its Policy chooses omega:
//
//	seq := relax.Sequence{Base: relax.SOR, Policy: relax.NewTsallisINF(nil, seed)}
//	for each system {
//		step, err := seq.Solve(ctx, &relax.Instance{A: a, B: b, Context: c})
//		if err != nil { ... }              // bad input
//		use(step.Result.X, step.Omega, step.Iterations, step.Result.Reason)
//	}
//
// Every solve follows the embedded iterate.Control of the Sequence (the
// paper's relative tolerance 1e-8 and cap of 10000 by default) and returns
// the solvers package's Result.
//
// Policies: Fixed; TsallisINF over a grid of omegas (the paper's current
// code: grid 1..1.95 in 20 steps, eta = 2/sqrt(t), losses normalised by
// their running mean); the contextual TsallisINFCB (one Tsallis-INF per
// context bin) and ChebCB (Chebyshev regression of each arm's cost with
// box-bounded least squares and inverse-gap weighting); and the Oracle,
// which solves the instance to find its best omega, for evaluation only.
// Snapshot and Restore take and rebuild a policy's learned state (io/h5
// stores it), so a long simulation can stop and resume.
//
// Compare runs several policies on one sequence, sharing the solves at
// equal omegas; ShiftedLaplacian and Heat are the paper's two experiments
// as Sources.
package relax
