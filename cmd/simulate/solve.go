package main

import (
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/gonum/floats"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/io/mtx"
	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/mpi"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/amg"
	"github.com/pdekit/pdekit/solvers/dcdm"
	"github.com/pdekit/pdekit/solvers/direct"
	"github.com/pdekit/pdekit/sparse"
)

type solveConfig struct {
	problemFlags
	common
	Matrix string `json:"matrix,omitempty"`
	Group  string `json:"group,omitempty"`
	RHS    string `json:"rhs,omitempty"`
	methodFlags
	RTol      float64       `json:"rtol"`
	ATol      float64       `json:"atol"`
	MaxIter   int           `json:"maxiter"`
	Assembled bool          `json:"assembled"`
	Schwarz   int           `json:"schwarz,omitempty"`
	Split     *choice[bool] `json:"split"`
	Out       string        `json:"out,omitempty"`
}

func (c *solveConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.Matrix, "matrix", "", "read A from a Matrix Market (.mtx) or HDF5 (.h5, CSR group) file instead of --problem")
	fs.StringVar(&c.Group, "group", "A", "HDF5 group of the CSR matrix in --matrix")
	fs.StringVar(&c.RHS, "rhs", "", "right-hand side from a Matrix Market array file (default with --matrix: b = A * ones)")
	c.methodFlags.register(fs)
	fs.Float64Var(&c.RTol, "rtol", 1e-8, "relative tolerance: stop when ||b - A x|| <= rtol ||b|| (0 with --atol: the absolute test alone)")
	fs.Float64Var(&c.ATol, "atol", 0, "absolute tolerance on ||b - A x||")
	fs.IntVar(&c.MaxIter, "maxiter", 0, "iteration cap (0: 10 n, at least 1000)")
	fs.BoolVar(&c.Assembled, "assembled", false, "solve with the assembled CSR matrix instead of the matrix-free stencil")
	fs.StringVar(&c.Out, "out", "", "write the solution and residual history to this HDF5 file")
	c.Split = newChoice("split", "planes", option[bool]{"planes", false}, option[bool]{"blocks", true})
	fs.Var(c.Split, "split", "on several MPI ranks (or with --schwarz): planes (slabs of the slowest axis) or blocks (boxes in every axis, the ranks in a process grid); one process without --schwarz does not split")
	fs.IntVar(&c.Schwarz, "schwarz", 0, "two-level additive Schwarz: split over the MPI ranks (one in the default build) and add to the --pc of each rank's block a coarse level of every R-th grid point, replicated on the ranks (0: none)")
}

func cmdSolve(args []string, stdout, stderr io.Writer) error {
	var c solveConfig
	fs := newFlags("solve", "Solve A x = b for a named problem or a matrix file and report iterations and residual.",
		"simulate solve --problem poisson2d --n 255 --method cg --pc mg --rtol 1e-8 --out x.h5", stderr)
	c.problemFlags.register(fs)
	c.common.register(fs)
	c.common.registerConvergence(fs)
	c.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := c.common.begin("solve", &c, stdout, stderr, c.Out)
	if err != nil {
		return err
	}
	defer st.end()
	sum, _, err := solve(st, &c)
	if err != nil {
		return st.fail(err)
	}
	return st.report(sum)
}

// system is what a solve needs: the operator, b, the grid shape of x (nil
// for matrices from files) and the stored entries (0 when matrix-free).
type system struct {
	op    solvers.Operator
	b     []float64
	shape []int
	nnz   int
	// For preconditioners: the assembled matrix (built on demand), and for
	// named problems the grid and the discretization on another grid.
	csr   *sparse.CSR
	grid  *mesh.Grid
	redis func(*mesh.Grid) *sparse.CSR
}

// matrix returns the assembled A.
func (s *system) matrix() *sparse.CSR {
	if s.csr == nil {
		s.csr = s.op.(interface{ ToCSR() *sparse.CSR }).ToCSR()
	}
	return s.csr
}

func (c *solveConfig) system() (*system, error) {
	if c.Matrix == "" {
		p, err := c.problemFlags.build()
		if err != nil {
			return nil, err
		}
		s := &system{b: p.b(), op: p.op, grid: p.grid, redis: p.rediscretize, shape: p.shape}
		if a, ok := p.op.(csrOp); ok {
			s.nnz, s.csr = a.NNZ(), a.CSR
		} else if c.Assembled {
			a := p.op.ToCSR()
			s.op, s.nnz, s.csr = a, a.NNZ(), a
		}
		return s, nil
	}
	a, err := readMatrix(c.Matrix, c.Group)
	if err != nil {
		return nil, err
	}
	s := &system{op: a, nnz: a.NNZ(), csr: a}
	r, cols := a.Dims()
	if r != cols {
		return nil, usageErr("--matrix %s is %d x %d: a linear system needs a square matrix", c.Matrix, r, cols)
	}
	if err := a.CheckFinite(); err != nil {
		return nil, usageErr("--matrix %s: %v", c.Matrix, err)
	}
	if c.RHS != "" {
		f, err := os.Open(c.RHS)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		defer f.Close()
		data, rows, cols, err := mtx.ReadDense(f)
		if err != nil {
			return nil, usageErr("%s: %v", c.RHS, err)
		}
		if rows*cols != r || (rows != 1 && cols != 1) {
			return nil, usageErr("%s: right-hand side is %d x %d, matrix has %d rows", c.RHS, rows, cols, r)
		}
		s.b = data
	} else {
		s.b = make([]float64, r)
		a.MulVecTo(s.b, ones(r))
	}
	return s, nil
}

