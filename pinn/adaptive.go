package pinn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/pdekit/pdekit/nn"
)

// FlowSettings are the settings of a sampler's KRnet and of its training;
// the zero value takes the DAS code's defaults.
type FlowSettings struct {
	KRnetSettings
	// Steps is the number of Adam steps on the flow per stage (zero: 3000
	// for DAS, 200 for AAS); Batch the points per step (zero: 1000); LR
	// Adam's rate (zero: 1e-4).
	Steps, Batch int
	LR           float64
	// N is the number of points drawn per stage (zero: as many as the
	// first stage's set, the DAS code's n_train).
	N int
	// OnStep, if set, is called after every flow step with its number
	// (from 1), the stage's number of steps and the step's loss.
	OnStep func(step, steps int, loss float64)
}

func (s *FlowSettings) defaults(steps int) {
	if s.Steps == 0 {
		s.Steps = steps
	}
	if s.Batch == 0 {
		s.Batch = 1000
	}
	if s.LR == 0 {
		s.LR = 1e-4
	}
}

// stepDone reports flow step k (from 0) with its loss and returns ctx's
// error once it is done: a stopped flow training leaves the stage
// unrecorded.
func (s *FlowSettings) stepDone(ctx context.Context, k int, loss float64) error {
	if s.OnStep != nil {
		s.OnStep(k+1, s.Steps, loss)
	}
	return ctx.Err()
}

// flowState is a sampler's flow and optimiser, made on the first stage.
type flowState struct {
	flow   *KRnet
	opt    *nn.Adam[float64]
	params []*nn.Tensor[float64]
	n0     int // the first stage's number of points
}

// nextSet returns the next stage's points: n drawn from the flow (zero:
// as many as the first stage had), replacing current or, with add,
// appended to it.
func (f *flowState) nextSet(current *nn.Tensor[float64], n int, add bool, rnd *rand.Rand) *nn.Tensor[float64] {
	if f.n0 == 0 {
		f.n0 = current.Shape[0]
	}
	if n == 0 {
		n = f.n0
	}
	fresh := f.draw(n, rnd)
	if !add {
		return fresh
	}
	return nn.New(append(slices.Clip(current.Data), fresh.Data...), current.Shape[0]+n, current.Shape[1])
}

func (f *flowState) init(d int, s KRnetSettings, rnd *rand.Rand) error {
	if f.flow != nil {
		return nil
	}
	k, err := NewKRnet(d, s, rnd)
	if err != nil {
		return err
	}
	f.flow, f.params = k, nn.Tensors(k.Params())
	return nil
}

// step takes one Adam step on the flow's loss that build records.
func (f *flowState) step(lr float64, build func(tp *nn.Tape[float64]) *nn.Tensor[float64]) float64 {
	if f.opt == nil {
		f.opt = &nn.Adam[float64]{LR: lr}
	}
	tp := nn.NewTape[float64]()
	for _, p := range f.params {
		p.ZeroGrad()
	}
	loss := build(tp)
	tp.Backward(loss)
	f.opt.Step(f.params)
	return loss.Item()
}

// draw returns n points of the flow, projected onto [-1, 1]^d as the DAS
// code does (a point outside moves to the nearest boundary point).
func (f *flowState) draw(n int, rnd *rand.Rand) *nn.Tensor[float64] {
	x := f.flow.Sample(n, rnd)
	for i, v := range x.Data {
		x.Data[i] = math.Max(-1, math.Min(1, v))
	}
	return x
}

// clipLog records log p of the flow at x clipped to [-23.03, 5] (the DAS
// code's bounds: p in [1e-10, 148.4]), no gradient outside.
func clipLog(tp *nn.Tape[float64], lp *nn.Tensor[float64]) *nn.Tensor[float64] {
	const lo, hi = -23.02585, 5.0
	return tp.Op(lp.Shape, []*nn.Tensor[float64]{lp}, func(out []float64) {
		for i, v := range lp.Data {
			out[i] = math.Max(lo, math.Min(hi, v))
		}
	}, func(g []float64, gin [][]float64) {
		for i, v := range lp.Data {
			if v > lo && v < hi {
				gin[0][i] += g[i]
			}
		}
	})
}

// weighted records -mean(w_i * clip(log p(x_i))).
func weighted(tp *nn.Tape[float64], lp *nn.Tensor[float64], w []float64) *nn.Tensor[float64] {
	return tp.Scale(tp.Mean(tp.Mul(clipLog(tp, lp), nn.New(w, len(w), 1))), -1)
}

