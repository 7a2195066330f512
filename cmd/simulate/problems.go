package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pdekit/pdekit/io/msh"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/pde"
	"github.com/pdekit/pdekit/sparse"
)

// problemFlags are the parameters of the named problems.
type problemFlags struct {
	Problem string  `json:"problem"`
	N       int     `json:"n"`
	Eps     float64 `json:"eps,omitempty"`
	Peclet  float64 `json:"peclet,omitempty"`
	K       float64 `json:"k,omitempty"`
	Seed    uint64  `json:"seed,omitempty"`
	Shape   string  `json:"shape,omitempty"`
	Mesh    string  `json:"mesh,omitempty"`
}

func (p *problemFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.Problem, "problem", "poisson2d", "named problem: "+strings.Join(problemNames(), ", "))
	fs.IntVar(&p.N, "n", 64, "unknowns per side (Dirichlet interior points; cells for obstacles2d/3d; nodes, the boundary's included, for darcy2d)")
	fs.Float64Var(&p.Eps, "eps", 0.01, "anisotropic2d: diffusion in x relative to y")
	fs.Float64Var(&p.Peclet, "peclet", 10, "convdiff2d: Peclet number |b|/nu with nu = 1")
	fs.Float64Var(&p.K, "k", 10, "helmholtz2d: wave number")
	fs.Uint64Var(&p.Seed, "seed", 0, "obstacles2d/3d: seed of the obstacles and the right-hand side; darcy2d: of the coefficient")
	fs.StringVar(&p.Shape, "shape", "mixed", "obstacles2d/3d: spheres, boxes or mixed")
	fs.StringVar(&p.Mesh, "mesh", "", "instead of --problem: -Laplace u = 1, u = 0 on the boundary, P1 finite elements on this gmsh triangle mesh (.msh, ASCII 4.1 or 2.2)")
}

// problem is a built system: the operator (matrix-free on a plain grid),
// its grid (nil for the obstacle systems, which are assembled) and the
// right-hand side (a unit source, f = 1, on a plain grid: made only when
// asked for, so that a distributed solve makes only its part).
type problem struct {
	name string
	grid *mesh.Grid
	// shape is the cells per axis. Every named problem has as many along
	// each axis, so the axis order does not matter; it would, as the
	// mesh grids number axis 0 fastest (and dist's blocks assume it)
	// while the obstacle systems number the last axis fastest.
	shape []int
	op    interface {
		Dims() (int, int)
		MulVecTo(dst, x []float64)
		ToCSR() *sparse.CSR
	}
	rhs       []float64 // nil with unit
	unit      bool      // the right-hand side is all ones
	symmetric bool
	// rediscretize assembles the same problem on another grid (for
	// multigrid with rediscretized coarse operators).
	rediscretize func(g *mesh.Grid) *sparse.CSR
}

var problems = map[string]struct {
	dim   int
	sym   bool
	doc   string
	build func(g *mesh.Grid, p *problemFlags) *mesh.Stencil
}{
	"poisson2d": {2, true, "-Laplace u = 1 on the unit square, u = 0 on the boundary",
		func(g *mesh.Grid, _ *problemFlags) *mesh.Stencil { return mesh.NewLaplacian(g) }},
	"poisson3d": {3, true, "-Laplace u = 1 on the unit cube, u = 0 on the boundary",
		func(g *mesh.Grid, _ *problemFlags) *mesh.Stencil { return mesh.NewLaplacian(g) }},
	"anisotropic2d": {2, true, "-(eps u_xx + u_yy) = 1, u = 0 on the boundary",
		func(g *mesh.Grid, p *problemFlags) *mesh.Stencil {
			return mesh.NewAnisotropic(g, []float64{p.Eps, 1}, 0)
		}},
	"convdiff2d": {2, false, "-Laplace u + b . grad u = 1, b = peclet (1, 1)/sqrt 2, upwind, nonsymmetric",
		func(g *mesh.Grid, p *problemFlags) *mesh.Stencil {
			b := p.Peclet / 1.4142135623730951
			return mesh.NewConvDiff(g, 1, []float64{b, b}, mesh.Upwind)
		}},
	"helmholtz2d": {2, true, "-Laplace u - k^2 u = 1, u = 0 on the boundary (indefinite once k^2 > 2 pi^2)",
		func(g *mesh.Grid, p *problemFlags) *mesh.Stencil { return mesh.NewHelmholtz(g, p.K) }},
}

