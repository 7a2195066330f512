// Package mg is geometric multigrid on the structured grids of package
// mesh: V, W and F cycles; lexicographic or red-black Gauss-Seidel or
// weighted-Jacobi smoothing; Galerkin (R A P) or rediscretized coarse
// operators; a direct solve on the coarsest grid. A Multigrid is a
// solvers.Preconditioner: one cycle per application. Preconditioning CG
// with it gives a solver whose iteration count does not grow with the
// grid, also for variable and jumping coefficients (Galerkin operators):
//
//	g := mesh.NewGrid(mesh.Dirichlet, 255, 255)
//	a := mesh.NewLaplacian(g).ToCSR()
//	m, err := mg.New(g, a, nil) // V(1,1), Gauss-Seidel, Galerkin
//	if err != nil { ... }
//	res, err := solvers.Solve(ctx, a, b, &solvers.CG{}, &solvers.Settings{Preconditioner: m})
//
// mg has no iteration loop of its own: multigrid as a solver runs through
// solvers.Solve, so it follows the same iterate.Control and Outcome as
// every method.
//
// With solvers.Richardson instead of CG, each iteration is one multigrid
// cycle: multigrid as a solver.
//
// The package sits beside solvers, not in it, because it needs mesh grids
// and transfers while solvers needs only an operator.
package mg
