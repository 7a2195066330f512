package ode

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/solvers/direct"
	"github.com/pdekit/pdekit/sparse"
)

// Radau5 is the three-stage Radau IIA method of Hairer and Wanner (Solving
// ODEs II, section IV.8, their code RADAU5; SciPy's Radau follows the same
// scheme): implicit collocation at c = (4 - sqrt 6)/10, (4 + sqrt 6)/10, 1,
// order 5, L-stable and stiffly accurate. Each step solves the collocation
// equations by a simplified Newton iteration (at most 6 iterations) in the
// variables that diagonalise the method's matrix: one real system with
// mu_r/h I - J and one complex one with mu_c/h I - J. Unlike a Rosenbrock
// method, Radau keeps both factorisations while the step size stays (a
// new step within 1.2x of the last keeps h) and the Jacobian while Newton
// converges fast, so a stiff problem costs few Jacobians and
// factorisations. The error estimate is Hairer's (order 3, filtered
// through the real factorisation); the step size follows Gustafsson's
// predictive controller; the dense output is the collocation polynomial.
//
// Its fields are Rosenbrock23's Jacobian options: dense by finite
// differences (CentralDiff: central ones) or Jac; with Sparsity, a sparse
// Jacobian (SparseJac, or coloured differences) and both systems factored
// by sparse LU (UMFPACK, package solvers/direct; the complex one by its
// complex routines, half the flops of the real form of twice the size),
// each analysed once and refactored on the same ordering. Autonomous and DirectW do not apply.
type Radau5 Rosenbrock23

func (r Radau5) newIntegrator(f Func, s *Settings) integrator {
	ro := Rosenbrock23(r).integrator(f, s, nil).(*rosenbrock)
	// The first step as SciPy's Radau chooses it (its error order 3, the
	// exponent 1/(3+1)): with the Rosenbrock methods' 1/2 the Brusselator
	// started at 1e-7 where SciPy starts at 3e-5, and spent its first
	// steps growing back.
	ro.startExp = 4
	return &radau{rosenbrock: ro}
}

// The method's constants: nodes, the eigenvalues of the inverse of its
// matrix A (mu_r real, mu_c = alpha - i beta), the transformation T with
// TI = T^-1 (TI A^-1 T = diag(mu_r, [[alpha, beta], [-beta, alpha]])),
// the error estimate's weights and the collocation polynomial's
// coefficients (Z_j = sum_k P[j][k] ...: see Dense). radau_test.go checks
// them against A.
var (
	radauS6 = math.Sqrt(6)
	radauC  = [3]float64{(4 - radauS6) / 10, (4 + radauS6) / 10, 1}
	radauMu = 3 + math.Cbrt(9) - math.Cbrt(3)
	// alpha - i beta.
	radauMuC = complex(3+0.5*(math.Cbrt(3)-math.Cbrt(9)), -0.5*(math.Pow(3, 5.0/6)+math.Pow(3, 7.0/6)))
	radauT   = [3][3]float64{
		{0.09443876248897524, -0.14125529502095421, 0.03002919410514742},
		{0.25021312296533332, 0.20412935229379994, -0.38294211275726192},
		{1, 1, 0}}
	radauTI = [3][3]float64{
		{4.17871859155190428, 0.32768282076106237, 0.52337644549944951},
		{-4.17871859155190428, -0.32768282076106237, 0.47662355450055044},
		{0.50287263494578682, -2.57192694985560522, 0.59603920482822492}}
	// Weights of h f0 + sum_j E_j Z_j, zero on cubics: an O(h^4) estimate.
	radauE = [3]float64{(-13 - 7*radauS6) / 3, (-13 + 7*radauS6) / 3, -1.0 / 3}
	// The collocation polynomial u(x) = sum_k Q_k x^(k+1) through
	// u(c_j) = Z_j: Q_k = sum_j radauP[j][k] Z_j.
	radauP = [3][3]float64{
		{13.0/3 + 7*radauS6/3, -23.0/3 - 22*radauS6/3, 10.0/3 + 5*radauS6},
		{13.0/3 - 7*radauS6/3, -23.0/3 + 22*radauS6/3, 10.0/3 - 5*radauS6},
		{1.0 / 3, -8.0 / 3, 10.0 / 3}}
)