func readMatrix(path, group string) (*sparse.CSR, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".mtx":
		f, err := os.Open(path)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		defer f.Close()
		a, _, err := mtx.ReadCSR(f)
		if err != nil {
			return nil, usageErr("%s: %v", path, err)
		}
		return a, nil
	case ".h5", ".hdf5":
		f, err := openInput(path)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		defer f.Close()
		a, err := h5.ReadCSR(f, group)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		return a, nil
	}
	return nil, usageErr("--matrix %s: unknown extension (want .mtx, .h5 or .hdf5)", path)
}

// solve runs the solve of c in the stage and returns its summary (not yet
// reported) and result.
func solve(st *stage, c *solveConfig) (*summary, *solvers.Result, error) {
	if !(c.RTol >= 0) || !(c.ATol >= 0) || c.MaxIter < 0 {
		return nil, nil, usageErr("tolerances and --maxiter must be non-negative")
	}
	if c.RTol == 0 && c.ATol == 0 {
		return nil, nil, usageErr("--rtol 0 needs an --atol: one of the tests must be on")
	}
	if c.Matrix != "" && c.Mesh != "" {
		return nil, nil, usageErr("--matrix and --mesh both give the system: choose one")
	}
	if c.Schwarz < 0 {
		return nil, nil, usageErr("--schwarz %d: want a positive ratio (or 0: none)", c.Schwarz)
	}
	if mpi.Size() > 1 || c.Schwarz > 0 {
		return distributedSolve(st, c)
	}
	sys, err := c.system()
	if err != nil {
		return nil, nil, err
	}
	start := time.Now()
	method, pc, err := c.methodFlags.build(sys.matrix, sys.grid, sys.redis, sys.shape)
	if err != nil {
		return nil, nil, err
	}
	setup := time.Since(start).Seconds()
	res, err := iterateSolve(st, c, sys.op, sys.b, method, pc)
	if err != nil {
		return nil, nil, err
	}
	n, _ := sys.op.Dims()
	sum := st.summary().set("method", c.Method.String(), "pc", c.PC.String(), "n", n, "iterations", res.Iterations,
		"relres", trueRelres(sys.op, res.X, sys.b), "setup_seconds", setup, "threads", c.Threads,
		"mulvec", res.Stats.MulVec, "precon_solves", res.Stats.PreconSolve)
	sum.outcome("", &res.Outcome)
	if res.Message != "" {
		sum.set("message", res.Message)
	}
	if f, ok := pc.(direct.Factorization); ok {
		fs := f.Stats()
		sum.set("factorization", fs.Method, "ordering", fs.Ordering, "factor_nnz", fs.NNZ, "factor_flops", fs.Flops, "factor_seconds", fs.Seconds)
		f.Close()
	}
	if m, ok := pc.(*dcdm.Model); ok {
		sum.set("network_seconds", m.Seconds(), "conjugate", c.Conjugate)
	}
	if m, ok := pc.(*amg.AMG); ok {
		as := m.Stats()
		sum.set("amg_levels", len(as.Rows), "operator_complexity", as.OperatorComplexity, "grid_complexity", as.GridComplexity, "amg_coarsest", as.Coarsest, "amg_reordered", as.Reordered)
	}
	if sys.nnz > 0 {
		sum.set("nnz", sys.nnz)
	}
	switch {
	case c.Matrix != "":
		sum.set("matrix", c.Matrix)
	case c.Mesh != "":
		sum.set("mesh", c.Mesh)
	default:
		sum.set("problem", c.Problem)
	}
	sum.set("solve_seconds", res.Runtime.Seconds())
	if c.Out != "" {
		if err := writeSolution(st, c.Out, sys, res); err != nil {
			return nil, nil, err
		}
	}
	return sum, res, nil
}

// trueRelres returns ||b - A x|| / ||b|| computed afresh (the solver tests
// its recurrence residual), or ||b - A x|| when b = 0.
func trueRelres(a solvers.Operator, x, b []float64) float64 {
	r := make([]float64, len(b))
	a.MulVecTo(r, x)
	floats.Sub(r, b)
	if d, ok := a.(solvers.Distributed); ok {
		// The parts' squares summed over the ranks.
		sq := []float64{floats.Dot(r, r), floats.Dot(b, b)}
		d.Sum(sq)
		if sq[1] == 0 {
			return math.Sqrt(sq[0])
		}
		return math.Sqrt(sq[0] / sq[1])
	}
	rn, bn := floats.Norm(r, 2), floats.Norm(b, 2)
	if bn == 0 {
		return rn
	}
	return rn / bn
}

// iterateSolve runs the method on A x = b under the command's tolerances,
// with progress on stderr and the residual history kept.
func iterateSolve(st *stage, c *solveConfig, a solvers.Operator, b []float64, method solvers.Method, pc solvers.Preconditioner) (*solvers.Result, error) {
	cb, prog := iterations(st.stderr, "solve", "residual")
	defer prog.done()
	s := &solvers.Settings{Control: iterate.Control{Tolerance: c.RTol, AbsTolerance: c.ATol, MaxIterations: c.MaxIter, History: true, Callback: cb},
		Preconditioner: pc}
	res, err := solvers.Solve(st.ctx, a, b, method, s)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return res, nil
}

func writeSolution(st *stage, path string, sys *system, res *solvers.Result) error {
	f, err := st.createH5(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	shape := sys.shape
	if shape == nil {
		shape = []int{len(res.X)}
	}
	if err := h5.Write(f, "x", shape, res.X, nil); err != nil {
		return err
	}
	if err := h5.Write(f, "residual_history", []int{len(res.History)}, res.History, nil); err != nil {
		return err
	}
	for _, a := range []struct {
		k string
		v any
	}{{"iterations", res.Iterations}, {"relres", res.RelResidual}, {"reason", res.Reason.String()}} {
		if err := f.SetAttr("/", a.k, a.v); err != nil {
			return err
		}
	}
	return st.closeH5(f, path)
}
