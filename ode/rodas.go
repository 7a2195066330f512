package ode

import "math"

// Rodas4 is the L-stable, stiffly accurate Rosenbrock method RODAS of
// Hairer and Wanner (Solving ODEs II, section IV.7; the coefficient set
// of their code rodas.f and OrdinaryDiffEq's Rodas4): order 4 with a
// 3rd-order error estimate, six stages, six evaluations of f and one
// factorization of W = I - h gamma J per step (gamma = 1/4), and its
// 3rd-order dense output. It suits stiff problems at tighter tolerances
// than Rosenbrock23. Its fields are Rosenbrock23's: the Jacobian options
// (dense by finite differences or Jac; sparse with Sparsity), Autonomous
// and CentralDiff.
type Rodas4 Rosenbrock23

func (r Rodas4) newIntegrator(f Func, s *Settings) integrator {
	return Rosenbrock23(r).integrator(f, s, rodas4Tab)
}

// Rodas5 is the stiffly accurate Rosenbrock method of Di Marzo (1993) with
// the coefficients of OrdinaryDiffEq's Rodas5: order 5 with a 4th-order
// error estimate, eight stages and evaluations of f, one factorization of
// W = I - h gamma J per step (gamma = 0.19). Its dense output is cubic
// Hermite on the step's end values and slopes (the slope at the new point
// is the next step's first evaluation, so it costs nothing extra). Its
// fields are Rosenbrock23's, except that a finite-difference Jacobian,
// dense or sparse, is always taken by central differences: Rodas5's large
// coefficients (|C_ij| up to 318) amplify the O(sqrt(eps)) error of
// forward differences, which on the 2-D Brusselator at rtol 1e-6 left an
// error 30 times Rodas4's (OrdinaryDiffEq differentiates exactly).
type Rodas5 Rosenbrock23

func (r Rodas5) newIntegrator(f Func, s *Settings) integrator {
	r.CentralDiff = true
	return Rosenbrock23(r).integrator(f, s, rodas5Tab)
}

// Rodas5P is Steinebach's Rodas5P (2023; the coefficients of
// OrdinaryDiffEq's Rodas5P): Rodas5's scheme, order 5 with a 4th-order
// error estimate, eight stages, one factorization of W per step (gamma =
// 0.2119), with coefficients chosen so that the embedded method keeps its
// order on stiff problems (Prothero-Robinson). Rodas5's estimate does not,
// and on the 2-D Brusselator (32 points per side) its end error does not
// follow the tolerance: 1.5e-3 at rtol 1e-5, 4.2e-3 at 3e-6, 7.9e-5 at
// 1e-6, 5.9e-8 at 1e-7, 1.6e-6 at 3e-8, where Rodas4's falls from 9e-5 to
// 2e-7. Its dense output is cubic Hermite, as Rodas5's, and a
// finite-difference Jacobian is taken by central differences (its
// coefficients reach 165).
type Rodas5P Rosenbrock23

func (r Rodas5P) newIntegrator(f Func, s *Settings) integrator {
	r.CentralDiff = true
	return Rosenbrock23(r).integrator(f, s, rodas5pTab)
}

// rodasTableau is a stiffly accurate Rosenbrock method in the transformed
// form of Hairer and Wanner,
//
//	(I/(h gamma) - J) U_i = f(t + c_i h, Y_i) + sum_{j<i} C_ij/h U_j + h d_i f_t,
//
// with Y_i = y + sum_{j<i} a_ij U_j for the stages i < chain and Y_i =
// Y_{i-1} + U_{i-1} from stage chain on; y1 = Y_s + U_s and the error
// estimate is U_s.
type rodasTableau struct {
	order    int
	gamma    float64
	a        [][]float64 // a[i][j], j < i, for i < chain
	c        [][]float64 // C[i][j], j < i
	cs, d    []float64   // nodes c_i and d_i
	chain    int
	h        *[2][5]float64 // RODAS's dense-output weights, or nil for Hermite
	pi1, pi2 float64        // PI exponents
}

// Stages returns the number of stages.
func (t *rodasTableau) stages() int { return len(t.cs) }

var rodas4Tab = &rodasTableau{
	order: 4, gamma: 0.25, chain: 5, pi1: 0.7 / 4, pi2: 0.4 / 4,
	a: [][]float64{
		{},
		{1.544},
		{0.9466785280815826, 0.2557011698983284},
		{3.314825187068521, 2.896124015972201, 0.9986419139977817},
		{1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950},
	},
	c: [][]float64{
		{},
		{-5.6688},
		{-2.430093356833875, -0.2063599157091915},
		{-0.1073529058151375, -9.594562251023355, -20.47028614809616},
		{7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160},
		{8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054},
	},
	cs: []float64{0, 0.386, 0.21, 0.63, 1, 1},
	d:  []float64{0.25, -0.1043, 0.1035, -0.0362, 0, 0},
	h: &[2][5]float64{
		{10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823, 1.025137723295662},
		{-0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386, -6.594389125716872},
	},
}

