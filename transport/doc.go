// Package transport computes optimal transport between discrete
// distributions:
//
//   - entropic transport by Sinkhorn's scaling, its stabilised log-domain
//     form (absorbed scalings, stable at small regularisation), epsilon
//     scaling, and KL-relaxed unbalanced transport;
//   - Sinkhorn-Newton-Sparse (SNS): Sinkhorn warm-up, then Newton steps on
//     a sparsified Hessian solved by conjugate gradients;
//   - sparsity-constrained transport (at most k nonzeros per plan column)
//     through its dual or semi-dual, maximised by L-BFGS;
//   - exact transport by the network simplex (EMD), with dual potentials;
//   - closed-form Wasserstein distances on the line, and grid densities
//     turned into weighted points (GridDensity) for W1/W2 between fields.
//
// Cost matrices are row-major n x m. Every solver checks its marginals
// (nonnegative, equal mass for balanced transport) and reports the
// marginal error ||P1 - a||_1 + ||P^T 1 - b||_1, the iterations and why it
// stopped. All solvers share one Settings (embedding iterate.Control:
// tolerance on the marginal error relative to the mass, iteration cap,
// callback, history) and one Result (embedding iterate.Outcome); what a
// problem needs, the regularisation, is an argument; nil settings mean the
// defaults; a context stops a long solve.
//
// The scaling loops' matrix-vector products go through gonum's blas64;
// a program that wants OpenBLAS there calls
// blas64.Use(netlib.Implementation{}) (gonum.org/v1/netlib) where it
// starts, as simulate does. The package itself changes nothing
// process-wide.
//
// Entropic transport between two point clouds:
//
//	c, err := transport.CostMatrix(x, y, 2, transport.SqEuclidean)
//	if err != nil { ... }
//	res, err := transport.SinkhornLog(ctx, a, b, c, 1e-3, nil)
//	if err != nil { ... }                       // bad input
//	fmt.Println(res.Cost, res.MarginalError, res.Iterations, res.Reason)
package transport
