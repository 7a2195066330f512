package sketchnewton

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Funcs is a Problem given by plain functions with dense derivatives, for
// small problems. Hessians are per function: HessF of f and HessC(i) of
// c_i, combined into the Hessian of the Lagrangian.
type Funcs struct {
	N, M  int
	F     func(x []float64) float64
	G     func(dst, x []float64)
	C     func(dst, x []float64)
	J     func(dst *mat.Dense, x []float64)
	HessF func(dst *mat.Dense, x []float64)
	HessC func(dst *mat.Dense, i int, x []float64)

	jac, hess, tmp *mat.Dense
}

// Dims implements Problem.
func (p *Funcs) Dims() (n, m int) { return p.N, p.M }

// Func implements Problem.
func (p *Funcs) Func(x []float64) float64 { return p.F(x) }

// Grad implements Problem.
func (p *Funcs) Grad(dst, x []float64) { p.G(dst, x) }

// Cons implements Problem.
func (p *Funcs) Cons(dst, x []float64) { p.C(dst, x) }

// Jac implements Problem.
func (p *Funcs) Jac(x []float64) mat.Matrix {
	if p.jac == nil {
		p.jac = mat.NewDense(p.M, p.N, nil)
	}
	p.jac.Zero()
	p.J(p.jac, x)
	return p.jac
}

// HessLag implements Problem.
func (p *Funcs) HessLag(x, lambda []float64) mat.Matrix {
	if p.hess == nil {
		p.hess = mat.NewDense(p.N, p.N, nil)
		p.tmp = mat.NewDense(p.N, p.N, nil)
	}
	p.hess.Zero()
	p.HessF(p.hess, x)
	for i := 0; i < p.M; i++ {
		if lambda[i] == 0 {
			continue
		}
		p.tmp.Zero()
		p.HessC(p.tmp, i, x)
		p.hess.Add(p.hess, scaled(p.tmp, lambda[i]))
	}
	return p.hess
}

func scaled(a *mat.Dense, s float64) *mat.Dense {
	a.Scale(s, a)
	return a
}

// HSProblem is a problem of the Hock-Schittkowski collection (W. Hock and
// K. Schittkowski, "Test Examples for Nonlinear Programming Codes",
// Lecture Notes in Economics and Mathematical Systems 187, Springer 1981)
// with its published starting point and optimal value.
type HSProblem struct {
	Name    string
	Problem *Funcs
	X0      []float64
	// FStar is the published optimal value.
	FStar float64
}

