package transport

import (
	"context"
	"math/rand/v2"
	"testing"
)

// benchClouds returns the peer script's clouds (uniform against a clipped
// normal in the unit square) and the max-normalised squared cost.
func benchClouds(n int) (w, c []float64) {
	rng := rand.New(rand.NewPCG(0, 0))
	x, y := make([]float64, 2*n), make([]float64, 2*n)
	for i := range x {
		x[i] = rng.Float64()
		y[i] = min(1, max(0, 0.5+0.15*rng.NormFloat64()))
	}
	c, _ = CostMatrix(x, y, 2, SqEuclidean)
	mx := 0.0
	for _, v := range c {
		mx = max(mx, v)
	}
	for i := range c {
		c[i] /= mx
	}
	w = make([]float64, n)
	for i := range w {
		w[i] = 1 / float64(n)
	}
	return w, c
}

func BenchmarkSNS1000(b *testing.B) {
	w, c := benchClouds(1000)
	for i := 0; i < b.N; i++ {
		if _, err := SinkhornNewtonSparse(context.Background(), w, w, c, 0.001, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSinkhornLog1000(b *testing.B) {
	w, c := benchClouds(1000)
	for i := 0; i < b.N; i++ {
		if _, err := SinkhornLog(context.Background(), w, w, c, 0.001, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEMD1000(b *testing.B) {
	w, c := benchClouds(1000)
	for i := 0; i < b.N; i++ {
		if _, err := EMD(context.Background(), w, w, c, nil); err != nil {
			b.Fatal(err)
		}
	}
}
