package halpern

import (
	"context"
	"math"
	"testing"

	"github.com/pdekit/pdekit/iterate"
)

// BenchmarkGame runs each method for 20 epochs on the paper's 500 x 500
// game with the scripts' step sizes; ns/op over 20 is the cost of an epoch.
func BenchmarkGame(b *testing.B) {
	const n = 500
	a := PolicemanBurglar(n, 1)
	p, err := NewMatrixGame(a)
	if err != nil {
		b.Fatal(err)
	}
	l := p.F.(*Affine).Lipschitz()
	var fro float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			fro += a.At(i, j) * a.At(i, j)
		}
	}
	fro = math.Sqrt(fro)
	q := 1.0 / n
	for _, m := range []struct {
		name string
		m    Method
	}{
		{"EG", EG{Step: 5 / l}},
		{"EAG", EAG{Step: 5 / l}},
		{"Alg1", VRHalpern{Step: 5 / fro}},
		{"Alg2", VRInexactHalpern{C: math.Sqrt(n) / fro, Gamma: 5 * math.Sqrt(q*(1-q)) / (math.Sqrt(n) + 1), InnerScale: 0.05}},
	} {
		b.Run(m.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := m.m.Solve(context.Background(), p, &Settings{Control: iterate.Control{Tolerance: 1e-300}, MaxEpochs: 20, CheckEvery: 20}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSimplex(b *testing.B) {
	u := make([]float64, 500)
	for i := range u {
		u[i] = math.Sin(float64(i)) * 0.01
	}
	dst := make([]float64, 500)
	for b.Loop() {
		Simplex{}.Resolve(dst, u, 1)
	}
}
