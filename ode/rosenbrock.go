package ode

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/sparse"
)

// Method is an integration method: a *Tableau for the explicit
// Runge-Kutta methods, or Rosenbrock23 for stiff problems.
type Method interface {
	newIntegrator(f Func, s *Settings) integrator
}

// integrator is what Solve drives.
type integrator interface {
	Init(t0 float64, y0 []float64, t1 float64) error
	Step() (StepInfo, error)
	State() (float64, []float64)
	Dense(dst []float64, t float64) error
	Stats() Stats
	Done() bool
	settings() *Settings
}

func (t *Tableau) newIntegrator(f Func, s *Settings) integrator { return NewExplicit(t, f, s) }
func (e *Explicit) settings() *Settings                         { return &e.set }

// Rosenbrock23 is the L-stable Rosenbrock-W method of Shampine and
// Reichelt (MATLAB's ode23s, OrdinaryDiffEq's Rosenbrock23): order 2 with
// a 3rd-order error estimate and a free dense output, three function
// evaluations and one factorization of W = I - h d J (d = 1/(2+sqrt 2))
// per step. Jac gives the Jacobian df/dy; nil means forward differences
// (n evaluations of f, counted). The time derivative df/dt is taken by one
// forward difference.
//
// For large systems (method-of-lines PDEs) set Sparsity, the pattern of
// df/dy (its values are ignored): the Jacobian is then kept sparse, given
// by SparseJac on that pattern or by forward differences on column groups
// of a colouring (as many evaluations of f as colours: 3 for a 1-D
// three-point stencil, 5 for a 2-D five-point one), and W is solved by
// ILU(0)-preconditioned GMRES (package solvers) to a relative residual of
// 1e-12 instead of dense LU.
//
// DirectW, with Sparsity, factors W by a sparse LU (UMFPACK, package
// solvers/direct) instead of solving it by ILU(0)-GMRES: the right choice
// when W is far from the identity (stiff diffusion at large steps), where
// GMRES needs many iterations per solve.
//
// Autonomous declares that f does not depend on t, which saves the
// evaluation of the time derivative on every step (RODAS's IFCN = 0).
// CentralDiff takes the finite-difference Jacobian, dense or sparse, by
// central differences (twice the evaluations, accurate to about eps^(2/3)
// instead of eps^(1/2)); Rosenbrock methods need an accurate Jacobian for
// their order, which shows at tolerances below about 1e-7 (Rodas5 always
// uses them).
type Rosenbrock23 struct {
	Jac         func(dst *mat.Dense, t float64, y []float64)
	Sparsity    *sparse.CSR
	SparseJac   func(dst *sparse.CSR, t float64, y []float64)
	Autonomous  bool
	CentralDiff bool
	DirectW     bool
}

func (r Rosenbrock23) newIntegrator(f Func, s *Settings) integrator { return r.integrator(f, s, nil) }

// integrator returns the Rosenbrock integrator with r's options for the
// Rodas method tab, or Rosenbrock23 when tab is nil.
func (r Rosenbrock23) integrator(f Func, s *Settings, tab *rodasTableau) integrator {
	ro := &rosenbrock{jac: r.Jac, f: f, pattern: r.Sparsity, sparseJac: r.SparseJac, rodas: tab,
		autonomous: r.Autonomous, central: r.CentralDiff, directW: r.DirectW}
	if s != nil {
		ro.set = *s
	}
	return ro
}

type rosenbrock struct {
	f   Func
	jac func(dst *mat.Dense, t float64, y []float64)
	set Settings

	t, t1, dir, h, hLast        float64
	ctl                         controller
	y, y0                       []float64
	f0, f1, f2, k1, k2, k3, tmp []float64
	dft                         []float64
	J                           *mat.Dense
	W                           *mat.Dense
	lu                          mat.LU
	pattern                     *sparse.CSR
	sparseJac                   func(dst *sparse.CSR, t float64, y []float64)
	sp                          *sparseW      // nil for dense linear algebra
	rodas                       *rodasTableau // a Rodas method instead of Rosenbrock23
	autonomous                  bool          // f does not depend on t: df/dt = 0
	central                     bool          // central-difference dense Jacobian
	directW                     bool          // sparse W by LU, not ILU(0)-GMRES
	u                           [8][]float64
	d2, d3                      []float64 // Rodas4 dense-output vectors
	stats                       Stats
	jacEvals, solves            int
	f0Valid                     bool
	// startExp is the exponent order of the first step's choice,
	// h1 = (0.01 / max(d1, d2))^(1/startExp): zero means 2.
	startExp int
}

