// Package amg is algebraic multigrid: a multigrid hierarchy built from the
// entries of an assembled sparse matrix alone, with no grid, for the
// matrices a code brings from its own mesh. The method is smoothed
// aggregation (Vanek, Mandel and Brezina, "Algebraic multigrid by smoothed
// aggregation for second and fourth order elliptic problems", Computing
// 56, 1996): strength of connection, greedy aggregation, a tentative
// prolongator that carries the near-null space, one damped-Jacobi step of
// prolongator smoothing with the filtered operator, and Galerkin coarse
// operators R A P with R = P^T.
//
// An AMG is a solvers.Preconditioner (one V-cycle per application). Its
// cycle is symmetric with every smoother it offers, so it preconditions
// CG:
//
//	m, err := amg.New(a, nil) // symmetric Gauss-Seidel, V(1,1)
//	if err != nil { ... }
//	res, err := solvers.Solve(ctx, a, b, &solvers.CG{}, &solvers.Settings{Preconditioner: m})
//
// With solvers.Richardson instead of CG each iteration is one V-cycle:
// AMG as a solver. Stats reports the levels and the operator and grid
// complexities.
//
// Where package mg needs a mesh.Grid and coarsens it geometrically, amg
// follows the matrix: strong anisotropy, coefficient jumps and
// unstructured meshes coarsen along the strong couplings.
package amg
