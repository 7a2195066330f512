package sketchnewton

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Problem is the equality-constrained program min f(x) s.t. c(x) = 0 with
// x in R^n and c(x) in R^m, m <= n. Its Lagrangian is L = f + lambda^T c.
type Problem interface {
	// Dims returns n, the number of variables, and m, the number of
	// constraints.
	Dims() (n, m int)
	// Func returns f(x).
	Func(x []float64) float64
	// Grad writes the gradient of f at x into dst.
	Grad(dst, x []float64)
	// Cons writes c(x) into dst.
	Cons(dst, x []float64)
	// Jac returns the m x n constraint Jacobian at x, dense (*mat.Dense)
	// or sparse (*sparse.CSR); it may reuse its storage between calls.
	Jac(x []float64) mat.Matrix
	// HessLag returns the n x n Hessian of the Lagrangian at (x, lambda),
	// dense or sparse and symmetric; it may reuse its storage.
	HessLag(x, lambda []float64) mat.Matrix
}

// DerivativeError is one mismatch found by CheckDerivatives.
type DerivativeError struct {
	// What is "gradient", "jacobian" or "hessian".
	What string
	// I, J locate the entry (J is unused for the gradient).
	I, J int
	// Given is the user's value and FD the central difference.
	Given, FD float64
}

// Error implements the error interface.
func (e DerivativeError) Error() string {
	return fmt.Sprintf("sketchnewton: %s entry (%d, %d) is %.10g, central difference %.10g", e.What, e.I, e.J, e.Given, e.FD)
}

// CheckDerivatives compares the problem's gradient, Jacobian and Hessian of
// the Lagrangian at (x, lambda) with central differences of Func, Cons and
// Grad/Jac (step h = 1e-6 max(1, |x_j|)), and returns the first entry whose
// error exceeds tol (1e-5 when zero) relative to max(1, |FD|), or nil.
// Users call it on their own derivatives before solving.
func CheckDerivatives(p Problem, x, lambda []float64, tol float64) error {
	n, m := p.Dims()
	if len(x) != n || len(lambda) != m {
		return fmt.Errorf("sketchnewton: CheckDerivatives with len(x) = %d, len(lambda) = %d for a problem of size %d x %d", len(x), len(lambda), n, m)
	}
	if tol == 0 {
		tol = 1e-5
	}
	xp := append([]float64(nil), x...)
	step := func(j int) float64 { return 1e-6 * math.Max(1, math.Abs(x[j])) }
	bad := func(given, fd float64) bool { return math.Abs(given-fd) > tol*math.Max(1, math.Abs(fd)) }

	g := make([]float64, n)
	p.Grad(g, x)
	jac := mat.DenseCopyOf(p.Jac(x))
	hess := mat.DenseCopyOf(p.HessLag(x, lambda))
	cp, cm := make([]float64, m), make([]float64, m)
	gp, gm := make([]float64, n), make([]float64, n)
	// gradLag writes grad_x L = grad f + J^T lambda at xp into dst.
	gradLag := func(dst []float64) {
		p.Grad(dst, xp)
		jt := p.Jac(xp)
		for i := 0; i < m; i++ {
			for k := 0; k < n; k++ {
				dst[k] += lambda[i] * jt.At(i, k)
			}
		}
	}
	for j := 0; j < n; j++ {
		h := step(j)
		xp[j] = x[j] + h
		fp := p.Func(xp)
		p.Cons(cp, xp)
		gradLag(gp)
		xp[j] = x[j] - h
		fm := p.Func(xp)
		p.Cons(cm, xp)
		gradLag(gm)
		xp[j] = x[j]
		if fd := (fp - fm) / (2 * h); bad(g[j], fd) {
			return DerivativeError{What: "gradient", I: j, Given: g[j], FD: fd}
		}
		for i := 0; i < m; i++ {
			if fd := (cp[i] - cm[i]) / (2 * h); bad(jac.At(i, j), fd) {
				return DerivativeError{What: "jacobian", I: i, J: j, Given: jac.At(i, j), FD: fd}
			}
		}
		for i := 0; i < n; i++ {
			if fd := (gp[i] - gm[i]) / (2 * h); bad(hess.At(i, j), fd) {
				return DerivativeError{What: "hessian", I: i, J: j, Given: hess.At(i, j), FD: fd}
			}
		}
	}
	return nil
}

// Ones returns the start of the paper's code for the logistic regression
// and PDE problems: x0 and lambda0 all ones.
func Ones(p Problem) (x0, lambda0 []float64) {
	n, m := p.Dims()
	x0, lambda0 = make([]float64, n), make([]float64, m)
	for i := range x0 {
		x0[i] = 1
	}
	for i := range lambda0 {
		lambda0[i] = 1
	}
	return x0, lambda0
}
