package neuralop

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/nn"
)

// SobolevNorm is the loss of the Spectral-Refiner code (its SobolevLoss
// with the default mesh weighting and the space axes last): for fields
// [B, T, n, n] (T frames on the unit torus) it weights each Fourier mode
// of each frame by
//
//	w_k = (Alpha + 4 pi^2 |k|^2)^(Order/4)  (Order != 0),
//	w_k = (Alpha + 4 pi^2 |k|^2)^(1/2)       (Order == 0),
//
// so that Order s measures an H^(s/2) norm and Order 0, which the code's
// training uses under the name of a relative L2 loss, an H^1-type norm.
// With û the unnormalised 2-D DFT of a frame (numpy's norm="backward"),
//
//	relative:  mean_b ||w (û - v̂)||_b / ||w v̂||_b / sqrt(T),
//	absolute:  mean_b ||w û||_b / sqrt(T) / n,
//
// where ||.||_b sums over the frames and modes of sample b. The absolute
// value is n times the continuous norm sqrt(mean_t sum_k w_k^2 |c_k|^2)
// of the Fourier coefficients c_k: the code's scaling, kept so that its
// figures compare (the fine-tuning's "H^-1" residual is Order -1,
// Alpha 10^-1.5, absolute).
type SobolevNorm struct {
	// Order is the code's norm_order.
	Order float64
	// Alpha is the shift; zero means the code's default 0.1.
	Alpha float64
}

// weights returns the multipliers sqrt(m_c) w_k, duplicated for (re, im),
// of an n x n frame's half spectrum, m_c = 2 on the columns that stand
// for a conjugate pair too, so that the half spectrum's sum of squares is
// the full spectrum's.
func (s SobolevNorm) weights(n int) []float64 {
	alpha := s.Alpha
	if alpha == 0 {
		alpha = 0.1
	}
	h := n/2 + 1
	out := make([]float64, 2*n*h)
	for i := 0; i < n; i++ {
		fx := float64(i)
		if i > n/2 {
			fx -= float64(n)
		}
		for j := 0; j < h; j++ {
			base := alpha + 4*math.Pi*math.Pi*(fx*fx+float64(j*j))
			w := math.Sqrt(base)
			if s.Order != 0 {
				w = math.Pow(base, s.Order/4)
			}
			if j > 0 && !(n%2 == 0 && j == n/2) {
				w *= math.Sqrt2
			}
			out[2*(i*h+j)], out[2*(i*h+j)+1] = w, w
		}
	}
	return out
}

// weighted returns the weighted half spectra of x [B, T, n, n].
func weighted[T nn.Float](tp *nn.Tape[T], s SobolevNorm, x *nn.Tensor[T]) *nn.Tensor[T] {
	w := s.weights(x.Shape[3])
	c := make([]T, len(w))
	for i, v := range w {
		c[i] = T(v)
	}
	return tp.Affine(tp.RFFT2(x), c, make([]T, len(c)))
}

// checkFrames panics unless x is [B, T, n, n].
func checkFrames[T nn.Float](what string, x *nn.Tensor[T]) {
	if len(x.Shape) != 4 || x.Shape[2] != x.Shape[3] {
		panic(fmt.Sprintf("neuralop: %s of shape %v, want [B, T, n, n]", what, x.Shape))
	}
}

// SobolevRel returns s's relative loss of pred against target, both
// [B, T, n, n], as the code's SobolevLoss(relative=True) computes it.
func SobolevRel[T nn.Float](tp *nn.Tape[T], s SobolevNorm, pred, target *nn.Tensor[T]) *nn.Tensor[T] {
	checkFrames("SobolevRel", pred)
	checkFrames("SobolevRel", target)
	r := tp.RelL2(weighted(tp, s, pred), weighted(tp, s, target))
	return tp.Scale(r, T(1/math.Sqrt(float64(pred.Shape[1]))))
}

// SobolevAbs returns s's absolute norm of x [B, T, n, n], as the code's
// SobolevLoss(relative=False) computes it (the fine-tuning's residual
// norm).
func SobolevAbs[T nn.Float](tp *nn.Tape[T], s SobolevNorm, x *nn.Tensor[T]) *nn.Tensor[T] {
	checkFrames("SobolevAbs", x)
	b, nt, n := x.Shape[0], x.Shape[1], x.Shape[3]
	z := weighted(tp, s, x)
	per := len(z.Data) / b
	norms := make([]float64, b)
	scale := 1 / (float64(b) * math.Sqrt(float64(nt)) * float64(n))
	// mean_b ||z_b|| scale b; d/dz_b = scale z_b / ||z_b||.
	return tp.Op(nil, []*nn.Tensor[T]{z}, func(out []T) {
		var sum float64
		for k := 0; k < b; k++ {
			var q float64
			for _, v := range z.Data[k*per : (k+1)*per] {
				q += float64(v) * float64(v)
			}
			norms[k] = math.Sqrt(q)
			sum += norms[k]
		}
		out[0] = T(sum * scale)
	}, func(gout []T, gin [][]T) {
		if gin[0] == nil {
			return
		}
		for k := 0; k < b; k++ {
			if norms[k] == 0 {
				continue
			}
			c := float64(gout[0]) * scale / norms[k]
			g := gin[0][k*per : (k+1)*per]
			for i, v := range z.Data[k*per : (k+1)*per] {
				g[i] += T(c * float64(v))
			}
		}
	})
}