// batch copies rows lo, lo+1, ... of x, wrapping around, into dst
// [n, d].
func batch(dst, x *nn.Tensor[float64], lo int) {
	d, rows := x.Shape[1], x.Shape[0]
	for i := 0; i < dst.Shape[0]; i++ {
		r := (lo + i) % rows
		copy(dst.Data[i*d:(i+1)*d], x.Data[r*d:(r+1)*d])
	}
}

// DAS is deep adaptive sampling (Tang, Wan and Yang, J. Comput. Phys.
// 2023), as its code does it: after each stage a KRnet is fitted to the
// density proportional to the squared residual by minimising the
// importance-weighted cross-entropy -mean(r^2(x)/p_old(x) log p(x)) over
// points x from the previous flow (the current uniform points, p_old = 1,
// on the first stage; log p clipped to [-23.03, 5], p_old to
// [1e-10, 148.4]); N points drawn from it are added to the set (DAS-G) or
// replace it (DAS-R, Replace). The flow is kept from stage to stage. A DAS
// is used by one TrainStages call.
type DAS struct {
	Flow    FlowSettings
	Replace bool

	st          flowState
	train, pold []float64 // the next fit's points and their old density
}

// Name implements Sampler.
func (s *DAS) Name() string {
	if s.Replace {
		return "das-r"
	}
	return "das-g"
}

// Next implements Sampler.
func (s *DAS) Next(ctx context.Context, m *PINN, current *nn.Tensor[float64], rnd *rand.Rand) (*nn.Tensor[float64], error) {
	set := s.Flow
	set.defaults(3000)
	d := m.P.Dim()
	if set.Steps < 0 || set.Batch < 1 || !(set.LR > 0) || set.N < 0 {
		return nil, fmt.Errorf("pinn: DAS flow training of %d steps, batch %d, rate %g, %d points", set.Steps, set.Batch, set.LR, set.N)
	}
	if err := s.st.init(d, set.KRnetSettings, rnd); err != nil {
		return nil, err
	}
	pts := nn.New(s.train, len(s.train)/max(d, 1), d)
	pold := s.pold
	if s.train == nil {
		pts = current
		pold = make([]float64, current.Shape[0])
		for i := range pold {
			pold[i] = 1
		}
	}
	q := residuals(m, pts)
	for i, r := range q {
		q[i] = r * r / pold[i]
	}
	np := pts.Shape[0]
	bs := min(set.Batch, np)
	w, xb := make([]float64, bs), nn.Zeros[float64](bs, d)
	for k := 0; k < set.Steps; k++ {
		lo := k * bs % np
		batch(xb, pts, lo)
		for i := range w {
			w[i] = q[(lo+i)%np]
		}
		loss := s.st.step(set.LR, func(tp *nn.Tape[float64]) *nn.Tensor[float64] {
			return weighted(tp, s.st.flow.LogProb(tp, xb), w)
		})
		if err := set.stepDone(ctx, k, loss); err != nil {
			return nil, err
		}
	}
	next := s.st.nextSet(current, set.N, !s.Replace, rnd)
	// The next fit's points come from this flow, with its density.
	nx := s.st.draw(next.Shape[0], rnd)
	s.train, s.pold = nx.Data, s.st.flow.Density(nx)
	for i, p := range s.pold {
		s.pold[i] = math.Max(1e-10, math.Min(148.4131, p))
	}
	return next, nil
}

// AAS is adversarial adaptive sampling (Tang, Zhai, Wan and Yang, ICLR
// 2024) as reconstructed here: the paper's text beyond its abstract was
// not available and it has no public code, so the objective is built
// from the abstract's statement (the Wasserstein distance between the
// residual-induced and the uniform distribution embedded in a min-max
// loss, the flow's Lipschitz constraint made a soft Sobolev penalty) and
// the Kantorovich-Rubinstein duality it names. The PINN minimises and the
// flow p maximises
//
//	J = E_{x~p}[r^2(x)] - Beta m |Omega| E_U[|grad p|^2]:
//
// over densities p with p - 1/|Omega| 1-Lipschitz, the maximum of the
// first term is (Z/|Omega|)(1 + |Omega| W1(r^2/Z, U)), Z the integral of
// r^2, so minimising it over the network lowers both the residual and the
// Wasserstein distance of its normalised square from the uniform density;
// the penalty is the soft form of the Lipschitz constraint. Each flow step
// scales J by 1/m, m the mean of r^2 over the step's flow points, so that
// Beta does not depend on the residual's scale. The residual term's
// gradient is the score-function (REINFORCE) one, E_q[(p/q)(r^2/m - 1)
// grad log p], estimated at points of the defensive mixture
// q = (p + U)/2, half drawn from the current flow and half uniform (the 1 a
// baseline that keeps it unbiased; the uniform half lets the flow see a
// residual growing where it has no points, without it the flow collapses
// onto the first peak it finds); grad p is by central differences of step
// 1e-3 at Penalty uniform points. Each stage takes Flow.Steps Adam steps on the flow, then
// N points drawn from it replace the set (or, with Add, join it as DAS-G's
// do: a variant of this package, not the paper's), on which the PINN
// trains the next stage: alternating updates of the min-max.
type AAS struct {
	Flow FlowSettings
	// Beta weighs the gradient penalty (zero: 1e-2); Penalty is the
	// number of uniform points that estimate it (zero: 500).
	Beta    float64
	Penalty int
	// Add keeps the earlier stages' points and adds the new ones (the
	// set grows by N a stage, as RAR's and DAS-G's do) instead of
	// replacing them.
	Add bool

	st flowState
}

