// Package fft computes discrete Fourier and cosine transforms in 1, 2 and
// 3 dimensions, float64 and float32, with FFTW underneath (cgo,
// libfftw3-dev). A transform is made once for a shape, its FFTW plans are
// cached for the process and reused, and it is safe for concurrent use; a
// call transforms a batch of consecutive arrays, split across cores when
// the batch is large.
//
// Conventions are numpy's: arrays are row-major (last axis fastest),
// spectra in fftfreq order ([0, 1, ..., -2, -1]); the real transform keeps
// the n/2+1 non-negative frequencies of the last axis; Forward is unscaled
// and Inverse divides by the number of points (norm="backward"), so
// Inverse(Forward(x)) == x. The DCTs match scipy.fft.dctn/idctn with
// norm=None. Any size works, primes included (FFTW uses O(n log n)
// algorithms for them).
//
// The 2-D real transform of a batch of 8 fields of 64 x 64:
//
//	p, err := fft.NewR2C(64, 64)
//	if err != nil { ... }
//	_, nc := p.Len()                          // 64 * 33 coefficients per field
//	spec := make([]complex128, 8*nc)
//	p.Forward(spec, fields)                   // len(fields) == 8*64*64
//	p.Inverse(fields, spec)                   // back, divided by 64*64
package fft
