package mesh

import (
	"fmt"
	"testing"
)

func BenchmarkLaplacian2D(b *testing.B) {
	for _, n := range []int{256, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			a := NewLaplacian(NewGrid(Dirichlet, n, n))
			x, y := make([]float64, n*n), make([]float64, n*n)
			b.SetBytes(16 * int64(n*n))
			for range b.N {
				a.MulVecTo(y, x)
			}
		})
	}
}
