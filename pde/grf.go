package pde

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pdekit/pdekit/fft"
)

// PeriodicGRF samples mean-zero Gaussian random fields on the periodic grid
// of the unit torus [0,1)^d (points i/n along each axis) with covariance
//
//	C = sigma^2 (-Laplacian + tau^2 I)^(-alpha)
//
// up to the factor 2 of FNO's sampler. The field is the inverse FFT of a
// Hermitian spectrum H whose coefficients are independent apart from
// H(-k) = conj(H(k)), with E|H(k)|^2 = s(k)^2 and
//
//	s(k) = N sqrt(2) sigma (4 pi^2 |k|^2 + tau^2)^(-alpha/2),  s(0) = 0,
//
// N the number of grid points. This is the distribution of the real part of
// FNO's GaussianRF (random_fields.py) with the same alpha, tau and sigma; the
// zero mode is dropped as there. The Navier-Stokes initial vorticity of the
// FNO data uses alpha 2.5, tau 7, sigma 7^1.5; Burgers' initial condition
// alpha 2.5, tau 7, sigma 49.
//
// A PeriodicGRF is safe for concurrent use.
type PeriodicGRF struct {
	shape []int
	n     int       // real points
	s     []float64 // s(k) on the half spectrum
	self  []bool    // half-spectrum entries equal to their own mirror
	pair  []int     // mirror of each entry in the planes the half spectrum keeps whole, or -1
	plan  *fft.R2C
}

// NewPeriodicGRF returns the sampler on a grid of the given shape (1 to 3
// axes, each at least 2 points). It returns an error for a bad shape or a
// non-positive or non-finite alpha, tau or sigma.
func NewPeriodicGRF(alpha, tau, sigma float64, shape ...int) (*PeriodicGRF, error) {
	if err := checkGRF(alpha, tau, sigma, shape); err != nil {
		return nil, err
	}
	plan, err := fft.NewR2C(shape...)
	if err != nil {
		return nil, fmt.Errorf("pde: %w", err)
	}
	n, m := plan.Len()
	g := &PeriodicGRF{shape: append([]int(nil), shape...), n: n, plan: plan,
		s: make([]float64, m), self: make([]bool, m), pair: make([]int, m)}
	d := len(shape)
	last := shape[d-1]
	half := last/2 + 1
	// Strides of the half spectrum, last axis fastest.
	var idx [3]int
	for p := 0; p < m; p++ {
		q := p
		for a := d - 1; a >= 0; a-- {
			ext := shape[a]
			if a == d-1 {
				ext = half
			}
			idx[a] = q % ext
			q /= ext
		}
		k2 := 0.0
		mirror := 0
		self := true
		for a := 0; a < d; a++ {
			k := freq(idx[a], shape[a])
			k2 += float64(k * k)
			mi := (shape[a] - idx[a]) % shape[a]
			if mi != idx[a] {
				self = false
			}
			ext := shape[a]
			if a == d-1 {
				ext = half
			}
			mirror = mirror*ext + mi
		}
		g.s[p] = float64(n) * math.Sqrt2 * sigma * math.Pow(4*math.Pi*math.Pi*k2+tau*tau, -alpha/2)
		g.pair[p] = -1
		// Entries on the zero and Nyquist planes of the last axis have
		// their mirror in the half spectrum.
		if l := idx[d-1]; l == 0 || 2*l == last {
			g.pair[p] = mirror
			g.self[p] = self
		}
	}
	g.s[0] = 0
	return g, nil
}

// freq returns the signed frequency of index i on an axis of n points
// (numpy's fftfreq times n).
func freq(i, n int) int {
	if 2*i >= n {
		return i - n
	}
	return i
}

func checkGRF(alpha, tau, sigma float64, shape []int) error {
	if len(shape) < 1 || len(shape) > 3 {
		return fmt.Errorf("pde: random field has %d axes, want 1 to 3", len(shape))
	}
	for a, n := range shape {
		if n < 2 {
			return fmt.Errorf("pde: random field axis %d has %d points, want at least 2", a, n)
		}
	}
	for _, v := range []struct {
		name string
		v    float64
	}{{"alpha", alpha}, {"tau", tau}, {"sigma", sigma}} {
		if !(v.v > 0) || math.IsInf(v.v, 1) {
			return fmt.Errorf("pde: random field %s = %v, want positive and finite", v.name, v.v)
		}
	}
	return nil
}

// Shape returns the grid shape.
func (g *PeriodicGRF) Shape() []int { return append([]int(nil), g.shape...) }

// Sample writes one field into dst (length the number of grid points),
// drawing its normals from rng in a fixed order, so that the same rng state
// gives the same field. work, if not nil, is a spectrum-sized scratch
// buffer that saves an allocation per call.
func (g *PeriodicGRF) Sample(dst []float64, rng *rand.Rand, work []complex128) {
	if len(dst) != g.n {
		panic(fmt.Sprintf("pde: field has length %d, want %d", len(dst), g.n))
	}
	if len(work) != len(g.s) {
		work = make([]complex128, len(g.s))
	}
	const r = 1 / math.Sqrt2
	for p, s := range g.s {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		work[p] = complex(s*a*r, s*b*r)
	}
	for p, q := range g.pair {
		switch {
		case q < 0:
		case g.self[p]:
			work[p] = complex(real(work[p])*math.Sqrt2, 0)
		case q < p:
			work[p] = complex(real(work[q]), -imag(work[q]))
		}
	}
	g.plan.Inverse(dst, work)
}

