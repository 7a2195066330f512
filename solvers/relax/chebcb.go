package relax

import (
	"fmt"
	"math"
)

// ChebCB is the contextual bandit of "Learning to Relax" for a scalar
// context in [Lo, Hi]: it regresses each arm's cost on the Chebyshev
// polynomials T_0..T_{m-1} of the context mapped to [-1, 1] and plays by
// inverse-gap weighting (SquareCB): the arm with the least predicted cost
// gets the remaining mass, arm i gets 1/(d + eta (yhat_i - yhat_min)).
// Each arm's fit is the minimum-norm least-squares solution for the
// normalised costs (cost-1)/scale, refitted with box bounds on the
// coefficients when it leaves them (the Lipschitz and range bounds of the
// analysis); eta grows with the rounds as the authors' current code sets
// it. Create it with NewChebCB.
type ChebCB struct {
	grid   []float64
	m      int
	lo, hi float64
	src    *source

	t     int
	eta   float64
	scale float64
	theta []float64 // d x m
	fits  []*lsq    // per arm, rows phi with right-hand side cost-1

	kmax, kmin float64 // largest and smallest cost seen
	// running sums for R = sum_s (pred_s - cost_s/(K N))^2
	spp, spl, sll float64

	// the latest round
	phi  []float64
	p    []float64
	last int
	pred float64

	lb, ub, th []float64 // scratch of Update
}

// NewChebCB returns ChebCB over the omegas of grid (nil means DefaultGrid)
// with m Chebyshev features (the paper uses 6) on the context interval
// [lo, hi], seeded by seed. Contexts outside the interval are treated as
// its nearest end.
func NewChebCB(grid []float64, m int, lo, hi float64, seed uint64) (*ChebCB, error) {
	if grid == nil {
		grid = DefaultGrid()
	}
	checkGrid(grid)
	if m < 1 {
		return nil, fmt.Errorf("relax: ChebCB needs at least one feature, got %d", m)
	}
	if !(hi > lo) {
		return nil, fmt.Errorf("relax: context interval [%v, %v] is empty", lo, hi)
	}
	d := len(grid)
	b := &ChebCB{grid: grid, m: m, lo: lo, hi: hi, src: newSource(seed), t: 1,
		theta: make([]float64, d*m), phi: make([]float64, m), p: make([]float64, d), last: -1,
		lb: make([]float64, m), ub: make([]float64, m), th: make([]float64, m),
		kmax: math.Inf(-1), kmin: math.Inf(1)}
	for i := 0; i < d; i++ {
		b.fits = append(b.fits, newLSQ(m))
	}
	return b, nil
}

// chebyshev sets phi_j = T_j(z), j = 0..len(phi)-1.
func chebyshev(phi []float64, z float64) {
	for j := range phi {
		switch j {
		case 0:
			phi[j] = 1
		case 1:
			phi[j] = z
		default:
			phi[j] = 2*z*phi[j-1] - phi[j-2]
		}
	}
}

func (b *ChebCB) features(c float64) {
	z := 2*(c-b.lo)/(b.hi-b.lo) - 1
	chebyshev(b.phi, math.Max(-1, math.Min(1, z)))
}

// Choose implements Policy.
func (b *ChebCB) Choose(c float64) float64 {
	d, m := len(b.grid), b.m
	b.features(c)
	best, ymin := 0, math.Inf(1)
	yhat := b.p // reuse: predictions first, then probabilities
	for i := 0; i < d; i++ {
		var y float64
		for j := 0; j < m; j++ {
			y += b.theta[i*m+j] * b.phi[j]
		}
		yhat[i] = y
		if y < ymin {
			best, ymin = i, y
		}
	}
	var rest float64
	for i := range yhat {
		if i == best {
			continue
		}
		yhat[i] = 1 / (float64(d) + b.eta*(yhat[i]-ymin))
		rest += yhat[i]
	}
	yhat[best] = 1 - rest
	i, _ := b.src.draw(b.p)
	b.last = i
	var pred float64
	for j := 0; j < m; j++ {
		pred += b.theta[i*m+j] * b.phi[j]
	}
	b.pred = pred
	return b.grid[i]
}

// Update implements Policy.
func (b *ChebCB) Update(cost float64) {
	if b.last < 0 {
		panic("relax: ChebCB.Update before Choose")
	}
	d, m, i := len(b.grid), b.m, b.last
	b.last = -1
	b.fits[i].add(b.phi, cost-1)
	b.kmax = math.Max(b.kmax, cost)
	b.kmin = math.Min(b.kmin, cost)
	b.spp += b.pred * b.pred
	b.spl += b.pred * cost
	b.sll += cost * cost

	bma := b.hi - b.lo
	k := math.Max(b.kmax, 1) // guard: the normalisation divides by the largest cost
	l := (b.kmax - b.kmin) / bma
	n := 2 + 4*bma*l/k*(1+math.Log(float64(m)))
	changed := b.scale != k*n
	b.scale = k * n
	// Bounds on theta: |theta_0| <= 1/N, |theta_j| <= 2 (b-a) L / (scale j),
	// applied to the unnormalised fit theta' = scale theta.
	lb, ub, th := b.lb, b.ub, b.th
	ub[0] = b.scale / n
	for j := 1; j < m; j++ {
		ub[j] = 2 * bma * l / float64(j)
	}
	for j := range lb {
		lb[j] = -ub[j]
	}
	var resnorm float64
	for a := 0; a < d; a++ {
		if !(changed || a == i) || b.fits[a].rows == 0 {
			continue
		}
		f := b.fits[a]
		f.minNorm(th)
		out := false
		for j := range th {
			if math.Abs(th[j]) > ub[j] {
				out = true
			}
		}
		if out {
			resnorm = f.box(th, lb, ub, th) / (b.scale * b.scale)
		}
		for j := range th {
			b.theta[a*m+j] = th[j] / b.scale
		}
	}
	alpha := (math.Pi + 2/math.Pi*math.Log(2*float64(m)+1)) / (2 * b.scale * float64(m+1)) * bma * l
	kn := k * n
	r := b.spp - 2*b.spl/kn + b.sll/(kn*kn)
	t := float64(b.t)
	if den := r - resnorm + 2*alpha*alpha*t; den > 0 {
		b.eta = 2 * t * math.Sqrt(float64(d)*t/den)
	}
	b.t++
}
