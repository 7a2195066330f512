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
// The residual tested is always the unpreconditioned one.
//
// Methods: CG (PCG with a preconditioner), MINRES, GMRES(m) and BiCGSTAB
// (right-preconditioned), and Richardson, which with a Jacobi, SOR or
// multigrid preconditioner is the Jacobi, Gauss-Seidel, SOR, SSOR or
// multigrid iteration. Preconditioners: Jacobi, SOR (forward, backward or
// symmetric sweeps), IC0, ILU0, and geometric multigrid in solvers/mg.
//
//	ic, err := solvers.NewIC0(a)                 // a *sparse.CSR
//	if err != nil { ... }                        // e.g. a not SPD
//	res, err := solvers.Solve(ctx, a, b, &solvers.CG{},
//		&solvers.Settings{Preconditioner: ic})  // nil settings: defaults
//	if err != nil { ... }                        // misuse or bad input
//	if res.Reason.Converged() { use(res.X) }     // else: why it stopped
//
// Errors are for misuse and bad input (sizes, NaN or Inf in A or b, a zero
// diagonal for Jacobi or SOR, a failed incomplete factorization). How a
// solve ended, including a breakdown such as an indefinite matrix given to
// CG, is Result.Reason, with Result.Message explaining a breakdown.
package solvers
