package nn

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"

	"github.com/pdekit/pdekit/internal/openblas"
	"github.com/pdekit/pdekit/internal/parallel"
)

// gemm computes c = alpha op(a) op(b) + beta c for row-major a, b, c with
// OpenBLAS (see doc.go): large products are split across the package's
// worker pool along n, m, or, for thin products with a long inner
// dimension, k.
func gemm[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	work := m * n * k
	parts := parallel.Parts(work, 1<<21)
	switch {
	case parts <= 1:
		gemm1(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	case n >= 64*parts:
		parallel.For(n, 64, func(j0, j1 int) {
			bo := j0
			if tB {
				bo = j0 * ldb
			}
			gemm1(tA, tB, m, j1-j0, k, alpha, a, lda, b[bo:], ldb, beta, c[j0:], ldc)
		})
	case m >= 64*parts:
		parallel.For(m, 64, func(i0, i1 int) {
			ao := i0 * lda
			if tA {
				ao = i0
			}
			gemm1(tA, tB, i1-i0, n, k, alpha, a[ao:], lda, b, ldb, beta, c[i0*ldc:], ldc)
		})
	default:
		// Thin: split k and add the partial products.
		partial := make([][]T, parts)
		forRangeParts(k, parts, func(p, k0, k1 int) {
			buf := make([]T, m*n)
			ao, bo := k0, k0*ldb
			if tA {
				ao = k0 * lda
			}
			if tB {
				bo = k0
			}
			gemm1(tA, tB, m, n, k1-k0, alpha, a[ao:], lda, b[bo:], ldb, 0, buf, n)
			partial[p] = buf
		})
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				v := beta * row[j]
				if beta == 0 {
					v = 0
				}
				for _, pb := range partial {
					v += pb[i*n+j]
				}
				row[j] = v
			}
		}
	}
}

// SetBLASThreads sets the number of threads OpenBLAS uses, for the whole
// process (OpenBLAS has one such setting). OpenBLAS's threads, which
// synchronise per call, lose to nn's own worker pool on the many mid-sized
// products of a training step, so a program that trains calls
// SetBLASThreads(1) where it starts. nn itself never calls it.
func SetBLASThreads(n int) { openblas.SetThreads(n) }

// gemm1 is one BLAS call.
func gemm1[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	switch av := any(a).(type) {
	case []float64:
		openblas.BLAS.Dgemm(ta, tb, m, n, k, float64(alpha), av, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	case []float32:
		openblas.BLAS.Sgemm(ta, tb, m, n, k, float32(alpha), av, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	}
}

// rows returns the number of rows of x seen as a matrix whose last axis
// has length cols.
func rows(shape []int, cols int, op string) int {
	if len(shape) == 0 || shape[len(shape)-1] != cols {
		panic(fmt.Sprintf("nn: %s: input of shape %v, want last axis %d", op, shape, cols))
	}
	return size(shape) / cols
}

// Linear returns x W^T + b over the last axis of x: W is [out, in], b is
// [out] or nil, and x is [..., in].
func (tp *Tape[T]) Linear(x, w, b *Tensor[T]) *Tensor[T] {
	if len(w.Shape) != 2 {
		panic(fmt.Sprintf("nn: Linear weight of shape %v, want [out, in]", w.Shape))
	}
	out, in := w.Shape[0], w.Shape[1]
	m := rows(x.Shape, in, "Linear")
	shape := append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), out)
	inputs := []*Tensor[T]{x, w}
	if b != nil {
		if len(b.Data) != out {
			panic(fmt.Sprintf("nn: Linear bias of shape %v for %d outputs", b.Shape, out))
		}
		inputs = append(inputs, b)
	}
	y := tp.outRaw(shape, inputs...)
	var beta T // no bias: the product overwrites y
	if b != nil {
		for r := 0; r < m; r++ {
			copy(y.Data[r*out:(r+1)*out], b.Data)
		}
		beta = 1
	}
	gemm(false, true, m, out, in, 1, x.Data, in, w.Data, in, beta, y.Data, out)
	tp.record(y, func() {
		dy := y.Grad
		if dy == nil {
			return
		}
		if x.needGrad {
			gemm(false, false, m, in, out, 1, dy, out, w.Data, in, 1, tp.grad(x), in)
		}
		if w.needGrad {
			gemm(true, false, out, in, m, 1, dy, out, x.Data, in, 1, tp.grad(w), in)
		}
		if b != nil && b.needGrad {
			db := tp.grad(b)
			for r := 0; r < m; r++ {
				for j, v := range dy[r*out : (r+1)*out] {
					db[j] += v
				}
			}
		}
	})
	return y
}

