package neuralop

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pdekit/pdekit/nn"
)

// SFNOSettings are the settings of SFNO. The zero value is the model of
// Spectral-Refiner's Navier-Stokes experiment (modes 12 x 12 x 5, width
// 20, 4 spectral layers, FFN expansion 4, 10 latent frames, ReLU as its
// notebooks ran, beta 0.01, delta 0.1): 9,242,461 parameters.
type SFNOSettings struct {
	// ModesX and ModesY are the Fourier modes kept per sign along the two
	// space axes, ModesT along time (the halved axis); zero means 12, 12
	// and 5.
	ModesX int `json:"modes_x"`
	ModesY int `json:"modes_y"`
	ModesT int `json:"modes_t"`
	// Width is the number of channels; zero means 20. The positional
	// encoding fills them: x, y, t and Width-3 time channels.
	Width int `json:"width"`
	// Layers counts the spectral convolutions, the lifting's included;
	// zero means 4 (at least 2).
	Layers int `json:"layers"`
	// Expansion is the FFN's hidden width over Width; zero means 4.
	Expansion int `json:"expansion"`
	// Latent is the number of frames of the hidden layers; zero means 10.
	// It may not exceed the input frames.
	Latent int `json:"latent"`
	// Beta is the exponential rate of the time channels of the
	// positional encoding, exp(beta t) sin or cos(pi k t); zero means 0.01
	// (the notebooks' value for the FNO data).
	Beta float64 `json:"beta"`
	// Delta scales the output layer's spectral bias; zero means 0.1.
	Delta float64 `json:"delta"`
	// Activation is "relu" (default) or "gelu".
	Activation string `json:"activation"`
}

