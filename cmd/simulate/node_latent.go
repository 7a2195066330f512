package main

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/pdekit/pdekit/nn"
)

// The latent task: irregularly sampled sine waves x(t) = a sin(w t + p)
// + noise on [0, 5] (a in [0.5, 1.5], w in [1.5, 3], noise 0.01), each
// series seen at latentObs random times of a 100-point grid in [0, 2.5]
// and asked for at latentTgt random grid times in [0, 5]: interpolation
// and extrapolation. A GRU reads the observations backwards in time (the
// value and the gap to the previous one) into the start z0 of a latent
// ODE, whose states at the asked times a linear layer decodes; the loss
// is the mean squared error at the asked times. (The latent ODE of
// Rubanova et al., 2019, deterministic: no variational posterior.)
const (
	latentObs, latentTgt, latentGrid = 20, 30, 100
	latentHidden, latentDim          = 20, 8
	latentT                          = 5.0
)

// latentSeries holds N series: observed times and values [N][latentObs]
// (increasing), asked times and values [N][latentTgt].
type latentSeries struct {
	obsT, tgtT [][]float64
	obsX, tgtX [][]float64
}

func makeLatent(n int, seed uint64) *latentSeries {
	rnd := rand.New(rand.NewPCG(seed, 0x6c6174656e74))
	s := &latentSeries{}
	grid := func(i int) float64 { return latentT * float64(i) / (latentGrid - 1) }
	for k := 0; k < n; k++ {
		a, w, p := 0.5+rnd.Float64(), 1.5+1.5*rnd.Float64(), 2*math.Pi*rnd.Float64()
		x := func(t float64) float64 { return a*math.Sin(w*t+p) + 0.01*rnd.NormFloat64() }
		pick := func(m, upto int) []float64 {
			idx := rnd.Perm(upto)[:m]
			sort.Ints(idx)
			ts := make([]float64, m)
			for i, j := range idx {
				ts[i] = grid(j)
			}
			return ts
		}
		ot, tt := pick(latentObs, latentGrid/2), pick(latentTgt, latentGrid)
		ox, tx := make([]float64, latentObs), make([]float64, latentTgt)
		for i, t := range ot {
			ox[i] = x(t)
		}
		for i, t := range tt {
			tx[i] = x(t)
		}
		s.obsT, s.obsX, s.tgtT, s.tgtX = append(s.obsT, ot), append(s.obsX, ox), append(s.tgtT, tt), append(s.tgtX, tx)
	}
	return s
}

// latentEncoder is the GRU that reads a series into z0.
type latentEncoder[T nn.Float] struct {
	wr, wu, wn, br, bu, bn *nn.Tensor[T] // GRU gates, [hidden, 2 + hidden]
	wz, bz                 *nn.Tensor[T] // hidden -> z0
	wd, bd                 *nn.Tensor[T] // decoder, z -> x
}

func newLatentEncoder[T nn.Float](rnd *rand.Rand) *latentEncoder[T] {
	h, in := latentHidden, 2+latentHidden
	return &latentEncoder[T]{
		wr: uniformParam[T](rnd, h, h, in), wu: uniformParam[T](rnd, h, h, in), wn: uniformParam[T](rnd, h, h, in),
		br: uniformParam[T](rnd, h, h), bu: uniformParam[T](rnd, h, h), bn: uniformParam[T](rnd, h, h),
		wz: uniformParam[T](rnd, h, latentDim, h), bz: uniformParam[T](rnd, h, latentDim),
		wd: uniformParam[T](rnd, latentDim, 1, latentDim), bd: uniformParam[T](rnd, latentDim, 1),
	}
}

func (e *latentEncoder[T]) params() []nn.Named[T] {
	return []nn.Named[T]{{Name: "enc.wr", Tensor: e.wr}, {Name: "enc.wu", Tensor: e.wu}, {Name: "enc.wn", Tensor: e.wn},
		{Name: "enc.br", Tensor: e.br}, {Name: "enc.bu", Tensor: e.bu}, {Name: "enc.bn", Tensor: e.bn},
		{Name: "enc.wz", Tensor: e.wz}, {Name: "enc.bz", Tensor: e.bz}, {Name: "dec.w", Tensor: e.wd}, {Name: "dec.b", Tensor: e.bd}}
}

// encode runs the GRU backwards over the observations of the series idx
// and returns z0 [len(idx), latentDim].
func (e *latentEncoder[T]) encode(tp *nn.Tape[T], s *latentSeries, idx []int) *nn.Tensor[T] {
	b := len(idx)
	h := nn.Zeros[T](b, latentHidden)
	for j := latentObs - 1; j >= 0; j-- {
		in := nn.Zeros[T](b, 2)
		for k, i := range idx {
			gap := s.obsT[i][j]
			if j > 0 {
				gap -= s.obsT[i][j-1]
			}
			in.Data[2*k], in.Data[2*k+1] = T(s.obsX[i][j]), T(gap)
		}
		xh := tp.Concat(1, in, h)
		r := tp.Sigmoid(tp.Linear(xh, e.wr, e.br))
		u := tp.Sigmoid(tp.Linear(xh, e.wu, e.bu))
		n := tp.Tanh(tp.Linear(tp.Concat(1, in, tp.Mul(r, h)), e.wn, e.bn))
		// h = (1 - u) n + u h = n + u (h - n)
		h = tp.Add(n, tp.Mul(u, tp.Sub(h, n)))
	}
	return tp.Linear(h, e.wz, e.bz)
}

// latentTimes returns 0 and the sorted union of the asked times of idx.
func latentTimes(s *latentSeries, idx []int) []float64 {
	set := map[float64]bool{}
	for _, i := range idx {
		for _, t := range s.tgtT[i] {
			set[t] = true
		}
	}
	ts := []float64{0}
	for t := range set {
		if t > 0 {
			ts = append(ts, t)
		}
	}
	sort.Float64s(ts[1:])
	return ts
}

// latentLoss returns the squared errors' sum and count of the decoded
// states ys (at ts[1:], plus the start z0 for time 0) at the asked times.
func (e *latentEncoder[T]) latentLoss(tp *nn.Tape[T], s *latentSeries, idx []int, ts []float64, z0 *nn.Tensor[T], ys []*nn.Tensor[T]) (*nn.Tensor[T], int) {
	b := len(idx)
	all := append([]*nn.Tensor[T]{z0}, ys...)
	dec := tp.Linear(tp.Concat(0, all...), e.wd, e.bd) // [J b, 1], row j b + k
	want, mask := nn.Zeros[T](len(all)*b, 1), nn.Zeros[T](len(all)*b, 1)
	pos := map[float64]int{}
	for j, t := range ts {
		pos[t] = j
	}
	count := 0
	for k, i := range idx {
		for m, t := range s.tgtT[i] {
			j := pos[t]
			want.Data[j*b+k], mask.Data[j*b+k] = T(s.tgtX[i][m]), 1
			count++
		}
	}
	d := tp.Mul(tp.Sub(dec, want), mask)
	return tp.Sum(tp.Square(d)), count
}