// matrixProblems are the named problems assembled as matrices on grids
// with obstacles (the deep conjugate-direction method's systems).
var matrixProblems = map[string]struct {
	dim int
	doc string
}{
	"obstacles2d": {2, "pressure Poisson on n x n cells with solid obstacles (--shape, --seed), open top, b = -div of a plume"},
	"obstacles3d": {3, "the same on n^3 cells"},
	"lshape":      {2, "-Laplace u = 1, u = 0 on the boundary, P1 finite elements on a gmsh Delaunay mesh (size 1/n) of the L-shaped [-1,1]^2 minus [0,1]^2 with a round hole placed by --seed; needs gmsh"},
	"darcy2d":     {2, "-div(a grad u) = 1, u = 0 on the boundary of the n x n node grid, a the thresholded random field (12 or 3) of sample 0 of 'generate darcy --n n --seed s'"},
}

// csrOp is an assembled matrix as a problem's operator.
type csrOp struct{ *sparse.CSR }

// ToCSR returns the matrix.
func (a csrOp) ToCSR() *sparse.CSR { return a.CSR }

func problemNames() []string {
	var s []string
	for k := range problems {
		s = append(s, k)
	}
	for k := range matrixProblems {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// buildObstacles builds an obstacle system.
func (p *problemFlags) buildObstacles(dim int) (*problem, error) {
	if p.N > map[int]int{2: 4096, 3: 256}[dim] {
		return nil, usageErr("--n %d is too large for %s", p.N, p.Problem)
	}
	sys, err := pde.Obstacles{Dim: dim, N: p.N, Shape: p.Shape, Seed: p.Seed}.Build()
	if err != nil {
		return nil, usageErr("%s: %v", p.Problem, err)
	}
	return &problem{name: p.Problem, shape: sys.Shape, op: csrOp{sys.A}, rhs: sys.B, symmetric: true}, nil
}

// buildDarcy builds the Darcy system of 'generate darcy' (FNO's): the
// unknowns are the interior nodes, the grid the Dirichlet grid of them, so
// that geometric multigrid applies too.
func (p *problemFlags) buildDarcy() (*problem, error) {
	if p.N < 5 || p.N > 8193 {
		return nil, usageErr("--n %d: darcy2d wants 5 to 8193 nodes per side", p.N)
	}
	d := pde.DarcyData{N: p.N, Seed: p.Seed}
	d.Defaults()
	a, err := d.Coefficient(0)
	if err != nil {
		return nil, usageErr("darcy2d: %v", err)
	}
	g := mesh.NewGrid(mesh.Dirichlet, p.N-2, p.N-2)
	op, err := mesh.NewDivGradNodes(g, a, mesh.Arithmetic)
	if err != nil {
		return nil, usageErr("darcy2d: %v", err)
	}
	return &problem{name: p.Problem, grid: g, shape: []int{p.N - 2, p.N - 2}, op: op, rhs: ones(g.Len()), symmetric: true}, nil
}

// femProblem is the P1 Poisson system (f = 1) on a triangulation.
func femProblem(name string, t *mesh.Triangulation) (*problem, error) {
	a, b, _, err := t.Poisson(nil)
	if err != nil {
		return nil, usageErr("%s: %v", name, err)
	}
	return &problem{name: name, op: csrOp{a}, rhs: b, symmetric: true}, nil
}

// lshapeGeo is the gmsh geometry of the lshape problem: the L-shaped
// domain with a round hole; %[1]g is the mesh size, %[2]g, %[3]g the
// hole's centre and %[4]g its radius.
const lshapeGeo = `h = %[1]g;
Point(1) = {-1, -1, 0, h}; Point(2) = {1, -1, 0, h}; Point(3) = {1, 0, 0, h};
Point(4) = {0, 0, 0, h}; Point(5) = {0, 1, 0, h}; Point(6) = {-1, 1, 0, h};
Line(1) = {1, 2}; Line(2) = {2, 3}; Line(3) = {3, 4}; Line(4) = {4, 5}; Line(5) = {5, 6}; Line(6) = {6, 1};
Curve Loop(1) = {1, 2, 3, 4, 5, 6};
Point(7) = {%[2]g, %[3]g, 0, h}; Point(8) = {%[2]g + %[4]g, %[3]g, 0, h}; Point(9) = {%[2]g - %[4]g, %[3]g, 0, h};
Circle(7) = {8, 7, 9}; Circle(8) = {9, 7, 8};
Curve Loop(2) = {7, 8};
Plane Surface(1) = {1, 2};
Physical Surface("domain") = {1};
`

// buildLShape meshes the lshape domain with gmsh (one thread, so the same
// --n and --seed give the same mesh) and assembles its P1 system.
func (p *problemFlags) buildLShape() (*problem, error) {
	if p.N < 2 || p.N > 2000 {
		return nil, usageErr("--n %d: lshape wants a mesh size 1/n with n from 2 to 2000", p.N)
	}
	gmsh, err := exec.LookPath("gmsh")
	if err != nil {
		return nil, usageErr("problem lshape needs the mesher gmsh on PATH (Debian: apt-get install gmsh): %v", err)
	}
	rnd := rand.New(rand.NewPCG(p.Seed, 0x15a9e))
	cx, cy, r := -0.5+0.2*(2*rnd.Float64()-1), -0.5+0.2*(2*rnd.Float64()-1), 0.1+0.1*rnd.Float64()
	dir, err := os.MkdirTemp("", "lshape")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	geo, out := filepath.Join(dir, "lshape.geo"), filepath.Join(dir, "lshape.msh")
	if err := os.WriteFile(geo, []byte(fmt.Sprintf(lshapeGeo, 1/float64(p.N), cx, cy, r)), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(gmsh, "-2", "-nt", "1", "-format", "msh41", "-o", out, geo)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("gmsh: %v\n%s", err, msg)
	}
	t, err := msh.ReadFile(out)
	if err != nil {
		return nil, err
	}
	return femProblem("lshape", t)
}

// build validates the flags and builds the problem.
func (p *problemFlags) build() (*problem, error) {
	switch {
	case p.Mesh != "":
		t, err := msh.ReadFile(p.Mesh)
		if err != nil {
			return nil, usageErr("--mesh: %v", err)
		}
		return femProblem("mesh", t)
	case p.Problem == "darcy2d":
		return p.buildDarcy()
	case p.Problem == "lshape":
		return p.buildLShape()
	}
	if mp, ok := matrixProblems[p.Problem]; ok {
		return p.buildObstacles(mp.dim)
	}
	spec, ok := problems[p.Problem]
	if !ok {
		return nil, usageErr("unknown problem %q (known: %s)", p.Problem, strings.Join(problemNames(), ", "))
	}
	if p.N < 1 {
		return nil, usageErr("--n must be at least 1, got %d", p.N)
	}
	if spec.dim == 3 && p.N > 400 || spec.dim == 2 && p.N > 20000 {
		return nil, usageErr("--n %d is too large for %s", p.N, p.Problem)
	}
	if p.Problem == "anisotropic2d" && !(p.Eps > 0) {
		return nil, usageErr("--eps must be positive, got %v", p.Eps)
	}
	n := make([]int, spec.dim)
	for i := range n {
		n[i] = p.N
	}
	g := mesh.NewGrid(mesh.Dirichlet, n...)
	redis := func(g *mesh.Grid) *sparse.CSR { return spec.build(g, p).ToCSR() }
	return &problem{name: p.Problem, grid: g, shape: n, op: spec.build(g, p), unit: true, symmetric: spec.sym, rediscretize: redis}, nil
}

// b returns the right-hand side, made whole on the first call of a unit
// one.
func (p *problem) b() []float64 {
	if p.rhs == nil && p.unit {
		n, _ := p.op.Dims()
		p.rhs = ones(n)
	}
	return p.rhs
}

// bRows returns the right-hand side's entries of the rows: of a unit one
// without making it whole.
func (p *problem) bRows(rows []int) []float64 {
	if p.rhs == nil && p.unit {
		return ones(len(rows))
	}
	b := make([]float64, len(rows))
	for i, g := range rows {
		b[i] = p.rhs[g]
	}
	return b
}

// usageError is bad usage or bad input: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}
