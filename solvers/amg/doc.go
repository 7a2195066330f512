// Package amg is algebraic multigrid: a multigrid hierarchy built from the
// entries of an assembled sparse matrix alone, with no grid, for the
// matrices a code brings from its own mesh. Two coarsenings
// (Settings.Coarsening), both with Galerkin coarse operators R A P, R =
// P^T:
//
//   - smoothed aggregation (the zero value; Vanek, Mandel and Brezina,
//     "Algebraic multigrid by smoothed aggregation for second and fourth
//     order elliptic problems", Computing 56, 1996): strength of
//     connection, greedy aggregation, a tentative prolongator that
//     carries the near-null space, one damped-Jacobi step of prolongator
//     smoothing with the filtered operator;
//   - classical Ruge-Stueben (hypre BoomerAMG's kind, and simulate's
//     default): a C/F splitting along the strong negative couplings and
//     classical interpolation, smoothed in C/F order.
//
// With Ruge-Stueben, AMG-preconditioned CG against hypre's
// BoomerAMG-preconditioned CG through PETSc (its defaults), rtol 1e-8,
// set-up included, one thread, on the same Matrix Market files, runs
// taken back to back on a quiet 2-core AMD EPYC (2026-11-30; iterations
// ours/hypre, time ratio over three pairs):
//
//	poisson2d 1023^2           7/6   0.97-1.00
//	anisotropic2d eps 1e-3 511 6/6   0.95-1.00
//	darcy2d 421                8/9   0.85-0.95
//	poisson3d 64^3             6/6   0.89-0.93
//	L-shaped P1 FE, 249k       8/9   0.53-0.59
//
// A batch an hour earlier gave 1.02-1.05 on poisson2d and 0.97-1.02 on
// anisotropic2d: level with hypre there, within the spread of the runs.
// PETSc's GAMG took 1.5 to 11 times as long on each.
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
