package relax

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// lsq is a least-squares problem min ||Phi theta - y|| with m unknowns
// whose rows arrive one at a time. It keeps the triangular factor R of a
// QR factorization of Phi (folding each new row in with Givens rotations)
// with Q^T y and the part of ||y||^2 outside the range of Q, so
//
//	||Phi theta - y||^2 = ||R theta - Q^T y||^2 + rss0
//
// and every solve costs O(m^3) however many rows there are.
type lsq struct {
	m    int
	rows int
	r    []float64 // m x m upper triangular, row-major
	qty  []float64
	rss0 float64
	v    []float64 // scratch row
}

func newLSQ(m int) *lsq {
	return &lsq{m: m, r: make([]float64, m*m), qty: make([]float64, m), v: make([]float64, m)}
}

// add appends the row phi with right-hand side y.
func (q *lsq) add(phi []float64, y float64) {
	m := q.m
	v := q.v
	copy(v, phi)
	for j := 0; j < m; j++ {
		if v[j] == 0 {
			continue
		}
		rjj := q.r[j*m+j]
		h := math.Hypot(rjj, v[j])
		c, s := rjj/h, v[j]/h
		q.r[j*m+j] = h
		v[j] = 0
		for k := j + 1; k < m; k++ {
			a, b := q.r[j*m+k], v[k]
			q.r[j*m+k] = c*a + s*b
			v[k] = -s*a + c*b
		}
		a := q.qty[j]
		q.qty[j] = c*a + s*y
		y = -s*a + c*y
	}
	q.rss0 += y * y
	q.rows++
}

// rss returns ||Phi theta - y||^2.
func (q *lsq) rss(theta []float64) float64 {
	m := q.m
	s := q.rss0
	for i := 0; i < m; i++ {
		e := -q.qty[i]
		for k := i; k < m; k++ {
			e += q.r[i*m+k] * theta[k]
		}
		s += e * e
	}
	return s
}

// minNorm sets dst to the minimum-norm least-squares solution (MATLAB's
// lsqminnorm): singular values of R below max(rows, m) eps sigma_max count
// as zero.
func (q *lsq) minNorm(dst []float64) {
	cols := make([]int, q.m)
	for i := range cols {
		cols[i] = i
	}
	q.subproblem(dst, cols, q.qty)
}

// subproblem sets dst[cols] to the minimum-norm solution of
// min || R[:, cols] z - rhs ||.
func (q *lsq) subproblem(dst []float64, cols []int, rhs []float64) {
	m, k := q.m, len(cols)
	if k == 0 {
		return
	}
	a := mat.NewDense(m, k, nil)
	for i := 0; i < m; i++ {
		for j, c := range cols {
			a.Set(i, j, q.r[i*m+c])
		}
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		for _, c := range cols {
			dst[c] = 0
		}
		return
	}
	sv := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	tol := float64(max(q.rows, m)) * 0x1p-52 * sv[0]
	z := make([]float64, k)
	for l, s := range sv {
		if !(s > tol) {
			continue
		}
		var c float64
		for i := 0; i < m; i++ {
			c += u.At(i, l) * rhs[i]
		}
		c /= s
		for j := 0; j < k; j++ {
			z[j] += c * v.At(j, l)
		}
	}
	for j, c := range cols {
		dst[c] = z[j]
	}
}

// box solves min ||Phi theta - y||^2 subject to lb <= theta <= ub from
// the start x0 (clipped into the box) by a bounded-variable active-set
// method (Stark and Parker's BVLS): minimize over the free variables with
// the others at their bounds; step back to the box when the minimizer
// leaves it, freeing and fixing variables until the gradient signs agree
// with the bounds (the KKT conditions). It returns the squared residual
// norm, as MATLAB's lsqlin does.
func (q *lsq) box(dst, lb, ub, x0 []float64) float64 {
	m := q.m
	for i := range dst {
		dst[i] = math.Min(math.Max(x0[i], lb[i]), ub[i])
	}
	free := make([]bool, m)
	for i := range free {
		free[i] = dst[i] > lb[i] && dst[i] < ub[i]
	}
	z := make([]float64, m)
	rhs := make([]float64, m)
	w := make([]float64, m)
	var cols []int
	scale := 0.0
	for _, v := range q.r {
		scale = math.Max(scale, math.Abs(v))
	}
	for outer := 0; outer < 4*m+10; outer++ {
		for inner := 0; inner <= m; inner++ {
			cols = cols[:0]
			for i, f := range free {
				if f {
					cols = append(cols, i)
				}
			}
			if len(cols) == 0 {
				break
			}
			// rhs = Q^T y - R[:, bound] x[bound]
			for i := 0; i < m; i++ {
				s := q.qty[i]
				for k := i; k < m; k++ {
					if !free[k] {
						s -= q.r[i*m+k] * dst[k]
					}
				}
				rhs[i] = s
			}
			copy(z, dst)
			q.subproblem(z, cols, rhs)
			alpha, hit := 1.0, -1
			for _, c := range cols {
				d := z[c] - dst[c]
				var a float64
				switch {
				case z[c] < lb[c]:
					a = (lb[c] - dst[c]) / d
				case z[c] > ub[c]:
					a = (ub[c] - dst[c]) / d
				default:
					continue
				}
				if a < alpha {
					alpha, hit = a, c
				}
			}
			if hit < 0 {
				copy(dst, z)
				break
			}
			for _, c := range cols {
				dst[c] += alpha * (z[c] - dst[c])
				if c == hit || dst[c] <= lb[c] || dst[c] >= ub[c] {
					dst[c] = math.Min(math.Max(dst[c], lb[c]), ub[c])
					if c == hit {
						if z[c] < lb[c] {
							dst[c] = lb[c]
						} else {
							dst[c] = ub[c]
						}
					}
					free[c] = false
				}
			}
		}
		// w = -gradient/2 = R^T (Q^T y - R x)
		for i := 0; i < m; i++ {
			e := q.qty[i]
			for k := i; k < m; k++ {
				e -= q.r[i*m+k] * dst[k]
			}
			rhs[i] = e
		}
		for k := 0; k < m; k++ {
			var s float64
			for i := 0; i <= k; i++ {
				s += q.r[i*m+k] * rhs[i]
			}
			w[k] = s
		}
		tol := 1e-13 * scale * (scale*maxAbs(dst) + maxAbs(q.qty)) * float64(m)
		j, worst := -1, tol
		for i := 0; i < m; i++ {
			if free[i] {
				continue
			}
			var viol float64
			if dst[i] <= lb[i] && w[i] > 0 {
				viol = w[i]
			}
			if dst[i] >= ub[i] && w[i] < 0 {
				viol = -w[i]
			}
			if lb[i] == ub[i] {
				viol = 0
			}
			if viol > worst {
				j, worst = i, viol
			}
		}
		if j < 0 {
			break
		}
		free[j] = true
	}
	return q.rss(dst)
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}
