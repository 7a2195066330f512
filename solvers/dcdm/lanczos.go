package dcdm

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/solvers"
)

// lanczos runs the symmetric Lanczos process on a from start (any norm)
// for at most m steps without keeping the basis: visit(j, q_j) sees each
// basis vector once, in order, and it returns the tridiagonal matrix's
// diagonal alpha and off-diagonal beta (len(beta) = len(alpha)-1). It
// stops early when the Krylov space is exhausted (beta below 1e-12 of
// its largest). The same inputs give the same vectors bit for bit, which
// is what lets a second pass rebuild combinations of them. With basis
// non-nil it keeps every q_j there and makes each new vector orthogonal
// to all of them, twice (full reorthogonalisation, the paper's): the Ritz
// values then come without spurious copies, at n m words of memory.
func lanczos(ctx context.Context, a solvers.Operator, start []float64, m int, visit func(j int, q []float64), basis *[][]float64) (alpha, beta []float64, err error) {
	n := len(start)
	q, prev, w := make([]float64, n), make([]float64, n), make([]float64, n)
	nrm := floats.Norm(start, 2)
	if !(nrm > 0) || math.IsInf(nrm, 0) {
		return nil, nil, fmt.Errorf("dcdm: Lanczos start vector of norm %g", nrm)
	}
	floats.ScaleTo(q, 1/nrm, start)
	var b, bmax float64
	for j := 0; j < m; j++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if visit != nil {
			visit(j, q)
		}
		if basis != nil {
			*basis = append(*basis, append([]float64(nil), q...))
		}
		a.MulVecTo(w, q)
		al := floats.Dot(w, q)
		for i := range w {
			w[i] -= al*q[i] + b*prev[i]
		}
		if basis != nil {
			for range 2 {
				for _, v := range *basis {
					floats.AddScaled(w, -floats.Dot(w, v), v)
				}
			}
		}
		alpha = append(alpha, al)
		b = floats.Norm(w, 2)
		bmax = math.Max(bmax, b)
		if j == m-1 || !(b > 1e-12*bmax) {
			break
		}
		beta = append(beta, b)
		prev, q = q, prev
		floats.ScaleTo(q, 1/b, w)
	}
	return alpha, beta, nil
}