// MatMul returns the matrix product a b of a [m, k] and b [k, n].
func (tp *Tape[T]) MatMul(a, b *Tensor[T]) *Tensor[T] {
	if len(a.Shape) != 2 || len(b.Shape) != 2 || a.Shape[1] != b.Shape[0] {
		panic(fmt.Sprintf("nn: MatMul of shapes %v and %v", a.Shape, b.Shape))
	}
	m, k, n := a.Shape[0], a.Shape[1], b.Shape[1]
	y := tp.out([]int{m, n}, a, b)
	gemm(false, false, m, n, k, 1, a.Data, k, b.Data, n, 0, y.Data, n)
	tp.record(y, func() {
		dy := y.Grad
		if dy == nil {
			return
		}
		if a.needGrad {
			gemm(false, true, m, k, n, 1, dy, n, b.Data, n, 1, tp.grad(a), k)
		}
		if b.needGrad {
			gemm(true, false, k, n, m, 1, a.Data, k, dy, n, 1, tp.grad(b), n)
		}
	})
	return y
}

func mustSame[T Float](op string, a, b *Tensor[T]) {
	if !slices.Equal(a.Shape, b.Shape) {
		panic(fmt.Sprintf("nn: %s of shapes %v and %v", op, a.Shape, b.Shape))
	}
}

// Add returns a + b (same shapes).
func (tp *Tape[T]) Add(a, b *Tensor[T]) *Tensor[T] {
	mustSame("Add", a, b)
	y := tp.outRaw(a.Shape, a, b)
	for i := range y.Data {
		y.Data[i] = a.Data[i] + b.Data[i]
	}
	tp.record(y, func() {
		for _, x := range []*Tensor[T]{a, b} {
			if x.needGrad && y.Grad != nil {
				g := tp.grad(x)
				for i, v := range y.Grad {
					g[i] += v
				}
			}
		}
	})
	return y
}

// Sub returns a - b (same shapes).
func (tp *Tape[T]) Sub(a, b *Tensor[T]) *Tensor[T] {
	mustSame("Sub", a, b)
	y := tp.outRaw(a.Shape, a, b)
	for i := range y.Data {
		y.Data[i] = a.Data[i] - b.Data[i]
	}
	tp.record(y, func() {
		if y.Grad == nil {
			return
		}
		if a.needGrad {
			g := tp.grad(a)
			for i, v := range y.Grad {
				g[i] += v
			}
		}
		if b.needGrad {
			g := tp.grad(b)
			for i, v := range y.Grad {
				g[i] -= v
			}
		}
	})
	return y
}

// Mul returns the elementwise product a * b (same shapes).
func (tp *Tape[T]) Mul(a, b *Tensor[T]) *Tensor[T] {
	mustSame("Mul", a, b)
	y := tp.out(a.Shape, a, b)
	for i := range y.Data {
		y.Data[i] = a.Data[i] * b.Data[i]
	}
	tp.record(y, func() {
		if y.Grad == nil {
			return
		}
		if a.needGrad {
			g := tp.grad(a)
			for i, v := range y.Grad {
				g[i] += v * b.Data[i]
			}
		}
		if b.needGrad {
			g := tp.grad(b)
			for i, v := range y.Grad {
				g[i] += v * a.Data[i]
			}
		}
	})
	return y
}

