package neuralop

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/pdekit/pdekit/nn"
)

// FineTuneSettings control FineTune. Zero fields take the values of the
// Spectral-Refiner fine-tuning notebook and code.
type FineTuneSettings struct {
	// ModesX, ModesY and ModesT are the rebuilt output layer's modes; zero
	// means a quarter of the grid per sign in space (the notebook's 64 of
	// 256) and 6 in time. They may not be fewer than the trained layer's.
	ModesX, ModesY, ModesT int
	// Delta scales the rebuilt layer's spectral bias; zero means 1.
	Delta float64
	// Iterations of Adam; zero means 50.
	Iterations int
	// LRWeight and LRBias are Adam's rates for the spectral weights and
	// biases; zero means 1e-4 and 0.2.
	LRWeight, LRBias float64
	// Visc is the viscosity of the equation; zero means 1e-3.
	Visc float64
	// Dt is the Crank-Nicolson step that gives the time derivative; zero
	// means the code's 1e-6.
	Dt float64
	// FrameDt, if positive, is the time between predicted frames, and the
	// time derivative is then the predicted frames' own (fourth-order
	// differences along the frames) instead of the code's Crank-Nicolson
	// step: the residual then measures how far the predicted trajectory is
	// from solving the equation, which the code's does not (see FineTune).
	FrameDt float64
	// SpectralDt, if true (with FrameDt the frames' spacing), takes the
	// time derivative of the prediction in the output layer's own
	// representation: the layer is a trigonometric polynomial in time,
	// and its derivative is exact between and at the frames (no
	// truncation floor, unlike the differences).
	SpectralDt bool
	// Anchor, with FrameDt (differences), puts the last Anchor input
	// frames before the prediction in the differences: they are known, so
	// the residual then asks the prediction to continue them, not just
	// to solve the equation from some state of its own.
	Anchor int
	// Alpha is the Sobolev shift of the loss (order -1); zero means
	// 10^-1.5.
	Alpha float64
	// Forcing is the forcing on the n x n grid (pde.FNOForcing gives the
	// FNO data's, 0.1 (sin 2 pi (x+y) + cos 2 pi (x+y))); nil means none.
	Forcing []float64 `json:",omitempty"`
	// Seed seeds the new weights' initialisation.
	Seed uint64
	// Progress, if set, hears each iteration's loss.
	Progress func(iter int, loss float64) `json:"-"`
}

