package halpern

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/sparse"
)

// PolicemanBurglar returns the n x n payoff matrix of the paper's matrix
// game, A_ij = w_j (1 - exp(-0.8 |i-j|)) with w_j = |N(0,1)| drawn from a
// PCG seeded with seed (so not numpy's instance for the same seed).
func PolicemanBurglar(n int, seed uint64) *mat.Dense {
	rnd := rand.New(rand.NewPCG(seed, 0x5eed))
	w := make([]float64, n)
	for j := range w {
		w[j] = math.Abs(rnd.NormFloat64())
	}
	a := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a.Set(i, j, w[j]*(1-math.Exp(-0.8*math.Abs(float64(i-j)))))
		}
	}
	return a
}

// NewMatrixGame returns the matrix game min_{x in simplex} max_{y in simplex} y^T A x
// as an inclusion on u = (x, y): F(u) = (A^T y, -A x), an Affine operator
// with max(m, n) components (for a square A, component i is row i of A for
// the x-block and column i for the y-block), G the product of the two
// simplices, starting at the uniform strategies.
func NewMatrixGame(a mat.Matrix) (*Problem, error) {
	m, n := a.Dims()
	if m == 0 || n == 0 {
		return nil, fmt.Errorf("halpern: matrix game with an empty %d x %d payoff matrix", m, n)
	}
	d := n + m
	coo := sparse.NewCOO(d, d)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			v := a.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("halpern: matrix game payoff A[%d][%d] = %g is not finite", i, j, v)
			}
			if v == 0 {
				continue
			}
			coo.Add(j, n+i, v)  // x-block: (A^T y)_j
			coo.Add(n+i, j, -v) // y-block: -(A x)_i
		}
	}
	f, err := NewAffine(coo.ToCSR(), nil, max(m, n))
	if err != nil {
		return nil, err
	}
	u0 := make([]float64, d)
	for j := 0; j < n; j++ {
		u0[j] = 1 / float64(n)
	}
	for i := 0; i < m; i++ {
		u0[n+i] = 1 / float64(m)
	}
	return &Problem{F: f, G: Product{{Size: n, Set: Simplex{}}, {Size: m, Set: Simplex{}}}, U0: u0}, nil
}

// NewQuadraticMinMax returns the paper's unconstrained bilinearly coupled
// quadratic min-max problem of dimension n per player,
// min_x max_y (1/2) x^T H x - h^T x - y^T (A x - b), as the inclusion
// F(x, y) = (H x - h - A^T y, A x - b) = 0: A has A[i][n-1-i] = 1/4 and
// A[i][n-2-i] = -1/4, H = 2 A^T A, b = 1/4 (every entry), h = e_n / 4,
// starting at 1/n. F is an Affine operator with n components (component i
// holds the columns of x_i and y_i). The solution is x* = A^{-1} b,
// y* = A^{-T}(H x* - h).
func NewQuadraticMinMax(n int) (*Problem, error) {
	if n < 2 {
		return nil, fmt.Errorf("halpern: quadratic min-max of dimension %d, want at least 2", n)
	}
	a := quadraticA(n)
	h := mat.NewDense(n, n, nil)
	h.Mul(a.T(), a)
	h.Scale(2, h)
	d := 2 * n
	coo := sparse.NewCOO(d, d)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if v := h.At(i, j); v != 0 {
				coo.Add(i, j, v)
			}
			if v := a.At(i, j); v != 0 {
				coo.Add(n+i, j, v)  // A x
				coo.Add(j, n+i, -v) // -A^T y
			}
		}
	}
	q := make([]float64, d)
	q[n-1] = -0.25 // -h
	for i := n; i < d; i++ {
		q[i] = -0.25 // -b
	}
	f, err := NewAffine(coo.ToCSR(), q, n)
	if err != nil {
		return nil, err
	}
	u0 := make([]float64, d)
	for i := range u0 {
		u0[i] = 1 / float64(n)
	}
	return &Problem{F: f, U0: u0}, nil
}

func quadraticA(n int) *mat.Dense {
	a := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		a.Set(i, n-1-i, 0.25)
		if n-2-i >= 0 {
			a.Set(i, n-2-i, -0.25)
		}
	}
	return a
}