const rbD = 0.29289321881345254 // 1/(2 + sqrt 2)

func (r *rosenbrock) settings() *Settings { return &r.set }

func (r *rosenbrock) Init(t0 float64, y0 []float64, t1 float64) error {
	// Validation and defaults are shared with the explicit integrator.
	order := r.startExp
	if order == 0 {
		order = 2
	}
	probe := NewExplicit(&Tableau{Name: "Rosenbrock23", C: []float64{0}, A: [][]float64{{}}, B: []float64{1}, E: []float64{0}, Order: order, ErrorOrder: 3}, r.f, &r.set)
	if err := probe.Init(t0, y0, t1); err != nil {
		return err
	}
	r.set = probe.set
	n := len(y0)
	r.t, r.t1, r.dir = t0, t1, math.Copysign(1, t1-t0)
	r.y = append([]float64(nil), y0...)
	for _, p := range []*[]float64{&r.y0, &r.f0, &r.f1, &r.f2, &r.k1, &r.k2, &r.k3, &r.tmp, &r.dft} {
		*p = make([]float64, n)
	}
	if r.pattern != nil {
		if pr, pc := r.pattern.Dims(); pr != n || pc != n {
			return fmt.Errorf("ode: Jacobian pattern is %d x %d for %d unknowns", pr, pc, n)
		}
		sp, err := newSparseW(r.pattern, r.sparseJac)
		if err != nil {
			return err
		}
		sp.direct = r.directW
		r.sp = sp
	} else {
		r.J = mat.NewDense(n, n, nil)
		r.W = mat.NewDense(n, n, nil)
	}
	// Order 2 with a 3rd-order estimate: PI exponents 7/20 and 1/5, I
	// exponent 1/3, growth at most 5x per step (stiff problems punish
	// larger jumps with rejections and refactorizations).
	r.ctl = controller{kind: r.set.Controller, beta1: 0.35, beta2: 0.2, iExp: 1.0 / 3, qmin: 0.2, qmaxGrow: 5, errOld: 1e-4}
	if r.rodas != nil {
		// Order p with a (p-1)th-order estimate (local error h^p).
		r.ctl.beta1, r.ctl.beta2, r.ctl.iExp = r.rodas.pi1, r.rodas.pi2, 1/float64(r.rodas.order)
		for i := 0; i < r.rodas.stages(); i++ {
			r.u[i] = make([]float64, n)
		}
		r.d2, r.d3 = make([]float64, n), make([]float64, n)
	}
	r.stats = probe.stats // the initial step's evaluations
	r.h = probe.h
	copy(r.f0, probe.k[0])
	r.f0Valid = probe.fsalValid
	return nil
}

func (r *rosenbrock) State() (float64, []float64) { return r.t, r.y }
func (r *rosenbrock) Done() bool                  { return r.t == r.t1 }

// Stats returns the counts, Jacobian evaluations and linear solves
// included.
func (r *rosenbrock) Stats() Stats { return r.stats }

func (r *rosenbrock) eval(dy []float64, t float64, y []float64) error {
	return evalCounted(r.f, &r.stats, dy, t, y)
}

