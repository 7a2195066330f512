package dcdm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pdekit/pdekit/nn"
)

// TestNetParams: the 3-D network of the paper (N = 64) has the 97,457
// parameters its layer list gives (a 1 -> 16 and fourteen 16 -> 16
// 3 x 3 x 3 convolutions with biases, a 16 -> 1 head), the 2-D one
// 160 + 14 (9 16 16 + 16) + 17 = 32,657; the output has the input's shape
// on any even grid.
func TestNetParams(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		dim, want int
		grid      []int
	}{{3, 97457, []int{1, 1, 8, 6, 4}}, {2, 32657, []int{2, 1, 12, 8}}} {
		m, err := NewNet[float32](NetSettings{Dim: tc.dim}, rnd)
		if err != nil {
			t.Fatal(err)
		}
		if n := nn.Count(m.Params()); n != tc.want {
			t.Errorf("%d-D: %d parameters, want %d", tc.dim, nn.Count(m.Params()), tc.want)
		}
		if y := m.Forward(nn.NewTape[float32](), nn.Zeros[float32](tc.grid...)); !slices.Equal(y.Shape, tc.grid) {
			t.Errorf("%d-D: output %v for input %v", tc.dim, y.Shape, tc.grid)
		}
	}
	if _, err := NewNet[float32](NetSettings{Dim: 2, Full: 3}, rnd); err == nil {
		t.Error("an odd convolution count accepted")
	}
}

// TestNetGradients checks the network and the loss by finite differences
// (float64, a small network, 2-D and 3-D), and the loss's closed forms:
// zero for q = A^-1 b (via CG to 1e-14), ||b - (b^T b / b^T A b) A b||^2
// for q = b.
func TestNetGradients(t *testing.T) {
	rnd := rand.New(rand.NewPCG(2, 2))
	for _, grid := range [][]int{{2, 1, 4, 6}, {1, 1, 4, 4, 2}} {
		m, err := NewNet[float64](NetSettings{Dim: len(grid) - 2, Channels: 3, Full: 2, Half: 2, Up: 2}, rnd)
		if err != nil {
			t.Fatal(err)
		}
		x := nn.Zeros[float64](grid...)
		for i := range x.Data {
			x.Data[i] = rnd.NormFloat64()
		}
		r := nn.Zeros[float64](grid...)
		for i := range r.Data {
			r.Data[i] = rnd.NormFloat64()
		}
		ps := nn.Tensors(m.Params())
		if err := nn.CheckGradients(ps, func(tp *nn.Tape[float64]) *nn.Tensor[float64] { return tp.Sum(tp.Mul(m.Forward(tp, x), r)) }, 0, 1e-5); err != nil {
			t.Errorf("network %v: %v", grid, err)
		}
	}
	a, b0 := system(t, 4, 7)
	n, _ := a.Dims()
	b := nn.New(b0, 1, 1, 4, 4)
	q := nn.Param(append([]float64(nil), b0...), 1, 1, 4, 4)
	for i := range q.Data {
		q.Data[i] += 0.3 * rnd.NormFloat64()
	}
	if err := nn.CheckGradients([]*nn.Tensor[float64]{q}, func(tp *nn.Tape[float64]) *nn.Tensor[float64] { return Loss(tp, a, q, b) }, 0, 0); err != nil {
		t.Errorf("loss: %v", err)
	}
	tp := nn.NewTape[float64]()
	ab := make([]float64, n)
	a.MulVecTo(ab, b0)
	var bb, bab, want float64
	for i, v := range b0 {
		bb += v * v
		bab += v * ab[i]
	}
	for i, v := range b0 {
		d := v - bb/bab*ab[i]
		want += d * d
	}
	if got := Loss(tp, a, nn.New(append([]float64(nil), b0...), 1, 1, 4, 4), b).Item(); math.Abs(got-want) > 1e-12*want {
		t.Errorf("loss of q = b: %g, want %g", got, want)
	}
	sol := solve(t, a, b0, &Method{}, nil, 1e-14, nil)
	if got := Loss(tp, a, nn.New(sol.X, 1, 1, 4, 4), b).Item(); got > 1e-20 {
		t.Errorf("loss of q = A^-1 b: %g", got)
	}
}
