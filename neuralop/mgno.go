package neuralop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/pdekit/pdekit/nn"
)

// MgNOSettings are the settings of MgNO. The zero value is the network the
// PyTorch peer trains (24 channels, 5 layers, V-cycles of 5 levels with one
// smoothing step per level, lifting and a head with biases, zero padding);
// DarcyRough gives the paper's Darcy configuration.
type MgNOSettings struct {
	// Channels is the number of channels c_u of the V-cycles' iterates;
	// zero means 24.
	Channels int `json:"channels"`
	// Layers is the number of V-cycle layers; zero means 5.
	Layers int `json:"layers"`
	// Levels is the number of grid levels of a V-cycle; zero means 5.
	Levels int `json:"levels"`
	// Smooth is the number of smoothing steps on each level, finest
	// first; nil means one on every level. (The paper's code writes
	// [[1,0]]*5+[[2,0]] for one step per level and two on the coarsest.)
	Smooth []int `json:"smooth,omitempty"`
	// NoLift feeds the input fields to the first V-cycle directly, whose
	// f then has In channels, as the paper's MgNO_DC does, instead of
	// lifting them to Channels by a 1x1 convolution first.
	NoLift bool `json:"no_lift,omitempty"`
	// NoHeadBias leaves the bias out of the 1x1 head, as MgNO_DC does.
	NoHeadBias bool `json:"no_head_bias,omitempty"`
	// Padding is the 3x3 convolutions' padding mode, the boundary
	// condition: zeros (Dirichlet, the default), circular (periodic) or
	// reflect.
	Padding nn.PadMode `json:"padding"`
}

// DarcyRough returns the settings of the paper's Darcy model (MgNO_DC with
// 4 layers of 6-level V-cycles, 24 channels, one smoothing step per level
// and two on the coarsest, no lifting, no head bias): 572,661 parameters
// with one input channel.
func DarcyRough() MgNOSettings {
	return MgNOSettings{Channels: 24, Layers: 4, Levels: 6, Smooth: []int{1, 1, 1, 1, 1, 2}, NoLift: true, NoHeadBias: true}
}

func (s *MgNOSettings) defaults() error {
	if s.Channels == 0 {
		s.Channels = 24
	}
	if s.Layers == 0 {
		s.Layers = 5
	}
	if s.Levels == 0 {
		s.Levels = 5
	}
	if s.Smooth == nil {
		s.Smooth = slices.Repeat([]int{1}, s.Levels)
	}
	if s.Channels < 1 || s.Layers < 1 || s.Levels < 1 || len(s.Smooth) != s.Levels || s.Padding < nn.PadZeros || s.Padding > nn.PadReflect {
		return fmt.Errorf("neuralop: MgNO settings %+v: want positive channels, layers and levels, one smoothing count per level and a padding mode", *s)
	}
	for l, k := range s.Smooth {
		if k < 1 {
			return fmt.Errorf("neuralop: MgNO level %d has %d smoothing steps, want at least 1", l, k)
		}
	}
	return nil
}

// MgNO is the multigrid neural operator of He, Liu and Xu, "MgNO:
// Efficient Parameterization of Linear Operators via Multigrid" (ICLR
// 2024), as its official code's MgNO_DC builds it for Darcy problems: each
// layer computes u <- GELU(V(u) + W u + b), where W u + b is a 1x1
// convolution and V a multichannel V-cycle on the layer's input f:
//
//   - on level 0 the first smoothing step is u = S f, later ones
//     u += S (f - A u), with A and S 3x3 convolutions, every step its own;
//   - going down, u and f are restricted by stride-2 3x3 convolutions and
//     smoothed on each level (u is restricted, not reset);
//   - going up, u_l += P_l u_{l+1}, P_l a stride-2 transposed convolution.
//
// A 1x1 head maps Channels to Out. Level sizes come from the grid: n_{l+1}
// = (n_l + 1)/2, and P_l has kernel 4 where n_l = 2 n_{l+1} and kernel 3
// where n_l = 2 n_{l+1} - 1 (the 2^k+1 grids, 85, 141, 421), per axis.
// (The official code hard-codes kernel 4, which fails on an 85 x 85
// grid.) SetGrid builds the V-cycle for another grid with the same
// weights: where a level's kernel size differs from the training grid's,
// a kernel 3 is extended to 4 by a zero last tap (the same operator on the
// common points) and a kernel 4 is cut to 3 (an approximation).
type MgNO[T nn.Float] struct {
	cfg            Config
	s              MgNOSettings
	liftW, liftB   *nn.Tensor[T]
	layers         []*vcycle[T]
	skipW, skipB   []*nn.Tensor[T]
	headW, headB   *nn.Tensor[T]
	sizes          [][2]int // level sizes of the current grid
	kernels        [][2]int // prolongation kernels of the current grid
	trainedKernels [][2]int // the kernels of the stored weights
}

