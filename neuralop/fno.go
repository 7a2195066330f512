package neuralop

import (
	"fmt"
	"math/rand/v2"

	"github.com/pdekit/pdekit/nn"
)

// FNOSettings are the settings of FNO2d. The zero value is the FNO paper's
// Darcy model (modes 12, width 32, 4 Fourier layers, projection width
// 128) without padding, the architecture the PyTorch peer trains.
type FNOSettings struct {
	// Modes is the number of Fourier modes kept per sign along each axis
	// (the legacy FNO convention: rows [0, m) and [H-m, H), columns
	// [0, m) of the real FFT); zero means 12.
	Modes int `json:"modes"`
	// Width is the number of channels of the Fourier layers; zero means
	// 32.
	Width int `json:"width"`
	// Layers is the number of Fourier layers; zero means 4.
	Layers int `json:"layers"`
	// Padding zero-pads the lifted fields by this many points after the
	// last row and column before the Fourier layers (and crops after
	// them), for non-periodic data; FNO's fourier_2d.py uses 9. Zero means
	// none.
	Padding int `json:"padding"`
	// Projection is the hidden width of the projection; zero means 128.
	Projection int `json:"projection"`
}

func (s *FNOSettings) defaults() {
	if s.Modes == 0 {
		s.Modes = 12
	}
	if s.Width == 0 {
		s.Width = 32
	}
	if s.Layers == 0 {
		s.Layers = 4
	}
	if s.Projection == 0 {
		s.Projection = 128
	}
}

// FNO2d is the Fourier neural operator of Li et al. (ICLR 2021) for 2-D
// fields: the input channels and the grid coordinates x = i/(H-1),
// y = j/(W-1) are lifted pointwise to Width channels; each Fourier layer
// adds a spectral convolution (SpectralConv2d, Modes per sign) and a 1x1
// convolution, with GELU between layers (not after the last); a pointwise
// two-layer projection with GELU gives the output. Pointwise maps are 1x1
// convolutions (the same parameters as the paper's nn.Linear layers).
// Its weights do not depend on the grid, so a trained FNO evaluates on
// any grid with at least 2 Modes points per axis.
type FNO2d[T nn.Float] struct {
	cfg            Config
	s              FNOSettings
	liftW, liftB   *nn.Tensor[T]
	spec1, spec2   []*nn.Tensor[T]
	skipW, skipB   []*nn.Tensor[T]
	proj1W, proj1B *nn.Tensor[T]
	proj2W, proj2B *nn.Tensor[T]
	h, w           int
	coords         *nn.Tensor[T] // [1, 2, H, W]
	coordsB        int
	coordsBuf      *nn.Tensor[T]
}

func newFNO2d[T nn.Float](cfg Config, s FNOSettings, rnd *rand.Rand) (*FNO2d[T], error) {
	s.defaults()
	if s.Modes < 1 || s.Width < 1 || s.Layers < 1 || s.Padding < 0 || s.Projection < 1 {
		return nil, fmt.Errorf("neuralop: FNO settings %+v out of range", s)
	}
	cfg.FNO, cfg.MgNO, cfg.SFNO = &s, nil, nil
	m := &FNO2d[T]{cfg: cfg, s: s}
	m.liftW, m.liftB = conv[T](rnd, s.Width, cfg.In+2, 1, true)
	scale := 1 / float64(s.Width*s.Width)
	for l := 0; l < s.Layers; l++ {
		for _, dst := range []*[]*nn.Tensor[T]{&m.spec1, &m.spec2} {
			w := nn.Zeros[T](s.Width, s.Width, s.Modes, s.Modes, 2)
			for i := range w.Data {
				w.Data[i] = T(scale * rnd.Float64()) // the FNO code's scale * U[0, 1) for re and im
			}
			*dst = append(*dst, nn.Param(w.Data, w.Shape...))
		}
		w, b := conv[T](rnd, s.Width, s.Width, 1, true)
		m.skipW, m.skipB = append(m.skipW, w), append(m.skipB, b)
	}
	m.proj1W, m.proj1B = conv[T](rnd, s.Projection, s.Width, 1, true)
	m.proj2W, m.proj2B = conv[T](rnd, cfg.Out, s.Projection, 1, true)
	return m, nil
}

