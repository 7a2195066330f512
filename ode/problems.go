package ode

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/sparse"
)

// Brusselator2D is the 2-D Brusselator of the SciML benchmarks on the
// periodic unit square with n points per side (grid spacing 1/(n-1), as
// the benchmark's range(0, 1, length = n)): u_t = 1 + u^2 v - 4.4 u +
// alpha Lap u + f(x, y, t), v_t = 3.4 u - u^2 v + alpha Lap v, alpha = 10,
// f = 5 on the disc |(x, y) - (0.3, 0.6)| <= 0.1 from t = 1.1 on; u0 =
// 22 (y(1-y))^1.5, v0 = 27 (x(1-x))^1.5, integrated over t in [0, 11.5].
// The state is u then v, each row-major (i along x). It returns f (which
// depends on t: the forcing switches on), y0 and the Jacobian's pattern,
// for a stiff method's Sparsity. It panics if n < 3.
func Brusselator2D(n int) (Func, []float64, *sparse.CSR) {
	if n < 3 {
		panic(fmt.Sprintf("ode: Brusselator2D with %d points a side, want at least 3", n))
	}
	dx := 1 / float64(n-1)
	a := 10 / (dx * dx)
	x := func(i int) float64 { return float64(i) * dx }
	idx := func(i, j int) int { return ((i+n)%n)*n + (j+n)%n }
	m := n * n
	f := func(dy []float64, t float64, y []float64) {
		u, v := y[:m], y[m:]
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				k := idx(i, j)
				lu := u[idx(i-1, j)] + u[idx(i+1, j)] + u[idx(i, j-1)] + u[idx(i, j+1)] - 4*u[k]
				lv := v[idx(i-1, j)] + v[idx(i+1, j)] + v[idx(i, j-1)] + v[idx(i, j+1)] - 4*v[k]
				var src float64
				if dxs, dys := x(i)-0.3, x(j)-0.6; t >= 1.1 && dxs*dxs+dys*dys <= 0.01 {
					src = 5
				}
				uv := u[k] * u[k] * v[k]
				dy[k] = 1 + uv - 4.4*u[k] + a*lu + src
				dy[m+k] = 3.4*u[k] - uv + a*lv
			}
		}
	}
	y0 := make([]float64, 2*m)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			xi, yj := x(i), x(j)
			y0[idx(i, j)] = 22 * math.Pow(yj*(1-yj), 1.5)
			y0[m+idx(i, j)] = 27 * math.Pow(xi*(1-xi), 1.5)
		}
	}
	b := sparse.NewCOO(2*m, 2*m)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			k := idx(i, j)
			for c := 0; c < 2; c++ {
				for _, q := range []int{k, idx(i-1, j), idx(i+1, j), idx(i, j-1), idx(i, j+1)} {
					b.Add(c*m+k, c*m+q, 1)
				}
				b.Add(c*m+k, (1-c)*m+k, 1)
			}
		}
	}
	return f, y0, b.ToCSR()
}
