package main

import (
	"flag"

	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/amg"
	"github.com/pdekit/pdekit/solvers/dcdm"
	"github.com/pdekit/pdekit/solvers/direct"
	"github.com/pdekit/pdekit/solvers/mg"
	"github.com/pdekit/pdekit/sparse"
)

// methodFlags choose the iterative method and its preconditioner, each
// enum from one table.
type methodFlags struct {
	Method    *choice[methodSpec]       `json:"method"`
	PC        *choice[string]           `json:"pc"`
	Omega     float64                   `json:"omega"`
	Restart   int                       `json:"restart"`
	Cycle     *choice[mg.Cycle]         `json:"cycle"`
	Smoother  *choice[mg.Smoother]      `json:"smoother"`
	Coarse    *choice[bool]             `json:"coarse"`
	Interp    *choice[mg.Interpolation] `json:"interpolation"`
	PreSmooth int                       `json:"presmooth"`
	AMG       *choice[amg.Coarsening]   `json:"amg"`
	AMGSmooth *choice[amg.Smoother]     `json:"amg_smoother"`
	Strength  float64                   `json:"strength,omitempty"`
	Model     string                    `json:"model,omitempty"`
	Conjugate int                       `json:"conjugate,omitempty"`
}

// methodSpec says how a --method is built: a Krylov method, or a
// stationary iteration (Richardson with the preconditioner of the same
// name).
type methodSpec struct {
	krylov     func(m *methodFlags) (solvers.Method, error)
	needsPC    bool
	stationary bool
	learned    bool   // its directions come from --model, not a --pc
	what       string // what a stationary method is, for refusing a --pc; empty: a stationary iteration
}

func krylov(f func(m *methodFlags) (solvers.Method, error)) methodSpec { return methodSpec{krylov: f} }

var methodTable = []option[methodSpec]{
	{"cg", krylov(func(*methodFlags) (solvers.Method, error) { return &solvers.CG{}, nil })},
	{"pcg", methodSpec{krylov: func(*methodFlags) (solvers.Method, error) { return &solvers.CG{}, nil }, needsPC: true}},
	{"minres", krylov(func(*methodFlags) (solvers.Method, error) { return &solvers.MINRES{}, nil })},
	{"gmres", krylov(func(m *methodFlags) (solvers.Method, error) {
		if m.Restart < 1 {
			return nil, usageErr("--restart must be at least 1, got %d", m.Restart)
		}
		return &solvers.GMRES{Restart: m.Restart}, nil
	})},
	{"bicgstab", krylov(func(*methodFlags) (solvers.Method, error) { return &solvers.BiCGSTAB{}, nil })},
	{"jacobi", methodSpec{stationary: true}},
	{"gs", methodSpec{stationary: true}},
	{"sor", methodSpec{stationary: true}},
	{"ssor", methodSpec{stationary: true}},
	{"mg", methodSpec{stationary: true}},
	{"amg", methodSpec{stationary: true}},
	{"direct", methodSpec{stationary: true, what: "a sparse factorisation (then iterative refinement)"}},
	{"dcdm", methodSpec{krylov: func(m *methodFlags) (solvers.Method, error) {
		if m.Conjugate < 0 {
			return nil, usageErr("--conjugate must be at least 0, got %d", m.Conjugate)
		}
		k := m.Conjugate
		if k == 0 {
			k = -1 // the package's "none"
		}
		return &dcdm.Method{Directions: k}, nil
	}, learned: true}},
}

// pcNames are the preconditioners --pc offers (gs and sor are stationary
// methods only: they are not symmetric).
var pcNames = []option[string]{{"none", "none"}, {"jacobi", "jacobi"}, {"ssor", "ssor"}, {"ic0", "ic0"}, {"ilu0", "ilu0"}, {"mg", "mg"}, {"amg", "amg"}}

// defaultMethodFlags returns the flag defaults with the given method and
// preconditioner: the one place the defaults live.
func defaultMethodFlags(method, pc string) methodFlags {
	return methodFlags{
		Method: newChoice("method", method, methodTable...),
		PC:     newChoice("pc", pc, pcNames...),
		Omega:  1, Restart: 30,
		Cycle:     newChoice("cycle", "V", option[mg.Cycle]{"V", mg.V}, option[mg.Cycle]{"W", mg.W}, option[mg.Cycle]{"F", mg.F}),
		Smoother:  newChoice("smoother", "gs", option[mg.Smoother]{"gs", mg.GaussSeidel}, option[mg.Smoother]{"rb", mg.RedBlack}, option[mg.Smoother]{"jacobi", mg.WeightedJacobi}),
		Coarse:    newChoice("coarse", "galerkin", option[bool]{"galerkin", false}, option[bool]{"rediscretize", true}),
		Interp:    newChoice("interp", "auto", option[mg.Interpolation]{"auto", mg.Auto}, option[mg.Interpolation]{"geometric", mg.Geometric}, option[mg.Interpolation]{"operator", mg.OperatorDependent}),
		PreSmooth: 1, Conjugate: 2,
		AMG:       newChoice("amg", "rs", option[amg.Coarsening]{"rs", amg.RugeStueben}, option[amg.Coarsening]{"sa", amg.SmoothedAggregation}),
		AMGSmooth: newChoice("amg-smoother", "gs", option[amg.Smoother]{"gs", amg.SymmetricGS}, option[amg.Smoother]{"jacobi", amg.Jacobi}, option[amg.Smoother]{"chebyshev", amg.Chebyshev}),
	}
}

