// Package direct is sparse direct solvers from SuiteSparse, the
// factorisations PETSc and SciPy users reach for: Cholesky by CHOLMOD for
// symmetric positive definite matrices and LU by UMFPACK for any square
// nonsingular one, each with a fill-reducing ordering and its statistics
// (factor nonzeros, flops, the ordering used). A factorisation is a
// solvers.Preconditioner whose solve is exact, so the iterative driver
// runs it unchanged: with solvers.Richardson the first iteration is the
// direct solve and any further one a step of iterative refinement, under
// the same stopping rule and Result as every method:
//
//	f, err := direct.New(a) // Cholesky if a is SPD, LU otherwise
//	if err != nil { ... }
//	defer f.Close()
//	res, err := solvers.Solve(ctx, a, b, &solvers.Richardson{}, &solvers.Settings{Preconditioner: f})
//
// The factors live in C memory until Close (or garbage collection). The
// package needs Debian's libsuitesparse-dev (CHOLMOD 3, UMFPACK 5), which
// the project's setup installs.
package direct
