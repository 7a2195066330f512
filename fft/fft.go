package fft

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/pdekit/pdekit/internal/parallel"
)

// shapeInfo validates a shape and returns its size and the size of its
// half spectrum (last axis n/2+1).
func shapeInfo(shape []int) (n, nc int, err error) {
	if len(shape) < 1 || len(shape) > 3 {
		return 0, 0, fmt.Errorf("fft: %d-dimensional shape %v; want 1 to 3 dimensions", len(shape), shape)
	}
	n = 1
	for a, v := range shape {
		if v < 1 {
			return 0, 0, fmt.Errorf("fft: axis %d of shape %v has size %d", a, shape, v)
		}
		n *= v
	}
	last := shape[len(shape)-1]
	return n, n / last * (last/2 + 1), nil
}

// batch returns how many transforms of size n a slice of length l holds,
// panicking (a programmer error) when it is not a whole number or the
// other side does not match.
func batch(what string, l, n, lo, no int) int {
	if l == 0 || l%n != 0 {
		panic(fmt.Sprintf("fft: %s: input length %d is not a positive multiple of the transform size %d", what, l, n))
	}
	b := l / n
	if lo != b*no {
		panic(fmt.Sprintf("fft: %s: output length %d, want %d for %d transforms", what, lo, b*no, b))
	}
	return b
}

// grain is the least work (in elements) of one parallel part.
const grain = 1 << 15

// run executes plan p on b pairs of arrays at in + i*inStride and
// out + i*outStride (in bytes), in parallel across the batch when it is
// large enough.
func run(p *cplan, b int, in unsafe.Pointer, inStride uintptr, out unsafe.Pointer, outStride uintptr, elems int) {
	t := batchTask{p: p, b: b, in: in, out: out, is: inStride, os: outStride}
	parallel.Run(parallel.Parts(b*elems, grain), &t)
}

type batchTask struct {
	p      *cplan
	b      int
	in     unsafe.Pointer
	out    unsafe.Pointer
	is, os uintptr
}

func (t *batchTask) Do(part, parts int) {
	lo, hi := parallel.Range(t.b, part, parts)
	for i := lo; i < hi; i++ {
		t.p.exec(unsafe.Add(t.in, uintptr(i)*t.is), unsafe.Add(t.out, uintptr(i)*t.os))
	}
}

// R2C is the real-to-complex discrete Fourier transform of a fixed shape
// in float64, numpy's rfftn and irfftn over all axes: arrays are row-major
// (the last axis fastest), the spectrum keeps the non-negative frequencies
// n/2+1 of the last axis, and the other axes are in fftfreq order. Forward
// is unscaled and Inverse divides by the number of points (numpy's
// norm="backward"), so Inverse(Forward(x)) = x. Both transform a batch:
// any number of consecutive arrays. An R2C is safe for concurrent use.
type R2C struct {
	shape      []int
	n, nc      int
	fwd, inv   *cplan
	scratchC   sync.Pool
	inverseSca float64
}

// NewR2C returns the transform of the given shape (1 to 3 axes).
func NewR2C(shape ...int) (*R2C, error) {
	n, nc, err := shapeInfo(shape)
	if err != nil {
		return nil, err
	}
	fwd, err := getPlan(false, kindR2C, shape, nil)
	if err != nil {
		return nil, err
	}
	inv, err := getPlan(false, kindC2R, shape, nil)
	if err != nil {
		return nil, err
	}
	return &R2C{shape: append([]int(nil), shape...), n: n, nc: nc, fwd: fwd, inv: inv, inverseSca: 1 / float64(n)}, nil
}

// Shape returns the real shape.
func (p *R2C) Shape() []int { return append([]int(nil), p.shape...) }

// Len returns the number of real points and of complex coefficients of one
// transform.
func (p *R2C) Len() (real, spectrum int) { return p.n, p.nc }