// Scale returns s x.
func (tp *Tape[T]) Scale(x *Tensor[T], s T) *Tensor[T] {
	y := tp.out(x.Shape, x)
	for i, v := range x.Data {
		y.Data[i] = s * v
	}
	tp.record(y, func() {
		if y.Grad != nil && x.needGrad {
			g := tp.grad(x)
			for i, v := range y.Grad {
				g[i] += s * v
			}
		}
	})
	return y
}

// Reshape returns x with another shape of the same size; the data is
// shared, the gradient flows back.
func (tp *Tape[T]) Reshape(x *Tensor[T], shape ...int) *Tensor[T] {
	if size(shape) != len(x.Data) {
		panic(fmt.Sprintf("nn: Reshape of %v to %v", x.Shape, shape))
	}
	y := &Tensor[T]{Shape: append([]int(nil), shape...), Data: x.Data, needGrad: x.needGrad && !tp.noGrad}
	tp.record(y, func() {
		if y.Grad != nil && x.needGrad {
			g := tp.grad(x)
			for i, v := range y.Grad {
				g[i] += v
			}
		}
	})
	return y
}

// unary applies f elementwise; df(x, y) is f'(x) given y = f(x).
func (tp *Tape[T]) unary(x *Tensor[T], f func(float64) float64, df func(x, y float64) float64) *Tensor[T] {
	y := tp.outRaw(x.Shape, x) // every element is written
	for i, v := range x.Data {
		y.Data[i] = T(f(float64(v)))
	}
	tp.record(y, func() {
		if y.Grad != nil && x.needGrad {
			g := tp.grad(x)
			for i, v := range y.Grad {
				g[i] += v * T(df(float64(x.Data[i]), float64(y.Data[i])))
			}
		}
	})
	return y
}

// Tanh returns tanh(x) element-wise, in parallel (its backward pass too).
func (tp *Tape[T]) Tanh(x *Tensor[T]) *Tensor[T] {
	y := tp.outRaw(x.Shape, x)
	const grain = 1 << 14
	parallel.For(len(x.Data), grain, func(lo, hi int) {
		yv := y.Data[lo:hi]
		for i, v := range x.Data[lo:hi] {
			yv[i] = T(math.Tanh(float64(v)))
		}
	})
	tp.record(y, func() {
		if y.Grad != nil && x.needGrad {
			g := tp.grad(x)
			parallel.For(len(g), grain, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					yi := y.Data[i]
					g[i] += y.Grad[i] * (1 - yi*yi)
				}
			})
		}
	})
	return y
}

// Sin returns sin(x) elementwise.
func (tp *Tape[T]) Sin(x *Tensor[T]) *Tensor[T] {
	return tp.unary(x, math.Sin, func(x, _ float64) float64 { return math.Cos(x) })
}

// Cos returns cos(x) elementwise.
func (tp *Tape[T]) Cos(x *Tensor[T]) *Tensor[T] {
	return tp.unary(x, math.Cos, func(x, _ float64) float64 { return -math.Sin(x) })
}

// Exp returns exp(x) elementwise.
func (tp *Tape[T]) Exp(x *Tensor[T]) *Tensor[T] {
	return tp.unary(x, math.Exp, func(_, y float64) float64 { return y })
}

// Sigmoid returns 1/(1+exp(-x)) elementwise.
func (tp *Tape[T]) Sigmoid(x *Tensor[T]) *Tensor[T] {
	return tp.unary(x, sigmoid, func(_, y float64) float64 { return y * (1 - y) })
}

// Softplus returns log(1+exp(x)) elementwise, without overflow.
func (tp *Tape[T]) Softplus(x *Tensor[T]) *Tensor[T] {
	return tp.unary(x, softplus, func(x, _ float64) float64 { return sigmoid(x) })
}

// ReLU returns max(x, 0) elementwise (NaN stays NaN), in parallel (its
// backward pass too).
func (tp *Tape[T]) ReLU(x *Tensor[T]) *Tensor[T] {
	y := tp.outRaw(x.Shape, x)
	const grain = 1 << 14
	parallel.For(len(x.Data), grain, func(lo, hi int) {
		ys := y.Data[lo:hi]
		for i, v := range x.Data[lo:hi] {
			if v > 0 || v != v {
				ys[i] = v
			} else {
				ys[i] = 0
			}
		}
	})
	tp.record(y, func() {
		if y.Grad == nil || !x.needGrad {
			return
		}
		g := tp.grad(x)
		parallel.For(len(g), grain, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if x.Data[i] > 0 {
					g[i] += y.Grad[i]
				}
			}
		})
	})
	return y
}