// Name implements Sampler.
func (s *AAS) Name() string {
	if s.Add {
		return "aas-g"
	}
	return "aas"
}

// Next implements Sampler.
func (s *AAS) Next(ctx context.Context, m *PINN, current *nn.Tensor[float64], rnd *rand.Rand) (*nn.Tensor[float64], error) {
	set := s.Flow
	set.defaults(200)
	beta, np := s.Beta, s.Penalty
	if beta == 0 {
		beta = 1e-2
	}
	if np == 0 {
		np = 500
	}
	d := m.P.Dim()
	if set.Steps < 0 || set.Batch < 1 || !(set.LR > 0) || set.N < 0 || beta < 0 || np < 1 {
		return nil, fmt.Errorf("pinn: AAS flow training of %d steps, batch %d, rate %g, %d points, beta %g, %d penalty points", set.Steps, set.Batch, set.LR, set.N, beta, np)
	}
	if err := s.st.init(d, set.KRnetSettings, rnd); err != nil {
		return nil, err
	}
	if !s.st.flow.inited {
		s.st.flow.LogProb(nn.NewTape[float64](), current)
	}
	vol := math.Pow(2, float64(d))
	const h = 1e-3
	sh := nn.Zeros[float64](2*d*np, d)
	for k := 0; k < set.Steps; k++ {
		// Half the points from the flow, half uniform: the defensive
		// mixture q = (p + U)/2 sees the residual where the flow does
		// not, so the flow cannot lose a region it left.
		nf := set.Batch - set.Batch/2
		x := s.st.draw(nf, rnd)
		x = nn.New(append(x.Data, Uniform(d, set.Batch-nf, rnd).Data...), set.Batch, d)
		c := residuals(m, x)
		p := s.st.flow.Density(x)
		var mean float64
		for i, r := range c {
			p[i] /= (p[i] + 1/vol) / 2 // p/q
			c[i] = r * r
			mean += c[i] * p[i] / float64(len(c))
		}
		// (p/q)(r^2/m - 1): the score-function coefficients of E_p[r^2]/m
		// with the baseline 1, unbiased under q.
		for i := range c {
			c[i] = p[i] * (c[i]/mean - 1)
		}
		q := c
		u := Uniform(d, np, rnd)
		// The 2d shifted copies of the penalty points, one batch.
		for j := 0; j < d; j++ {
			for sgn := 0; sgn < 2; sgn++ {
				off := (2*j + sgn) * np
				copy(sh.Data[off*d:], u.Data)
				for i := 0; i < np; i++ {
					sh.Data[(off+i)*d+j] += h * float64(1-2*sgn)
				}
			}
		}
		loss := s.st.step(set.LR, func(tp *nn.Tape[float64]) *nn.Tensor[float64] {
			loss := weighted(tp, s.st.flow.LogProb(tp, x), q)
			if beta == 0 {
				return loss
			}
			p := tp.Exp(s.st.flow.LogProb(tp, sh))
			var grad2 *nn.Tensor[float64]
			for j := 0; j < d; j++ {
				g := tp.Scale(tp.Sub(tp.Narrow(p, 0, 2*j*np, np), tp.Narrow(p, 0, (2*j+1)*np, np)), 1/(2*h))
				if grad2 == nil {
					grad2 = tp.Square(g)
				} else {
					grad2 = tp.Add(grad2, tp.Square(g))
				}
			}
			return tp.Add(loss, tp.Scale(tp.Mean(grad2), beta*vol))
		})
		if err := set.stepDone(ctx, k, loss); err != nil {
			return nil, err
		}
	}
	return s.st.nextSet(current, set.N, s.Add, rnd), nil
}
