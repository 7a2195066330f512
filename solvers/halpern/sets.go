package halpern

import (
	"fmt"
	"math"
)

// Box is the indicator of the box Lo <= u <= Hi, coordinate by coordinate.
// A nil Lo or Hi leaves that side unbounded; infinite entries are allowed.
type Box struct {
	Lo, Hi []float64
}

// Resolve projects u onto the box.
func (b Box) Resolve(dst, u []float64, _ float64) {
	for i, v := range u {
		if b.Lo != nil && v < b.Lo[i] {
			v = b.Lo[i]
		}
		if b.Hi != nil && v > b.Hi[i] {
			v = b.Hi[i]
		}
		dst[i] = v
	}
}

func (b Box) checkDim(d int) error {
	if b.Lo != nil && len(b.Lo) != d {
		return fmt.Errorf("box: Lo has length %d, want %d", len(b.Lo), d)
	}
	if b.Hi != nil && len(b.Hi) != d {
		return fmt.Errorf("box: Hi has length %d, want %d", len(b.Hi), d)
	}
	if b.Lo != nil && b.Hi != nil {
		for i := range b.Lo {
			if !(b.Lo[i] <= b.Hi[i]) {
				return fmt.Errorf("box: Lo[%d] = %g is not <= Hi[%d] = %g", i, b.Lo[i], i, b.Hi[i])
			}
		}
	}
	return nil
}

// Simplex is the indicator of the simplex {u >= 0, sum u = Radius}; a zero
// Radius means 1, the probability simplex.
type Simplex struct {
	Radius float64
}

// Resolve projects u onto the simplex by Michelot's algorithm: the
// threshold tau with dst = max(u - tau, 0) is found by repeatedly
// averaging over the entries above the current threshold, which only
// grows, so the loop ends after at most len(u) passes (a handful in
// practice) and needs no sort and no scratch memory.
func (s Simplex) Resolve(dst, u []float64, _ float64) {
	r := s.Radius
	if r == 0 {
		r = 1
	}
	var sum float64
	for _, v := range u {
		sum += v
	}
	cnt := len(u)
	tau := (sum - r) / float64(cnt)
	for {
		sum = 0
		c := 0
		for _, v := range u {
			if v > tau {
				sum += v
				c++
			}
		}
		if c == 0 || c >= cnt {
			break
		}
		cnt = c
		tau = (sum - r) / float64(c)
	}
	for i, v := range u {
		dst[i] = math.Max(v-tau, 0)
	}
}

func (s Simplex) checkDim(d int) error {
	if s.Radius < 0 || math.IsNaN(s.Radius) || math.IsInf(s.Radius, 0) {
		return fmt.Errorf("simplex: radius %g is not a positive number", s.Radius)
	}
	if d == 0 {
		return fmt.Errorf("simplex: empty")
	}
	return nil
}

// Ball is the indicator of the Euclidean ball ||u - Center|| <= Radius; a
// nil Center is the origin.
type Ball struct {
	Center []float64
	Radius float64
}

// Resolve projects u onto the ball.
func (b Ball) Resolve(dst, u []float64, _ float64) {
	var ss float64
	for i, v := range u {
		if b.Center != nil {
			v -= b.Center[i]
		}
		ss += v * v
	}
	nrm := math.Sqrt(ss)
	scale := 1.0
	if nrm > b.Radius {
		scale = b.Radius / nrm
	}
	for i, v := range u {
		c := 0.0
		if b.Center != nil {
			c = b.Center[i]
		}
		dst[i] = c + scale*(v-c)
	}
}

func (b Ball) checkDim(d int) error {
	if b.Center != nil && len(b.Center) != d {
		return fmt.Errorf("ball: center has length %d, want %d", len(b.Center), d)
	}
	if !(b.Radius >= 0) || math.IsInf(b.Radius, 0) {
		return fmt.Errorf("ball: radius %g is not a nonnegative number", b.Radius)
	}
	return nil
}

// Block is one factor of a Product: Size consecutive coordinates with
// their own G; a nil Set leaves them unconstrained.
type Block struct {
	Size int
	Set  Resolvent
}

// Product is the separable G(u) = sum_k G_k(u_k) over consecutive blocks of
// coordinates, whose resolvent acts block by block: for a matrix game
// min_x max_y, the product of the two players' simplices.
type Product []Block

// Resolve applies each block's resolvent to its coordinates.
func (p Product) Resolve(dst, u []float64, eta float64) {
	off := 0
	for _, b := range p {
		d, s := dst[off:off+b.Size], u[off:off+b.Size]
		if b.Set == nil {
			copy(d, s)
		} else {
			b.Set.Resolve(d, s, eta)
		}
		off += b.Size
	}
}

func (p Product) checkDim(d int) error {
	total := 0
	for k, b := range p {
		if b.Size <= 0 {
			return fmt.Errorf("product: block %d has size %d", k, b.Size)
		}
		if c, ok := b.Set.(interface{ checkDim(int) error }); ok {
			if err := c.checkDim(b.Size); err != nil {
				return fmt.Errorf("product: block %d: %w", k, err)
			}
		}
		total += b.Size
	}
	if total != d {
		return fmt.Errorf("product: blocks cover %d coordinates, operator dimension is %d", total, d)
	}
	return nil
}
