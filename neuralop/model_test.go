package neuralop

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pdekit/pdekit/nn"
)

// TestParamCounts: the counts derived from the layer definitions. The
// paper's Darcy MgNO (MgNO_DC, 4 layers, 6 levels, 24 channels) has
// 572,661 parameters (the MgNO paper's Table 1 gives 0.57 M). The peer's
// MgNO (nnops.py) at 64 x 64 has lifting 48, per layer 10 A and S 3x3
// convolutions of which the finest A is never used (nnops.py keeps it:
// 5184 more per layer), 8 restrictions, 4 kernel-4 prolongations and a
// 1x1 path: 653,953 with its unused convolutions, so 628,033 here. The
// FNO of the paper: lifting 3*32+32, 4 layers of 2*32*32*12*12*2 spectral
// and 32*32+32 skip, projection 32*128+128 and 128+1.
func TestParamCounts(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 1))
	dr := DarcyRough()
	for _, tc := range []struct {
		cfg  Config
		want int
	}{
		{Config{Kind: "mgno", H: 256, W: 256, MgNO: &dr}, 572661},
		{Config{Kind: "mgno", H: 64, W: 64}, 653953 - 5*5184},
		{Config{Kind: "fno", H: 64, W: 64}, (3*32 + 32) + 4*(2*32*32*12*12*2+32*32+32) + (32*128 + 128) + (128 + 1)},
	} {
		m, err := New[float32](tc.cfg, rnd)
		if err != nil {
			t.Fatal(err)
		}
		if got := CountParams(m); got != tc.want {
			t.Errorf("%s %+v: %d parameters, want %d", tc.cfg.Kind, tc.cfg.MgNO, got, tc.want)
		}
	}
}

// TestMgNOShapes: the V-cycle fits every grid, with kernel 4 where a level
// doubles and 3 where it doubles minus one, and the output has the input's
// grid; 64, 65, 85 and 141 points per side and a rectangle.
func TestMgNOShapes(t *testing.T) {
	rnd := rand.New(rand.NewPCG(2, 2))
	for _, tc := range []struct {
		h, w    int
		sizes   []int
		kernels []int
	}{
		{64, 64, []int{64, 32, 16, 8, 4}, []int{4, 4, 4, 4}},
		{65, 65, []int{65, 33, 17, 9, 5}, []int{3, 3, 3, 3}},
		{85, 85, []int{85, 43, 22, 11, 6}, []int{3, 3, 4, 3}},
		{141, 141, []int{141, 71, 36, 18, 9}, []int{3, 3, 4, 4}},
	} {
		m, err := New[float32](Config{Kind: "mgno", H: tc.h, W: tc.w, MgNO: &MgNOSettings{Channels: 3, Layers: 1}}, rnd)
		if err != nil {
			t.Fatal(err)
		}
		mg := m.(*MgNO[float32])
		for l, s := range mg.Levels() {
			if s != [2]int{tc.sizes[l], tc.sizes[l]} {
				t.Errorf("%d: level %d is %v, want %d", tc.h, l, s, tc.sizes[l])
			}
		}
		for l, k := range mg.kernels {
			if k != [2]int{tc.kernels[l], tc.kernels[l]} {
				t.Errorf("%d: prolongation %d has kernel %v, want %d", tc.h, l, k, tc.kernels[l])
			}
		}
		y := m.Forward(nn.NewTape[float32](), nn.Zeros[float32](2, 1, tc.h, tc.w))
		if !slices.Equal(y.Shape, []int{2, 1, tc.h, tc.w}) {
			t.Errorf("%d: output %v", tc.h, y.Shape)
		}
	}
	m, err := New[float32](Config{Kind: "mgno", H: 85, W: 64, MgNO: &MgNOSettings{Channels: 2, Layers: 1}}, rnd)
	if err != nil {
		t.Fatal(err)
	}
	if y := m.Forward(nn.NewTape[float32](), nn.Zeros[float32](1, 1, 85, 64)); !slices.Equal(y.Shape, []int{1, 1, 85, 64}) {
		t.Errorf("85 x 64: output %v", y.Shape)
	}
	if _, err := New[float32](Config{Kind: "mgno", H: 12, W: 12}, rnd); err == nil {
		t.Error("a 12 x 12 grid accepted for 5 levels")
	}
}

