// Package pde holds PDE models that tie mesh, solvers and fft together,
// and the data-set recipes that make training data for neural operators:
//
//   - Gaussian random fields: PeriodicGRF on the torus (FFT; FNO's
//     Navier-Stokes and Burgers initial conditions) and NeumannGRF with
//     cosine eigenfunctions (DCT; FNO's Darcy coefficients);
//   - Elliptic: -div(a grad u) + shift u = f on the unit square's node grid
//     (Darcy, Poisson, Helmholtz) by multigrid-preconditioned CG, or GMRES
//     when indefinite; Heat: Crank-Nicolson steps of u_t = div(a grad u);
//   - NS2D: 2-D incompressible Navier-Stokes in vorticity form on the unit
//     torus, pseudo-spectral with the 2/3 rule, Heun advection and
//     Crank-Nicolson diffusion (FNO's generator takes one Euler stage at a
//     ten times smaller step; the trajectories differ by 3-5e-5);
//   - Burgers: 1-D viscous Burgers, Fourier pseudo-spectral with ETDRK4;
//   - the recipes DarcyData, NSData, BurgersData, EllipticData and HeatData,
//     each a Dataset whose sample i depends only on the recipe and i
//     (SampleRand(seed, i)), so a data set can be made in shards anywhere.
//     Where a recipe differs from the published one it follows (FNO's), its
//     PublishedDifference says how and by how much, and 'simulate generate'
//     stores that in the file's configuration.
//
// Arrays are row-major with the last index fastest, as numpy and the HDF5
// files: value [i][j] of an n x n field is at (x_i, y_j) (numpy's ij
// meshgrid). Node grids (Darcy and the other elliptic sets) have x_i =
// i/(n-1), boundary included; periodic grids x_i = i/n.
//
// One Darcy sample, FNO's recipe (coefficient 12 where the field is >= 0,
// 3 elsewhere, f = 1) but the coefficient taken at the nodes, where FNO's
// solver interpolates it by splines (0.2-1.7% different solutions):
//
//	g, _ := pde.NewNeumannGRF(2, 3, n, n)
//	e, _ := pde.NewElliptic(n, 0, 1e-10)
//	field, a, u := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
//	g.Sample(field, pde.SampleRand(seed, i), nil)
//	pde.Threshold(a, field, 12, 3)
//	if err := e.SetCoefficient(a); err != nil { ... }
//	if err := e.Solve(ctx, u, nil); err != nil { ... }
package pde