// GELU returns x Phi(x) elementwise, with Phi the standard normal CDF (the
// exact form, PyTorch's default). In float64 Phi is math.Erfc's; in
// float32 it is interpolated from a table (cubic Hermite on a 1/64 grid
// with the exact density as slopes: errors below 1e-9, far under float32's
// resolution, at a tenth of the cost of erfc). The derivative is kept from
// the forward pass, and both run on the worker pool.
func (tp *Tape[T]) GELU(x *Tensor[T]) *Tensor[T] {
	y := tp.outRaw(x.Shape, x)
	var d []T
	if y.needGrad {
		d = tp.bufRaw(len(x.Data))
	}
	_, exact := any(x.Data).([]float64)
	parallel.For(len(x.Data), 1<<13, func(lo, hi int) {
		xs, ys := x.Data[lo:hi], y.Data[lo:hi]
		for i, xt := range xs {
			v := float64(xt)
			var phi, pdf float64
			if exact {
				phi, pdf = normCDF(v), math.Exp(-v*v/2)/math.Sqrt(2*math.Pi)
			} else {
				phi, pdf = phiTable(v)
			}
			ys[i] = T(v * phi)
			if d != nil {
				d[lo+i] = T(phi + v*pdf)
			}
		}
	})
	tp.record(y, func() {
		if y.Grad == nil || !x.needGrad {
			return
		}
		g := tp.grad(x)
		parallel.For(len(g), 1<<14, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				g[i] += y.Grad[i] * d[i]
			}
		})
	})
	return y
}

// The table of phiTable: on each interval [x_k, x_k + 1/64) from x_0 = -8,
// the cubic Hermite interpolants of Phi (slopes phi) and of the density
// phi (slopes -x phi) as polynomials in t = 64 (x - x_k), Horner-ready.
const (
	phiLo    = -8.0
	phiScale = 64.0
	phiN     = 16*64 + 1
)