const (
	radauNewtonMax = 6
	radauMinFactor = 0.2
	radauMaxFactor = 10
)

// radau is the Radau IIA integrator. It borrows the Rosenbrock
// integrator's set-up, counters and Jacobian (dense or sparse).
type radau struct {
	*rosenbrock

	z, w, dw, fs, q [3][]float64 // stage increments, transformed, Newton updates, stage values, dense output
	scale, errv, ze []float64
	ynew            []float64
	rc, xc          []float64 // the complex system's right-hand side and solution, real and imaginary halves
	hLU             float64   // the signed step of the factorisations (0: none)
	jacFresh        bool      // the Jacobian is at the current point
	haveQ           bool      // q holds the last step's polynomial
	hOld, errOld    float64   // the last accepted step and its error, for the controller
	newtonTol       float64

	// Dense linear algebra.
	e1, e2     *mat.Dense
	lu1, lu2   mat.LU
	v1, v2, b2 *mat.VecDense
	// Sparse: both systems on the Jacobian's pattern, the real one's
	// values in s1, the complex one's in c2re + i c2im, with their LUs;
	// the complex solve's right-hand side and solution, split.
	s1             *sparse.CSR
	d1             *direct.LU
	d2             *direct.ComplexLU
	c2re, c2im     []float64
	br, bi, xr, xi []float64
}

// Init implements integrator.
func (r *radau) Init(t0 float64, y0 []float64, t1 float64) error {
	if err := r.rosenbrock.Init(t0, y0, t1); err != nil {
		return err
	}
	n := len(y0)
	for j := 0; j < 3; j++ {
		r.z[j], r.w[j], r.dw[j], r.fs[j], r.q[j] = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	}
	r.scale, r.errv, r.ze, r.ynew = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	r.rc, r.xc = make([]float64, 2*n), make([]float64, 2*n)
	r.hLU, r.jacFresh, r.haveQ, r.hOld, r.errOld = 0, false, false, 0, 0
	rtol := r.set.Tolerance
	r.newtonTol = math.Max(10*2.2e-16/math.Max(rtol, 1e-300), math.Min(0.03, math.Sqrt(rtol)))
	if r.sp == nil {
		r.e1, r.e2 = mat.NewDense(n, n, nil), mat.NewDense(2*n, 2*n, nil)
		r.v1, r.v2, r.b2 = mat.NewVecDense(n, nil), mat.NewVecDense(2*n, nil), mat.NewVecDense(2*n, nil)
		return nil
	}
	sp := r.sp
	var err error
	if r.s1, err = sparse.NewCSR(n, n, sp.ptr, sp.ind, make([]float64, len(sp.ind))); err != nil {
		return err
	}
	nnz := len(sp.ind)
	r.c2re, r.c2im = make([]float64, nnz), make([]float64, nnz)
	r.br, r.bi, r.xr, r.xi = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	return nil
}

