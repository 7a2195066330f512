package dcdm

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestLanczosRitz: on a small obstacle system (n = 64) Lanczos run to n
// steps from a random vector finds the two smallest and the two largest
// distinct eigenvalues of the dense matrix (a Ritz value within 1e-9 of
// the largest of each), and every Ritz value lies in the spectrum's
// interval (without reorthogonalisation converged values reappear as
// copies, which this allows).
func TestLanczosRitz(t *testing.T) {
	a, _ := system(t, 8, 4)
	n, _ := a.Dims()
	dense := denseSym(a)
	var eig mat.EigenSym
	if !eig.Factorize(dense, false) {
		t.Fatal("dense eigendecomposition failed")
	}
	want := eig.Values(nil)
	scale := want[n-1]
	var ext []float64 // the two smallest and two largest distinct eigenvalues
	for _, v := range want {
		if len(ext) < 2 && (len(ext) == 0 || v-ext[len(ext)-1] > 1e-6*scale) {
			ext = append(ext, v)
		}
	}
	for i := n - 1; i >= 0 && len(ext) < 4; i-- {
		if len(ext) == 2 || want[i] < ext[len(ext)-1]-1e-6*scale {
			ext = append(ext, want[i])
		}
	}
	rnd := rand.New(rand.NewPCG(9, 9))
	start := make([]float64, n)
	for i := range start {
		start[i] = rnd.NormFloat64()
	}
	alpha, beta, err := lanczos(context.Background(), a, start, n, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	vals, _, err := ritz(alpha, beta)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ext {
		best := math.Inf(1)
		for _, v := range vals {
			best = math.Min(best, math.Abs(v-l))
		}
		if best > 1e-9*scale {
			t.Errorf("eigenvalue %.12g: the nearest Ritz value is %.3g away", l, best)
		}
	}
	for _, v := range vals {
		if v < want[0]-1e-9*scale || v > want[n-1]+1e-9*scale {
			t.Errorf("Ritz value %.12g outside the spectrum [%.12g, %.12g]", v, want[0], want[n-1])
		}
	}
}

// TestLanczosReorthogonalised: with the basis kept (the paper's full
// reorthogonalisation) 240 steps on a 24 x 24 obstacle system give an
// orthonormal basis (to 1e-12) and no spurious copies of converged Ritz
// values, where the plain process, from the same start, gives several.
func TestLanczosReorthogonalised(t *testing.T) {
	a, _ := system(t, 24, 6)
	n, _ := a.Dims()
	rnd := rand.New(rand.NewPCG(2, 9))
	start := make([]float64, n)
	for i := range start {
		start[i] = rnd.NormFloat64()
	}
	copies := func(basis *[][]float64) int {
		alpha, beta, err := lanczos(context.Background(), a, start, 240, nil, basis)
		if err != nil {
			t.Fatal(err)
		}
		vals, _, err := ritz(alpha, beta)
		if err != nil {
			t.Fatal(err)
		}
		c := 0
		for i := 1; i < len(vals); i++ {
			if vals[i]-vals[i-1] < 1e-9*vals[len(vals)-1] {
				c++
			}
		}
		return c
	}
	var basis [][]float64
	full, plain := copies(&basis), copies(nil)
	worst := 0.0
	for i, u := range basis {
		for j, v := range basis[:i+1] {
			d := 0.0
			for k := range u {
				d += u[k] * v[k]
			}
			if i == j {
				d--
			}
			worst = math.Max(worst, math.Abs(d))
		}
	}
	t.Logf("copies: reorthogonalised %d, plain %d; |Q^T Q - I| %.2g", full, plain, worst)
	if full != 0 || plain < 3 || worst > 1e-12 {
		t.Errorf("copies: reorthogonalised %d, plain %d; |Q^T Q - I| %g", full, plain, worst)
	}
}

// TestTrainingSet: the samples have unit norm, lean to the low end of the
// spectrum as drawn (their mean Rayleigh quotient b^T A b is within 15%
// of the Ritz values' mean under the coefficients' weights, and below a
// random vector's, trace(A)/n), and are the same for the same seed.
func TestTrainingSet(t *testing.T) {
	a, _ := system(t, 16, 5)
	n, _ := a.Dims()
	set := &DataSettings{Steps: 120, Samples: 50, Seed: 3}
	bs, err := TrainingSet(context.Background(), a, set)
	if err != nil {
		t.Fatal(err)
	}
	var trace float64
	for i := 0; i < n; i++ {
		trace += a.At(i, i)
	}
	ab := make([]float64, n)
	bv := make([]float64, n)
	var mean float64
	for _, b := range bs {
		var nrm float64
		for i, v := range b {
			bv[i] = float64(v)
			nrm += bv[i] * bv[i]
		}
		if math.Abs(nrm-1) > 1e-6 {
			t.Fatalf("a sample has squared norm %g", nrm)
		}
		a.MulVecTo(ab, bv)
		for i := range ab {
			mean += ab[i] * bv[i] / float64(len(bs))
		}
	}
	// The weighted mean of the Ritz values the samples are drawn from:
	// weight 81 on the lowest 55%, 1 above.
	rnd := rand.New(rand.NewPCG(set.Seed, 0xdcd))
	g, start := make([]float64, n), make([]float64, n)
	for i := range g {
		g[i] = rnd.NormFloat64()
	}
	a.MulVecTo(start, g)
	alpha, beta, _ := lanczos(context.Background(), a, start, set.Steps, nil, nil)
	vals, _, _ := ritz(alpha, beta)
	var num, den float64
	for i, v := range vals {
		w := 1.0
		if i < int(0.55*float64(len(vals))) {
			w = 81
		}
		num, den = num+w*v, den+w
	}
	t.Logf("mean Rayleigh quotient %.4g; weighted Ritz mean %.4g; a random vector's %.4g", mean, num/den, trace/float64(n))
	if math.Abs(mean-num/den) > 0.15*num/den || !(mean < trace/float64(n)) {
		t.Errorf("mean Rayleigh quotient %g, weighted Ritz mean %g, a random vector's %g", mean, num/den, trace/float64(n))
	}
	again, _ := TrainingSet(context.Background(), a, set)
	if !slices.Equal(again[7], bs[7]) {
		t.Error("the same seed gave another sample")
	}
}