// vcycle is one layer's V-cycle operator.
type vcycle[T nn.Float] struct {
	a, s   [][]*nn.Tensor[T] // per level, per smoothing step (a[0][0] unused: nil)
	ru, rf []*nn.Tensor[T]   // restrictions into levels 1..L-1
	p      []*nn.Tensor[T]   // stored prolongations out of levels 1..L-1
	pUse   []*nn.Tensor[T]   // the kernels used on the current grid
}

// mgnoLevels returns the level sizes of an n-point axis and the
// prolongation kernel of each level pair.
func mgnoLevels(n, levels int) ([]int, []int) {
	sizes := []int{n}
	for l := 1; l < levels; l++ {
		sizes = append(sizes, (sizes[l-1]+1)/2)
	}
	kernels := make([]int, levels-1)
	for l := range kernels {
		kernels[l] = 3
		if sizes[l] == 2*sizes[l+1] {
			kernels[l] = 4
		}
	}
	return sizes, kernels
}

func newMgNO[T nn.Float](cfg Config, s MgNOSettings, rnd *rand.Rand) (*MgNO[T], error) {
	if err := s.defaults(); err != nil {
		return nil, err
	}
	cfg.MgNO, cfg.FNO, cfg.SFNO = &s, nil, nil
	m := &MgNO[T]{cfg: cfg, s: s}
	if err := m.levels(cfg.H, cfg.W); err != nil {
		return nil, err
	}
	m.trainedKernels = m.kernels
	c := s.Channels
	in := c
	if s.NoLift {
		in = cfg.In
	} else {
		m.liftW, m.liftB = conv[T](rnd, c, cfg.In, 1, true)
	}
	for l := 0; l < s.Layers; l++ {
		cf := c
		if l == 0 {
			cf = in
		}
		m.layers = append(m.layers, newVcycle[T](rnd, s, cf, m.trainedKernels))
		w, b := conv[T](rnd, c, cf, 1, true)
		m.skipW, m.skipB = append(m.skipW, w), append(m.skipB, b)
	}
	m.headW, m.headB = conv[T](rnd, cfg.Out, c, 1, !s.NoHeadBias)
	return m, nil
}

func newVcycle[T nn.Float](rnd *rand.Rand, s MgNOSettings, cf int, kernels [][2]int) *vcycle[T] {
	cu := s.Channels
	v := &vcycle[T]{}
	for l := 0; l < s.Levels; l++ {
		var as, ss []*nn.Tensor[T]
		for j := 0; j < s.Smooth[l]; j++ {
			var a *nn.Tensor[T]
			if l > 0 || j > 0 {
				a, _ = conv[T](rnd, cf, cu, 3, false)
			}
			sm, _ := conv[T](rnd, cu, cf, 3, false)
			as, ss = append(as, a), append(ss, sm)
		}
		v.a, v.s = append(v.a, as), append(v.s, ss)
		if l > 0 {
			ru, _ := conv[T](rnd, cu, cu, 3, false)
			rf, _ := conv[T](rnd, cf, cf, 3, false)
			v.ru, v.rf = append(v.ru, ru), append(v.rf, rf)
		}
	}
	for _, k := range kernels {
		// PyTorch's ConvTranspose2d takes its fan in from the weight's
		// second axis: out channels times the kernel's taps.
		v.p = append(v.p, uniform[T](rnd, 1/math.Sqrt(float64(cu*k[0]*k[1])), cu, cu, k[0], k[1]))
	}
	v.pUse = v.p
	return v
}

// levels sets the level sizes and kernels of an h x w grid.
func (m *MgNO[T]) levels(h, w int) error {
	L := m.s.Levels
	hs, hk := mgnoLevels(h, L)
	ws, wk := mgnoLevels(w, L)
	if hs[L-1] < 2 || ws[L-1] < 2 {
		return fmt.Errorf("neuralop: a %d x %d grid is too small for %d MgNO levels (the coarsest would be %d x %d; at least 2 x 2)", h, w, L, hs[L-1], ws[L-1])
	}
	m.sizes, m.kernels = nil, nil
	for l := 0; l < L; l++ {
		m.sizes = append(m.sizes, [2]int{hs[l], ws[l]})
		if l+1 < L {
			m.kernels = append(m.kernels, [2]int{hk[l], wk[l]})
		}
	}
	return nil
}

// Config implements Model.
func (m *MgNO[T]) Config() Config { return m.cfg }

// Levels returns the level sizes of the current grid, finest first.
func (m *MgNO[T]) Levels() [][2]int { return m.sizes }