func (s *FineTuneSettings) defaults(n int) {
	for _, d := range []struct {
		v   *int
		def int
	}{{&s.ModesX, n / 4}, {&s.ModesY, n / 4}, {&s.ModesT, 6}, {&s.Iterations, 50}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	for _, d := range []struct {
		v   *float64
		def float64
	}{{&s.Delta, 1}, {&s.LRWeight, 1e-4}, {&s.LRBias, 0.2}, {&s.Visc, 1e-3}, {&s.Dt, 1e-6}, {&s.Alpha, math.Pow(10, -1.5)}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
}

// FineTuneResult is the outcome of FineTune.
type FineTuneResult struct {
	// Before is the trained model's prediction and After the fine-tuned
	// one, [Out, n, n] each.
	Before, After []float64
	// Loss holds the loss before each iteration and, last, after the
	// final one: Iterations+1 values.
	Loss []float64
	// Seconds is the time the fine-tuning took.
	Seconds float64
}

// FineTune is the fine-tuning stage of Spectral-Refiner for one
// trajectory: the trained SFNO m is run once, in float64, up to its
// output layer, which is then rebuilt with more modes (the trained weights
// and biases in its low-mode corners, the new weights Xavier-uniform with
// gain 1e-6, the new biases zero) and trained alone, by Adam with one rate
// for the weights and one for the biases, to minimise the code's H^-1
// loss (SobolevAbs, order -1) of the Navier-Stokes residual of its
// prediction (forcing in s.Forcing). As in the code, the time derivative is that of one IMEX
// Crank-Nicolson step of size Dt from each predicted frame
// (NSSpectral.CNStep) and the residual is taken at the stepped frame.
// Only the equation is used: no data. x holds the trajectory's In input
// frames on the n x n grid. m itself is not changed.
//
// Two facts of this construction, kept from the code: the trained biases
// are rescaled by the old over the new Delta, so that the first iterate
// predicts what the trained model does; and the residual so defined is of
// the order of Dt (the step's derivative nearly equals the equation's
// right-hand side at the frame), so the loss values are small and measure
// the equation's second-order behaviour at the frames, not the predicted
// frames' agreement with each other in time: the true trajectory's loss is
// as large as the prediction's (FineTuneLoss), so minimising it leaves the
// error where it was. FrameDt > 0 takes the time derivative from the
// predicted frames themselves instead (SpectralDt: from the output layer's
// trigonometric representation in time), so that the residual measures the
// predicted trajectory: the truth's loss is then thousands of times below
// the prediction's. That residual alone is still met by trajectories that
// solve the equation from some other state; Anchor puts the last input
// frames before the prediction in the differences, and the prediction must
// then continue them. On the 64 x 64 test trajectories that is what turns
// the fine-tuning into a gain (see the package's figures).
func FineTune(ctx context.Context, m Model[float32], x []float32, n int, s *FineTuneSettings) (*FineTuneResult, error) {
	sf, ok := m.(*SFNO[float32])
	if !ok {
		return nil, fmt.Errorf("neuralop: fine-tuning needs an SFNO, not a %s", m.Config().Kind)
	}
	var set FineTuneSettings
	if s != nil {
		set = *s
	}
	set.defaults(n)
	cfg := sf.Config()
	old := sf.s
	if len(x) != cfg.In*n*n {
		return nil, fmt.Errorf("neuralop: fine-tuning input of %d values, want %d frames of %d x %d", len(x), cfg.In, n, n)
	}
	if set.ModesX < old.ModesX || set.ModesY < old.ModesY || set.ModesT < old.ModesT || 2*set.ModesX > n || 2*set.ModesY > n ||
		set.ModesT > old.Latent+2 || set.ModesT > (cfg.Out+old.Latent+2)/2+1 || set.Iterations < 1 || !(set.Dt > 0) || !(set.Visc >= 0) || !(set.LRWeight > 0) || !(set.LRBias > 0) ||
		!(set.FrameDt >= 0) || (set.FrameDt > 0 && cfg.Out < 5) || (set.SpectralDt && !(set.FrameDt > 0)) ||
		set.Anchor < 0 || set.Anchor > cfg.In || (set.Anchor > 0 && (set.SpectralDt || !(set.FrameDt > 0))) {
		return nil, fmt.Errorf("neuralop: fine-tuning settings %+v on %d x %d (the trained modes %d x %d x %d, %d latent frames)",
			set, n, n, old.ModesX, old.ModesY, old.ModesT, old.Latent)
	}
	if set.Forcing == nil {
		set.Forcing = make([]float64, n*n)
	}
	if len(set.Forcing) != n*n {
		return nil, fmt.Errorf("neuralop: fine-tuning forcing of %d values on %d x %d", len(set.Forcing), n, n)
	}
	start := time.Now()
	// The float64 copy of the model.
	mm, err := New[float64](cfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	m64 := mm.(*SFNO[float64])
	src := sf.Params()
	for i, p := range m64.Params() {
		for j, v := range src[i].Tensor.Data {
			p.Tensor.Data[j] = float64(v)
		}
	}
	if err := m64.SetGrid(n, n); err != nil {
		return nil, err
	}
	in := nn.Zeros[float64](1, cfg.In, n, n)
	for i, v := range x {
		in.Data[i] = float64(v)
	}
	fixed := nn.NewTape[float64]()
	fixed.SetNoGrad(true)
	r, last := m64.latent(fixed, in)
	res := &FineTuneResult{}
	res.Before = append([]float64(nil), m64.output(fixed, r, last, m64.outW, m64.outBias, old.Delta).Data...)
	// The rebuilt output layer.
	rnd := rand.New(rand.NewPCG(set.Seed, 0x5eed))
	mx, my, mt := set.ModesX, set.ModesY, set.ModesT
	per := mx * my * mt * 2
	bound := 1e-6 * math.Sqrt(6/float64(2*per)) // Xavier uniform, gain 1e-6, fans of [1, 1, mx, my, mt, 2]
	var w, b [4]*nn.Tensor[float64]
	for k := range w {
		w[k], b[k] = nn.Param(make([]float64, per), 1, 1, mx, my, mt, 2), nn.Param(make([]float64, per), mx, my, mt, 2)
		for i := range w[k].Data {
			w[k].Data[i] = (2*rnd.Float64() - 1) * bound
		}
		// Block k's corner: x negative for odd k, y negative for k >= 2.
		ox, oy := 0, 0
		if k&1 == 1 {
			ox = mx - old.ModesX
		}
		if k&2 == 2 {
			oy = my - old.ModesY
		}
		for i := 0; i < old.ModesX; i++ {
			for j := 0; j < old.ModesY; j++ {
				for t := 0; t < old.ModesT; t++ {
					for c := 0; c < 2; c++ {
						from := (((i*old.ModesY)+j)*old.ModesT+t)*2 + c
						to := ((((i+ox)*my)+j+oy)*mt+t)*2 + c
						w[k].Data[to] = m64.outW[k].Data[from]
						b[k].Data[to] = m64.outBias[k].Data[from] * old.Delta / set.Delta
					}
				}
			}
		}
	}
	ns, err := NewNSSpectral[float64](n, set.Visc)
	if err != nil {
		return nil, err
	}
	fh := append([]float64(nil), fixed.RFFT2(nn.New(set.Forcing, n, n)).Data...)
	prefix := anchorFrames(x, cfg.In, set.Anchor, n)
	tp := nn.NewTape[float64]()
	step := func(train bool) (float64, []float64) {
		tp.Reset()
		for k := range w {
			w[k].ZeroGrad()
			b[k].ZeroGrad()
		}
		pred := m64.output(tp, r, last, w, b, set.Delta)
		var dpred *nn.Tensor[float64]
		if set.SpectralDt {
			dpred = m64.outputDt(tp, r, last, w, b, set.Delta, set.FrameDt)
		}
		loss := residualLoss(tp, pred, dpred, prefix, &set, ns, fh, n)
		if train {
			tp.Backward(loss)
		}
		return loss.Item(), pred.Data
	}
	optW, optB := &nn.Adam[float64]{LR: set.LRWeight}, &nn.Adam[float64]{LR: set.LRBias}
	for it := 0; it < set.Iterations; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l, _ := step(true)
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("neuralop: fine-tuning loss %v at iteration %d", l, it+1)
		}
		res.Loss = append(res.Loss, l)
		if set.Progress != nil {
			set.Progress(it+1, l)
		}
		optW.Step(w[:])
		optB.Step(b[:])
	}
	l, after := step(false)
	res.Loss = append(res.Loss, l)
	res.After = append([]float64(nil), after...)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// residualLoss records the fine-tuning loss of the frames pred [B, T, n,
// n]: the H^-1/2 norm of the vorticity equation's residual, its time
// derivative dpred when given (the spectral one), else the frames' own
// differences (FrameDt) or the code's Crank-Nicolson step.
func residualLoss(tp *nn.Tape[float64], pred, dpred, prefix *nn.Tensor[float64], set *FineTuneSettings, ns *NSSpectral[float64], fh []float64, n int) *nn.Tensor[float64] {
	var at, wt *nn.Tensor[float64]
	switch {
	case dpred != nil:
		at, wt = tp.RFFT2(pred), tp.RFFT2(dpred)
	case set.FrameDt > 0 && prefix != nil:
		// The known frames lead: differences over them and the
		// prediction, kept on the prediction's frames.
		k := prefix.Shape[1]
		d := FrameDerivative(tp, tp.Concat(1, prefix, pred), set.FrameDt)
		at, wt = tp.RFFT2(pred), tp.RFFT2(tp.Narrow(d, 1, k, pred.Shape[1]))
	case set.FrameDt > 0:
		at, wt = tp.RFFT2(pred), tp.RFFT2(FrameDerivative(tp, pred, set.FrameDt))
	default:
		at, wt = ns.CNStep(tp, tp.RFFT2(pred), fh, set.Dt)
	}
	return SobolevAbs(tp, SobolevNorm{Order: -1, Alpha: set.Alpha}, tp.IRFFT2(ns.Residual(tp, at, wt, fh), n))
}

// anchorFrames returns the last k of the in input frames x as [1, k, n,
// n], or nil for k = 0.
func anchorFrames(x []float32, in, k, n int) *nn.Tensor[float64] {
	if k == 0 {
		return nil
	}
	p := nn.Zeros[float64](1, k, n, n)
	for i, v := range x[(in-k)*n*n : in*n*n] {
		p.Data[i] = float64(v)
	}
	return p
}

// FineTuneLoss returns the loss FineTune minimises for given frames
// ([Out, n, n], the true ones, say: the floor the residual can reach)
// after the input frames x ([In, n, n]; read with s.Anchor), the time
// derivative by the frames' differences when s.FrameDt is set (also with
// SpectralDt, which needs a model), else by the code's step.
func FineTuneLoss(x []float32, frames []float64, in, out, n int, s *FineTuneSettings) (float64, error) {
	var set FineTuneSettings
	if s != nil {
		set = *s
	}
	set.defaults(n)
	if len(frames) != out*n*n || len(x) != in*n*n || (set.FrameDt > 0 && out < 5) || set.Anchor < 0 || set.Anchor > in {
		return 0, fmt.Errorf("neuralop: fine-tuning loss of %d values as %d frames of %d x %d", len(frames), out, n, n)
	}
	if set.Forcing == nil {
		set.Forcing = make([]float64, n*n)
	}
	ns, err := NewNSSpectral[float64](n, set.Visc)
	if err != nil {
		return 0, err
	}
	tp := nn.NewTape[float64]()
	tp.SetNoGrad(true)
	fh := append([]float64(nil), tp.RFFT2(nn.New(set.Forcing, n, n)).Data...)
	var prefix *nn.Tensor[float64]
	if set.FrameDt > 0 {
		prefix = anchorFrames(x, in, set.Anchor, n)
	}
	return residualLoss(tp, nn.New(append([]float64(nil), frames...), 1, out, n, n), nil, prefix, &set, ns, fh, n).Item(), nil
}

// FrameDerivative records the time derivative of frames [B, T, H, W] a
// time h apart by fourth-order differences along T (central inside,
// one-sided five-point stencils at the two ends of each side); T >= 5.
func FrameDerivative(tp *nn.Tape[float64], x *nn.Tensor[float64], h float64) *nn.Tensor[float64] {
	b, nt := x.Shape[0], x.Shape[1]
	np := x.Len() / (b * nt)
	if nt < 5 {
		panic(fmt.Sprintf("neuralop: FrameDerivative of %d frames, want at least 5", nt))
	}
	// coef returns the first frame and the stencil of frame k.
	coef := func(k int) (int, [5]float64) {
		switch {
		case k == 0:
			return 0, [5]float64{-25, 48, -36, 16, -3}
		case k == 1:
			return 0, [5]float64{-3, -10, 18, -6, 1}
		case k == nt-2:
			return nt - 5, [5]float64{-1, 6, -18, 10, 3}
		case k == nt-1:
			return nt - 5, [5]float64{3, -16, 36, -48, 25}
		}
		return k - 2, [5]float64{1, -8, 0, 8, -1}
	}
	s := 1 / (12 * h)
	return tp.Op(x.Shape, []*nn.Tensor[float64]{x}, func(out []float64) {
		for bi := 0; bi < b; bi++ {
			for k := 0; k < nt; k++ {
				j0, c := coef(k)
				o := out[(bi*nt+k)*np : (bi*nt+k+1)*np]
				for m, cm := range c {
					src := x.Data[(bi*nt+j0+m)*np : (bi*nt+j0+m+1)*np]
					for i, v := range src {
						o[i] += s * cm * v
					}
				}
			}
		}
	}, func(g []float64, gin [][]float64) {
		for bi := 0; bi < b; bi++ {
			for k := 0; k < nt; k++ {
				j0, c := coef(k)
				gk := g[(bi*nt+k)*np : (bi*nt+k+1)*np]
				for m, cm := range c {
					dst := gin[0][(bi*nt+j0+m)*np : (bi*nt+j0+m+1)*np]
					for i, v := range gk {
						dst[i] += s * cm * v
					}
				}
			}
		}
	})
}