// factor forms and factors mu_r/h I - J and the real form of
// mu_c/h I - J for the signed step hs.
func (r *radau) factor(hs float64) error {
	ar := radauMu / hs
	mc := radauMuC / complex(hs, 0)
	a, b := real(mc), imag(mc)
	n := len(r.y)
	r.hLU = 0
	r.stats.Factorizations++
	if r.sp == nil {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				v := -r.J.At(i, j)
				r.e1.Set(i, j, v)
				r.e2.Set(2*i, 2*j, v)
				r.e2.Set(2*i+1, 2*j+1, v)
			}
			r.e1.Set(i, i, r.e1.At(i, i)+ar)
			r.e2.Set(2*i, 2*i, r.e2.At(2*i, 2*i)+a)
			r.e2.Set(2*i+1, 2*i+1, r.e2.At(2*i+1, 2*i+1)+a)
			r.e2.Set(2*i, 2*i+1, -b)
			r.e2.Set(2*i+1, 2*i, b)
		}
		r.lu1.Factorize(r.e1)
		r.lu2.Factorize(r.e2)
		if r.lu1.Det() == 0 || r.lu2.Det() == 0 {
			return &Error{T: r.t, Kind: NonFinite, Msg: "a Radau iteration matrix (mu/h I - J) is singular"}
		}
		r.hLU = hs
		return nil
	}
	sp := r.sp
	_, _, d1 := r.s1.RawCSR()
	for k, v := range sp.jv {
		d1[k] = -v
		r.c2re[k] = -v
		r.c2im[k] = 0
	}
	for _, k := range sp.diag {
		d1[k] += ar
		r.c2re[k] += a
		r.c2im[k] = b
	}
	var err error
	if r.d1 != nil {
		err = r.d1.Refactor(r.s1)
	} else if r.d1, err = direct.NewLU(r.s1); err == nil {
		// The Newton iteration and the error estimate need no more than
		// the factorisation's own accuracy.
		r.d1.SetRefinement(0)
	}
	if err == nil {
		if r.d2 != nil {
			err = r.d2.Refactor(r.c2re, r.c2im)
		} else if r.d2, err = direct.NewComplexLU(n, sp.ptr, sp.ind, r.c2re, r.c2im); err == nil {
			r.d2.SetRefinement(0)
		}
	}
	if err != nil {
		return &Error{T: r.t, Kind: NonFinite, Msg: "Radau iteration matrix: " + err.Error()}
	}
	r.hLU = hs
	return nil
}

// solveReal solves (mu_r/h I - J) x = b.
func (r *radau) solveReal(x, b []float64) error {
	r.stats.LinearSolves++
	if r.sp != nil {
		return r.d1.SolveTo(x, b)
	}
	return r.lu1.SolveVecTo(mat.NewVecDense(len(x), x), false, mat.NewVecDense(len(b), b))
}

// solveComplex solves (mu_c/h I - J) x = b, b and x with real and
// imaginary parts interleaved (the dense path's real form).
func (r *radau) solveComplex(x, b []float64) error {
	r.stats.LinearSolves++
	if r.sp == nil {
		return r.lu2.SolveVecTo(mat.NewVecDense(len(x), x), false, mat.NewVecDense(len(b), b))
	}
	for i := range r.br {
		r.br[i], r.bi[i] = b[2*i], b[2*i+1]
	}
	if err := r.d2.SolveTo(r.xr, r.xi, r.br, r.bi); err != nil {
		return err
	}
	for i := range r.xr {
		x[2*i], x[2*i+1] = r.xr[i], r.xi[i]
	}
	return nil
}