func (s *SFNOSettings) defaults() {
	for _, d := range []struct {
		v   *int
		def int
	}{{&s.ModesX, 12}, {&s.ModesY, 12}, {&s.ModesT, 5}, {&s.Width, 20}, {&s.Layers, 4}, {&s.Expansion, 4}, {&s.Latent, 10}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if s.Beta == 0 {
		s.Beta = 0.01
	}
	if s.Delta == 0 {
		s.Delta = 0.1
	}
	if s.Activation == "" {
		s.Activation = "relu"
	}
}

// SFNO is the space-time Fourier neural operator of Spectral-Refiner (Cao
// et al., "Spectral-Refiner: accurate fine-tuning of spatiotemporal
// Fourier neural operator for turbulent flows", ICLR 2025), as its
// current code defines it: it maps In frames of a scalar field to Out
// frames on the same grid, the frames being the channels of the Model's
// fields [B, frames, H, W] (x the first grid axis).
//
//   - Lifting: the field, one channel over (x, y, t), plus a positional
//     encoding of Width channels (x = i/(H-1), y = j/(W-1),
//     t_k = (k+1)/100, and exp(Beta t) sin or cos(pi (c+1) t) for
//     c = 0, ..., Width-4), a group norm over all channels (one group, eps
//     1e-7), a 1x1x1 convolution, a spectral convolution in space-time to
//     Latent frames (SpectralConv3d), a pointwise FFN (Width to Expansion
//     Width to Width), and the activation of the last frame of the
//     convolution's input plus the FFN's output.
//   - Layers-1 layers: v = act(FFN(SpectralConv3d(v)) + Conv1x1x1(v)).
//   - A 1x1x1 reduction to one channel.
//   - Output: the last input frame is prepended, the sequence left-padded
//     with zeros to twice its length, a one-channel spectral convolution
//     with spectral bias (Delta) resamples it to Out+1 frames after the
//     padding, and the last input frame is added to its last Out frames.
//
// Spectral weights start at 0.5/(cin cout) U[0, 1) per real and
// imaginary part, biases at zero, convolutions as PyTorch's. The weights
// do not depend on the grid: a model trained at 64 x 64 predicts at
// 256 x 256 (zero-shot super-resolution).
type SFNO[T nn.Float] struct {
	cfg Config
	s   SFNOSettings

	gamma, beta   *nn.Tensor[T]
	projW, projB  *nn.Tensor[T]
	spec          [][4]*nn.Tensor[T] // [0] the lifting's
	ffn1W, ffn1B  []*nn.Tensor[T]    // [0] the lifting's
	ffn2W, ffn2B  []*nn.Tensor[T]
	skipW, skipB  []*nn.Tensor[T] // the layers after the lifting
	redW, redB    *nn.Tensor[T]
	outW, outBias [4]*nn.Tensor[T]
	h, w          int
	pe            *nn.Tensor[T] // [1, Width, H, W, In]
	zeros         *nn.Tensor[T] // the output's left padding, [B, 1, H, W, Latent+1]
	act           func(tp *nn.Tape[T], x *nn.Tensor[T]) *nn.Tensor[T]
}

func newSFNO[T nn.Float](cfg Config, s SFNOSettings, rnd *rand.Rand) (*SFNO[T], error) {
	s.defaults()
	if s.ModesX < 1 || s.ModesY < 1 || s.ModesT < 1 || s.Width < 4 || s.Layers < 2 || s.Expansion < 1 || s.Latent < 1 ||
		math.IsNaN(s.Beta) || math.IsInf(s.Beta, 0) || math.IsNaN(s.Delta) || math.IsInf(s.Delta, 0) {
		return nil, fmt.Errorf("neuralop: SFNO settings %+v out of range (modes, expansion and latent at least 1, width at least 4, layers at least 2)", s)
	}
	if s.Latent > cfg.In {
		return nil, fmt.Errorf("neuralop: SFNO with %d latent frames needs at least as many input frames, it has %d", s.Latent, cfg.In)
	}
	if 2*(s.ModesT-1) > cfg.In || 2*(s.ModesT-1) > s.Latent {
		return nil, fmt.Errorf("neuralop: SFNO with %d time modes needs at least %d input and latent frames (%d and %d)", s.ModesT, 2*(s.ModesT-1), cfg.In, s.Latent)
	}
	m := &SFNO[T]{s: s}
	switch s.Activation {
	case "relu":
		m.act = (*nn.Tape[T]).ReLU
	case "gelu":
		m.act = (*nn.Tape[T]).GELU
	default:
		return nil, fmt.Errorf("neuralop: SFNO activation %q (relu or gelu)", s.Activation)
	}
	cfg.FNO, cfg.MgNO, cfg.SFNO = nil, nil, &s
	m.cfg = cfg
	w := s.Width
	m.gamma, m.beta = nn.Param(ones[T](w), w), nn.Param(make([]T, w), w)
	m.projW, m.projB = conv1[T](rnd, w, w)
	spectral := func(cin, cout int) [4]*nn.Tensor[T] {
		var ws [4]*nn.Tensor[T]
		gain := 0.5 / float64(cin*cout)
		for k := range ws {
			t := nn.Zeros[T](cin, cout, s.ModesX, s.ModesY, s.ModesT, 2)
			for i := range t.Data {
				t.Data[i] = T(gain * rnd.Float64())
			}
			ws[k] = nn.Param(t.Data, t.Shape...)
		}
		return ws
	}
	for l := 0; l < s.Layers; l++ {
		m.spec = append(m.spec, spectral(w, w))
		w1, b1 := conv1[T](rnd, s.Expansion*w, w)
		w2, b2 := conv1[T](rnd, w, s.Expansion*w)
		m.ffn1W, m.ffn1B = append(m.ffn1W, w1), append(m.ffn1B, b1)
		m.ffn2W, m.ffn2B = append(m.ffn2W, w2), append(m.ffn2B, b2)
		if l > 0 {
			sw, sb := conv1[T](rnd, w, w)
			m.skipW, m.skipB = append(m.skipW, sw), append(m.skipB, sb)
		}
	}
	m.redW, m.redB = conv1[T](rnd, 1, w)
	m.outW = spectral(1, 1)
	for k := range m.outBias {
		m.outBias[k] = nn.Param(make([]T, s.ModesX*s.ModesY*s.ModesT*2), s.ModesX, s.ModesY, s.ModesT, 2)
	}
	return m, nil
}

// ones returns n ones.
func ones[T nn.Float](n int) []T {
	v := make([]T, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// conv1 returns the weight [out, in, 1, 1, 1] and bias [out] of a 1x1x1
// convolution with PyTorch's default initialisation.
func conv1[T nn.Float](rnd *rand.Rand, out, in int) (*nn.Tensor[T], *nn.Tensor[T]) {
	bound := 1 / math.Sqrt(float64(in))
	return uniform[T](rnd, bound, out, in, 1, 1, 1), uniform[T](rnd, bound, out)
}

// Config implements Model.
func (m *SFNO[T]) Config() Config { return m.cfg }

// Params implements Model.
func (m *SFNO[T]) Params() []nn.Named[T] {
	var p params[T]
	p.add("lift/norm/gamma", m.gamma)
	p.add("lift/norm/beta", m.beta)
	p.add("lift/proj/w", m.projW)
	p.add("lift/proj/b", m.projB)
	for l := range m.spec {
		pre := fmt.Sprintf("layer%d/", l)
		if l == 0 {
			pre = "lift/"
		}
		for k, w := range m.spec[l] {
			p.add(fmt.Sprintf("%sspectral%d", pre, k+1), w)
		}
		p.add(pre+"ffn1/w", m.ffn1W[l])
		p.add(pre+"ffn1/b", m.ffn1B[l])
		p.add(pre+"ffn2/w", m.ffn2W[l])
		p.add(pre+"ffn2/b", m.ffn2B[l])
		if l > 0 {
			p.add(pre+"skip/w", m.skipW[l-1])
			p.add(pre+"skip/b", m.skipB[l-1])
		}
	}
	p.add("reduce/w", m.redW)
	p.add("reduce/b", m.redB)
	for k := range m.outW {
		p.add(fmt.Sprintf("out/spectral%d", k+1), m.outW[k])
		p.add(fmt.Sprintf("out/bias%d", k+1), m.outBias[k])
	}
	return p
}

// SetGrid implements Model: the spectral layers need 2 ModesX and
// 2 ModesY points along the space axes.
func (m *SFNO[T]) SetGrid(h, w int) error {
	if 2*m.s.ModesX > h || 2*m.s.ModesY > w {
		return fmt.Errorf("neuralop: SFNO with %d x %d modes needs at least %d x %d points, the grid is %d x %d",
			m.s.ModesX, m.s.ModesY, 2*m.s.ModesX, 2*m.s.ModesY, h, w)
	}
	if h == m.h && w == m.w {
		return nil
	}
	m.h, m.w = h, w
	nt, c := m.cfg.In, m.s.Width
	m.pe = nn.Zeros[T](1, c, h, w, nt)
	pe := m.pe.Data
	for i := 0; i < h; i++ {
		for j := 0; j < w; j++ {
			for k := 0; k < nt; k++ {
				t := float64(k+1) / 100 // linspace(0, 1, 101)[1:nt+1]
				at := func(ch int) int { return (((ch*h)+i)*w+j)*nt + k }
				pe[at(0)], pe[at(1)], pe[at(2)] = T(linspace(i, h)), T(linspace(j, w)), T(t)
				for q := 0; q < c-3; q++ {
					v := math.Sin(math.Pi * float64(q+1) * t)
					if q%2 == 1 {
						v = math.Cos(math.Pi * float64(q+1) * t)
					}
					pe[at(3+q)] = T(math.Exp(m.s.Beta*t) * v)
				}
			}
		}
	}
	m.zeros = nil
	return nil
}

// Forward implements Model.
func (m *SFNO[T]) Forward(tp *nn.Tape[T], x *nn.Tensor[T]) *nn.Tensor[T] {
	r, last := m.latent(tp, x)
	return m.output(tp, r, last, m.outW, m.outBias, T(m.s.Delta))
}

// latent returns the reduction's output r [B, 1, H, W, Latent] and the
// last input frame [B, 1, H, W, 1]: everything before the output layer,
// which fine-tuning keeps.
func (m *SFNO[T]) latent(tp *nn.Tape[T], x *nn.Tensor[T]) (r, last *nn.Tensor[T]) {
	if len(x.Shape) != 4 || x.Shape[1] != m.cfg.In || x.Shape[2] != m.h || x.Shape[3] != m.w {
		panic(fmt.Sprintf("neuralop: SFNO on input %v; want [B, %d, %d, %d]", x.Shape, m.cfg.In, m.h, m.w))
	}
	b, nin, h, w := x.Shape[0], m.cfg.In, m.h, m.w
	lat := m.s.Latent
	// [B, T, H, W] -> [B, 1, H, W, T]
	u := tp.Reshape(tp.Permute(x, 0, 2, 3, 1), b, 1, h, w, nin)
	last = tp.Narrow(u, 4, nin-1, 1)
	ffn := func(l int, v *nn.Tensor[T]) *nn.Tensor[T] {
		v = m.act(tp, tp.Conv3d(v, m.ffn1W[l], m.ffn1B[l], nn.Conv2dOpts{}))
		return tp.Conv3d(v, m.ffn2W[l], m.ffn2B[l], nn.Conv2dOpts{})
	}
	// Lifting.
	v := tp.GroupNorm(tp.AddBroadcast(u, m.pe), 1, m.gamma, m.beta, 1e-7)
	v = tp.Conv3d(v, m.projW, m.projB, nn.Conv2dOpts{})
	s := ffn(0, tp.SpectralConv3d(v, lat, m.spec[0]))
	v = m.act(tp, tp.AddBroadcast(tp.Narrow(v, 4, nin-1, 1), s))
	for l := 1; l < len(m.spec); l++ {
		v = m.act(tp, tp.Add(ffn(l, tp.SpectralConv3d(v, lat, m.spec[l])), tp.Conv3d(v, m.skipW[l-1], m.skipB[l-1], nn.Conv2dOpts{})))
	}
	return tp.Conv3d(v, m.redW, m.redB, nn.Conv2dOpts{}), last
}

// outputDt is the time derivative of output's frames (spacing dt), taken
// in the layer's spectral representation in time: the padded sequence
// and its resampling share one period of Out+1+Latent+1 output frames,
// and the last input frame added to every output frame is constant.
func (m *SFNO[T]) outputDt(tp *nn.Tape[T], r, last *nn.Tensor[T], w, bias [4]*nn.Tensor[T], delta T, dt float64) *nn.Tensor[T] {
	b, h, wd := r.Shape[0], r.Shape[2], r.Shape[3]
	lat, out := m.s.Latent, m.cfg.Out
	if m.zeros == nil || m.zeros.Shape[0] != b || m.zeros.Shape[2] != h || m.zeros.Shape[3] != wd {
		m.zeros = nn.Zeros[T](b, 1, h, wd, lat+1)
	}
	// last enters the layer's input as in output; the copy of it added
	// to every output frame is constant and has no derivative.
	p := tp.Concat(4, m.zeros, last, r)
	nt := out + 1 + lat + 1
	y := tp.SpectralConv3dBiasDt(p, nt, w, bias, delta, T(2*math.Pi/(float64(nt)*dt)))
	y = tp.Narrow(y, 4, lat+1+1, out)
	return tp.Permute(tp.Reshape(y, b, h, wd, out), 0, 3, 1, 2)
}

// output is the output layer with spectral weights w and biases bias
// (scaled by delta): [last, r] left-padded with zeros to twice its
// length, resampled to Out+1 frames after the padding, the last Out of
// them plus the last input frame, as [B, Out, H, W].
func (m *SFNO[T]) output(tp *nn.Tape[T], r, last *nn.Tensor[T], w, bias [4]*nn.Tensor[T], delta T) *nn.Tensor[T] {
	b, h, wd := r.Shape[0], r.Shape[2], r.Shape[3]
	lat, out := m.s.Latent, m.cfg.Out
	if m.zeros == nil || m.zeros.Shape[0] != b || m.zeros.Shape[2] != h || m.zeros.Shape[3] != wd {
		m.zeros = nn.Zeros[T](b, 1, h, wd, lat+1)
	}
	p := tp.Concat(4, m.zeros, last, r)
	y := tp.SpectralConv3dBias(p, out+1+lat+1, w, bias, delta)
	y = tp.AddBroadcast(last, tp.Narrow(y, 4, lat+1+1, out))
	return tp.Permute(tp.Reshape(y, b, h, wd, out), 0, 3, 1, 2)
}