func (m *methodFlags) register(fs *flag.FlagSet) {
	*m = defaultMethodFlags("cg", "none")
	fs.Var(m.Method, "method", "solver: "+m.Method.Names()+" (jacobi..amg are stationary iterations; direct is a sparse Cholesky or LU factorisation, SuiteSparse's, then iterative refinement)")
	fs.Var(m.PC, "pc", "preconditioner for cg/pcg/minres/gmres/bicgstab: "+m.PC.Names())
	fs.Float64Var(&m.Omega, "omega", m.Omega, "relaxation factor of sor, ssor and --pc ssor, in (0, 2); for jacobi the damping weight")
	fs.IntVar(&m.Restart, "restart", m.Restart, "GMRES restart length")
	fs.Var(m.Cycle, "cycle", "multigrid cycle: "+m.Cycle.Names())
	fs.Var(m.Smoother, "smoother", "multigrid smoother: gs, rb (red-black Gauss-Seidel), jacobi (weighted)")
	fs.Var(m.Coarse, "coarse", "multigrid coarse operators: galerkin (R A P) or rediscretize")
	fs.Var(m.Interp, "interp", "multigrid interpolation: auto, geometric, operator (operator-dependent)")
	fs.IntVar(&m.PreSmooth, "sweeps", m.PreSmooth, "multigrid pre- and post-smoothing sweeps")
	fs.Var(m.AMG, "amg", "algebraic multigrid (--pc amg, --method amg): rs (classical Ruge-Stueben) or sa (smoothed aggregation)")
	fs.Var(m.AMGSmooth, "amg-smoother", "algebraic multigrid smoother: gs (symmetric Gauss-Seidel), jacobi, chebyshev")
	fs.Float64Var(&m.Strength, "strength", 0, "algebraic multigrid strength threshold (0: 0.25 for rs, 0.08 for sa)")
	fs.StringVar(&m.Model, "model", "", "dcdm: the trained network (a checkpoint of 'simulate train dcdm')")
	fs.IntVar(&m.Conjugate, "conjugate", m.Conjugate, "dcdm: the previous directions each new one is A-orthogonalised against (2 is the paper's; the authors' code allows any k >= 0)")
}

// build returns the method and preconditioner for A. matrix assembles A,
// called only when a preconditioner needs it; grid is nil for a matrix
// read from a file; rediscretize builds the problem on a coarser grid (nil
// for files); shape is the grid of the unknowns (nil for files).
func (m *methodFlags) build(matrix func() *sparse.CSR, grid *mesh.Grid, rediscretize func(*mesh.Grid) *sparse.CSR, shape []int) (solvers.Method, solvers.Preconditioner, error) {
	spec, pcName := m.Method.Get(), m.PC.Get()
	if m.Model != "" && !spec.learned {
		return nil, nil, usageErr("--model is for --method dcdm")
	}
	var method solvers.Method
	switch {
	case spec.learned:
		if pcName != "none" {
			return nil, nil, usageErr("--method %s takes its directions from --model and no --pc", m.Method)
		}
		method, err := spec.krylov(m)
		if err != nil {
			return nil, nil, err
		}
		pc, err := dcdmModel(m.Model, matrix(), shape)
		if err != nil {
			return nil, nil, err
		}
		return method, pc, nil
	case spec.stationary:
		if pcName != "none" {
			what := spec.what
			if what == "" {
				what = "a stationary iteration"
			}
			return nil, nil, usageErr("--method %s is %s and takes no --pc", m.Method, what)
		}
		pcName = m.Method.String() // the iteration is Richardson with that preconditioner
		r := &solvers.Richardson{}
		if pcName == "jacobi" {
			r.Scale = m.Omega
		}
		method = r
	case spec.needsPC && pcName == "none":
		return nil, nil, usageErr("--method %s needs a --pc", m.Method)
	default:
		var err error
		if method, err = spec.krylov(m); err != nil {
			return nil, nil, err
		}
	}
	if pcName == "none" {
		return method, nil, nil
	}
	a := matrix()
	var pc solvers.Preconditioner
	var err error
	switch pcName {
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
	case "direct":
		pc, err = direct.New(a)
	case "amg":
		if m.PreSmooth < 1 {
			return nil, nil, usageErr("--sweeps must be at least 1, got %d", m.PreSmooth)
		}
		pc, err = amg.New(a, &amg.Settings{Coarsening: m.AMG.Get(), Smoother: m.AMGSmooth.Get(), Strength: m.Strength, Sweeps: m.PreSmooth})
	}
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	return method, pc, nil
}

func (m *methodFlags) multigrid(a *sparse.CSR, grid *mesh.Grid, rediscretize func(*mesh.Grid) *sparse.CSR) (*mg.Multigrid, error) {
	if grid == nil {
		return nil, usageErr("multigrid needs a grid: use a --problem on a plain grid (not --matrix, not the obstacle systems)")
	}
	if m.PreSmooth < 1 {
		return nil, usageErr("--sweeps must be at least 1, got %d", m.PreSmooth)
	}
	s := mg.Settings{Cycle: m.Cycle.Get(), Smoother: m.Smoother.Get(), Interpolation: m.Interp.Get(),
		PreSmooth: m.PreSmooth, PostSmooth: m.PreSmooth}
	if m.Coarse.Get() {
		if rediscretize == nil {
			return nil, usageErr("--coarse rediscretize needs a problem that can be rediscretized (not --matrix, not darcy2d): use --coarse galerkin")
		}
		s.Coarse = func(g *mesh.Grid) (*sparse.CSR, error) { return rediscretize(g), nil }
	}
	return mg.New(grid, a, &s)
}
