package fft

import (
	"fmt"
	"unsafe"
)

// DCTType selects a discrete cosine transform.
type DCTType int

const (
	// DCT1 is y_k = x_0 + (-1)^k x_{n-1} + 2 sum_{j=1}^{n-2} x_j cos(pi j k/(n-1)),
	// the transform of even extensions about the end points: the cosine
	// eigenfunctions of the Neumann Laplacian on the nodes. n >= 2.
	DCT1 DCTType = 1
	// DCT2 is y_k = 2 sum_{j=0}^{n-1} x_j cos(pi k (2j+1)/(2n)), for data at
	// cell centres.
	DCT2 DCTType = 2
)

// DCT is a discrete cosine transform of a fixed shape along every axis,
// float64, matching scipy.fft.dctn and idctn with norm=None: Forward is
// unscaled (the definitions on DCTType, applied along each axis), and
// Inverse(Forward(x)) = x. It transforms a batch of consecutive arrays and
// is safe for concurrent use.
type DCT struct {
	typ      DCTType
	n        int
	fwd, inv *cplan
	scale    float64
}

// NewDCT returns the DCT of type t on the given shape (1 to 3 axes).
func NewDCT(t DCTType, shape ...int) (*DCT, error) {
	n, _, err := shapeInfo(shape)
	if err != nil {
		return nil, err
	}
	var fk, ik int
	scale := 1.0
	switch t {
	case DCT1:
		fk, ik = redft00, redft00
		for a, v := range shape {
			if v < 2 {
				return nil, fmt.Errorf("fft: DCT-I needs at least 2 points per axis; axis %d of %v has %d", a, shape, v)
			}
			scale /= 2 * float64(v-1)
		}
	case DCT2:
		fk, ik = redft10, redft01
		for _, v := range shape {
			scale /= 2 * float64(v)
		}
	default:
		return nil, fmt.Errorf("fft: DCT type %d; want 1 or 2", t)
	}
	kinds := func(k int) []int {
		out := make([]int, len(shape))
		for i := range out {
			out[i] = k
		}
		return out
	}
	fwd, err := getPlan(false, kindR2R, shape, kinds(fk))
	if err != nil {
		return nil, err
	}
	inv, err := getPlan(false, kindR2R, shape, kinds(ik))
	if err != nil {
		return nil, err
	}
	return &DCT{typ: t, n: n, fwd: fwd, inv: inv, scale: scale}, nil
}

// Forward transforms the arrays in src into dst (same length, not
// overlapping).
func (p *DCT) Forward(dst, src []float64) {
	b := batch("DCT.Forward", len(src), p.n, len(dst), p.n)
	run(p.fwd, b, unsafe.Pointer(&src[0]), uintptr(p.n)*8, unsafe.Pointer(&dst[0]), uintptr(p.n)*8, p.n)
}

// Inverse undoes Forward.
func (p *DCT) Inverse(dst, src []float64) {
	b := batch("DCT.Inverse", len(src), p.n, len(dst), p.n)
	run(p.inv, b, unsafe.Pointer(&src[0]), uintptr(p.n)*8, unsafe.Pointer(&dst[0]), uintptr(p.n)*8, p.n)
	scale64(dst, p.scale)
}
