package ode

// Tableau is an explicit Runge-Kutta method: stages c, coefficients A
// (strictly lower triangular, row i has i entries), propagating weights B
// and, for an embedded pair, error weights E (the difference between B
// and the embedded weights), with the order of B and of the embedded
// method. FSAL methods have A's last row equal to B, so their last stage
// is the next step's first.
type Tableau struct {
	Name       string
	C          []float64
	A          [][]float64
	B          []float64
	E          []float64 // nil for a fixed-step method
	Order      int
	ErrorOrder int
	FSAL       bool
	// interp, if set, gives the method's own dense-output weights b_i(theta)
	// with y(t0 + theta h) = y0 + h sum_i b_i(theta) k_i; nil means cubic
	// Hermite interpolation between the step's end points.
	interp func(w []float64, theta float64)
	// interpD gives the derivatives of interp's weights in theta (for a
	// differentiated dense output); nil when not written.
	interpD func(w []float64, theta float64)
	// Stability is the size of the stability region along the negative
	// real axis, for the stiffness estimate (0 when unknown).
	Stability float64
	// beta1 and beta2 override the PI controller's defaults when nonzero.
	beta1, beta2 float64
	// dp5Dense marks Dormand and Prince's continuous extension, which
	// needs the step's end values as well as the stages.
	dp5Dense bool
}

// Stages returns the number of stages.
func (t *Tableau) Stages() int { return len(t.C) }

// Adaptive reports whether the method has an error estimate.
func (t *Tableau) Adaptive() bool { return t.E != nil }

// Euler is the explicit Euler method, order 1, fixed step.
var Euler = &Tableau{Name: "Euler", C: []float64{0}, A: [][]float64{{}}, B: []float64{1}, Order: 1}

// Midpoint is the explicit midpoint method, order 2, fixed step.
var Midpoint = &Tableau{Name: "Midpoint", C: []float64{0, 0.5}, A: [][]float64{{}, {0.5}}, B: []float64{0, 1}, Order: 2}

// RK4 is the classical fourth-order Runge-Kutta method, fixed step.
var RK4 = &Tableau{Name: "RK4", C: []float64{0, 0.5, 0.5, 1},
	A: [][]float64{{}, {0.5}, {0, 0.5}, {0, 0, 1}}, B: []float64{1. / 6, 1. / 3, 1. / 3, 1. / 6}, Order: 4}

// BS3 is the Bogacki-Shampine 3(2) pair (FSAL), with cubic Hermite dense
// output.
var BS3 = &Tableau{Name: "BS3", C: []float64{0, 0.5, 0.75, 1},
	A: [][]float64{{}, {0.5}, {0, 0.75}, {2. / 9, 1. / 3, 4. / 9}},
	B: []float64{2. / 9, 1. / 3, 4. / 9, 0},
	// E = B - Bhat with Bhat = (7/24, 1/4, 1/3, 1/8).
	E:     []float64{2./9 - 7./24, 1./3 - 1./4, 4./9 - 1./3, -1. / 8},
	Order: 3, ErrorOrder: 2, FSAL: true, Stability: 2.51}

// DP5 is the Dormand-Prince 5(4) pair (FSAL) with the classical embedded
// weights (as OrdinaryDiffEq's DP5 and Hairer's DOPRI5; torchdiffeq's
// differ), its 4th-order continuous extension, and Hairer's controller
// constants beta1 = 0.17, beta2 = 0.04.
var DP5 = &Tableau{Name: "DP5", C: []float64{0, 1. / 5, 3. / 10, 4. / 5, 8. / 9, 1, 1},
	A: [][]float64{{}, {1. / 5}, {3. / 40, 9. / 40}, {44. / 45, -56. / 15, 32. / 9},
		{19372. / 6561, -25360. / 2187, 64448. / 6561, -212. / 729},
		{9017. / 3168, -355. / 33, 46732. / 5247, 49. / 176, -5103. / 18656},
		{35. / 384, 0, 500. / 1113, 125. / 192, -2187. / 6784, 11. / 84}},
	B:     []float64{35. / 384, 0, 500. / 1113, 125. / 192, -2187. / 6784, 11. / 84, 0},
	E:     []float64{-71. / 57600, 0, 71. / 16695, -71. / 1920, 17253. / 339200, -22. / 525, 1. / 40},
	Order: 5, ErrorOrder: 4, FSAL: true, Stability: 3.3066, beta1: 0.17, beta2: 0.04, dp5Dense: true}

// Tsit5 is Tsitouras' 5(4) pair (Comput. Math. Appl. 62 (2011) 770-775)
// with OrdinaryDiffEq's machine-precision coefficients, propagating the
// 5th-order solution (FSAL) and its free 4th-order interpolant.
var Tsit5 = &Tableau{Name: "Tsit5",
	C: []float64{0, 0.161, 0.327, 0.9, 0.9800255409045097, 1, 1},
	A: [][]float64{{}, {0.161}, {-0.008480655492356989, 0.335480655492357},
		{2.8971530571054935, -6.359448489975075, 4.3622954328695815},
		{5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525},
		{5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383},
		{0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774}},
	B: []float64{0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774, 0},
	E: []float64{-0.00178001105222577714, -0.0008164344596567469, 0.007880878010261995, -0.1447110071732629,
		0.5823571654525552, -0.45808210592918697, 1. / 66},
	Order: 5, ErrorOrder: 4, FSAL: true, Stability: 3.5068, interp: tsit5Interp, interpD: tsit5InterpD}