// HS returns the equality-constrained Hock-Schittkowski problems
// implemented here: 6, 7, 27, 28, 39, 40, 42, 48, 49, 50, 51, 52, 77, 78, 79.
func HS() []HSProblem {
	s2 := math.Sqrt2
	return []HSProblem{
		{"HS6", &Funcs{N: 2, M: 1,
			F:     func(x []float64) float64 { return sq(1 - x[0]) },
			G:     func(d, x []float64) { d[0], d[1] = -2*(1-x[0]), 0 },
			C:     func(d, x []float64) { d[0] = 10 * (x[1] - x[0]*x[0]) },
			J:     func(j *mat.Dense, x []float64) { j.Set(0, 0, -20*x[0]); j.Set(0, 1, 10) },
			HessF: func(h *mat.Dense, x []float64) { h.Set(0, 0, 2) },
			HessC: func(h *mat.Dense, i int, x []float64) { h.Set(0, 0, -20) },
		}, []float64{-1.2, 1}, 0},
		{"HS7", &Funcs{N: 2, M: 1,
			F: func(x []float64) float64 { return math.Log(1+x[0]*x[0]) - x[1] },
			G: func(d, x []float64) { d[0], d[1] = 2*x[0]/(1+x[0]*x[0]), -1 },
			C: func(d, x []float64) { d[0] = sq(1+x[0]*x[0]) + x[1]*x[1] - 4 },
			J: func(j *mat.Dense, x []float64) { j.Set(0, 0, 4*x[0]*(1+x[0]*x[0])); j.Set(0, 1, 2*x[1]) },
			HessF: func(h *mat.Dense, x []float64) {
				a := 1 + x[0]*x[0]
				h.Set(0, 0, 2*(1-x[0]*x[0])/(a*a))
			},
			HessC: func(h *mat.Dense, i int, x []float64) { h.Set(0, 0, 4+12*x[0]*x[0]); h.Set(1, 1, 2) },
		}, []float64{2, 2}, -math.Sqrt(3)},
		{"HS27", &Funcs{N: 3, M: 1,
			F: func(x []float64) float64 { return 0.01*sq(x[0]-1) + sq(x[1]-x[0]*x[0]) },
			G: func(d, x []float64) {
				t := x[1] - x[0]*x[0]
				d[0], d[1], d[2] = 0.02*(x[0]-1)-4*x[0]*t, 2*t, 0
			},
			C: func(d, x []float64) { d[0] = x[0] + x[2]*x[2] + 1 },
			J: func(j *mat.Dense, x []float64) { j.Set(0, 0, 1); j.Set(0, 2, 2*x[2]) },
			HessF: func(h *mat.Dense, x []float64) {
				h.Set(0, 0, 0.02-4*(x[1]-x[0]*x[0])+8*x[0]*x[0])
				h.Set(0, 1, -4*x[0])
				h.Set(1, 0, -4*x[0])
				h.Set(1, 1, 2)
			},
			HessC: func(h *mat.Dense, i int, x []float64) { h.Set(2, 2, 2) },
		}, []float64{2, 2, 2}, 0.04},
		linearHS("HS28", 3, func(x []float64) float64 { return sq(x[0]+x[1]) + sq(x[1]+x[2]) },
			func(d, x []float64) { d[0], d[1], d[2] = 2*(x[0]+x[1]), 2*(x[0]+x[1])+2*(x[1]+x[2]), 2*(x[1]+x[2]) },
			func(h *mat.Dense, x []float64) { setSym(h, [][]float64{{2, 2, 0}, {2, 4, 2}, {0, 2, 2}}) },
			[][]float64{{1, 2, 3}}, []float64{1}, []float64{-4, 1, 1}, 0),
		{"HS39", &Funcs{N: 4, M: 2,
			F: func(x []float64) float64 { return -x[0] },
			G: func(d, x []float64) { d[0], d[1], d[2], d[3] = -1, 0, 0, 0 },
			C: func(d, x []float64) {
				d[0] = x[1] - x[0]*x[0]*x[0] - x[2]*x[2]
				d[1] = x[0]*x[0] - x[1] - x[3]*x[3]
			},
			J: func(j *mat.Dense, x []float64) {
				j.Set(0, 0, -3*x[0]*x[0])
				j.Set(0, 1, 1)
				j.Set(0, 2, -2*x[2])
				j.Set(1, 0, 2*x[0])
				j.Set(1, 1, -1)
				j.Set(1, 3, -2*x[3])
			},
			HessF: func(h *mat.Dense, x []float64) {},
			HessC: func(h *mat.Dense, i int, x []float64) {
				if i == 0 {
					h.Set(0, 0, -6*x[0])
					h.Set(2, 2, -2)
				} else {
					h.Set(0, 0, 2)
					h.Set(3, 3, -2)
				}
			},
		}, []float64{2, 2, 2, 2}, -1},
		{"HS40", &Funcs{N: 4, M: 3,
			F: func(x []float64) float64 { return -x[0] * x[1] * x[2] * x[3] },
			G: func(d, x []float64) {
				d[0], d[1], d[2], d[3] = -x[1]*x[2]*x[3], -x[0]*x[2]*x[3], -x[0]*x[1]*x[3], -x[0]*x[1]*x[2]
			},
			C: func(d, x []float64) {
				d[0] = x[0]*x[0]*x[0] + x[1]*x[1] - 1
				d[1] = x[0]*x[0]*x[3] - x[2]
				d[2] = x[3]*x[3] - x[1]
			},
			J: func(j *mat.Dense, x []float64) {
				j.Set(0, 0, 3*x[0]*x[0])
				j.Set(0, 1, 2*x[1])
				j.Set(1, 0, 2*x[0]*x[3])
				j.Set(1, 2, -1)
				j.Set(1, 3, x[0]*x[0])
				j.Set(2, 1, -1)
				j.Set(2, 3, 2*x[3])
			},
			HessF: func(h *mat.Dense, x []float64) { productHess(h, x, -1) },
			HessC: func(h *mat.Dense, i int, x []float64) {
				switch i {
				case 0:
					h.Set(0, 0, 6*x[0])
					h.Set(1, 1, 2)
				case 1:
					h.Set(0, 0, 2*x[3])
					h.Set(0, 3, 2*x[0])
					h.Set(3, 0, 2*x[0])
				case 2:
					h.Set(3, 3, 2)
				}
			},
		}, []float64{0.8, 0.8, 0.8, 0.8}, -0.25},
		{"HS42", &Funcs{N: 4, M: 2,
			F: func(x []float64) float64 { return sq(x[0]-1) + sq(x[1]-2) + sq(x[2]-3) + sq(x[3]-4) },
			G: func(d, x []float64) {
				for i := range d {
					d[i] = 2 * (x[i] - float64(i+1))
				}
			},
			C: func(d, x []float64) { d[0], d[1] = x[0]-2, x[2]*x[2]+x[3]*x[3]-2 },
			J: func(j *mat.Dense, x []float64) { j.Set(0, 0, 1); j.Set(1, 2, 2*x[2]); j.Set(1, 3, 2*x[3]) },
			HessF: func(h *mat.Dense, x []float64) {
				for i := 0; i < 4; i++ {
					h.Set(i, i, 2)
				}
			},
			HessC: func(h *mat.Dense, i int, x []float64) {
				if i == 1 {
					h.Set(2, 2, 2)
					h.Set(3, 3, 2)
				}
			},
		}, []float64{1, 1, 1, 1}, 28 - 10*s2},
		linearHS("HS48", 5, func(x []float64) float64 { return sq(x[0]-1) + sq(x[1]-x[2]) + sq(x[3]-x[4]) },
			func(d, x []float64) {
				d[0], d[1], d[2], d[3], d[4] = 2*(x[0]-1), 2*(x[1]-x[2]), -2*(x[1]-x[2]), 2*(x[3]-x[4]), -2*(x[3]-x[4])
			},
			func(h *mat.Dense, x []float64) {
				setSym(h, [][]float64{{2, 0, 0, 0, 0}, {0, 2, -2, 0, 0}, {0, -2, 2, 0, 0}, {0, 0, 0, 2, -2}, {0, 0, 0, -2, 2}})
			},
			[][]float64{{1, 1, 1, 1, 1}, {0, 0, 1, -2, -2}}, []float64{5, -3}, []float64{3, 5, -3, 2, -2}, 0),
		linearHS("HS49", 5, func(x []float64) float64 { return sq(x[0]-x[1]) + sq(x[2]-1) + pow(x[3]-1, 4) + pow(x[4]-1, 6) },
			func(d, x []float64) {
				d[0], d[1], d[2], d[3], d[4] = 2*(x[0]-x[1]), -2*(x[0]-x[1]), 2*(x[2]-1), 4*pow(x[3]-1, 3), 6*pow(x[4]-1, 5)
			},
			func(h *mat.Dense, x []float64) {
				setSym(h, [][]float64{{2, -2, 0, 0, 0}, {-2, 2, 0, 0, 0}, {0, 0, 2, 0, 0}, {0, 0, 0, 12 * sq(x[3]-1), 0}, {0, 0, 0, 0, 30 * pow(x[4]-1, 4)}})
			},
			[][]float64{{1, 1, 1, 4, 0}, {0, 0, 1, 0, 5}}, []float64{7, 6}, []float64{10, 7, 2, -3, 0.8}, 0),
		linearHS("HS50", 5, func(x []float64) float64 {
			return sq(x[0]-x[1]) + sq(x[1]-x[2]) + pow(x[2]-x[3], 4) + sq(x[3]-x[4])
		},
			func(d, x []float64) {
				a, b, c, e := 2*(x[0]-x[1]), 2*(x[1]-x[2]), 4*pow(x[2]-x[3], 3), 2*(x[3]-x[4])
				d[0], d[1], d[2], d[3], d[4] = a, -a+b, -b+c, -c+e, -e
			},
			func(h *mat.Dense, x []float64) {
				q := 12 * sq(x[2]-x[3])
				setSym(h, [][]float64{{2, -2, 0, 0, 0}, {-2, 4, -2, 0, 0}, {0, -2, 2 + q, -q, 0}, {0, 0, -q, q + 2, -2}, {0, 0, 0, -2, 2}})
			},
			[][]float64{{1, 2, 3, 0, 0}, {0, 1, 2, 3, 0}, {0, 0, 1, 2, 3}}, []float64{6, 6, 6}, []float64{35, -31, 11, 5, -5}, 0),
		linearHS("HS51", 5, func(x []float64) float64 { return sq(x[0]-x[1]) + sq(x[1]+x[2]-2) + sq(x[3]-1) + sq(x[4]-1) },
			func(d, x []float64) {
				a, b := 2*(x[0]-x[1]), 2*(x[1]+x[2]-2)
				d[0], d[1], d[2], d[3], d[4] = a, -a+b, b, 2*(x[3]-1), 2*(x[4]-1)
			},
			func(h *mat.Dense, x []float64) {
				setSym(h, [][]float64{{2, -2, 0, 0, 0}, {-2, 4, 2, 0, 0}, {0, 2, 2, 0, 0}, {0, 0, 0, 2, 0}, {0, 0, 0, 0, 2}})
			},
			[][]float64{{1, 3, 0, 0, 0}, {0, 0, 1, 1, -2}, {0, 1, 0, 0, -1}}, []float64{4, 0, 0}, []float64{2.5, 0.5, 2, -1, 0.5}, 0),
		linearHS("HS52", 5, func(x []float64) float64 { return sq(4*x[0]-x[1]) + sq(x[1]+x[2]-2) + sq(x[3]-1) + sq(x[4]-1) },
			func(d, x []float64) {
				a, b := 2*(4*x[0]-x[1]), 2*(x[1]+x[2]-2)
				d[0], d[1], d[2], d[3], d[4] = 4*a, -a+b, b, 2*(x[3]-1), 2*(x[4]-1)
			},
			func(h *mat.Dense, x []float64) {
				setSym(h, [][]float64{{32, -8, 0, 0, 0}, {-8, 4, 2, 0, 0}, {0, 2, 2, 0, 0}, {0, 0, 0, 2, 0}, {0, 0, 0, 0, 2}})
			},
			[][]float64{{1, 3, 0, 0, 0}, {0, 0, 1, 1, -2}, {0, 1, 0, 0, -1}}, []float64{0, 0, 0}, []float64{2, 2, 2, 2, 2}, 1859.0/349),
		{"HS77", &Funcs{N: 5, M: 2,
			F: func(x []float64) float64 {
				return sq(x[0]-1) + sq(x[0]-x[1]) + sq(x[2]-1) + pow(x[3]-1, 4) + pow(x[4]-1, 6)
			},
			G: func(d, x []float64) {
				d[0] = 2*(x[0]-1) + 2*(x[0]-x[1])
				d[1] = -2 * (x[0] - x[1])
				d[2] = 2 * (x[2] - 1)
				d[3] = 4 * pow(x[3]-1, 3)
				d[4] = 6 * pow(x[4]-1, 5)
			},
			C: func(d, x []float64) {
				d[0] = x[0]*x[0]*x[3] + math.Sin(x[3]-x[4]) - 2*s2
				d[1] = x[1] + pow(x[2], 4)*x[3]*x[3] - 8 - s2
			},
			J: func(j *mat.Dense, x []float64) {
				cs := math.Cos(x[3] - x[4])
				j.Set(0, 0, 2*x[0]*x[3])
				j.Set(0, 3, x[0]*x[0]+cs)
				j.Set(0, 4, -cs)
				j.Set(1, 1, 1)
				j.Set(1, 2, 4*pow(x[2], 3)*x[3]*x[3])
				j.Set(1, 3, 2*pow(x[2], 4)*x[3])
			},
			HessF: func(h *mat.Dense, x []float64) {
				setSym(h, [][]float64{{4, -2, 0, 0, 0}, {-2, 2, 0, 0, 0}, {0, 0, 2, 0, 0}, {0, 0, 0, 12 * sq(x[3]-1), 0}, {0, 0, 0, 0, 30 * pow(x[4]-1, 4)}})
			},
			HessC: func(h *mat.Dense, i int, x []float64) {
				if i == 0 {
					sn := math.Sin(x[3] - x[4])
					setSym(h, [][]float64{{2 * x[3], 0, 0, 2 * x[0], 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {2 * x[0], 0, 0, -sn, sn}, {0, 0, 0, sn, -sn}})
					return
				}
				setSym(h, [][]float64{{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 12 * x[2] * x[2] * x[3] * x[3], 8 * pow(x[2], 3) * x[3], 0}, {0, 0, 8 * pow(x[2], 3) * x[3], 2 * pow(x[2], 4), 0}, {0, 0, 0, 0, 0}})
			},
		}, []float64{2, 2, 2, 2, 2}, 0.24150513},
		{"HS78", &Funcs{N: 5, M: 3,
			F: func(x []float64) float64 { return x[0] * x[1] * x[2] * x[3] * x[4] },
			G: func(d, x []float64) {
				for i := range d {
					p := 1.0
					for k := range x {
						if k != i {
							p *= x[k]
						}
					}
					d[i] = p
				}
			},
			C: func(d, x []float64) {
				d[0] = x[0]*x[0] + x[1]*x[1] + x[2]*x[2] + x[3]*x[3] + x[4]*x[4] - 10
				d[1] = x[1]*x[2] - 5*x[3]*x[4]
				d[2] = pow(x[0], 3) + pow(x[1], 3) + 1
			},
			J: func(j *mat.Dense, x []float64) {
				for i := 0; i < 5; i++ {
					j.Set(0, i, 2*x[i])
				}
				j.Set(1, 1, x[2])
				j.Set(1, 2, x[1])
				j.Set(1, 3, -5*x[4])
				j.Set(1, 4, -5*x[3])
				j.Set(2, 0, 3*x[0]*x[0])
				j.Set(2, 1, 3*x[1]*x[1])
			},
			HessF: func(h *mat.Dense, x []float64) { productHess(h, x, 1) },
			HessC: func(h *mat.Dense, i int, x []float64) {
				switch i {
				case 0:
					for k := 0; k < 5; k++ {
						h.Set(k, k, 2)
					}
				case 1:
					h.Set(1, 2, 1)
					h.Set(2, 1, 1)
					h.Set(3, 4, -5)
					h.Set(4, 3, -5)
				case 2:
					h.Set(0, 0, 6*x[0])
					h.Set(1, 1, 6*x[1])
				}
			},
		}, []float64{-2, 1.5, 2, -1, -1}, -2.91970041},
		{"HS79", &Funcs{N: 5, M: 3,
			F: func(x []float64) float64 {
				return sq(x[0]-1) + sq(x[0]-x[1]) + sq(x[1]-x[2]) + pow(x[2]-x[3], 4) + pow(x[3]-x[4], 4)
			},
			G: func(d, x []float64) {
				a, b, c, e := 2*(x[0]-x[1]), 2*(x[1]-x[2]), 4*pow(x[2]-x[3], 3), 4*pow(x[3]-x[4], 3)
				d[0] = 2*(x[0]-1) + a
				d[1] = -a + b
				d[2] = -b + c
				d[3] = -c + e
				d[4] = -e
			},
			C: func(d, x []float64) {
				d[0] = x[0] + x[1]*x[1] + pow(x[2], 3) - 2 - 3*s2
				d[1] = x[1] - x[2]*x[2] + x[3] + 2 - 2*s2
				d[2] = x[0]*x[4] - 2
			},
			J: func(j *mat.Dense, x []float64) {
				j.Set(0, 0, 1)
				j.Set(0, 1, 2*x[1])
				j.Set(0, 2, 3*x[2]*x[2])
				j.Set(1, 1, 1)
				j.Set(1, 2, -2*x[2])
				j.Set(1, 3, 1)
				j.Set(2, 0, x[4])
				j.Set(2, 4, x[0])
			},
			HessF: func(h *mat.Dense, x []float64) {
				p, q := 12*sq(x[2]-x[3]), 12*sq(x[3]-x[4])
				setSym(h, [][]float64{{4, -2, 0, 0, 0}, {-2, 4, -2, 0, 0}, {0, -2, 2 + p, -p, 0}, {0, 0, -p, p + q, -q}, {0, 0, 0, -q, q}})
			},
			HessC: func(h *mat.Dense, i int, x []float64) {
				switch i {
				case 0:
					h.Set(1, 1, 2)
					h.Set(2, 2, 6*x[2])
				case 1:
					h.Set(2, 2, -2)
				case 2:
					h.Set(0, 4, 1)
					h.Set(4, 0, 1)
				}
			},
		}, []float64{2, 2, 2, 2, 2}, 0.0787768209},
	}
}

// linearHS builds a problem with linear constraints A x = b.
func linearHS(name string, n int, f func([]float64) float64, g func(d, x []float64), hf func(*mat.Dense, []float64), a [][]float64, b, x0 []float64, fstar float64) HSProblem {
	m := len(a)
	return HSProblem{name, &Funcs{N: n, M: m, F: f, G: g,
		C: func(d, x []float64) {
			for i := range a {
				var s float64
				for j, v := range a[i] {
					s += v * x[j]
				}
				d[i] = s - b[i]
			}
		},
		J: func(j *mat.Dense, x []float64) {
			for i := range a {
				for k, v := range a[i] {
					j.Set(i, k, v)
				}
			}
		},
		HessF: hf,
		HessC: func(*mat.Dense, int, []float64) {},
	}, x0, fstar}
}

// productHess sets h to the Hessian of s prod_k x_k: entry (a, b), a != b,
// is s times the product of the other coordinates.
func productHess(h *mat.Dense, x []float64, s float64) {
	for a := range x {
		for b := range x {
			if a == b {
				continue
			}
			p := s
			for c, v := range x {
				if c != a && c != b {
					p *= v
				}
			}
			h.Set(a, b, p)
		}
	}
}

func setSym(h *mat.Dense, v [][]float64) {
	for i := range v {
		for j := range v[i] {
			h.Set(i, j, v[i][j])
		}
	}
}

func sq(v float64) float64 { return v * v }

func pow(v float64, k int) float64 {
	r := 1.0
	for ; k > 0; k-- {
		r *= v
	}
	return r
}
