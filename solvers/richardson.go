package solvers

import (
	"gonum.org/v1/gonum/floats"
)

// Richardson is the stationary iteration
//
//	x_{k+1} = x_k + Scale M^{-1} (b - A x_k)
//
// With Settings.Preconditioner a Jacobi, SOR or multigrid preconditioner
// it is exactly the Jacobi, Gauss-Seidel, SOR, SSOR or multigrid-cycle
// iteration (PETSc's KSPRICHARDSON with the same PC), so every stationary
// method shares the driver, the stopping rule and the statistics. Each
// iteration is one preconditioner application and one residual
// computation.
type Richardson struct {
	// Scale damps the step; zero means 1.
	Scale float64

	x, r, z []float64
	resume  int
}

// Init implements Method.
func (m *Richardson) Init(ctx *Context, x, r []float64) {
	ctx.TrueResidual = true
	n := len(x)
	m.x = reuse(m.x, n)
	m.r = reuse(m.r, n)
	m.z = reuse(m.z, n)
	copy(m.x, x)
	copy(m.r, r)
	m.resume = 0
	ctx.X = m.x
}

// Iterate implements Method.
func (m *Richardson) Iterate(ctx *Context) (Operation, error) {
	switch m.resume {
	case 0:
		ctx.Src, ctx.Dst = m.r, m.z
		m.resume = 1
		return PreconSolve, nil
	case 1:
		s := m.Scale
		if s == 0 {
			s = 1
		}
		floats.AddScaled(m.x, s, m.z)
		ctx.Dst = m.r
		m.resume = 2
		return ComputeResidual, nil
	case 2:
		ctx.ResidualNorm = ctx.Norm(m.r)
		m.resume = 3
		return CheckResidualNorm, nil
	case 3:
		m.resume = 0
		return MajorIteration, nil
	}
	panic("solvers: Richardson: bad state")
}
