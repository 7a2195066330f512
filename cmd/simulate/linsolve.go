package main

import (
	"strings"

	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/mg"
	"github.com/pdekit/pdekit/sparse"
)

// methodFlags choose the iterative method and its preconditioner.
type methodFlags struct {
	Method    string  `json:"method"`
	PC        string  `json:"pc"`
	Omega     float64 `json:"omega"`
	Restart   int     `json:"restart"`
	Cycle     string  `json:"cycle"`
	Smoother  string  `json:"smoother"`
	Coarse    string  `json:"coarse"`
	Interp    string  `json:"interpolation"`
	PreSmooth int     `json:"presmooth"`
}

var (
	methodNames = []string{"cg", "pcg", "minres", "gmres", "bicgstab", "jacobi", "gs", "sor", "ssor", "mg"}
	pcNames     = []string{"none", "jacobi", "ssor", "ic0", "ilu0", "mg"}
)

// defaultMethodFlags returns the flag defaults with the given method and
// preconditioner: the one place the defaults live.
func defaultMethodFlags(method, pc string) methodFlags {
	return methodFlags{Method: method, PC: pc, Omega: 1, Restart: 30, Cycle: "V", Smoother: "gs",
		Coarse: "galerkin", Interp: "auto", PreSmooth: 1}
}

func (m *methodFlags) register(fs interface {
	StringVar(*string, string, string, string)
	Float64Var(*float64, string, float64, string)
	IntVar(*int, string, int, string)
}) {
	d := defaultMethodFlags("cg", "none")
	fs.StringVar(&m.Method, "method", d.Method, "solver: "+strings.Join(methodNames, ", ")+" (jacobi..mg are stationary iterations)")
	fs.StringVar(&m.PC, "pc", d.PC, "preconditioner for cg/pcg/minres/gmres/bicgstab: "+strings.Join(pcNames, ", "))
	fs.Float64Var(&m.Omega, "omega", d.Omega, "relaxation factor of sor, ssor and --pc ssor, in (0, 2); for jacobi the damping weight")
	fs.IntVar(&m.Restart, "restart", d.Restart, "GMRES restart length")
	fs.StringVar(&m.Cycle, "cycle", d.Cycle, "multigrid cycle: V, W, F")
	fs.StringVar(&m.Smoother, "smoother", d.Smoother, "multigrid smoother: gs, rb (red-black Gauss-Seidel), jacobi (weighted)")
	fs.StringVar(&m.Coarse, "coarse", d.Coarse, "multigrid coarse operators: galerkin (R A P) or rediscretize")
	fs.StringVar(&m.Interp, "interp", d.Interp, "multigrid interpolation: auto, geometric, operator (operator-dependent)")
	fs.IntVar(&m.PreSmooth, "sweeps", d.PreSmooth, "multigrid pre- and post-smoothing sweeps")
}

func oneOf(flag, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return usageErr("unknown %s %q (available: %s)", flag, v, strings.Join(allowed, ", "))
}

// build returns the method and preconditioner for A. matrix assembles A,
// called only when a preconditioner needs it; grid is nil for a matrix
// read from a file; rediscretize builds the problem on a coarser grid (nil
// for files).
func (m *methodFlags) build(matrix func() *sparse.CSR, grid *mesh.Grid, rediscretize func(*mesh.Grid) *sparse.CSR) (solvers.Method, solvers.Preconditioner, error) {
	if err := oneOf("--method", m.Method, methodNames); err != nil {
		return nil, nil, err
	}
	if err := oneOf("--pc", m.PC, pcNames); err != nil {
		return nil, nil, err
	}
	pcName := m.PC
	var method solvers.Method
	switch m.Method {
	case "cg", "pcg":
		if m.Method == "pcg" && m.PC == "none" {
			return nil, nil, usageErr("--method pcg needs a --pc")
		}
		method = &solvers.CG{}
	case "minres":
		method = &solvers.MINRES{}
	case "gmres":
		if m.Restart < 1 {
			return nil, nil, usageErr("--restart must be at least 1, got %d", m.Restart)
		}
		method = &solvers.GMRES{Restart: m.Restart}
	case "bicgstab":
		method = &solvers.BiCGSTAB{}
	default:
		if m.PC != "none" {
			return nil, nil, usageErr("--method %s is a stationary iteration and takes no --pc", m.Method)
		}
		pcName = m.Method // the iteration is Richardson with that preconditioner
		r := &solvers.Richardson{}
		if m.Method == "jacobi" {
			r.Scale = m.Omega
		}
		method = r
	}
	var pc solvers.Preconditioner
	var err error
	var a *sparse.CSR
	if pcName != "none" {
		a = matrix()
	}
	switch pcName {
	case "none":
	case "jacobi":
		pc, err = solvers.NewJacobi(a)
	case "gs":
		pc, err = solvers.NewSOR(a, 1, solvers.Forward)
	case "sor":
		pc, err = solvers.NewSOR(a, m.Omega, solvers.Forward)
	case "ssor":
		pc, err = solvers.NewSOR(a, m.Omega, solvers.Symmetric)
	case "ic0":
		pc, err = solvers.NewIC0(a)
	case "ilu0":
		pc, err = solvers.NewILU0(a)
	case "mg":
		pc, err = m.multigrid(a, grid, rediscretize)
	}
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	return method, pc, nil
}

func (m *methodFlags) multigrid(a *sparse.CSR, grid *mesh.Grid, rediscretize func(*mesh.Grid) *sparse.CSR) (*mg.Multigrid, error) {
	if grid == nil {
		return nil, usageErr("multigrid needs a grid: use --problem, not --matrix")
	}
	var s mg.Settings
	switch strings.ToUpper(m.Cycle) {
	case "V":
	case "W":
		s.Cycle = mg.W
	case "F":
		s.Cycle = mg.F
	default:
		return nil, usageErr("unknown --cycle %q (available: V, W, F)", m.Cycle)
	}
	switch m.Smoother {
	case "gs":
	case "rb":
		s.Smoother = mg.RedBlack
	case "jacobi":
		s.Smoother = mg.WeightedJacobi
	default:
		return nil, usageErr("unknown --smoother %q (available: gs, rb, jacobi)", m.Smoother)
	}
	switch m.Coarse {
	case "galerkin":
	case "rediscretize":
		s.Coarse = func(g *mesh.Grid) (*sparse.CSR, error) { return rediscretize(g), nil }
	default:
		return nil, usageErr("unknown --coarse %q (available: galerkin, rediscretize)", m.Coarse)
	}
	switch m.Interp {
	case "auto":
	case "geometric":
		s.Interpolation = mg.Geometric
	case "operator":
		s.Interpolation = mg.OperatorDependent
	default:
		return nil, usageErr("unknown --interp %q (available: auto, geometric, operator)", m.Interp)
	}
	if m.PreSmooth < 1 {
		return nil, usageErr("--sweeps must be at least 1, got %d", m.PreSmooth)
	}
	s.PreSmooth, s.PostSmooth = m.PreSmooth, m.PreSmooth
	return mg.New(grid, a, &s)
}
