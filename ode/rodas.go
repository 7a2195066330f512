package ode

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/sparse"
)

// Rodas4 is the L-stable, stiffly accurate Rosenbrock method RODAS of
// Hairer and Wanner (Solving ODEs II, section IV.7; the coefficient set
// of their code rodas.f and OrdinaryDiffEq's Rodas4): order 4 with a
// 3rd-order error estimate, six stages, six evaluations of f and one
// factorization of W = I - h gamma J per step (gamma = 1/4), and its
// 3rd-order dense output. It suits stiff problems at tighter tolerances
// than Rosenbrock23. The Jacobian options and Autonomous are those of
// Rosenbrock23 (dense by finite differences or Jac; sparse with Sparsity).
type Rodas4 struct {
	Jac        func(dst *mat.Dense, t float64, y []float64)
	Sparsity   *sparse.CSR
	SparseJac  func(dst *sparse.CSR, t float64, y []float64)
	Autonomous bool
}

func (r Rodas4) newIntegrator(f Func, s *Settings) integrator {
	ro := &rosenbrock{jac: r.Jac, f: f, pattern: r.Sparsity, sparseJac: r.SparseJac, rodas: true, autonomous: r.Autonomous}
	if s != nil {
		ro.set = *s
	}
	return ro
}

// The RODAS coefficients in the transformed form
//
//	(I/(h gamma) - J) U_i = f(t + c_i h, y + sum_j a_ij U_j) + sum_j C_ij/h U_j + h d_i f_t,
//
// y1 = y + sum_j a_6j U_j + U_6 (stiffly accurate), error U_6.
const rodasGamma = 0.25

var (
	rodasA = [5][4]float64{
		{},
		{1.544},
		{0.9466785280815826, 0.2557011698983284},
		{3.314825187068521, 2.896124015972201, 0.9986419139977817},
		{1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950},
	}
	rodasC = [6][5]float64{
		{},
		{-5.6688},
		{-2.430093356833875, -0.2063599157091915},
		{-0.1073529058151375, -9.594562251023355, -20.47028614809616},
		{7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160},
		{8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054},
	}
	rodasCs = [6]float64{0, 0.386, 0.21, 0.63, 1, 1}
	rodasD  = [6]float64{0.25, -0.1043, 0.1035, -0.0362, 0, 0}
	rodasH  = [2][5]float64{
		{10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823, 1.025137723295662},
		{-0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386, -6.594389125716872},
	}
)

// stepRodas4 takes one accepted step of Rodas4.
func (r *rosenbrock) stepRodas4() (StepInfo, error) {
	info := StepInfo{T0: r.t}
	n := len(r.y)
	if err := r.prepare(); err != nil {
		return info, err
	}
	ynew, fy := r.y0, r.f1 // scratch until accepted
	for {
		h, last, err := nextStep(r.stats, &r.set, r.t, r.t1, r.dir, r.h)
		if err != nil {
			return info, err
		}
		hs := r.dir * h
		g := hs * rodasGamma
		if err := r.factor(g); err != nil {
			return info, err
		}
		// W U_i = g (f_i + sum_j C_ij/h U_j + h d_i f_t), W = I - g J.
		for st := 0; st < 6; st++ {
			switch {
			case st == 0:
				copy(fy, r.f0)
			default:
				copy(ynew, r.y)
				if st < 5 {
					for j := 0; j < st; j++ {
						axpy(rodasA[st][j], r.u[j], ynew)
					}
				} else {
					for j := 0; j < 4; j++ {
						axpy(rodasA[4][j], r.u[j], ynew)
					}
					axpy(1, r.u[4], ynew)
				}
				if err := r.eval(fy, r.t+rodasCs[st]*hs, ynew); err != nil {
					return info, err
				}
			}
			for i := range r.tmp {
				v := fy[i] + hs*rodasD[st]*r.dft[i]
				for j := 0; j < st; j++ {
					v += rodasC[st][j] / hs * r.u[j][i]
				}
				r.tmp[i] = g * v
			}
			if err := r.solve(r.u[st], r.tmp); err != nil {
				return info, err
			}
		}
		// ynew holds stage 6's argument; the solution adds U_6.
		var s float64
		for i := range ynew {
			yn := ynew[i] + r.u[5][i]
			sc := r.set.ATol + r.set.RTol*math.Max(math.Abs(r.y[i]), math.Abs(yn))
			e := r.u[5][i] / sc
			s += e * e
			ynew[i] = yn
		}
		eest := math.Sqrt(s / float64(n))
		if rej, err := r.reject(h, eest, &info); rej || err != nil {
			if err != nil {
				return info, err
			}
			continue
		}
		for i := range r.d2 {
			var a, b float64
			for j := 0; j < 5; j++ {
				a += rodasH[0][j] * r.u[j][i]
				b += rodasH[1][j] * r.u[j][i]
			}
			r.d2[i], r.d3[i] = a, b
		}
		r.accept(ynew, h, hs, last, eest, &info)
		r.f0Valid = false // f at the new point is not a stage
		return info, nil
	}
}

// denseRodas4 is RODAS's continuous extension:
// y(theta) = y0 + theta (y1 - y0 + (1 - theta)(D2 + theta D3)).
func (r *rosenbrock) denseRodas4(dst []float64, th float64) {
	for i := range dst {
		dst[i] = r.y0[i] + th*(r.y[i]-r.y0[i]+(1-th)*(r.d2[i]+th*r.d3[i]))
	}
}