// ritz returns the eigenvalues (ascending) and eigenvectors (columns) of
// the tridiagonal matrix with diagonal alpha and off-diagonal beta.
func ritz(alpha, beta []float64) ([]float64, *mat.Dense, error) {
	k := len(alpha)
	t := mat.NewSymDense(k, nil)
	for i := 0; i < k; i++ {
		t.SetSym(i, i, alpha[i])
		if i+1 < k {
			t.SetSym(i, i+1, beta[i])
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(t, true) {
		return nil, nil, fmt.Errorf("dcdm: the %d x %d Lanczos matrix's eigendecomposition failed", k, k)
	}
	var v mat.Dense
	eig.VectorsTo(&v)
	return eig.Values(nil), &v, nil
}

// DataSettings control TrainingSet. Zero fields take the defaults.
type DataSettings struct {
	// Steps of Lanczos; zero means min(n, 1000). (The paper: 10,000.)
	Steps int
	// Samples is the number of vectors; zero means 1000.
	Samples int
	// LowShare is the share of the Ritz vectors, lowest first, whose
	// coefficients are scaled by LowScale; zero means 0.55 and 9 (the
	// paper's m/2 + 500 of m = 10,000).
	LowShare, LowScale float64
	// MinRitz drops Ritz values below it (a null space); zero means 1e-8.
	MinRitz float64
	// Seed seeds the start vector and the coefficients.
	Seed uint64
	// Skip marks unknowns outside the network's support (Problem.Skip):
	// the start vector, and so every sample, is zero there.
	Skip []bool
	// Plain runs Lanczos without reorthogonalisation, in three vectors of
	// memory. By default the basis is kept (n Steps words: 33 MB at 64^2,
	// 260 MB at 32^3 for 1000 steps) and each vector made orthogonal to
	// all before it, as the paper's data set is. Without that, converged
	// Ritz values come with spurious copies: the extremes of the spectrum
	// are over-represented in the samples and the middle under-represented,
	// and the network trained on them is much weaker (2-D 64^2, 11 epochs
	// each: DCDM with all directions kept took 76-79 iterations on unseen
	// systems where the reorthogonalised data's took 37-47).
	Plain bool
}

// TrainingSet makes the network's training vectors as the paper does
// without holding the Lanczos basis: Lanczos from A times a Gaussian
// vector gives the tridiagonal matrix and its Ritz pairs; each sample is
// b = V c / ||V c|| for Ritz vectors V and Gaussian coefficients c, those
// of the lowest LowShare of the Ritz values scaled by LowScale, so that
// the samples lean to the low end of the spectrum, where A^-1 is large.
// Each sample is accumulated as sum_j q_j (W c)_j, W the m x m
// tridiagonal eigenvectors. By default the basis is kept, for full
// reorthogonalisation; with Plain it is not kept but rebuilt in a second
// pass of the same arithmetic, so memory is the samples and W.
func TrainingSet(ctx context.Context, a solvers.Operator, s *DataSettings) ([][]float32, error) {
	var set DataSettings
	if s != nil {
		set = *s
	}
	n, c := a.Dims()
	if n != c || n == 0 {
		return nil, fmt.Errorf("dcdm: training set of a %d x %d matrix", n, c)
	}
	if set.Steps == 0 {
		set.Steps = min(n, 1000)
	}
	if set.Samples == 0 {
		set.Samples = 1000
	}
	if set.LowShare == 0 {
		set.LowShare = 0.55
	}
	if set.LowScale == 0 {
		set.LowScale = 9
	}
	if set.MinRitz == 0 {
		set.MinRitz = 1e-8
	}
	if set.Steps < 1 || set.Samples < 1 || set.LowShare < 0 || set.LowShare > 1 || !(set.LowScale > 0) {
		return nil, fmt.Errorf("dcdm: training-set settings %+v", set)
	}
	rnd := rand.New(rand.NewPCG(set.Seed, 0xdcd))
	if set.Skip != nil && len(set.Skip) != n {
		return nil, fmt.Errorf("dcdm: %d skip flags for %d unknowns", len(set.Skip), n)
	}
	g := make([]float64, n)
	for i := range g {
		g[i] = rnd.NormFloat64()
		if set.Skip != nil && set.Skip[i] {
			g[i] = 0
		}
	}
	start := make([]float64, n)
	a.MulVecTo(start, g)
	var basis *[][]float64
	if !set.Plain {
		basis = new([][]float64)
	}
	alpha, beta, err := lanczos(ctx, a, start, set.Steps, nil, basis)
	if err != nil {
		return nil, err
	}
	vals, w, err := ritz(alpha, beta)
	if err != nil {
		return nil, err
	}
	m := len(vals)
	var keep []int
	for i, v := range vals {
		if v >= set.MinRitz {
			keep = append(keep, i)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("dcdm: no Ritz value of the %d is at least %g", m, set.MinRitz)
	}
	low := int(set.LowShare * float64(len(keep)))
	// y_s = W c_s, the sample's coefficients in the Lanczos basis.
	y := make([][]float64, set.Samples)
	for k := range y {
		y[k] = make([]float64, m)
		for r, i := range keep {
			cf := rnd.NormFloat64()
			if r < low {
				cf *= set.LowScale
			}
			for j := 0; j < m; j++ {
				y[k][j] += w.At(j, i) * cf
			}
		}
	}
	acc := make([][]float64, set.Samples)
	for k := range acc {
		acc[k] = make([]float64, n)
	}
	add := func(j int, q []float64) {
		for k := range acc {
			floats.AddScaled(acc[k], y[k][j], q)
		}
	}
	if basis != nil {
		for j, q := range *basis {
			add(j, q)
		}
	} else if _, _, err := lanczos(ctx, a, start, m, add, nil); err != nil {
		return nil, err
	}
	out := make([][]float32, set.Samples)
	for k, v := range acc {
		nrm := floats.Norm(v, 2)
		out[k] = make([]float32, n)
		for i, x := range v {
			out[k][i] = float32(x / nrm)
		}
	}
	return out, nil
}
