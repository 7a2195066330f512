package relax

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Fixed is the policy that always chooses the same omega.
type Fixed float64

// Choose implements Policy.
func (f Fixed) Choose(float64) float64 { return float64(f) }

// Update implements Policy.
func (Fixed) Update(float64) {}

// source is a seeded random stream whose state can be saved.
type source struct {
	pcg *rand.PCG
	rnd *rand.Rand
}

func newSource(seed uint64) *source {
	p := rand.NewPCG(seed, 0x9e3779b97f4a7c15)
	return &source{pcg: p, rnd: rand.New(p)}
}

// draw samples an index with probability proportional to p, which must be
// nonnegative with a positive finite sum; otherwise it draws uniformly and
// reports false, as the authors' code falls back to a uniform draw.
func (s *source) draw(p []float64) (int, bool) {
	var sum float64
	for _, v := range p {
		if !(v >= 0) {
			sum = math.NaN()
			break
		}
		sum += v
	}
	if !(sum > 0) || math.IsInf(sum, 0) {
		return s.rnd.IntN(len(p)), false
	}
	u := s.rnd.Float64() * sum
	for i, v := range p {
		u -= v
		if u < 0 {
			return i, true
		}
	}
	// Rounding left u >= 0: take the last arm with positive weight.
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] > 0 {
			return i, true
		}
	}
	return len(p) - 1, true
}

// TsallisINF is the Tsallis-INF bandit (1/2-Tsallis entropy regularizer,
// Zimmert and Seldin) over a grid of omegas, as the current code of
// "Learning to Relax" runs it: step size eta_t = 2/sqrt(t), losses the
// iteration counts shifted by one and divided by their running mean minus
// one, importance-weighted for the played arm only. Create it with
// NewTsallisINF.
type TsallisINF struct {
	grid []float64
	src  *source

	t     int       // round, from 1
	k     []float64 // cumulative importance-weighted shifted losses
	sum   float64   // sum of the observed losses
	count int       // number of observed losses

	p    []float64 // distribution of the latest round
	x    float64   // its normaliser
	last int       // arm played in the latest round
}

// NewTsallisINF returns Tsallis-INF over the omegas of grid (nil means
// DefaultGrid) with random choices seeded by seed.
func NewTsallisINF(grid []float64, seed uint64) *TsallisINF {
	return newTsallisINF(grid, newSource(seed))
}

func newTsallisINF(grid []float64, src *source) *TsallisINF {
	if grid == nil {
		grid = DefaultGrid()
	}
	checkGrid(grid)
	d := len(grid)
	return &TsallisINF{grid: grid, src: src, t: 1, k: make([]float64, d), p: make([]float64, d), last: -1}
}

func checkGrid(grid []float64) {
	if len(grid) == 0 {
		panic("relax: empty omega grid")
	}
	for _, w := range grid {
		if !(w > 0 && w < 2) {
			panic(fmt.Sprintf("relax: grid omega %v not in (0, 2)", w))
		}
	}
}

// Grid returns the omegas the policy chooses from.
func (b *TsallisINF) Grid() []float64 { return b.grid }

// scale is the running loss normalisation mean(loss) - 1, guarded against
// zero (every solve so far took one iteration).
func (b *TsallisINF) scale() float64 {
	if b.count == 0 {
		return 1
	}
	s := b.sum/float64(b.count) - 1
	if !(s > 0) {
		return 1
	}
	return s
}

// Choose implements Policy; the context is ignored.
func (b *TsallisINF) Choose(float64) float64 {
	b.distribution()
	i, ok := b.src.draw(b.p)
	if !ok {
		for j := range b.p {
			b.p[j] = 1 / float64(len(b.p))
		}
	}
	b.last = i
	return b.grid[i]
}

// distribution sets b.p_i = 4 / (eta (L_i - x))^2, L_i the normalised
// cumulative loss of arm i, with the normaliser x < min L_i solving
// sum_i p_i = 1. The sum is convex and increasing in x; Newton's method
// started where the best arm alone has weight one (so the sum is at least
// one) approaches the root from the right and stays in the domain. The
// authors' code starts at x = -1 and stops after 20 steps, which can
// overshoot when that start lies left of the root; this solves the same
// equation to rounding.
func (b *TsallisINF) distribution() {
	eta := 2 / math.Sqrt(float64(b.t))
	sc := b.scale()
	lmin := math.Inf(1)
	for _, k := range b.k {
		lmin = math.Min(lmin, k/sc)
	}
	x := lmin - 2/eta
	for it := 0; it < 100; it++ {
		var s, s32 float64
		for i, k := range b.k {
			q := 2 / (eta * (k/sc - x))
			b.p[i] = q * q
			s += b.p[i]
			s32 += b.p[i] * q
		}
		step := (s - 1) / (eta * s32)
		x -= step
		if math.Abs(s-1) <= 1e-14 || step == 0 {
			break
		}
	}
	var s float64
	for i, k := range b.k {
		q := 2 / (eta * (k/sc - x))
		b.p[i] = q * q
		s += b.p[i]
	}
	b.x = x
	for i := range b.p {
		b.p[i] /= s
	}
}

// Update implements Policy: cost is the iteration count of the latest
// choice.
func (b *TsallisINF) Update(cost float64) {
	if b.last < 0 {
		panic("relax: TsallisINF.Update before Choose")
	}
	b.sum += cost
	b.count++
	b.k[b.last] += (cost - 1) / b.p[b.last]
	b.t++
	b.last = -1
}

// Probabilities returns the distribution of the latest Choose (nil before
// the first).
func (b *TsallisINF) Probabilities() []float64 {
	if b.t == 1 && b.last < 0 {
		return nil
	}
	return b.p
}

// TsallisINFCB is the contextual variant that splits the context interval
// [Lo, Hi] into bins and runs an independent TsallisINF in each; an
// instance goes to the bin whose centre is nearest its context. Create it
// with NewTsallisINFCB.
type TsallisINFCB struct {
	lo, hi  float64
	centres []float64
	bins    []*TsallisINF
	src     *source
	last    int
}

// NewTsallisINFCB returns Tsallis-INF-CB with m bins on [lo, hi] over the
// omegas of grid (nil means DefaultGrid), seeded by seed. The paper uses
// 5 bins for the shifted Laplacian and 6 for the heat equation.
func NewTsallisINFCB(grid []float64, m int, lo, hi float64, seed uint64) (*TsallisINFCB, error) {
	if m < 1 {
		return nil, fmt.Errorf("relax: Tsallis-INF-CB needs at least one bin, got %d", m)
	}
	if !(hi > lo) {
		return nil, fmt.Errorf("relax: context interval [%v, %v] is empty", lo, hi)
	}
	src := newSource(seed)
	b := &TsallisINFCB{lo: lo, hi: hi, src: src, last: -1}
	for i := 0; i < m; i++ {
		b.centres = append(b.centres, lo+(hi-lo)*(0.5+float64(i))/float64(m))
		b.bins = append(b.bins, newTsallisINF(grid, src))
	}
	return b, nil
}

// Choose implements Policy.
func (b *TsallisINFCB) Choose(c float64) float64 {
	best := 0
	for i, z := range b.centres {
		if math.Abs(z-c) < math.Abs(b.centres[best]-c) {
			best = i
		}
	}
	b.last = best
	return b.bins[best].Choose(c)
}

// Update implements Policy.
func (b *TsallisINFCB) Update(cost float64) {
	if b.last < 0 {
		panic("relax: TsallisINFCB.Update before Choose")
	}
	b.bins[b.last].Update(cost)
	b.last = -1
}