// Forward computes the spectra of the arrays in src into dst:
// len(src) = k Len's real, len(dst) = k Len's spectrum.
func (p *R2C) Forward(dst []complex128, src []float64) {
	b := batch("R2C.Forward", len(src), p.n, len(dst), p.nc)
	run(p.fwd, b, unsafe.Pointer(&src[0]), uintptr(p.n)*8, unsafe.Pointer(&dst[0]), uintptr(p.nc)*16, p.n)
}

// Inverse computes the real arrays of the spectra in src into dst, divided
// by the number of points. src is not modified. Imaginary parts that a
// real array's spectrum cannot have (at the zero and Nyquist frequencies
// of the last axis) are ignored, as by numpy.
func (p *R2C) Inverse(dst []float64, src []complex128) {
	b := batch("R2C.Inverse", len(src), p.nc, len(dst), p.n)
	// FFTW's multi-dimensional c2r overwrites its input.
	scratch := getScratch128(&p.scratchC, len(src))
	copy(scratch, src)
	run(p.inv, b, unsafe.Pointer(&scratch[0]), uintptr(p.nc)*16, unsafe.Pointer(&dst[0]), uintptr(p.n)*8, p.n)
	putScratch128(&p.scratchC, scratch)
	scale64(dst, p.inverseSca)
}

// C2C is the complex discrete Fourier transform of a fixed shape in
// float64, numpy's fftn and ifftn over all axes (row-major, fftfreq order;
// Forward unscaled with exp(-2 pi i j k / n), Inverse with the opposite sign
// divided by the number of points). It transforms a batch of consecutive
// arrays and is safe for concurrent use.
type C2C struct {
	shape    []int
	n        int
	fwd, inv *cplan
}

// NewC2C returns the transform of the given shape (1 to 3 axes).
func NewC2C(shape ...int) (*C2C, error) {
	n, _, err := shapeInfo(shape)
	if err != nil {
		return nil, err
	}
	fwd, err := getPlan(false, kindForward, shape, nil)
	if err != nil {
		return nil, err
	}
	inv, err := getPlan(false, kindBackward, shape, nil)
	if err != nil {
		return nil, err
	}
	return &C2C{shape: append([]int(nil), shape...), n: n, fwd: fwd, inv: inv}, nil
}

// Len returns the number of points of one transform.
func (p *C2C) Len() int { return p.n }

// Forward transforms the arrays in src into dst (same length, not
// overlapping).
func (p *C2C) Forward(dst, src []complex128) {
	b := batch("C2C.Forward", len(src), p.n, len(dst), p.n)
	run(p.fwd, b, unsafe.Pointer(&src[0]), uintptr(p.n)*16, unsafe.Pointer(&dst[0]), uintptr(p.n)*16, p.n)
}

// Inverse transforms back, divided by the number of points.
func (p *C2C) Inverse(dst, src []complex128) {
	b := batch("C2C.Inverse", len(src), p.n, len(dst), p.n)
	run(p.inv, b, unsafe.Pointer(&src[0]), uintptr(p.n)*16, unsafe.Pointer(&dst[0]), uintptr(p.n)*16, p.n)
	s := complex(1/float64(p.n), 0)
	for i := range dst {
		dst[i] *= s
	}
}

// R2C32 is R2C in float32 (FFTW's single precision).
type R2C32 struct {
	shape    []int
	n, nc    int
	fwd, inv *cplan
	scratchC sync.Pool
}

// NewR2C32 returns the float32 transform of the given shape.
func NewR2C32(shape ...int) (*R2C32, error) {
	n, nc, err := shapeInfo(shape)
	if err != nil {
		return nil, err
	}
	fwd, err := getPlan(true, kindR2C, shape, nil)
	if err != nil {
		return nil, err
	}
	inv, err := getPlan(true, kindC2R, shape, nil)
	if err != nil {
		return nil, err
	}
	return &R2C32{shape: append([]int(nil), shape...), n: n, nc: nc, fwd: fwd, inv: inv}, nil
}