// Variance returns the pointwise variance of the field, sum_k s(k)^2/N^2,
// the same at every point.
func (g *PeriodicGRF) Variance() float64 {
	v := 0.0
	for p, s := range g.s {
		w := 2.0 // an entry off the kept planes stands for itself and its mirror
		if g.pair[p] >= 0 {
			w = 1
		}
		v += w * s * s
	}
	return v / (float64(g.n) * float64(g.n))
}

// NeumannGRF samples mean-zero Gaussian random fields on the unit square (or
// interval, or cube) with zero-Neumann boundaries, by the Karhunen-Loeve
// expansion in the Neumann eigenfunctions phi_k(x) = prod_a c_k cos(pi k_a
// x_a) (c_0 = 1, c_k = sqrt 2):
//
//	u(x) = sum_{k != 0} tau^(alpha-1) (pi^2 |k|^2 + tau^2)^(-alpha/2) xi_k phi_k(x),
//
// xi_k independent standard normals, k_a = 0..n_a-1, so the covariance is
// tau^(2 alpha-2) (-Laplacian + tau^2 I)^(-alpha), as in FNO's Darcy sampler
// (GRF.m, alpha 2 and tau 3 for the published data). The field is evaluated
// at the grid nodes x = j/(n-1), j = 0..n-1, boundary included, by a DCT-I;
// GRF.m evaluates the same expansion at cell centres by a DCT-II.
//
// A NeumannGRF is safe for concurrent use.
type NeumannGRF struct {
	shape []int
	n     int
	coef  []float64 // expansion weight times the DCT-I end-point factors
	sd    []float64 // standard deviation of each coefficient
	plan  *fft.DCT
}

// NewNeumannGRF returns the sampler on a node grid of the given shape (1 to
// 3 axes, each at least 2 points).
func NewNeumannGRF(alpha, tau float64, shape ...int) (*NeumannGRF, error) {
	if err := checkGRF(alpha, tau, 1, shape); err != nil {
		return nil, err
	}
	plan, err := fft.NewDCT(fft.DCT1, shape...)
	if err != nil {
		return nil, fmt.Errorf("pde: %w", err)
	}
	n := 1
	for _, s := range shape {
		n *= s
	}
	g := &NeumannGRF{shape: append([]int(nil), shape...), n: n, plan: plan,
		coef: make([]float64, n), sd: make([]float64, n)}
	d := len(shape)
	var idx [3]int
	for p := 0; p < n; p++ {
		q := p
		for a := d - 1; a >= 0; a-- {
			idx[a] = q % shape[a]
			q /= shape[a]
		}
		k2, c := 0.0, 1.0
		for a := 0; a < d; a++ {
			k := idx[a]
			k2 += float64(k * k)
			if k > 0 {
				c *= math.Sqrt2
			}
			// The DCT-I counts interior modes twice: halve them.
			if k > 0 && k < shape[a]-1 {
				c /= 2
			}
		}
		g.sd[p] = math.Pow(tau, alpha-1) * math.Pow(math.Pi*math.Pi*k2+tau*tau, -alpha/2)
		g.coef[p] = g.sd[p] * c
	}
	g.sd[0], g.coef[0] = 0, 0
	return g, nil
}

// Shape returns the grid shape.
func (g *NeumannGRF) Shape() []int { return append([]int(nil), g.shape...) }

// Sample writes one field into dst (length the number of nodes), drawing its
// normals from rng in a fixed order. work, if not nil, is a scratch buffer
// of the same length.
func (g *NeumannGRF) Sample(dst []float64, rng *rand.Rand, work []float64) {
	if len(dst) != g.n {
		panic(fmt.Sprintf("pde: field has length %d, want %d", len(dst), g.n))
	}
	if len(work) != g.n {
		work = make([]float64, g.n)
	}
	for p, c := range g.coef {
		work[p] = c * rng.NormFloat64()
	}
	g.plan.Forward(dst, work)
}

// Coefficients recovers the expansion coefficients sd_k xi_k of a field
// into dst: the inverse of Sample's transform, for checks of the spectrum.
func (g *NeumannGRF) Coefficients(dst, field []float64) {
	g.plan.Inverse(dst, field)
	for p, c := range g.coef {
		if c == 0 {
			dst[p] = 0
			continue
		}
		dst[p] *= g.sd[p] / c
	}
}

// StdDev returns the standard deviation of each expansion coefficient, in
// the layout of the field (axis order as the shape, last axis fastest).
func (g *NeumannGRF) StdDev() []float64 { return append([]float64(nil), g.sd...) }