// Vern6 is Verner's "most efficient" 6(5) pair IIIX-65 (Numer. Algorithms
// 53 (2010) 383-396; coefficients from Verner's published 40-digit
// tables), 9 stages with the last FSAL, propagating the 6th-order
// solution. Dense output is cubic Hermite: Verner's own 6th-order
// interpolant needs three more stages and is not built.
var Vern6 = &Tableau{Name: "Vern6",
	C: []float64{0, 0.06, 0.09593333333333333333, 0.1439, 0.4973, 0.9725, 0.9995, 1, 1},
	A: [][]float64{{}, {0.06},
		{0.01923996296296296296296296296296296296296, 0.07669337037037037037037037037037037037037},
		{0.035975, 0, 0.107925},
		{1.318683415233148260919747276431735612861, 0, -5.042058063628562225427761634715637693344, 4.220674648395413964508014358283902080483},
		{-41.87259166432751461803757780644346812905, 0, 159.4325621631374917700365669070346830453, -122.1192135650100309202516203389242140663,
			5.531743066200053768252631238332999150076},
		{-54.43015693531650433250642051294142461271, 0, 207.0672513650184644273657173866509835987, -158.6108137845899991828742424365058599469,
			6.991816585950242321992597280791793907096, -0.01859723106220323397765171799549294623692},
		{-54.66374178728197680241215648050386959351, 0, 207.9528062553893734515824816699834244238, -159.2889574744995071508959805871426654216,
			7.018743740796944434698170760964252490817, -0.01833878590504572306472782005141738268361, -0.0005119484997882099077875432497245168395840},
		vern6B[:8]},
	B:     vern6B[:],
	E:     vern6E[:],
	Order: 6, ErrorOrder: 5, FSAL: true}

var vern6B = [9]float64{0.03438957868357036009278820124728322386520, 0, 0, 0.2582624555633503404659558098586120858767,
	0.4209371189673537150642551514069801967032, 4.405396469669310170148836816197095664891,
	-176.4831190242986576151740942499002125029, 172.3641334014150730294022582711902413315, 0}

// vern6E is B minus Verner's embedded 5th-order weights.
var vern6E = func() [9]float64 {
	bhat := [9]float64{0.04909967648382489730906854927971225836479, 0, 0, 0.2251112229516524153401395320539875329485,
		0.4694682253029562039431948525047387412553, 0.8065792249988867707634161808995217981443, 0,
		-0.6071194891777959797672951465256217122488, 0.05686113944047569241147603178766138153594}
	var e [9]float64
	for i := range e {
		e[i] = vern6B[i] - bhat[i]
	}
	return e
}()

// tsit5Interp gives Tsitouras' dense-output weights: polynomials in theta
// whose value at theta = 1 is B.
func tsit5Interp(w []float64, th float64) {
	t2 := th * th
	t3 := t2 * th
	t4 := t3 * th
	w[0] = th - 2.763706197274826*t2 + 2.9132554618219126*t3 - 1.0530884977290216*t4
	w[1] = 0.13169999999999998*t2 - 0.2234*t3 + 0.1017*t4
	w[2] = 3.9302962368947516*t2 - 5.941033872131505*t3 + 2.490627285651253*t4
	w[3] = -12.411077166933676*t2 + 30.33818863028232*t3 - 16.548102889244902*t4
	w[4] = 37.50931341651104*t2 - 88.1789048947664*t3 + 47.37952196281928*t4
	w[5] = -27.896526289197286*t2 + 65.09189467479366*t3 - 34.87065786149661*t4
	w[6] = 1.5*t2 - 4*t3 + 2.5*t4
}

// tsit5InterpD gives the derivatives in theta of tsit5Interp's weights.
func tsit5InterpD(w []float64, th float64) {
	t2 := th * th
	t3 := t2 * th
	w[0] = 1 - 2*2.763706197274826*th + 3*2.9132554618219126*t2 - 4*1.0530884977290216*t3
	w[1] = 2*0.13169999999999998*th - 3*0.2234*t2 + 4*0.1017*t3
	w[2] = 2*3.9302962368947516*th - 3*5.941033872131505*t2 + 4*2.490627285651253*t3
	w[3] = -2*12.411077166933676*th + 3*30.33818863028232*t2 - 4*16.548102889244902*t3
	w[4] = 2*37.50931341651104*th - 3*88.1789048947664*t2 + 4*47.37952196281928*t3
	w[5] = -2*27.896526289197286*th + 3*65.09189467479366*t2 - 4*34.87065786149661*t3
	w[6] = 2*1.5*th - 3*4*t2 + 4*2.5*t3
}

// dp5Dense holds the coefficients of Dormand and Prince's continuous
// extension (Hairer, Norsett and Wanner, Solving ODEs I, DOPRI5).
var dp5D = [7]float64{-12715105075. / 11282082432, 0, 87487479700. / 32700410799, -10690763975. / 1880347072,
	701980252875. / 199316789632, -1453857185. / 822651844, 69997945. / 29380423}
