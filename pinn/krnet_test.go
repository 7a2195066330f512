package pinn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pdekit/pdekit/nn"
)

// randomKRnet returns a KRnet whose every parameter is moved by normal
// noise of size amp (not the near-identity of a fresh one), initialised
// on uniform points.
func randomKRnet(t *testing.T, d int, s KRnetSettings, amp float64, seed uint64) *KRnet {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 1))
	k, err := NewKRnet(d, s, rnd)
	require.NoError(t, err)
	for _, p := range k.Params() {
		for i := range p.Tensor.Data {
			p.Tensor.Data[i] += amp * rnd.NormFloat64()
		}
	}
	tp := nn.NewTape[float64]()
	k.LogProb(tp, Uniform(d, 200, rnd))
	return k
}

// TestKRnetInverse: FromLatent inverts the map LogProb differentiates, to
// rounding, in 1, 2 and 5 dimensions, and its points lie in the support.
// Points within 2e-6 of the support's width of its edge are left out: the
// logistic map is clamped there (as the DAS code's), so they do not map
// back; they must be under a quarter.
func TestKRnetInverse(t *testing.T) {
	for _, d := range []int{1, 2, 5} {
		k := randomKRnet(t, d, KRnetSettings{Depth: 4, Width: 8, Bins: 8}, 0.05, uint64(d))
		rnd := rand.New(rand.NewPCG(9, 9))
		z := make([]float64, 300*d)
		for i := range z {
			z[i] = rnd.NormFloat64()
		}
		x := k.FromLatent(z)
		for _, v := range x.Data {
			if !(v >= k.Lo && v <= k.Hi) {
				t.Fatalf("d = %d: sample %g outside [%g, %g]", d, v, k.Lo, k.Hi)
			}
		}
		tp := nn.NewTape[float64]()
		_, cols := k.toPrior(tp, x)
		var worst float64
		edge, w := 0, k.Hi-k.Lo
	points:
		for i := 0; i < 300; i++ {
			for _, v := range x.Data[i*d : (i+1)*d] {
				if math.Min(v-k.Lo, k.Hi-v) < 2e-6*w {
					edge++
					continue points
				}
			}
			for j := 0; j < d; j++ {
				worst = math.Max(worst, math.Abs(cols[j].Data[i]-z[i*d+j]))
			}
		}
		if worst > 1e-8 || edge > 75 {
			t.Errorf("d = %d: the round trip moves a prior point by %.3g (%d points at the edge)", d, worst, edge)
		}
	}
}

// TestKRnetDensity: the density of a random flow integrates to 1 over its
// support (midpoint rule: 20,000 cells in 1-D, 400 x 400 in 2-D).
func TestKRnetDensity(t *testing.T) {
	for _, tc := range []struct{ d, n int }{{1, 20000}, {2, 400}} {
		k := randomKRnet(t, tc.d, KRnetSettings{Depth: 4, Width: 8, Bins: 8}, 0.05, 3)
		h := (k.Hi - k.Lo) / float64(tc.n)
		cells := 1
		for i := 0; i < tc.d; i++ {
			cells *= tc.n
		}
		x := nn.Zeros[float64](cells, tc.d)
		for c := 0; c < cells; c++ {
			r := c
			for j := 0; j < tc.d; j++ {
				x.Data[c*tc.d+j] = k.Lo + (float64(r%tc.n)+0.5)*h
				r /= tc.n
			}
		}
		var sum float64
		for _, p := range k.Density(x) {
			sum += p * math.Pow(h, float64(tc.d))
		}
		if math.Abs(sum-1) > 1e-3 {
			t.Errorf("d = %d: the density integrates to %.6f", tc.d, sum)
		}
	}
}

// TestKRnetGradients: the backward pass of the mean log-density matches
// central differences in every parameter (3-D: couplings, actnorms, the
// CDF's density values).
func TestKRnetGradients(t *testing.T) {
	k := randomKRnet(t, 3, KRnetSettings{Depth: 2, Width: 4, Bins: 4}, 0.3, 5)
	x := Uniform(3, 7, rand.New(rand.NewPCG(2, 2)))
	require.NoError(t, nn.CheckGradients(nn.Tensors(k.Params()), func(tp *nn.Tape[float64]) *nn.Tensor[float64] {
		return tp.Mean(k.LogProb(tp, x))
	}, 1e-6, 1e-6))
}