// Config implements Model.
func (m *FNO2d[T]) Config() Config { return m.cfg }

// Params implements Model.
func (m *FNO2d[T]) Params() []nn.Named[T] {
	var p params[T]
	p.add("lift/w", m.liftW)
	p.add("lift/b", m.liftB)
	for l := range m.spec1 {
		pre := fmt.Sprintf("layer%d/", l)
		p.add(pre+"spectral1", m.spec1[l])
		p.add(pre+"spectral2", m.spec2[l])
		p.add(pre+"skip/w", m.skipW[l])
		p.add(pre+"skip/b", m.skipB[l])
	}
	p.add("proj1/w", m.proj1W)
	p.add("proj1/b", m.proj1B)
	p.add("proj2/w", m.proj2W)
	p.add("proj2/b", m.proj2B)
	return p
}

// SetGrid implements Model: the Fourier layers need 2 Modes rows and Modes
// columns of the (padded) grid's spectrum.
func (m *FNO2d[T]) SetGrid(h, w int) error {
	ph, pw := h+m.s.Padding, w+m.s.Padding
	if 2*m.s.Modes > ph || m.s.Modes > pw/2+1 {
		return fmt.Errorf("neuralop: FNO with %d modes needs at least %d x %d points (padding included), the grid is %d x %d",
			m.s.Modes, 2*m.s.Modes, 2*m.s.Modes-2, ph, pw)
	}
	if h == m.h && w == m.w {
		return nil
	}
	m.h, m.w = h, w
	m.coords = nn.Zeros[T](1, 2, h, w)
	for i := 0; i < h; i++ {
		for j := 0; j < w; j++ {
			m.coords.Data[i*w+j] = T(linspace(i, h))
			m.coords.Data[h*w+i*w+j] = T(linspace(j, w))
		}
	}
	m.coordsB = 0
	return nil
}

// linspace returns the i-th of n points of [0, 1], endpoints included
// (torch.linspace(0, 1, n)).
func linspace(i, n int) float64 {
	if n == 1 {
		return 0
	}
	return float64(i) / float64(n-1)
}

// Forward implements Model.
func (m *FNO2d[T]) Forward(tp *nn.Tape[T], x *nn.Tensor[T]) *nn.Tensor[T] {
	b, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	if len(x.Shape) != 4 || x.Shape[1] != m.cfg.In || h != m.h || w != m.w {
		panic(fmt.Sprintf("neuralop: FNO2d on input %v; want [B, %d, %d, %d]", x.Shape, m.cfg.In, m.h, m.w))
	}
	if m.coordsB != b {
		m.coordsBuf = nn.Zeros[T](b, 2, h, w)
		for k := 0; k < b; k++ {
			copy(m.coordsBuf.Data[k*2*h*w:], m.coords.Data)
		}
		m.coordsB = b
	}
	v := tp.Conv2d(tp.Concat(1, x, m.coordsBuf), m.liftW, m.liftB, nn.Conv2dOpts{})
	if p := m.s.Padding; p > 0 {
		v = tp.Pad2d(v, p, p)
	}
	for l := range m.spec1 {
		v = tp.Add(tp.SpectralConv2d(v, m.spec1[l], m.spec2[l]), tp.Conv2d(v, m.skipW[l], m.skipB[l], nn.Conv2dOpts{}))
		if l+1 < len(m.spec1) {
			v = tp.GELU(v)
		}
	}
	if m.s.Padding > 0 {
		v = tp.Crop2d(v, h, w)
	}
	v = tp.GELU(tp.Conv2d(v, m.proj1W, m.proj1B, nn.Conv2dOpts{}))
	return tp.Conv2d(v, m.proj2W, m.proj2B, nn.Conv2dOpts{})
}
