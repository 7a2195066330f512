// Package dist is the distributed form of the toolkit's grid operators:
// a matrix on a structured grid split over the MPI ranks (package mpi) in
// slabs of whole planes of the slowest axis, each rank holding its rows
// and its part of every vector, the planes next to its slab exchanged
// with its neighbours before each product. A Slab satisfies
// solvers.Distributed, so CG, MINRES, GMRES, BiCGSTAB and Richardson run
// on it unchanged, their inner products summed over the ranks:
//
//	mpi.Init()
//	defer mpi.Finalize()
//	a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, n, n, n)).ToCSR()
//	s, err := dist.NewSlab(a, n*n) // n*n unknowns per plane
//	lo, hi := s.Range()            // this rank's rows
//	res, err := solvers.Solve(ctx, s, b[lo:hi], &solvers.CG{}, nil)
//
// Built without the tag mpi there is one rank, which owns everything.
//
// Preconditioners: any preconditioner of a rank's LocalBlock is
// block-Jacobi (no communication); Schwarz adds to it a coarse level, the
// d-linear interpolation from every r-th grid point with its Galerkin
// operator replicated and factored on every rank, one allreduce of the
// coarse residual per application (two-level additive Schwarz).
//
// NewBlocks splits in every axis instead: the ranks form a process grid
// and each holds a box of the grid and one layer of points around it. A
// Slab and a Block are both a Part, whose Rows give the global index of
// each local row; Schwarz takes either.
//
// Either form takes the global matrix (or stencil) on every rank; local
// assembly and overlap are not built.
package dist
