package sketchnewton

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/sparse"
)

// PoissonControl is the PDE-constrained problem of the paper's code:
// optimal control of the 2-D Poisson equation on the N x N interior points
// of the square [0, 2]^2 (h = 2/(N+1), zero Dirichlet boundary),
//
//	min (1/2)||w - w_true||^2 + (alpha/2)||z||^2  s.t.  Laplacian_h w + z = 0,
//
// with the state w and the control z in R^{N^2} (n = 2N^2, m = N^2),
// alpha = 0.1 and w_true(i, j) = sin(4 + (0.1/sqrt 15)(i - (N+1)/2)) +
// cos(3 + (0.1/sqrt 15)(j - (N+1)/2)) for i, j = 1..N. The Jacobian
// [Laplacian_h, I] and the Hessian diag(I, alpha I) are sparse.
type PoissonControl struct {
	N     int
	Alpha float64
	// WTrue is the target state, axis 0 (i) fastest.
	WTrue []float64

	lap  *sparse.CSR // the 5-point Laplacian_h (negative definite)
	jac  *sparse.CSR
	hess *sparse.CSR
}

// NewPoissonControl returns the problem on an N x N grid.
func NewPoissonControl(n int) (*PoissonControl, error) {
	if n < 1 {
		return nil, fmt.Errorf("sketchnewton: Poisson control grid of %d points per side", n)
	}
	g, err := mesh.NewGridWith([]int{n, n}, []mesh.Boundary{mesh.Dirichlet, mesh.Dirichlet}, []float64{2, 2})
	if err != nil {
		return nil, err
	}
	negLap := mesh.NewLaplacian(g).ToCSR()
	p := &PoissonControl{N: n, Alpha: 0.1, WTrue: make([]float64, n*n)}
	c := 0.1 / math.Sqrt(15)
	mid := float64(n+1) / 2
	for j := 1; j <= n; j++ {
		for i := 1; i <= n; i++ {
			p.WTrue[(i-1)+n*(j-1)] = math.Sin(4+c*(float64(i)-mid)) + math.Cos(3+c*(float64(j)-mid))
		}
	}
	nn := n * n
	lap := sparse.NewCOO(nn, nn)
	jac := sparse.NewCOO(nn, 2*nn)
	forEach(negLap, func(i, j int, v float64) {
		lap.Add(i, j, -v)
		jac.Add(i, j, -v)
	})
	hess := sparse.NewCOO(2*nn, 2*nn)
	for i := 0; i < nn; i++ {
		jac.Add(i, nn+i, 1)
		hess.Add(i, i, 1)
		hess.Add(nn+i, nn+i, p.Alpha)
	}
	p.lap, p.jac, p.hess = lap.ToCSR(), jac.ToCSR(), hess.ToCSR()
	return p, nil
}

// Dims implements Problem.
func (p *PoissonControl) Dims() (n, m int) { return 2 * p.N * p.N, p.N * p.N }

// Func implements Problem.
func (p *PoissonControl) Func(x []float64) float64 {
	nn := p.N * p.N
	var s float64
	for i := 0; i < nn; i++ {
		d := x[i] - p.WTrue[i]
		s += d*d + p.Alpha*x[nn+i]*x[nn+i]
	}
	return s / 2
}

// Grad implements Problem.
func (p *PoissonControl) Grad(dst, x []float64) {
	nn := p.N * p.N
	for i := 0; i < nn; i++ {
		dst[i] = x[i] - p.WTrue[i]
		dst[nn+i] = p.Alpha * x[nn+i]
	}
}

// Cons implements Problem.
func (p *PoissonControl) Cons(dst, x []float64) {
	nn := p.N * p.N
	p.lap.MulVecTo(dst, x[:nn])
	for i := 0; i < nn; i++ {
		dst[i] += x[nn+i]
	}
}

// Jac implements Problem: [Laplacian_h, I], constant.
func (p *PoissonControl) Jac([]float64) mat.Matrix { return p.jac }

// HessLag implements Problem: diag(I, alpha I), the constraints being
// linear.
func (p *PoissonControl) HessLag(_, _ []float64) mat.Matrix { return p.hess }