// Params implements Model.
func (m *MgNO[T]) Params() []nn.Named[T] {
	var p params[T]
	p.add("lift/w", m.liftW)
	p.add("lift/b", m.liftB)
	for k, v := range m.layers {
		pre := fmt.Sprintf("layer%d/", k)
		for l := range v.s {
			for j := range v.s[l] {
				p.add(fmt.Sprintf("%slevel%d/A%d", pre, l, j), v.a[l][j])
				p.add(fmt.Sprintf("%slevel%d/S%d", pre, l, j), v.s[l][j])
			}
			if l > 0 {
				p.add(fmt.Sprintf("%slevel%d/Ru", pre, l), v.ru[l-1])
				p.add(fmt.Sprintf("%slevel%d/Rf", pre, l), v.rf[l-1])
				p.add(fmt.Sprintf("%slevel%d/P", pre, l), v.p[l-1])
			}
		}
		p.add(pre+"skip/w", m.skipW[k])
		p.add(pre+"skip/b", m.skipB[k])
	}
	p.add("head/w", m.headW)
	p.add("head/b", m.headB)
	return p
}

// SetGrid implements Model: it builds the V-cycle for h x w with the same
// weights, adapting the prolongation kernels whose size differs from the
// training grid's.
func (m *MgNO[T]) SetGrid(h, w int) error {
	if err := m.levels(h, w); err != nil {
		return err
	}
	for _, v := range m.layers {
		v.pUse = make([]*nn.Tensor[T], len(v.p))
		for l, p := range v.p {
			v.pUse[l] = adaptKernel(p, m.kernels[l])
		}
	}
	return nil
}

// adaptKernel returns the prolongation weight p [c, c, kh, kw] with its
// kernel made k: a zero last tap added (3 to 4) or the last tap dropped
// (4 to 3) per axis; p itself when it already fits.
func adaptKernel[T nn.Float](p *nn.Tensor[T], k [2]int) *nn.Tensor[T] {
	c0, c1, kh, kw := p.Shape[0], p.Shape[1], p.Shape[2], p.Shape[3]
	if kh == k[0] && kw == k[1] {
		return p
	}
	out := nn.Zeros[T](c0, c1, k[0], k[1])
	for i := 0; i < c0*c1; i++ {
		for y := 0; y < min(kh, k[0]); y++ {
			for x := 0; x < min(kw, k[1]); x++ {
				out.Data[(i*k[0]+y)*k[1]+x] = p.Data[(i*kh+y)*kw+x]
			}
		}
	}
	return out
}

// Forward implements Model.
func (m *MgNO[T]) Forward(tp *nn.Tape[T], x *nn.Tensor[T]) *nn.Tensor[T] {
	if len(x.Shape) != 4 || x.Shape[1] != m.cfg.In || x.Shape[2] != m.sizes[0][0] || x.Shape[3] != m.sizes[0][1] {
		panic(fmt.Sprintf("neuralop: MgNO on input %v; want [B, %d, %d, %d]", x.Shape, m.cfg.In, m.sizes[0][0], m.sizes[0][1]))
	}
	u := x
	if m.liftW != nil {
		u = tp.Conv2d(u, m.liftW, m.liftB, nn.Conv2dOpts{})
	}
	for k, v := range m.layers {
		u = tp.GELU(tp.Add(m.cycle(tp, v, u), tp.Conv2d(u, m.skipW[k], m.skipB[k], nn.Conv2dOpts{})))
	}
	return tp.Conv2d(u, m.headW, m.headB, nn.Conv2dOpts{})
}

// cycle applies one V-cycle to f.
func (m *MgNO[T]) cycle(tp *nn.Tape[T], v *vcycle[T], f *nn.Tensor[T]) *nn.Tensor[T] {
	same := nn.Conv2dOpts{Stride: 1, Padding: 1, Mode: m.s.Padding}
	down := nn.Conv2dOpts{Stride: 2, Padding: 1, Mode: m.s.Padding}
	us := make([]*nn.Tensor[T], len(v.s))
	var u *nn.Tensor[T]
	for l := range v.s {
		if l > 0 {
			u = tp.Conv2d(u, v.ru[l-1], nil, down)
			f = tp.Conv2d(f, v.rf[l-1], nil, down)
		}
		for j := range v.s[l] {
			if u == nil {
				u = tp.Conv2d(f, v.s[l][j], nil, same)
				continue
			}
			r := tp.Sub(f, tp.Conv2d(u, v.a[l][j], nil, same))
			u = tp.Add(u, tp.Conv2d(r, v.s[l][j], nil, same))
		}
		us[l] = u
	}
	for l := len(us) - 2; l >= 0; l-- {
		u = tp.Add(us[l], tp.ConvTranspose2d(u, v.pUse[l], nil, 2, 1))
	}
	return u
}
