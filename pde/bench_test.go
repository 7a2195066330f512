package pde

import (
	"context"
	"math"
	"testing"
)

// BenchmarkDarcySample is one Darcy data sample on the 257-node grid:
// random field, threshold, operator, multigrid set-up and PCG to 1e-10.
func BenchmarkDarcySample(b *testing.B) {
	const n = 257
	g, _ := NewNeumannGRF(2, 3, n, n)
	e, _ := NewElliptic(n, 0, 1e-10)
	field, a, u := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
	for i := 0; i < b.N; i++ {
		g.Sample(field, SampleRand(0, i), nil)
		Threshold(a, field, 12, 3)
		if err := e.SetCoefficient(a); err != nil {
			b.Fatal(err)
		}
		clear(u)
		if err := e.Solve(context.Background(), u, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNS2DStep is one Navier-Stokes step on the 256 x 256 grid.
func BenchmarkNS2DStep(b *testing.B) {
	const n = 256
	s, _ := NewNS2D(n, 1e-3, 1e-3, FNOForcing(n))
	g, _ := NewPeriodicGRF(2.5, 7, math.Pow(7, 1.5), n, n)
	w := make([]float64, n*n)
	g.Sample(w, SampleRand(0, 0), nil)
	s.SetVorticity(w, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Step()
	}
}
