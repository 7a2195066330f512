// Package solvers holds iterative solvers for linear systems A x = b that see
// A only through the Operator contract, so a sparse.CSR, a matrix-free
// mesh stencil and a caller's own type all work.
//
// Every method stops on the same rule, ||b - A x|| <= max(Tolerance ||b||,
// AbsTolerance), and reports why it stopped in Result.Reason:
//
//	res, err := solvers.CG(ctx, a, b, nil) // nil settings: defaults
//	if err != nil { ... }                  // misuse or bad input
//	if res.Reason.Converged() { use(res.X) }
//
// This package currently provides conjugate gradients; preconditioned and
// nonsymmetric Krylov methods, the stationary methods and multigrid build on
// the same contract.
package solvers