var rodas5Tab = &rodasTableau{
	order: 5, gamma: 0.19, chain: 6, pi1: 0.7 / 5, pi2: 0.4 / 5,
	a: [][]float64{
		{},
		{2.0},
		{3.040894194418781, 1.041747909077569},
		{2.576417536461461, 1.622083060776640, -0.9089668560264532},
		{2.760842080225597, 1.446624659844071, -0.3036980084553738, 0.2877498600325443},
		{-14.09640773051259, 6.925207756232704, -41.47510893210728, 2.343771018586405, 24.13215229196062},
	},
	c: [][]float64{
		{},
		{-10.31323885133993},
		{-21.04823117650003, -7.234992135176716},
		{32.22751541853323, -4.943732386540191, 19.44922031041879},
		{-20.69865579590063, -8.816374604402768, 1.260436877740897, -0.7495647613787146},
		{-46.22004352711257, -17.49534862857472, -289.6389582892057, 93.60855400400906, 318.3822534212147},
		{34.20013733472935, -14.15535402717690, 57.82335640988400, 25.83362985412365, 1.408950972071624, -6.551835421242162},
		{42.57076742291101, -13.80770672017997, 93.98938432427124, 18.77919633714503, -31.58359187223370, -6.685968952921985, -5.810979938412932},
	},
	cs: []float64{0, 0.38, 0.3878509998321533, 0.4839718937873840, 0.4570477008819580, 1, 1, 1},
	d:  []float64{0.19, -0.1823079225333714636, -0.319231832186874912, 0.3449828624725343, -0.377417564392089818, 0, 0, 0},
}

var rodas5pTab = &rodasTableau{
	order: 5, gamma: 0.21193756319429014, chain: 6, pi1: 0.7 / 5, pi2: 0.4 / 5,
	a: [][]float64{
		{},
		{3.0},
		{2.849394379747939, 0.45842242204463923},
		{-6.954028509809101, 2.489845061869568, -10.358996098473584},
		{2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641},
		{-7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256, 0.030198172008377946},
	},
	c: [][]float64{
		{},
		{-14.155112264123755},
		{-17.97296035885952, -2.859693295451294},
		{147.12150275711716, -1.41221402718213, 71.68940251302358},
		{165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306},
		{24.854864614690072, -3.0009227002832186, 47.4931110020768, 5.5814197821558125, -0.6610691825249471},
		{30.91273214028599, -3.1208243349937974, 77.79954646070892, 34.28646028294783, -19.097331116725623, -28.087943162872662},
		{37.80277123390563, -3.2571969029072276, 112.26918849496327, 66.9347231244047, -40.06618937091002, -54.66780262877968, -9.48861652309627},
	},
	cs: []float64{0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716, 0.4288403609558664, 1, 1, 1},
	d:  []float64{0.21193756319429014, -0.42387512638858027, -0.3384627126235924, 1.8046452872882734, 2.325825639765069, 0, 0, 0},
}

// stepRodas takes one accepted step of the Rodas method r.rodas.
func (r *rosenbrock) stepRodas() (StepInfo, error) {
	info := StepInfo{T0: r.t}
	n := len(r.y)
	tab := r.rodas
	s := tab.stages()
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
		g := hs * tab.gamma
		if err := r.factor(g); err != nil {
			return info, err
		}
		// W U_i = g (f_i + sum_j C_ij/h U_j + h d_i f_t), W = I - g J.
		for st := 0; st < s; st++ {
			switch {
			case st == 0:
				copy(fy, r.f0)
			case st < tab.chain:
				copy(ynew, r.y)
				for j, a := range tab.a[st] {
					axpy(a, r.u[j], ynew)
				}
				fallthrough
			default:
				if st >= tab.chain {
					axpy(1, r.u[st-1], ynew) // Y_i = Y_{i-1} + U_{i-1}
				}
				if err := r.eval(fy, r.t+tab.cs[st]*hs, ynew); err != nil {
					return info, err
				}
			}
			for i := range r.tmp {
				v := fy[i] + hs*tab.d[st]*r.dft[i]
				for j, c := range tab.c[st] {
					v += c / hs * r.u[j][i]
				}
				r.tmp[i] = g * v
			}
			if err := r.solve(r.u[st], r.tmp); err != nil {
				return info, err
			}
		}
		// ynew holds the last stage's argument; the solution adds U_s.
		var sum float64
		for i := range ynew {
			yn := ynew[i] + r.u[s-1][i]
			sc := r.set.AbsTolerance + r.set.Tolerance*math.Max(math.Abs(r.y[i]), math.Abs(yn))
			e := r.u[s-1][i] / sc
			sum += e * e
			ynew[i] = yn
		}
		eest := math.Sqrt(sum / float64(n))
		if rej, err := r.reject(h, eest, &info); rej || err != nil {
			if err != nil {
				return info, err
			}
			continue
		}
		if tab.h != nil {
			for i := range r.d2 {
				var a, b float64
				for j := 0; j < 5; j++ {
					a += tab.h[0][j] * r.u[j][i]
					b += tab.h[1][j] * r.u[j][i]
				}
				r.d2[i], r.d3[i] = a, b
			}
		} else {
			copy(r.d2, r.f0) // the slope at the old point, for Hermite
		}
		r.accept(ynew, h, hs, last, eest, &info)
		r.f0Valid = false // f at the new point is not a stage
		return info, nil
	}
}

// denseRodas is RODAS's continuous extension
// y(theta) = y0 + theta (y1 - y0 + (1 - theta)(D2 + theta D3)), or the
// cubic Hermite interpolant on the end values and slopes.
func (r *rosenbrock) denseRodas(dst []float64, th float64) error {
	if r.rodas.h != nil {
		for i := range dst {
			dst[i] = r.y0[i] + th*(r.y[i]-r.y0[i]+(1-th)*(r.d2[i]+th*r.d3[i]))
		}
		return nil
	}
	if !r.f0Valid {
		// The slope at the new point: the next step's first evaluation.
		if err := r.eval(r.f0, r.t, r.y); err != nil {
			return err
		}
		r.f0Valid = true
	}
	h := r.hLast
	h00 := (1 + 2*th) * (1 - th) * (1 - th)
	h10 := th * (1 - th) * (1 - th)
	h01 := th * th * (3 - 2*th)
	h11 := th * th * (th - 1)
	for i := range dst {
		dst[i] = h00*r.y0[i] + h*h10*r.d2[i] + h01*r.y[i] + h*h11*r.f0[i]
	}
	return nil
}
