package mg

import (
	"testing"

	"github.com/pdekit/pdekit/mesh"
)

func BenchmarkSetupPoisson1023(b *testing.B) {
	g := mesh.NewGrid(mesh.Dirichlet, 1023, 1023)
	a := mesh.NewLaplacian(g).ToCSR()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := New(g, a, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVCyclePoisson1023(b *testing.B) {
	g := mesh.NewGrid(mesh.Dirichlet, 1023, 1023)
	a := mesh.NewLaplacian(g).ToCSR()
	m, err := New(g, a, nil)
	if err != nil {
		b.Fatal(err)
	}
	r := make([]float64, g.Len())
	for i := range r {
		r[i] = 1
	}
	dst := make([]float64, g.Len())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.PreconSolve(dst, r)
	}
}
