package main

import (
	"time"

	"github.com/pdekit/pdekit/dist"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/mpi"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

// distributedSolve is solve on several MPI ranks (a build with the tag
// mpi, started by mpirun or srun): the named problem's matrix split over
// the ranks in slabs of planes or, with --split blocks, in boxes
// (package dist), the Krylov method run on
// the parts with its inner products summed over the ranks, a --pc built
// on each rank's diagonal block (block-Jacobi), with --schwarz a
// replicated coarse level added to it (two-level additive Schwarz), and the
// summary and the solution (gathered) written by rank 0. One process takes
// this path too with --schwarz.
func distributedSolve(st *stage, c *solveConfig) (*summary, *solvers.Result, error) {
	if c.Matrix != "" || c.Mesh != "" {
		return nil, nil, usageErr("on several ranks and with --schwarz, solve takes a named grid problem (--problem), not --matrix or --mesh")
	}
	spec := c.Method.Get()
	if spec.learned || c.Method.String() == "direct" || c.Method.String() == "mg" {
		return nil, nil, usageErr("--method %s does not run on several ranks (there: cg, pcg, minres, gmres, bicgstab and the stationary jacobi, ssor, amg on each rank's block)", c.Method)
	}
	p, err := c.problemFlags.build()
	if err != nil {
		return nil, nil, err
	}
	if len(p.shape) < 2 {
		return nil, nil, usageErr("problem %s has no grid to split over the ranks", c.Problem)
	}
	// A stencil on a plain grid is applied matrix-free on each slab or
	// box, as one process applies it; other problems are split as CSR.
	var part dist.Part
	nnz := 0
	sten, stencil := p.op.(*mesh.Stencil)
	stencil = stencil && p.grid != nil
	switch {
	case c.Split.Get() && stencil:
		part, err = dist.NewStencilBlocks(sten)
	case c.Split.Get():
		a := p.op.ToCSR()
		nnz = a.NNZ()
		part, err = dist.NewBlocks(a, p.shape)
	case stencil:
		part, err = dist.NewStencilSlab(sten)
	default:
		plane := 1
		for _, d := range p.shape[:len(p.shape)-1] {
			plane *= d
		}
		a := p.op.ToCSR()
		nnz = a.NNZ()
		part, err = dist.NewSlab(a, plane)
	}
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	rows := part.Rows()
	start := time.Now()
	var block *sparse.CSR
	method, pc, err := c.methodFlags.build(func() *sparse.CSR {
		if block == nil {
			block = part.LocalBlock()
		}
		return block
	}, nil, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	var schwarz *dist.Schwarz
	if c.Schwarz > 0 {
		if _, stationary := method.(*solvers.Richardson); stationary {
			return nil, nil, usageErr("--schwarz adds to a --pc of a Krylov method, not to the stationary --method %s", c.Method)
		}
		if schwarz, err = dist.NewSchwarz(part, p.shape, c.Schwarz, pc); err != nil {
			return nil, nil, usageErr("--schwarz: %v", err)
		}
		pc = schwarz
	}
	setup := time.Since(start).Seconds()
	b := p.bRows(rows) // this rank's part only
	res, err := iterateSolve(st, c, part, b, method, pc)
	if err != nil {
		return nil, nil, err
	}
	relres := trueRelres(part, res.X, b) // summed over the ranks
	n, _ := p.op.Dims()
	sum := st.summary().set("method", c.Method.String(), "pc", c.PC.String(), "n", n, "iterations", res.Iterations,
		"relres", relres, "setup_seconds", setup, "solve_seconds", res.Runtime.Seconds(), "threads", c.Threads,
		"ranks", mpi.Size(), "split", c.Split.String(), "block_jacobi", c.PC.String() != "none", "problem", c.Problem,
		"mulvec", res.Stats.MulVec, "precon_solves", res.Stats.PreconSolve)
	halo, reduce := part.CommSeconds() // rank 0's, the summary's writer
	sum.set("halo_seconds", halo, "allreduce_seconds", reduce)
	if schwarz != nil {
		cs := schwarz.Stats()
		sum.set("schwarz_ratio", c.Schwarz, "coarse_unknowns", cs.Coarse, "coarse_nnz", cs.NNZ, "coarse_method", cs.Method, "coarse_seconds", cs.Seconds)
	}
	sum.outcome("", &res.Outcome)
	if nnz > 0 {
		sum.set("nnz", nnz)
	}
	if c.Out != "" {
		// Gathered on rank 0, which alone holds the whole solution.
		full, err := dist.Gather(part, res.X)
		if err != nil {
			return nil, nil, err
		}
		if mpi.Rank() == 0 {
			whole := *res
			whole.X = full
			if err := writeSolution(st, c.Out, &system{shape: p.shape}, &whole); err != nil {
				return nil, nil, err
			}
		}
	}
	return sum, res, nil
}
