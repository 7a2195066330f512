package sparse

import (
	"fmt"
	"testing"
)

// poisson2D returns the 5-point Laplacian on an n x n grid, built here so
// that the benchmark does not depend on mesh.
func poisson2D(n int) *CSR { return grid2D(n, n) }

// grid2D returns the 5-point Laplacian on an nx x ny grid, numbered along
// x first.
func grid2D(nx, ny int) *CSR {
	b := NewCOO(nx*ny, nx*ny)
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			r := j*nx + i
			b.Add(r, r, 4)
			if i > 0 {
				b.Add(r, r-1, -1)
			}
			if i < nx-1 {
				b.Add(r, r+1, -1)
			}
			if j > 0 {
				b.Add(r, r-nx, -1)
			}
			if j < ny-1 {
				b.Add(r, r+nx, -1)
			}
		}
	}
	return b.ToCSR()
}

func benchMulVec(b *testing.B, n int) {
	a := poisson2D(n)
	x, y := make([]float64, n*n), make([]float64, n*n)
	for i := range x {
		x[i] = 1
	}
	b.SetBytes(int64(12*a.NNZ() + 16*n*n))
	b.ResetTimer()
	for range b.N {
		a.MulVecTo(y, x)
	}
}

func BenchmarkMulVecPoisson(b *testing.B) {
	for _, n := range []int{64, 256, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchMulVec(b, n) })
	}
}
