package fft_test

import (
	"fmt"
	"math"
	"math/cmplx"

	"github.com/pdekit/pdekit/fft"
)

// The real transform of cos(2 pi 3 x / 16) has one coefficient, n/2 at
// frequency 3; the inverse gives the samples back.
func ExampleR2C() {
	const n = 16
	p, err := fft.NewR2C(n)
	if err != nil {
		panic(err)
	}
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Cos(2 * math.Pi * 3 * float64(i) / n)
	}
	_, nc := p.Len()
	spec := make([]complex128, nc)
	p.Forward(spec, x)
	for k, c := range spec {
		if cmplx.Abs(c) > 1e-9 {
			fmt.Printf("k = %d: %.3f\n", k, real(c))
		}
	}
	back := make([]float64, n)
	p.Inverse(back, spec)
	fmt.Printf("%d coefficients, round trip error < 1e-14: %v\n", nc, math.Abs(back[5]-x[5]) < 1e-14)
	// Output:
	// k = 3: 8.000
	// 9 coefficients, round trip error < 1e-14: true
}