// newton solves the collocation equations of the step hs from the guess
// in r.z; it reports convergence, the iterations and the last
// contraction rate.
func (r *radau) newton(hs float64) (bool, int, float64, error) {
	n := len(r.y)
	for j := 0; j < 3; j++ {
		for i := 0; i < n; i++ {
			r.w[j][i] = radauTI[j][0]*r.z[0][i] + radauTI[j][1]*r.z[1][i] + radauTI[j][2]*r.z[2][i]
		}
	}
	ar := radauMu / hs
	mc := radauMuC / complex(hs, 0)
	a, b := real(mc), imag(mc)
	var normOld, rate float64 = -1, -1
	for k := 0; k < radauNewtonMax; k++ {
		for j := 0; j < 3; j++ {
			for i := range r.tmp {
				r.tmp[i] = r.y[i] + r.z[j][i]
			}
			if err := r.eval(r.fs[j], r.t+radauC[j]*hs, r.tmp); err != nil {
				// A non-finite stage value: the iteration fails, and a
				// smaller step is tried.
				if e, ok := err.(*Error); ok && e.Kind == NonFinite {
					return false, k + 1, rate, nil
				}
				return false, k + 1, rate, err
			}
		}
		for i := 0; i < n; i++ {
			f0, f1, f2 := r.fs[0][i], r.fs[1][i], r.fs[2][i]
			r.errv[i] = radauTI[0][0]*f0 + radauTI[0][1]*f1 + radauTI[0][2]*f2 - ar*r.w[0][i]
			fr := radauTI[1][0]*f0 + radauTI[1][1]*f1 + radauTI[1][2]*f2
			fi := radauTI[2][0]*f0 + radauTI[2][1]*f1 + radauTI[2][2]*f2
			// (a + i b)(w1 + i w2) subtracted.
			w1, w2 := r.w[1][i], r.w[2][i]
			r.rc[2*i] = fr - (a*w1 - b*w2)
			r.rc[2*i+1] = fi - (a*w2 + b*w1)
		}
		if err := r.solveReal(r.dw[0], r.errv); err != nil {
			return false, k + 1, rate, err
		}
		if err := r.solveComplex(r.xc, r.rc); err != nil {
			return false, k + 1, rate, err
		}
		for i := 0; i < n; i++ {
			r.dw[1][i], r.dw[2][i] = r.xc[2*i], r.xc[2*i+1]
		}
		var s float64
		for j := 0; j < 3; j++ {
			for i, v := range r.dw[j] {
				v /= r.scale[i]
				s += v * v
			}
		}
		norm := math.Sqrt(s / float64(3*n))
		if math.IsNaN(norm) {
			return false, k + 1, rate, nil
		}
		if normOld >= 0 {
			rate = norm / normOld
		}
		if rate >= 0 && (rate >= 1 || math.Pow(rate, float64(radauNewtonMax-k))/(1-rate)*norm > r.newtonTol) {
			return false, k + 1, rate, nil
		}
		for j := 0; j < 3; j++ {
			for i := range r.w[j] {
				r.w[j][i] += r.dw[j][i]
			}
		}
		for j := 0; j < 3; j++ {
			for i := 0; i < n; i++ {
				r.z[j][i] = radauT[j][0]*r.w[0][i] + radauT[j][1]*r.w[1][i] + radauT[j][2]*r.w[2][i]
			}
		}
		if norm == 0 || rate >= 0 && rate/(1-rate)*norm < r.newtonTol {
			return true, k + 1, rate, nil
		}
		normOld = norm
	}
	return false, radauNewtonMax, rate, nil
}

// errorNorm returns the scaled RMS of the error estimate, err =
// (mu_r/h I - J)^-1 (g + sum_j E_j Z_j / h) with g = f(t, y), or with g
// = f(t, y + err) (the refined estimate after a rejection) when refine.
func (r *radau) errorNorm(hs float64, ynew []float64, refine bool) (float64, error) {
	for i := range r.ze {
		r.ze[i] = (radauE[0]*r.z[0][i] + radauE[1]*r.z[1][i] + radauE[2]*r.z[2][i]) / hs
	}
	g := r.f0
	if refine {
		for i := range r.tmp {
			r.tmp[i] = r.y[i] + r.errv[i]
		}
		if err := r.eval(r.k1, r.t, r.tmp); err != nil {
			return math.NaN(), err
		}
		g = r.k1
	}
	for i := range r.tmp {
		r.tmp[i] = g[i] + r.ze[i]
	}
	if err := r.solveReal(r.errv, r.tmp); err != nil {
		return math.NaN(), err
	}
	var s float64
	for i, e := range r.errv {
		sc := r.set.AbsTolerance + r.set.Tolerance*math.Max(math.Abs(r.y[i]), math.Abs(ynew[i]))
		s += (e / sc) * (e / sc)
	}
	return math.Sqrt(s / float64(len(r.errv))), nil
}

