package pde

import (
	"context"
	"fmt"
	"math"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/mg"
	"github.com/pdekit/pdekit/sparse"
)

// Elliptic solves the node-grid problems of the Darcy, Poisson, Helmholtz
// and heat data sets,
//
//	-div(a grad u) + shift u = f on (0,1)^2,  u = 0 on the boundary,
//
// on the n x n node grid x_i = i/(n-1) (boundary included, the layout of the
// published Darcy data; arrays row-major), by the 5-point scheme with face
// coefficients the arithmetic mean of the two nodes (FNO's solve_gwf.m).
// Darcy flow is a = the thresholded random field, f = 1, shift = 0;
// Helmholtz a = 1 and shift = -k^2; a Crank-Nicolson heat step shift =
// 2/dt.
//
// For shift >= 0 the operator is symmetric positive definite and the solver
// is conjugate gradients preconditioned by one multigrid V(1,1) cycle with
// Galerkin coarse operators; every n coarsens (421 nodes: 419, 209, 104, 52,
// ... interior points, the even levels not nested), and incomplete Cholesky
// is only the fallback if multigrid cannot be built. For shift < 0
// (indefinite Helmholtz) it is GMRES(30) preconditioned by multigrid on the
// unshifted operator. Preconditioner and Method report the choice.
//
// An Elliptic is not safe for concurrent use; use one per goroutine.
type Elliptic struct {
	n     int
	shift float64
	grid  *mesh.Grid
	set   solvers.Settings
	b, x0 []float64
	mat   *sparse.CSR
	pre   solvers.Preconditioner
	// Last holds the result of the last solve.
	Last *solvers.Result
	// Preconditioner names the preconditioner: "mg" or "ic0".
	Preconditioner string
	// Method names the Krylov method: "cg" or "gmres".
	Method string
}

// NewElliptic returns the solver on an n x n node grid (n >= 3) with the
// given shift and relative residual tolerance tol (zero means 1e-10). Call
// SetCoefficient before Solve.
func NewElliptic(n int, shift, tol float64) (*Elliptic, error) {
	if n < 3 {
		return nil, fmt.Errorf("pde: grid has %d nodes per side, want at least 3", n)
	}
	if math.IsNaN(shift) || math.IsInf(shift, 0) {
		return nil, fmt.Errorf("pde: shift is %v", shift)
	}
	if tol == 0 {
		tol = 1e-10
	}
	if !(tol > 0 && tol < 1) {
		return nil, fmt.Errorf("pde: tolerance %v, want in (0, 1)", tol)
	}
	g := mesh.NewGrid(mesh.Dirichlet, n-2, n-2)
	e := &Elliptic{n: n, shift: shift, grid: g, set: solvers.Settings{Control: iterate.Control{Tolerance: tol}},
		b: make([]float64, g.Len()), x0: make([]float64, g.Len()), Method: "cg"}
	if shift < 0 {
		e.Method = "gmres"
	}
	return e, nil
}

// SetCoefficient sets a (n*n node values; nil means a = 1) and builds the
// preconditioner. It returns an error for a non-positive or non-finite a.
func (e *Elliptic) SetCoefficient(a []float64) error {
	n := e.n
	if a == nil {
		a = make([]float64, n*n)
		for i := range a {
			a[i] = 1
		}
	}
	if len(a) != n*n {
		return fmt.Errorf("pde: coefficient has length %d, want %d", len(a), n*n)
	}
	op, err := mesh.NewDivGradNodes(e.grid, a, mesh.Arithmetic)
	if err != nil {
		return fmt.Errorf("pde: coefficient: %w", err)
	}
	base := op.ToCSR()
	if e.shift >= 0 {
		shiftDiagonal(base, e.shift)
		e.mat = base
	} else {
		e.mat = op.ToCSR()
		shiftDiagonal(e.mat, e.shift)
	}
	if m, err := mg.New(e.grid, base, nil); err == nil {
		e.pre, e.Preconditioner = m, "mg"
		return nil
	}
	ic, err := solvers.NewIC0(base)
	if err != nil {
		return fmt.Errorf("pde: preconditioner: %w", err)
	}
	e.pre, e.Preconditioner = ic, "ic0"
	return nil
}

// shiftDiagonal adds s to the diagonal entries of a (all present in a
// stencil matrix).
func shiftDiagonal(a *sparse.CSR, s float64) {
	if s == 0 {
		return
	}
	indptr, ind, val := a.RawCSR()
	for i := 0; i+1 < len(indptr); i++ {
		for k := indptr[i]; k < indptr[i+1]; k++ {
			if ind[k] == i {
				val[k] += s
			}
		}
	}
}

// Solve writes into u (n*n node values) the solution for the source f
// (nil means f = 1). On entry the interior of u is the initial guess (zero
// is fine); on return the boundary of u is zero. It returns an error for a
// bad source or a solve that does not reach the tolerance.
func (e *Elliptic) Solve(ctx context.Context, u, f []float64) error {
	n := e.n
	if e.mat == nil {
		return fmt.Errorf("pde: Solve before SetCoefficient")
	}
	if len(u) != n*n || (f != nil && len(f) != n*n) {
		return fmt.Errorf("pde: fields have lengths %d (u), %d (f), want %d", len(u), len(f), n*n)
	}
	m := n - 2
	for j := 0; j < m; j++ {
		for i := 0; i < m; i++ {
			p := (j+1)*n + i + 1
			v := 1.0
			if f != nil {
				v = f[p]
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("pde: source is %v at node (%d, %d)", v, j+1, i+1)
			}
			e.b[j*m+i] = v
			e.x0[j*m+i] = u[p]
		}
	}
	set := e.set
	set.Preconditioner = e.pre
	var method solvers.Method = &solvers.CG{}
	if e.shift < 0 {
		method = &solvers.GMRES{}
	}
	res, err := solvers.SolveTo(ctx, e.x0, e.mat, e.b, method, &set)
	if err != nil {
		return fmt.Errorf("pde: solve: %w", err)
	}
	e.Last = res
	if err := res.Err(); err != nil {
		return fmt.Errorf("pde: %s solve: %w", e.Method, err)
	}
	clear(u)
	for j := 0; j < m; j++ {
		copy(u[(j+1)*n+1:(j+1)*n+1+m], res.X[j*m:(j+1)*m])
	}
	return nil
}

// Apply writes the operator (with its shift) applied to the node values u
// into dst at the interior nodes; the boundary of dst is zero.
func (e *Elliptic) Apply(dst, u []float64) {
	n, m := e.n, e.n-2
	for j := 0; j < m; j++ {
		copy(e.x0[j*m:(j+1)*m], u[(j+1)*n+1:(j+1)*n+1+m])
	}
	e.mat.MulVecTo(e.b, e.x0)
	clear(dst)
	for j := 0; j < m; j++ {
		copy(dst[(j+1)*n+1:(j+1)*n+1+m], e.b[j*m:(j+1)*m])
	}
}

// Threshold writes into a the two-valued coefficient of the FNO Darcy data:
// hi where the field is >= 0 and lo elsewhere (12 and 3 in the published
// sets).
func Threshold(a, field []float64, hi, lo float64) {
	for i, v := range field {
		if v >= 0 {
			a[i] = hi
		} else {
			a[i] = lo
		}
	}
}