// jacobian fills r.J at (t, y), by the user's function or forward
// differences.
func (r *rosenbrock) jacobian() error {
	r.stats.JacEvals++
	if r.sp != nil {
		if r.sp.user == nil {
			r.stats.JacFEvals += len(r.sp.groups)
			if r.central {
				r.stats.JacFEvals += len(r.sp.groups)
			}
		}
		return r.sp.jacobian(r.eval, r.t, r.y, r.f0, r.tmp, r.k1, r.central)
	}
	if r.jac != nil {
		r.jac(r.J, r.t, r.y)
		return nil
	}
	n := len(r.y)
	for j := 0; j < n; j++ {
		old := r.y[j]
		if r.central {
			// (f(y + d e_j) - f(y - d e_j)) / 2d.
			d := centralStep(old)
			r.y[j] = old + d
			dp := r.y[j] - old
			err := r.eval(r.tmp, r.t, r.y)
			r.y[j] = old - d
			dm := old - r.y[j]
			if err == nil {
				err = r.eval(r.k1, r.t, r.y)
			}
			r.y[j] = old
			r.stats.JacFEvals += 2
			if err != nil {
				return err
			}
			for i := 0; i < n; i++ {
				r.J.Set(i, j, (r.tmp[i]-r.k1[i])/(dp+dm))
			}
			continue
		}
		d := fdStep(old)
		r.y[j] = old + d
		r.stats.JacFEvals++
		err := r.eval(r.tmp, r.t, r.y)
		r.y[j] = old
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			r.J.Set(i, j, (r.tmp[i]-r.f0[i])/d)
		}
	}
	return nil
}

// fdStep is the forward-difference increment for a component of size y:
// sqrt(eps max(1e-5, |y|)), the choice of Hairer and Wanner's codes, which
// scales with small components (Robertson's y2 ~ 1e-5) where a step of
// sqrt(eps) max(|y|, 1) would be a large relative perturbation.
func fdStep(y float64) float64 {
	return math.Sqrt(2.2e-16 * math.Max(1e-5, math.Abs(y)))
}

// centralStep is the central-difference increment eps^(1/3) max(|y|,
// 1e-5): the Jacobian's error is then O(eps^(2/3)) instead of
// O(eps^(1/2)).
func centralStep(y float64) float64 {
	return math.Cbrt(2.2e-16) * math.Max(math.Abs(y), 1e-5)
}

func (r *rosenbrock) solve(dst, b []float64) error {
	r.stats.LinearSolves++
	if r.sp != nil {
		if err := r.sp.solve(dst, b); err != nil {
			return &Error{T: r.t, Kind: NonFinite, Msg: err.Error()}
		}
		return nil
	}
	v := mat.NewVecDense(len(dst), dst)
	return r.lu.SolveVecTo(v, false, mat.NewVecDense(len(b), b))
}

// factor forms and factorizes W = I - g J.
func (r *rosenbrock) factor(g float64) error {
	r.stats.Factorizations++
	if r.sp != nil {
		if err := r.sp.factor(g); err != nil {
			return &Error{T: r.t, Kind: NonFinite, Msg: "W = I - h gamma J: " + err.Error()}
		}
		return nil
	}
	n := len(r.y)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			v := -g * r.J.At(i, j)
			if i == j {
				v++
			}
			r.W.Set(i, j, v)
		}
	}
	r.lu.Factorize(r.W)
	if r.lu.Det() == 0 {
		return &Error{T: r.t, Kind: NonFinite, Msg: "W = I - h gamma J is singular"}
	}
	return nil
}

// prepare evaluates f at the step's start if needed, the Jacobian and
// df/dt by a forward difference.
func (r *rosenbrock) prepare() error {
	if !r.f0Valid {
		if err := r.eval(r.f0, r.t, r.y); err != nil {
			return err
		}
		r.f0Valid = true
	}
	if err := r.jacobian(); err != nil {
		return err
	}
	if r.autonomous {
		return nil // dft stays zero
	}
	dt := math.Sqrt(2.2e-16) * math.Max(math.Abs(r.t), 1)
	if err := r.eval(r.tmp, r.t+dt, r.y); err != nil {
		return err
	}
	for i := range r.dft {
		r.dft[i] = (r.tmp[i] - r.f0[i]) / dt
	}
	return nil
}