// TestVCycleLinear: with hand-set weights a V-cycle is a known linear
// operator. One channel, two levels on a 9 x 9 grid: S on level 0 the
// identity, the restriction of u injection (u[2i, 2j]), f not restricted
// (Rf = 0), no smoothing on level 1 (A = S = 0), and the prolongation
// bilinear interpolation (taps 1/2, 1, 1/2): V f = f + I(f[::2, ::2]),
// which for a linear f is 2 f exactly.
func TestVCycleLinear(t *testing.T) {
	m, err := New[float64](Config{Kind: "mgno", H: 9, W: 9, MgNO: &MgNOSettings{Channels: 1, Layers: 1, Levels: 2}}, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	v := m.(*MgNO[float64]).layers[0]
	set := func(p *nn.Tensor[float64], taps ...float64) {
		clear(p.Data)
		copy(p.Data, taps)
	}
	set(v.s[0][0], 0, 0, 0, 0, 1, 0, 0, 0, 0)
	set(v.ru[0], 0, 0, 0, 0, 1, 0, 0, 0, 0)
	set(v.rf[0])
	set(v.a[1][0])
	set(v.s[1][0])
	set(v.p[0], 0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25)
	f := nn.Zeros[float64](1, 1, 9, 9)
	for i := 0; i < 9; i++ {
		for j := 0; j < 9; j++ {
			f.Data[i*9+j] = 0.3 + float64(i) - 2*float64(j)
		}
	}
	u := m.(*MgNO[float64]).cycle(nn.NewTape[float64](), v, f)
	for i, got := range u.Data {
		if want := 2 * f.Data[i]; math.Abs(got-want) > 1e-12 {
			t.Fatalf("point %d: V f = %g, want 2 f = %g", i, got, want)
		}
	}
}

// TestModelGradients: the gradient of a loss through whole small models
// agrees with central differences (float64), for every parameter.
func TestModelGradients(t *testing.T) {
	rnd := rand.New(rand.NewPCG(4, 4))
	for _, cfg := range []Config{
		{Kind: "fno", H: 8, W: 8, FNO: &FNOSettings{Modes: 2, Width: 3, Layers: 2, Projection: 4, Padding: 2}},
		{Kind: "mgno", H: 9, W: 8, MgNO: &MgNOSettings{Channels: 2, Layers: 2, Levels: 3, Smooth: []int{2, 1, 2}}},
		{Kind: "mgno", H: 8, W: 8, MgNO: &MgNOSettings{Channels: 2, Layers: 1, Levels: 2, NoLift: true, NoHeadBias: true, Padding: nn.PadCircular}},
	} {
		m, err := New[float64](cfg, rnd)
		if err != nil {
			t.Fatal(err)
		}
		x, y := nn.Zeros[float64](2, 1, cfg.H, cfg.W), nn.Zeros[float64](2, 1, cfg.H, cfg.W)
		for i := range x.Data {
			x.Data[i], y.Data[i] = rnd.NormFloat64(), rnd.NormFloat64()
		}
		ps := nn.Tensors(m.Params())
		if err := nn.CheckGradients(ps, func(tp *nn.Tape[float64]) *nn.Tensor[float64] { return tp.RelL2(m.Forward(tp, x), y) }, 0, 1e-5); err != nil {
			t.Errorf("%s: %v", cfg.Kind, err)
		}
	}
}

// TestSuperResolution: SetGrid rebuilds MgNO for another grid with the
// same weights. From 85 to 421 the kernels agree (the same operator
// family); from 85 to 141 the last kernel 3 becomes 4 with a zero last
// tap, which leaves the common points unchanged: the kernel-4 output
// cropped to the kernel-3 size equals the kernel-3 output.
func TestSuperResolution(t *testing.T) {
	m, err := New[float64](Config{Kind: "mgno", H: 85, W: 85, MgNO: &MgNOSettings{Channels: 2, Layers: 1}}, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{141, 421, 85} {
		if err := m.SetGrid(n, n); err != nil {
			t.Fatal(err)
		}
		if y := m.Forward(nn.NewTape[float64](), nn.Zeros[float64](1, 1, n, n)); !slices.Equal(y.Shape, []int{1, 1, n, n}) {
			t.Errorf("%d: output %v", n, y.Shape)
		}
	}
	p3 := nn.Zeros[float64](1, 1, 3, 3)
	for i := range p3.Data {
		p3.Data[i] = float64(i + 1)
	}
	p4 := adaptKernel(p3, [2]int{4, 4})
	x := nn.Zeros[float64](1, 1, 5, 5)
	for i := range x.Data {
		x.Data[i] = math.Sin(float64(i))
	}
	tp := nn.NewTape[float64]()
	y3, y4 := tp.ConvTranspose2d(x, p3, nil, 2, 1), tp.ConvTranspose2d(x, p4, nil, 2, 1)
	if c := tp.Crop2d(y4, 9, 9); !slices.Equal(c.Data, y3.Data) || y4.Shape[2] != 10 {
		t.Errorf("kernel 3 padded to 4: shapes %v, %v; common points differ", y3.Shape, y4.Shape)
	}
}
