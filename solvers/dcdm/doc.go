// Package dcdm is the deep conjugate-direction method of Kaneda, Akar,
// Chen, Kala, Hyde and Teran, "A Deep Conjugate Direction Method for
// Iteratively Solving Linear Systems" (ICML 2023): the one solver of the
// toolkit that learns. A model of A^-1 (a convolutional network trained
// once, without solutions, on the systems' kind) proposes each search
// direction from the normalised residual; the direction is made
// A-orthogonal to the last two and taken with an exact line search, and
// the residual is recomputed as b - A x every iteration.
//
// The iteration, Method, runs under the solvers package's driver and
// contract: the direction model is the solve's Preconditioner (any
// solvers.Preconditioner proposes directions; with none the method is
// conjugate gradients with the directions orthogonalised explicitly), the
// stopping rule is every method's (relative to ||b||), and the result is
// a solvers.Result:
//
//	res, err := solvers.Solve(ctx, a, b, &dcdm.Method{}, &solvers.Settings{
//		Control: iterate.Control{Tolerance: 1e-6}, Preconditioner: model})
//
// Method.Directions is the number of directions kept: 2, the paper's, by
// default; any k as the general variant in the authors' code. The
// paper's k = 2 stalls wherever the model's proposal is orthogonal to the
// residual, M(r/||r||)^T r = 0, and a network trained without seeing its
// sign has such residuals; a large k keeps the minimisation over every
// direction taken, as flexible conjugate gradients does, and goes on.
package dcdm
