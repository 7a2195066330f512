// Package solvers holds iterative solvers for linear systems A x = b that see
// A only through the Operator contract, so a sparse.CSR, a matrix-free
// mesh stencil and a caller's own type all work.
//
// One driver, Solve, runs every method. A Method is written in
// reverse-communication form (after gonum/exp/linsolve): it asks the
// driver to apply A or the preconditioner and to check a residual norm, so
// the driver alone keeps statistics, calls the callback and applies the
// stopping rule, the same for every method:
//
//	||b - A x|| <= Tolerance ||b||   or   ||b - A x|| <= AbsTolerance
//
// The residual tested is always the unpreconditioned one, and
// convergence is declared only on the true residual: a method's
// recurrence residual can drift from b - A x (by 1e-11 relative on a
// 256 x 256 Laplacian, by orders of magnitude for BiCGSTAB on
// convection-dominated problems), so when it says converged the driver
// recomputes b - A x; if that misses the tolerance the method restarts
// from its iterate (Stats.Restarts counts it), and if a restart does not
// halve it the solve ends with reason Stagnated (the tolerance is below
// the accuracy the method attains). Result.Residual is the true residual
// whenever the method's own is a recurrence.
//
// Methods: CG (PCG with a preconditioner), MINRES, GMRES(m) and BiCGSTAB
// (right-preconditioned), and Richardson, which with a Jacobi, SOR or
// multigrid preconditioner is the Jacobi, Gauss-Seidel, SOR, SSOR or
// multigrid iteration. Preconditioners: Jacobi, SOR (forward, backward or
// symmetric sweeps), IC0, ILU0, and geometric multigrid in solvers/mg.
//
//	ic, err := solvers.NewIC0(a)                 // a *sparse.CSR, or any RowAccessor
//	if err != nil { ... }                        // e.g. errors.Is(err, solvers.ErrNotSPD)
//	res, err := solvers.Solve(ctx, a, b, &solvers.CG{},
//		&solvers.Settings{Preconditioner: ic})  // nil settings: defaults
//	if err != nil { ... }                        // misuse or bad input
//	if err := res.Err(); err != nil { ... }      // did not converge: why
//
// Settings embed iterate.Control (tolerances, iteration cap, callback,
// history) and Result embeds iterate.Outcome (iterations, residual,
// reason, message, history, runtime), the blocks every iterative package
// of the toolkit shares. SolveTo solves into the caller's slice, which
// also holds the initial guess: a time loop warm-starts every step without
// copying. The callback's Progress.X is the current iterate, except for
// GMRES, which forms x only at restarts and at the end.
//
// Errors are for misuse and bad input (sizes, NaN or Inf in A or b, a zero
// diagonal for Jacobi or SOR, a failed incomplete factorization), with the
// sentinels ErrShape, ErrNotSPD and ErrSingular for errors.Is. How a solve
// ended, including a breakdown such as an indefinite matrix given to CG,
// is Result.Reason, with Result.Message explaining a breakdown;
// Result.Err matches ErrNotConverged and, for CG's breakdown, ErrNotSPD.
//
// Preconditioners need more of A than MulVecTo: Jacobi its diagonal
// (Diagonaler), SOR, IC0 and ILU0 its entries (RowAccessor, or a ToCSR
// method as the mesh stencils have). A caller's own operator type that
// offers these gets every preconditioner.
package solvers
