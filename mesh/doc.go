// Package mesh provides structured grids in one, two and three dimensions and
// finite-difference operators on them, both matrix-free (stencils) and
// assembled (sparse.CSR), plus restriction and prolongation between grids.
//
// A grid covers the box [0, L_0] x ... with one boundary condition per axis:
//
//   - Dirichlet: vertex-centred, n interior unknowns, h = L/(n+1); the boundary
//     values are zero (lift inhomogeneous data into the right-hand side).
//   - Neumann: cell-centred, n cells, h = L/n, points at (i+1/2)h; zero flux
//     through the boundary face (ghost value equal to the boundary cell), which
//     keeps symmetric operators symmetric.
//   - Periodic: vertex-centred, n points, h = L/n, points at i h.
//
// Unknowns are ordered with axis 0 fastest: index = i + n_0 (j + n_1 k).
//
// The operators all satisfy the solvers' operator contract (Dims, MulVecTo
// with dst overwritten) and assemble to CSR with ToCSR; the two agree to
// rounding. For example, the 2-D Poisson matrix on a 63 x 63 interior grid:
//
//	g := mesh.NewGrid(mesh.Dirichlet, 63, 63)
//	lap := mesh.NewLaplacian(g) // -Laplacian, matrix-free
//	lap.MulVecTo(y, x)
//	a := lap.ToCSR() // the same operator, assembled
//
// Sign convention: operators are positive (semi)definite where the PDE
// allows, that is -Laplacian, not Laplacian.
package mesh