// Len returns the number of real points and of complex coefficients.
func (p *R2C32) Len() (real, spectrum int) { return p.n, p.nc }

// Forward is R2C.Forward in float32.
func (p *R2C32) Forward(dst []complex64, src []float32) {
	b := batch("R2C32.Forward", len(src), p.n, len(dst), p.nc)
	run(p.fwd, b, unsafe.Pointer(&src[0]), uintptr(p.n)*4, unsafe.Pointer(&dst[0]), uintptr(p.nc)*8, p.n)
}

// Inverse is R2C.Inverse in float32.
func (p *R2C32) Inverse(dst []float32, src []complex64) {
	b := batch("R2C32.Inverse", len(src), p.nc, len(dst), p.n)
	scratch := getScratch64(&p.scratchC, len(src))
	copy(scratch, src)
	run(p.inv, b, unsafe.Pointer(&scratch[0]), uintptr(p.nc)*8, unsafe.Pointer(&dst[0]), uintptr(p.n)*4, p.n)
	putScratch64(&p.scratchC, scratch)
	s := float32(1 / float64(p.n))
	for i := range dst {
		dst[i] *= s
	}
}

// C2C32 is C2C in float32.
type C2C32 struct {
	n        int
	fwd, inv *cplan
}

// NewC2C32 returns the float32 complex transform of the given shape.
func NewC2C32(shape ...int) (*C2C32, error) {
	n, _, err := shapeInfo(shape)
	if err != nil {
		return nil, err
	}
	fwd, err := getPlan(true, kindForward, shape, nil)
	if err != nil {
		return nil, err
	}
	inv, err := getPlan(true, kindBackward, shape, nil)
	if err != nil {
		return nil, err
	}
	return &C2C32{n: n, fwd: fwd, inv: inv}, nil
}

// Forward is C2C.Forward in float32.
func (p *C2C32) Forward(dst, src []complex64) {
	b := batch("C2C32.Forward", len(src), p.n, len(dst), p.n)
	run(p.fwd, b, unsafe.Pointer(&src[0]), uintptr(p.n)*8, unsafe.Pointer(&dst[0]), uintptr(p.n)*8, p.n)
}

// Inverse is C2C.Inverse in float32.
func (p *C2C32) Inverse(dst, src []complex64) {
	b := batch("C2C32.Inverse", len(src), p.n, len(dst), p.n)
	run(p.inv, b, unsafe.Pointer(&src[0]), uintptr(p.n)*8, unsafe.Pointer(&dst[0]), uintptr(p.n)*8, p.n)
	s := complex(float32(1/float64(p.n)), 0)
	for i := range dst {
		dst[i] *= s
	}
}

func scale64(x []float64, s float64) {
	for i := range x {
		x[i] *= s
	}
}

// Scratch buffers are over-allocated and sliced at a 64-byte boundary so
// that FFTW's aligned (SIMD) plans apply to them.
func getScratch128(pool *sync.Pool, n int) []complex128 {
	if v, ok := pool.Get().(*[]complex128); ok && cap(*v) >= n {
		return (*v)[:n]
	}
	buf := make([]complex128, n+4)
	off := 0
	for uintptr(unsafe.Pointer(&buf[off]))%64 != 0 {
		off++
	}
	return buf[off : off+n : off+n]
}

func putScratch128(pool *sync.Pool, s []complex128) { pool.Put(&s) }

func getScratch64(pool *sync.Pool, n int) []complex64 {
	if v, ok := pool.Get().(*[]complex64); ok && cap(*v) >= n {
		return (*v)[:n]
	}
	buf := make([]complex64, n+8)
	off := 0
	for uintptr(unsafe.Pointer(&buf[off]))%64 != 0 {
		off++
	}
	return buf[off : off+n : off+n]
}

func putScratch64(pool *sync.Pool, s []complex64) { pool.Put(&s) }
