package fft

import (
	"fmt"
	"testing"
)

// BenchmarkR2C times forward plus inverse real transforms with measured
// plans: 1-D of 1024 and 65536 points, and a spectral-conv-sized batch of
// 256 fields of 64 x 64 (8 samples x 32 channels).
func BenchmarkR2C(b *testing.B) {
	old := SetEffort(Measure)
	defer SetEffort(old)
	for _, c := range []struct {
		shape []int
		batch int
	}{{[]int{1024}, 1}, {[]int{65536}, 1}, {[]int{64, 64}, 256}} {
		p, err := NewR2C(c.shape...)
		if err != nil {
			b.Fatal(err)
		}
		n, nc := p.Len()
		x := make([]float64, c.batch*n)
		for i := range x {
			x[i] = float64(i%17) - 8
		}
		y := make([]complex128, c.batch*nc)
		b.Run(fmt.Sprintf("%v-b%d", c.shape, c.batch), func(b *testing.B) {
			for b.Loop() {
				p.Forward(y, x)
				p.Inverse(x, y)
			}
		})
	}
}