func (r *rosenbrock) Step() (StepInfo, error) {
	if r.rodas != nil {
		return r.stepRodas()
	}
	info := StepInfo{T0: r.t}
	n := len(r.y)
	if err := r.prepare(); err != nil {
		return info, err
	}
	e32 := 6 + math.Sqrt2
	for {
		h, last, err := nextStep(r.stats, &r.set, r.t, r.t1, r.dir, r.h)
		if err != nil {
			return info, err
		}
		hs := r.dir * h
		if err := r.factor(hs * rbD); err != nil {
			return info, err
		}
		// k1 = W^{-1} (f0 + h d df/dt)
		for i := range r.tmp {
			r.tmp[i] = r.f0[i] + hs*rbD*r.dft[i]
		}
		if err := r.solve(r.k1, r.tmp); err != nil {
			return info, err
		}
		for i := range r.tmp {
			r.tmp[i] = r.y[i] + 0.5*hs*r.k1[i]
		}
		if err := r.eval(r.f1, r.t+0.5*hs, r.tmp); err != nil {
			return info, err
		}
		// k2 = W^{-1} (f1 - k1) + k1
		for i := range r.tmp {
			r.tmp[i] = r.f1[i] - r.k1[i]
		}
		if err := r.solve(r.k2, r.tmp); err != nil {
			return info, err
		}
		for i := range r.k2 {
			r.k2[i] += r.k1[i]
		}
		ynew := r.y0 // scratch until accepted
		for i := range ynew {
			ynew[i] = r.y[i] + hs*r.k2[i]
		}
		if err := r.eval(r.f2, r.t+hs, ynew); err != nil {
			return info, err
		}
		// k3 = W^{-1} (f2 - e32 (k2 - f1) - 2 (k1 - f0) + h d df/dt)
		for i := range r.tmp {
			r.tmp[i] = r.f2[i] - e32*(r.k2[i]-r.f1[i]) - 2*(r.k1[i]-r.f0[i]) + hs*rbD*r.dft[i]
		}
		if err := r.solve(r.k3, r.tmp); err != nil {
			return info, err
		}
		var s float64
		for i := range r.tmp {
			e := hs / 6 * (r.k1[i] - 2*r.k2[i] + r.k3[i])
			sc := r.set.AbsTolerance + r.set.Tolerance*math.Max(math.Abs(r.y[i]), math.Abs(ynew[i]))
			s += (e / sc) * (e / sc)
		}
		eest := math.Sqrt(s / float64(n))
		if rej, err := r.reject(h, eest, &info); rej || err != nil {
			if err != nil {
				return info, err
			}
			continue
		}
		r.accept(ynew, h, hs, last, eest, &info)
		copy(r.f0, r.f2) // f at the new point: FSAL
		return info, nil
	}
}

// reject judges an attempt of size h with scaled error eest: an error if
// the estimate is NaN, true (and the retry step set) if it is rejected.
func (r *rosenbrock) reject(h, eest float64, info *StepInfo) (bool, error) {
	if math.IsNaN(eest) {
		return false, &Error{T: r.t, Kind: NonFinite, Msg: "the error estimate is NaN"}
	}
	if eest <= 1 || r.set.Fixed {
		return false, nil
	}
	r.stats.Rejected++
	info.Rejected++
	r.h = r.ctl.rejected(h, eest)
	return true, nil
}

// accept moves to the new state ynew after an accepted attempt (hs is h
// with the direction's sign), keeping the old state for the dense output.
func (r *rosenbrock) accept(ynew []float64, h, hs float64, last bool, eest float64, info *StepInfo) {
	r.y0, r.y = r.y, ynew
	r.advance(hs, last, eest, info)
	if !r.set.Fixed {
		r.h = r.ctl.accepted(h, eest)
	}
}

// advance moves t over the accepted step hs (to t1 exactly on the last)
// and counts it.
func (r *rosenbrock) advance(hs float64, last bool, eest float64, info *StepInfo) {
	r.hLast = hs
	r.t += hs
	if last {
		r.t = r.t1
	}
	r.stats.Accepted++
	info.T1, info.ErrorEstimate = r.t, eest
}

// Dense is the method's free second-order interpolant:
// y(theta) = y0 + h [theta(1-theta)/(1-2d) k1 + theta(theta-2d)/(1-2d) k2].
func (r *rosenbrock) Dense(dst []float64, t float64) error {
	th, err := theta(t, r.t, r.hLast)
	if err != nil {
		return err
	}
	if r.rodas != nil {
		return r.denseRodas(dst, th)
	}
	h := r.hLast
	a := th * (1 - th) / (1 - 2*rbD)
	b := th * (th - 2*rbD) / (1 - 2*rbD)
	for i := range dst {
		dst[i] = r.y0[i] + h*(a*r.k1[i]+b*r.k2[i])
	}
	return nil
}