// Step implements integrator.
func (r *radau) Step() (StepInfo, error) {
	info := StepInfo{T0: r.t}
	n := len(r.y)
	if !r.f0Valid {
		if err := r.eval(r.f0, r.t, r.y); err != nil {
			return info, err
		}
		r.f0Valid = true
	}
	if r.stats.JacEvals == 0 {
		if err := r.jacobian(); err != nil {
			return info, err
		}
		r.jacFresh = true
	}
	for i := range r.scale {
		r.scale[i] = r.set.AbsTolerance + r.set.Tolerance*math.Abs(r.y[i])
	}
	rejected := false
	for {
		h, last, err := nextStep(r.stats, &r.set, r.t, r.t1, r.dir, r.h)
		if err != nil {
			return info, err
		}
		hs := r.dir * h
		if hs != r.hLU {
			if err := r.factor(hs); err != nil {
				return info, err
			}
		}
		// The guess: the last step's collocation polynomial, extended.
		for j := 0; j < 3; j++ {
			if !r.haveQ {
				clear(r.z[j])
				continue
			}
			x := 1 + radauC[j]*hs/r.hLast
			for i := 0; i < n; i++ {
				r.z[j][i] = r.y0[i] + x*(r.q[0][i]+x*(r.q[1][i]+x*r.q[2][i])) - r.y[i]
			}
		}
		ok, iters, rate, err := r.newton(hs)
		if err != nil {
			return info, err
		}
		if !ok {
			if !r.jacFresh {
				if err := r.jacobian(); err != nil {
					return info, err
				}
				r.jacFresh = true
				r.hLU = 0
				continue
			}
			if r.set.Fixed {
				return info, &Error{T: r.t, Kind: NoConvergence, Msg: fmt.Sprintf("the Radau Newton iteration did not converge at the fixed step %g", h)}
			}
			r.stats.Rejected++
			info.Rejected++
			r.h = 0.5 * h
			continue
		}
		ynew := r.ynew
		for i := range ynew {
			ynew[i] = r.y[i] + r.z[2][i]
		}
		eest, err := r.errorNorm(hs, ynew, false)
		if err != nil {
			return info, err
		}
		if eest > 1 && rejected {
			if eest, err = r.errorNorm(hs, ynew, true); err != nil {
				return info, err
			}
		}
		if math.IsNaN(eest) {
			return info, &Error{T: r.t, Kind: NonFinite, Msg: "the error estimate is NaN"}
		}
		safety := 0.9 * float64(2*radauNewtonMax+1) / float64(2*radauNewtonMax+iters)
		if eest > 1 && !r.set.Fixed {
			r.stats.Rejected++
			info.Rejected++
			rejected = true
			r.h = h * math.Max(radauMinFactor, safety*math.Pow(eest, -0.25))
			continue
		}
		// Accepted.
		recompute := iters > 2 && rate > 1e-3
		factor := float64(radauMaxFactor)
		if eest > 0 {
			mult := 1.0
			if r.hOld > 0 && r.errOld > 0 {
				mult = h / r.hOld * math.Pow(r.errOld/eest, 0.25)
			}
			factor = math.Min(radauMaxFactor, safety*math.Min(1, mult)*math.Pow(eest, -0.25))
		}
		if !recompute && factor < 1.2 {
			factor = 1
		}
		for j := 0; j < 3; j++ {
			for i := 0; i < n; i++ {
				r.q[j][i] = radauP[0][j]*r.z[0][i] + radauP[1][j]*r.z[1][i] + radauP[2][j]*r.z[2][i]
			}
		}
		r.haveQ = true
		r.y0, r.y, r.ynew = r.y, ynew, r.y0
		r.advance(hs, last, eest, &info)
		r.hOld, r.errOld = h, math.Max(eest, 1e-10)
		if !r.set.Fixed {
			r.h = h * factor
		}
		if err := r.eval(r.f0, r.t, r.y); err != nil {
			return info, err
		}
		r.jacFresh = false
		if recompute {
			if err := r.jacobian(); err != nil {
				return info, err
			}
			r.jacFresh = true
			r.hLU = 0
		}
		return info, nil
	}
}

// Dense implements integrator: the last step's collocation polynomial,
// y(t0 + x h) = y0 + sum_k Q_k x^(k+1).
func (r *radau) Dense(dst []float64, t float64) error {
	x, err := theta(t, r.t, r.hLast)
	if err != nil {
		return err
	}
	for i := range dst {
		dst[i] = r.y0[i] + x*(r.q[0][i]+x*(r.q[1][i]+x*r.q[2][i]))
	}
	return nil
}
