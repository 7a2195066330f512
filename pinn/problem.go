package pinn

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/nn"
)

// Problem is a PDE on the box [-1, 1]^Dim() with Dirichlet data from its
// exact solution.
type Problem interface {
	// Dim is the number of space dimensions.
	Dim() int
	// Exact returns the exact solution at x.
	Exact(x []float64) float64
	// Residual records the PDE's residual of the network values u (a
	// Taylor propagation from the points x [N, d]) at those points, [N, 1].
	Residual(tp *nn.Tape[float64], u nn.Taylor[float64], x *nn.Tensor[float64]) *nn.Tensor[float64]
	// Name names the problem.
	Name() string
}

// peak is exp(-1000 |x - c|^2).
func peak(x, c []float64) float64 {
	var r2 float64
	for i, v := range x {
		r2 += (v - c[i]) * (v - c[i])
	}
	return math.Exp(-1000 * r2)
}

// Peak is the DAS code's peak problem: -Lap u = f on [-1, 1]^2 with
// u = exp(-1000 |x - (0.5, 0.5)|^2), a peak of width about 0.03 that
// uniform collocation almost misses.
type Peak struct{}

// Dim implements Problem.
func (Peak) Dim() int { return 2 }

// Name implements Problem.
func (Peak) Name() string { return "peak" }

// Exact implements Problem.
func (Peak) Exact(x []float64) float64 { return peak(x, []float64{0.5, 0.5}) }

// peakLap returns Lap u = (4e6 |x - c|^2 - 4000) u for u = peak(x, c) in
// two dimensions.
func peakLap(x, c []float64) float64 {
	var r2 float64
	for i, v := range x {
		r2 += (v - c[i]) * (v - c[i])
	}
	return (4e6*r2 - 4000) * math.Exp(-1000*r2)
}

// Residual implements Problem: -Lap u - f.
func (Peak) Residual(tp *nn.Tape[float64], u nn.Taylor[float64], x *nn.Tensor[float64]) *nn.Tensor[float64] {
	f := pointwise(x, func(p []float64) float64 { return -peakLap(p, []float64{0.5, 0.5}) })
	return tp.Sub(tp.Scale(tp.TaylorLaplacian(u), -1), f)
}

// TwoPeak is the DAS code's two-peak problem on [-1, 1]^2, which is not
// Poisson: Lap u - div(u grad b) = f with b = x^2 + y^2 and
// u = exp(-1000 |x - (0.5, 0.5)|^2) + exp(-1000 |x + (0.5, 0.5)|^2). With
// grad b = 2x and Lap b = 4, div(u grad b) = 2 x . grad u + 4 u.
type TwoPeak struct{}

// Dim implements Problem.
func (TwoPeak) Dim() int { return 2 }

// Name implements Problem.
func (TwoPeak) Name() string { return "two-peak" }

var twoPeakCentres = [2][]float64{{0.5, 0.5}, {-0.5, -0.5}}

// Exact implements Problem.
func (TwoPeak) Exact(x []float64) float64 {
	return peak(x, twoPeakCentres[0]) + peak(x, twoPeakCentres[1])
}

// source returns f = Lap u - 2 x . grad u - 4 u for the exact u.
func (p TwoPeak) source(x []float64) float64 {
	var lap, xgrad float64
	for _, c := range twoPeakCentres {
		g := peak(x, c)
		lap += peakLap(x, c)
		for i, v := range x {
			xgrad += v * (-2000 * (v - c[i]) * g)
		}
	}
	return lap - 2*xgrad - 4*p.Exact(x)
}

// Residual implements Problem: Lap u - 2 x . grad u - 4 u - f.
func (p TwoPeak) Residual(tp *nn.Tape[float64], u nn.Taylor[float64], x *nn.Tensor[float64]) *nn.Tensor[float64] {
	xg := tp.Add(tp.Mul(column(x, 0), tp.TaylorGrad(u, 0)), tp.Mul(column(x, 1), tp.TaylorGrad(u, 1)))
	lu := tp.LinComb([]float64{1, -2, -4}, tp.TaylorLaplacian(u), xg, u.V)
	return tp.Sub(lu, pointwise(x, p.source))
}

// Exp is the DAS code's d-dimensional problem: -Lap u = f on [-1, 1]^d
// with u = exp(-10 |x|^2), so f = (20 d - 400 |x|^2) u.
type Exp struct {
	// D is the dimension (at least 1).
	D int
}

// Dim implements Problem.
func (p Exp) Dim() int { return p.D }

// Name implements Problem.
func (p Exp) Name() string { return fmt.Sprintf("exp%dd", p.D) }

// Exact implements Problem.
func (p Exp) Exact(x []float64) float64 {
	var r2 float64
	for _, v := range x {
		r2 += v * v
	}
	return math.Exp(-10 * r2)
}

// Residual implements Problem: -Lap u - f.
func (p Exp) Residual(tp *nn.Tape[float64], u nn.Taylor[float64], x *nn.Tensor[float64]) *nn.Tensor[float64] {
	f := pointwise(x, func(q []float64) float64 {
		var r2 float64
		for _, v := range q {
			r2 += v * v
		}
		return (20*float64(len(q)) - 400*r2) * math.Exp(-10*r2)
	})
	return tp.Sub(tp.Scale(tp.TaylorLaplacian(u), -1), f)
}

// pointwise returns [N, 1] with f at each point of x [N, d] (data, not
// on the tape).
func pointwise(x *nn.Tensor[float64], f func([]float64) float64) *nn.Tensor[float64] {
	n, d := x.Shape[0], x.Shape[1]
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		out[i] = f(x.Data[i*d : (i+1)*d])
	}
	return nn.New(out, n, 1)
}

// column returns coordinate j of the points x [N, d] as [N, 1] data.
func column(x *nn.Tensor[float64], j int) *nn.Tensor[float64] {
	return pointwise(x, func(p []float64) float64 { return p[j] })
}