var phiPoly = func() [][8]float64 {
	const h = 1 / phiScale
	c := make([][8]float64, phiN-1)
	pdf := func(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
	for k := range c {
		x0, x1 := phiLo+float64(k)*h, phiLo+float64(k+1)*h
		p0, p1, q0, q1 := normCDF(x0), normCDF(x1), pdf(x0), pdf(x1)
		// Hermite on [0, 1]: values v0, v1 and slopes (in t) m0, m1 give
		// v0 + m0 t + (3(v1-v0) - 2 m0 - m1) t^2 + (2(v0-v1) + m0 + m1) t^3.
		cubic := func(v0, v1, m0, m1 float64) (a0, a1, a2, a3 float64) {
			return v0, m0, 3*(v1-v0) - 2*m0 - m1, 2*(v0-v1) + m0 + m1
		}
		c[k][0], c[k][1], c[k][2], c[k][3] = cubic(p0, p1, h*q0, h*q1)
		c[k][4], c[k][5], c[k][6], c[k][7] = cubic(q0, q1, -h*x0*q0, -h*x1*q1)
	}
	return c
}()

// phiTable returns Phi(x) and the density phi(x) by cubic Hermite
// interpolation on a 1/64 grid, with the exact slopes phi and -x phi; 0
// and 1 (density 0) beyond |x| = 8, where Phi is within 7e-16 of them.
func phiTable(x float64) (phi, pdf float64) {
	if !(x > phiLo) {
		if math.IsNaN(x) {
			return x, x
		}
		return 0, 0
	}
	u := (x - phiLo) * phiScale
	k := int(u)
	if k >= phiN-1 {
		return 1, 0
	}
	t := u - float64(k)
	c := &phiPoly[k]
	phi = ((c[3]*t+c[2])*t+c[1])*t + c[0]
	pdf = ((c[7]*t+c[6])*t+c[5])*t + c[4]
	return phi, pdf
}

func sigmoid(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

func softplus(v float64) float64 {
	if v > 0 {
		return v + math.Log1p(math.Exp(-v))
	}
	return math.Log1p(math.Exp(v))
}

func normCDF(v float64) float64 { return 0.5 * math.Erfc(-v/math.Sqrt2) }

// Sum returns the sum of all elements, a scalar.
func (tp *Tape[T]) Sum(x *Tensor[T]) *Tensor[T] {
	y := tp.out(nil, x)
	var s float64
	for _, v := range x.Data {
		s += float64(v)
	}
	y.Data[0] = T(s)
	tp.record(y, func() {
		if y.Grad != nil && x.needGrad {
			g := tp.grad(x)
			d := y.Grad[0]
			for i := range g {
				g[i] += d
			}
		}
	})
	return y
}

// Mean returns the mean of all elements, a scalar.
func (tp *Tape[T]) Mean(x *Tensor[T]) *Tensor[T] {
	return tp.Scale(tp.Sum(x), 1/T(len(x.Data)))
}

// Square returns x*x elementwise.
func (tp *Tape[T]) Square(x *Tensor[T]) *Tensor[T] {
	return tp.unary(x, func(v float64) float64 { return v * v }, func(v, _ float64) float64 { return 2 * v })
}

// AddScalar returns x + c elementwise.
func (tp *Tape[T]) AddScalar(x *Tensor[T], c T) *Tensor[T] {
	y := tp.out(x.Shape, x)
	for i, v := range x.Data {
		y.Data[i] = v + c
	}
	tp.record(y, func() {
		if y.Grad != nil && x.needGrad {
			g := tp.grad(x)
			for i, v := range y.Grad {
				g[i] += v
			}
		}
	})
	return y
}

// LinComb returns the linear combination sum_i c[i] xs[i] of tensors of
// one shape (the stage sums of a Runge-Kutta method); zero coefficients
// skip their tensor.
func (tp *Tape[T]) LinComb(c []T, xs ...*Tensor[T]) *Tensor[T] {
	if len(c) != len(xs) || len(xs) == 0 {
		panic(fmt.Sprintf("nn: LinComb of %d coefficients and %d tensors", len(c), len(xs)))
	}
	xs = append([]*Tensor[T](nil), xs...) // the backward pass keeps them; the caller may reuse its slice
	var in []*Tensor[T]
	for i, x := range xs {
		mustSame("LinComb", xs[0], x)
		if c[i] != 0 {
			in = append(in, x)
		}
	}
	y := tp.out(xs[0].Shape, in...)
	for i, x := range xs {
		if c[i] != 0 {
			axpyT(c[i], x.Data, y.Data)
		}
	}
	tp.record(y, func() {
		if y.Grad == nil {
			return
		}
		for i, x := range xs {
			if c[i] != 0 && x.needGrad {
				axpyT(c[i], y.Grad, tp.grad(x))
			}
		}
	})
	return y
}

// ScaleBy returns s x for a one-element tensor s, differentiable in both
// (Scale takes a constant).
func (tp *Tape[T]) ScaleBy(x, s *Tensor[T]) *Tensor[T] {
	if len(s.Data) != 1 {
		panic(fmt.Sprintf("nn: ScaleBy a tensor of shape %v, want one element", s.Shape))
	}
	y := tp.outRaw(x.Shape, x, s)
	sv := s.Data[0]
	for i, v := range x.Data {
		y.Data[i] = sv * v
	}
	tp.record(y, func() {
		if y.Grad == nil {
			return
		}
		if x.needGrad {
			axpyT(sv, y.Grad, tp.grad(x))
		}
		if s.needGrad {
			var d float64
			for i, g := range y.Grad {
				d += float64(g) * float64(x.Data[i])
			}
			tp.grad(s)[0] += T(d)
		}
	})
	return y
}

func axpyT[T Float](a T, x, y []T) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}
