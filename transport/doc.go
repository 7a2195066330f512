// Package transport computes optimal transport between discrete
// distributions: entropic transport by Sinkhorn's scaling and by its
// log-domain form (stable at small regularisation), and the closed-form
// Wasserstein distances on the line. Cost matrices are row-major n x m.
//
// Entropic transport between two point clouds:
//
//	c, err := transport.CostMatrix(x, y, 2, transport.SqEuclidean)
//	if err != nil { ... }
//	res, err := transport.SinkhornLog(a, b, c, &transport.Settings{Reg: 1e-3, Tol: 1e-9})
//	if err != nil { ... }
//	fmt.Println(res.Cost, res.MarginalError, res.Iterations)
package transport
