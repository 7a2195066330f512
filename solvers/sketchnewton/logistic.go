package sketchnewton

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Logistic is the paper's equality-constrained logistic regression:
//
//	min (1/N) sum_s log(1 + exp(-y_s x_s^T w))  s.t.  A w = b,  ||w||^2 = 1,
//
// with N samples x_s in R^d, labels y_s in {-1, 1}, and k linear
// constraints (the paper: k = 10, A and b standard normal), so m = k + 1.
type Logistic struct {
	X *mat.Dense // N x d samples
	Y []float64  // labels
	A *mat.Dense // k x d
	B []float64

	jac, hess *mat.Dense
	z, coef   []float64
}

// NewLogistic returns a seeded synthetic instance: samples standard normal,
// labels the signs of x^T w_true + 0.5 noise for a random unit w_true, and
// A, b standard normal with k rows, as the paper draws them.
func NewLogistic(samples, d, k int, seed uint64) (*Logistic, error) {
	if samples < 1 || d < 2 || k < 0 || k+1 > d {
		return nil, fmt.Errorf("sketchnewton: logistic regression with %d samples, %d features, %d linear constraints; want samples >= 1 and k+1 <= d", samples, d, k)
	}
	rnd := rand.New(rand.NewPCG(seed, 0x10915))
	wt := make([]float64, d)
	var nrm float64
	for i := range wt {
		wt[i] = rnd.NormFloat64()
		nrm += wt[i] * wt[i]
	}
	x := mat.NewDense(samples, d, nil)
	y := make([]float64, samples)
	for s := 0; s < samples; s++ {
		var dot float64
		for j := 0; j < d; j++ {
			v := rnd.NormFloat64()
			x.Set(s, j, v)
			dot += v * wt[j] / math.Sqrt(nrm)
		}
		y[s] = 1
		if dot+0.5*rnd.NormFloat64() < 0 {
			y[s] = -1
		}
	}
	a := mat.NewDense(max(k, 1), d, nil)
	b := make([]float64, k)
	for i := 0; i < k; i++ {
		for j := 0; j < d; j++ {
			a.Set(i, j, rnd.NormFloat64())
		}
		b[i] = rnd.NormFloat64()
	}
	if k == 0 {
		a = nil
	}
	return &Logistic{X: x, Y: y, A: a, B: b}, nil
}

// Dims implements Problem.
func (p *Logistic) Dims() (n, m int) { _, d := p.X.Dims(); return d, len(p.B) + 1 }

// margins sets z_s = y_s x_s^T w.
func (p *Logistic) margins(w []float64) []float64 {
	ns, _ := p.X.Dims()
	if p.z == nil {
		p.z = make([]float64, ns)
	}
	zv := mat.NewVecDense(ns, p.z)
	zv.MulVec(p.X, mat.NewVecDense(len(w), w))
	for s := range p.z {
		p.z[s] *= p.Y[s]
	}
	return p.z
}

// log1pexp returns log(1 + e^t) without overflow.
func log1pexp(t float64) float64 {
	if t > 0 {
		return t + math.Log1p(math.Exp(-t))
	}
	return math.Log1p(math.Exp(t))
}

// sigmoid returns 1/(1 + e^-t).
func sigmoid(t float64) float64 {
	if t >= 0 {
		return 1 / (1 + math.Exp(-t))
	}
	e := math.Exp(t)
	return e / (1 + e)
}

// Func implements Problem.
func (p *Logistic) Func(w []float64) float64 {
	z := p.margins(w)
	var s float64
	for _, v := range z {
		s += log1pexp(-v)
	}
	return s / float64(len(z))
}

// Grad implements Problem: -(1/N) sum_s sigma(-z_s) y_s x_s.
func (p *Logistic) Grad(dst, w []float64) {
	z := p.margins(w)
	ns := float64(len(z))
	if p.coef == nil {
		p.coef = make([]float64, len(z))
	}
	coef := p.coef
	for s, v := range z {
		coef[s] = -sigmoid(-v) * p.Y[s] / ns
	}
	g := mat.NewVecDense(len(dst), dst)
	g.MulVec(p.X.T(), mat.NewVecDense(len(coef), coef))
}

// Cons implements Problem: (A w - b, ||w||^2 - 1).
func (p *Logistic) Cons(dst, w []float64) {
	k := len(p.B)
	for i := 0; i < k; i++ {
		dst[i] = mat.Dot(p.A.RowView(i), mat.NewVecDense(len(w), w)) - p.B[i]
	}
	var s float64
	for _, v := range w {
		s += v * v
	}
	dst[k] = s - 1
}

// Jac implements Problem: [A; 2 w^T].
func (p *Logistic) Jac(w []float64) mat.Matrix {
	n, m := p.Dims()
	if p.jac == nil {
		p.jac = mat.NewDense(m, n, nil)
	}
	if p.A != nil {
		p.jac.Slice(0, m-1, 0, n).(*mat.Dense).Copy(p.A)
	}
	for j, v := range w {
		p.jac.Set(m-1, j, 2*v)
	}
	return p.jac
}

// HessLag implements Problem: (1/N) X^T diag(sigma(z)(1-sigma(z))) X + 2 lambda_m I.
func (p *Logistic) HessLag(w, lambda []float64) mat.Matrix {
	n, m := p.Dims()
	if p.hess == nil {
		p.hess = mat.NewDense(n, n, nil)
	}
	z := p.margins(w)
	ns, _ := p.X.Dims()
	dx := mat.DenseCopyOf(p.X)
	for s, v := range z {
		sg := sigmoid(v)
		row := dx.RawRowView(s)
		sc := sg * (1 - sg) / float64(ns)
		for j := range row {
			row[j] *= sc
		}
	}
	p.hess.Mul(p.X.T(), dx)
	for j := 0; j < n; j++ {
		p.hess.Set(j, j, p.hess.At(j, j)+2*lambda[m-1])
	}
	return p.hess
}
