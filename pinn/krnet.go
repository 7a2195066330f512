package pinn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/pdekit/pdekit/nn"
)

// KRnetSettings shape a KRnet; the zero value takes the DAS code's
// defaults.
type KRnetSettings struct {
	// Depth is the number of affine coupling layers per stage (even;
	// zero: 6); Width the hidden units of their networks (zero: 24);
	// Bins the cells of the quadratic CDF layer (even; zero: 32).
	Depth, Width, Bins int
	// Margin enlarges the flow's support [-1, 1]^d on every side (zero:
	// the DAS code's 0.01).
	Margin float64
}

// KRnet is the bounded Knothe-Rosenblatt flow of the DAS papers: a density
// on the box [-1-Margin, 1+Margin]^d, exact log-density and sampling. From
// the data to the Gaussian prior a point passes a logistic map of the box
// onto R^d, then d-1 stages of Depth affine couplings (each after an
// actnorm, the coordinates reversed after each) on the leading d-s
// coordinates, the last one set aside after stage s (the KR squeezing,
// one dimension per stage), then an actnorm and a piecewise-quadratic
// CDF on the remaining coordinate. The layers follow the DAS code
// (MJfadeaway/DAS, BR_layers.py: its scale 0.6 tanh and clipped exp of the
// couplings, actnorm's clipped log-scale with logscale factor 3 and data
// initialisation on the first batch, the CDF's geometric mesh of ratio 1.2
// on [-50, 50]); it is a fresh implementation. A KRnet is not safe for
// concurrent use.
type KRnet struct {
	D      int
	Lo, Hi float64 // the support of every coordinate
	stages []krStage
	last   actnorm
	cdf    cdfLayer
	inited bool
}

// krStage is one stage: Depth actnorm + coupling pairs on n coordinates.
type krStage struct {
	n     int
	norms []actnorm
	cps   []coupling
}

// actnorm is x -> (x + b + b0) exp(clip(l + l0, -5, 5)); b0, l0 are set by
// the data initialisation and not trained.
type actnorm struct {
	b, l   *nn.Tensor[float64]
	b0, l0 []float64
}

// coupling updates the coordinates [split, n) from the first split ones:
// z2 (1 + 0.6 tanh(s)) + exp(clip(g)) tanh(t), (t, s) from a two-hidden-layer
// ReLU network of z1.
type coupling struct {
	split                  int
	w1, b1, w2, b2, w3, b3 *nn.Tensor[float64]
	g                      *nn.Tensor[float64]
}

// cdfLayer is the DAS code's piecewise-quadratic CDF on [-bound, bound]
// (the identity outside): a piecewise-linear density on a mesh of [0, 1]
// with value 1 at both ends and exp(p) (normalised) inside.
type cdfLayer struct {
	p       *nn.Tensor[float64] // [bins-1, n]
	mesh, h []float64
	bound   float64
}

const (
	couplingAlpha = 0.6
	logClip       = 5.0
	cdfBound      = 50.0
	cdfRatio      = 1.2
)

// NewKRnet returns a d-dimensional KRnet with Glorot-normal weights from
// rnd and the other parameters zero (an identity-like flow once the
// actnorms are initialised).
func NewKRnet(d int, s KRnetSettings, rnd *rand.Rand) (*KRnet, error) {
	if s.Depth == 0 {
		s.Depth = 6
	}
	if s.Width == 0 {
		s.Width = 24
	}
	if s.Bins == 0 {
		s.Bins = 32
	}
	if s.Margin == 0 {
		s.Margin = 0.01
	}
	if d < 1 || s.Depth < 2 || s.Depth%2 != 0 || s.Width < 1 || s.Bins < 2 || s.Bins%2 != 0 || !(s.Margin > 0) {
		return nil, fmt.Errorf("pinn: KRnet of dimension %d, depth %d (even), width %d, %d bins (even), margin %g", d, s.Depth, s.Width, s.Bins, s.Margin)
	}
	k := &KRnet{D: d, Lo: -1 - s.Margin, Hi: 1 + s.Margin}
	glorot := func(out, in int) *nn.Tensor[float64] {
		w := make([]float64, out*in)
		sd := math.Sqrt(2 / float64(in+out))
		for i := range w {
			w[i] = sd * rnd.NormFloat64()
		}
		return nn.Param(w, out, in)
	}
	zeros := func(shape ...int) *nn.Tensor[float64] {
		n := 1
		for _, v := range shape {
			n *= v
		}
		return nn.Param(make([]float64, n), shape...)
	}
	for st := 0; st+1 < d; st++ {
		n := d - st
		stage := krStage{n: n}
		for i := 0; i < s.Depth; i++ {
			split := n - 1 // the DAS code's n_split_at for one dimension per stage
			if i%2 == 1 {
				split = 1
			}
			m := n - split
			stage.norms = append(stage.norms, newActnorm(n, zeros))
			stage.cps = append(stage.cps, coupling{split: split,
				w1: glorot(s.Width, split), b1: zeros(s.Width),
				w2: glorot(s.Width, s.Width), b2: zeros(s.Width),
				w3: glorot(2*m, s.Width), b3: zeros(2 * m),
				g: zeros(1, m)})
		}
		k.stages = append(k.stages, stage)
	}
	k.last = newActnorm(1, zeros)
	k.cdf = newCDF(s.Bins, cdfBound, cdfRatio)
	k.cdf.p = zeros(s.Bins-1, 1)
	return k, nil
}

// newCDF returns the layer's mesh on [0, 1]: symmetric about 1/2, the
// cells growing by ratio r away from the middle, the image of
// [-bound, bound].
func newCDF(bins int, bound, r float64) cdfLayer {
	m := bins / 2
	x1 := bound * (r - 1) / (math.Pow(r, float64(m)) - 1)
	mesh := make([]float64, bins+1)
	for i := 0; i <= bins; i++ {
		k := i - m
		v := x1 * (1 - math.Pow(r, math.Abs(float64(k)))) / (1 - r)
		if k < 0 {
			v = -v
		}
		mesh[i] = (v + bound) / (2 * bound)
	}
	mesh[0], mesh[bins] = 0, 1
	h := make([]float64, bins)
	for i := range h {
		h[i] = mesh[i+1] - mesh[i]
	}
	return cdfLayer{mesh: mesh, h: h, bound: bound}
}

// Params returns the trainable tensors with checkpoint names.
func (k *KRnet) Params() []nn.Named[float64] {
	var ps []nn.Named[float64]
	add := func(name string, t *nn.Tensor[float64]) { ps = append(ps, nn.Named[float64]{Name: name, Tensor: t}) }
	for s, st := range k.stages {
		for i := range st.cps {
			pre := fmt.Sprintf("krnet/s%d/l%d/", s, i)
			add(pre+"b", st.norms[i].b)
			add(pre+"logs", st.norms[i].l)
			c := st.cps[i]
			for j, t := range []*nn.Tensor[float64]{c.w1, c.b1, c.w2, c.b2, c.w3, c.b3, c.g} {
				add(pre+[]string{"w1", "b1", "w2", "b2", "w3", "b3", "log_gamma"}[j], t)
			}
		}
	}
	add("krnet/last/b", k.last.b)
	add("krnet/last/logs", k.last.l)
	add("krnet/cdf/p", k.cdf.p)
	return ps
}

func newActnorm(n int, zeros func(...int) *nn.Tensor[float64]) actnorm {
	return actnorm{b: zeros(1, n), l: zeros(1, n), b0: make([]float64, n), l0: make([]float64, n)}
}

// clip is the clipped log-scale of an actnorm at j.
func (a *actnorm) clip(j int) float64 {
	return math.Max(-logClip, math.Min(logClip, a.l.Data[j]+a.l0[j]))
}

// forward records the actnorm of x [N, n] and adds its log-determinant
// into ld [N, 1]; on the first call of a KRnet it initialises b0 and l0
// from x (mean zero, the DAS code's partial scaling).
func (a *actnorm) forward(tp *nn.Tape[float64], x *nn.Tensor[float64], init bool) (*nn.Tensor[float64], *nn.Tensor[float64]) {
	rows, n := x.Shape[0], x.Shape[1]
	if init {
		for j := 0; j < n; j++ {
			var mean, v float64
			for i := 0; i < rows; i++ {
				mean += x.Data[i*n+j]
			}
			mean /= float64(rows)
			for i := 0; i < rows; i++ {
				v += (x.Data[i*n+j] - mean) * (x.Data[i*n+j] - mean)
			}
			a.b0[j] = -mean
			a.l0[j] = math.Log(1/(math.Sqrt(v/float64(rows))+1e-6)) / 3
		}
	}
	y := tp.Op([]int{rows, n}, []*nn.Tensor[float64]{x, a.b, a.l}, func(out []float64) {
		for j := 0; j < n; j++ {
			s, sh := math.Exp(a.clip(j)), a.b.Data[j]+a.b0[j]
			for i := 0; i < rows; i++ {
				out[i*n+j] = (x.Data[i*n+j] + sh) * s
			}
		}
	}, func(g []float64, gin [][]float64) {
		for j := 0; j < n; j++ {
			c := a.clip(j)
			s, sh := math.Exp(c), a.b.Data[j]+a.b0[j]
			inside := math.Abs(a.l.Data[j]+a.l0[j]) < logClip
			for i := 0; i < rows; i++ {
				gi := g[i*n+j]
				if gin[0] != nil {
					gin[0][i*n+j] += gi * s
				}
				if gin[1] != nil {
					gin[1][j] += gi * s
				}
				if gin[2] != nil && inside {
					gin[2][j] += gi * (x.Data[i*n+j] + sh) * s
				}
			}
		}
	})
	ld := tp.Op([]int{1, 1}, []*nn.Tensor[float64]{a.l}, func(out []float64) {
		for j := 0; j < n; j++ {
			out[0] += a.clip(j)
		}
	}, func(g []float64, gin [][]float64) {
		for j := 0; j < n; j++ {
			if math.Abs(a.l.Data[j]+a.l0[j]) < logClip {
				gin[0][j] += g[0]
			}
		}
	})
	return y, ld
}

// inverse undoes the actnorm on the rows of x [N, n] in place.
func (a *actnorm) inverse(x []float64, n int) {
	for j := 0; j < n; j++ {
		s, sh := math.Exp(-a.clip(j)), a.b.Data[j]+a.b0[j]
		for i := j; i < len(x); i += n {
			x[i] = x[i]*s - sh
		}
	}
}

// net returns the coupling's shift and log-scale inputs (t, s) of z1.
func (c *coupling) net(tp *nn.Tape[float64], z1 *nn.Tensor[float64]) (t, s *nn.Tensor[float64]) {
	h := tp.ReLU(tp.Linear(z1, c.w1, c.b1))
	h = tp.ReLU(tp.Linear(h, c.w2, c.b2))
	h = tp.Linear(h, c.w3, c.b3)
	m := h.Shape[1] / 2
	return tp.Narrow(h, 1, 0, m), tp.Narrow(h, 1, m, m)
}

// scales returns the coupling's 0.6 tanh(s) and exp(clip(g)) tanh(t) for
// z1.
func (c *coupling) scales(tp *nn.Tape[float64], z1 *nn.Tensor[float64]) (scale, shift *nn.Tensor[float64]) {
	t, s := c.net(tp, z1)
	scale = tp.Scale(tp.Tanh(s), couplingAlpha)
	th := tp.Tanh(t)
	rows, m := th.Shape[0], th.Shape[1]
	shift = tp.Op([]int{rows, m}, []*nn.Tensor[float64]{th, c.g}, func(out []float64) {
		for j := 0; j < m; j++ {
			e := math.Exp(math.Max(-logClip, math.Min(logClip, c.g.Data[j])))
			for i := 0; i < rows; i++ {
				out[i*m+j] = e * th.Data[i*m+j]
			}
		}
	}, func(g []float64, gin [][]float64) {
		for j := 0; j < m; j++ {
			e := math.Exp(math.Max(-logClip, math.Min(logClip, c.g.Data[j])))
			inside := math.Abs(c.g.Data[j]) < logClip
			for i := 0; i < rows; i++ {
				if gin[0] != nil {
					gin[0][i*m+j] += g[i*m+j] * e
				}
				if gin[1] != nil && inside {
					gin[1][j] += g[i*m+j] * e * th.Data[i*m+j]
				}
			}
		}
	})
	return scale, shift
}

// forward records the coupling of z [N, n]; it returns the new z and the
// log-determinant [N, 1].
func (c *coupling) forward(tp *nn.Tape[float64], z *nn.Tensor[float64]) (*nn.Tensor[float64], *nn.Tensor[float64]) {
	n := z.Shape[1]
	z1, z2 := tp.Narrow(z, 1, 0, c.split), tp.Narrow(z, 1, c.split, n-c.split)
	scale, shift := c.scales(tp, z1)
	z2 = tp.Add(tp.Add(z2, tp.Mul(scale, z2)), shift)
	rows, m := scale.Shape[0], scale.Shape[1]
	ld := tp.Op([]int{rows, 1}, []*nn.Tensor[float64]{scale}, func(out []float64) {
		for i := 0; i < rows; i++ {
			for j := 0; j < m; j++ {
				out[i] += math.Log1p(scale.Data[i*m+j])
			}
		}
	}, func(g []float64, gin [][]float64) {
		for i := 0; i < rows; i++ {
			for j := 0; j < m; j++ {
				gin[0][i*m+j] += g[i] / (1 + scale.Data[i*m+j])
			}
		}
	})
	return tp.Concat(1, z1, z2), ld
}

// inverse undoes the coupling on the rows of x [N, n] in place.
func (c *coupling) inverse(tp *nn.Tape[float64], x []float64, rows, n int) {
	z1 := nn.Zeros[float64](rows, c.split)
	for i := 0; i < rows; i++ {
		copy(z1.Data[i*c.split:(i+1)*c.split], x[i*n:i*n+c.split])
	}
	scale, shift := c.scales(tp, z1)
	m := n - c.split
	for i := 0; i < rows; i++ {
		for j := 0; j < m; j++ {
			v := &x[i*n+c.split+j]
			*v = (*v - shift.Data[i*m+j]) / (1 + scale.Data[i*m+j])
		}
	}
}

// reverse returns x [N, n] with its columns in reverse order.
func reverse(tp *nn.Tape[float64], x *nn.Tensor[float64]) *nn.Tensor[float64] {
	rows, n := x.Shape[0], x.Shape[1]
	return tp.Op([]int{rows, n}, []*nn.Tensor[float64]{x}, func(out []float64) {
		for i := 0; i < rows; i++ {
			for j := 0; j < n; j++ {
				out[i*n+j] = x.Data[i*n+n-1-j]
			}
		}
	}, func(g []float64, gin [][]float64) {
		for i := 0; i < rows; i++ {
			for j := 0; j < n; j++ {
				gin[0][i*n+n-1-j] += g[i*n+j]
			}
		}
	})
}

// reverseRows reverses the columns of every row of x [rows, n] in place.
func reverseRows(x []float64, n int) {
	for i := 0; i < len(x); i += n {
		for a, b := i, i+n-1; a < b; a, b = a+1, b-1 {
			x[a], x[b] = x[b], x[a]
		}
	}
}

// nodes returns the density's values at the mesh nodes for column j and
// the normalisation's weights a_l = e_l w_l / S (for the backward pass).
func (c *cdfLayer) nodes(j int, v, a []float64) {
	bins := len(c.h)
	n := c.p.Shape[1]
	var s float64
	for l := 1; l < bins; l++ {
		e := math.Exp(c.p.Data[(l-1)*n+j])
		a[l] = e * (c.h[l-1] + c.h[l]) / 2
		s += a[l]
	}
	v[0], v[bins] = 1, 1
	for l := 1; l < bins; l++ {
		v[l] = (1 - c.h[0]) * math.Exp(c.p.Data[(l-1)*n+j]) / s
		a[l] /= s
	}
}

// cumulative sets f[k] to the mass of the cells before k for the node
// values v.
func (c *cdfLayer) cumulative(f, v []float64) {
	f[0] = 0
	for l := range c.h {
		f[l+1] = f[l] + (v[l]+v[l+1])/2*c.h[l]
	}
}

// cell returns the mesh cell of t in [0, 1].
func (c *cdfLayer) cell(t float64) int {
	k := sort.SearchFloat64s(c.mesh, t) - 1
	return max(0, min(k, len(c.h)-1))
}

// forward records the CDF map of x [N, n] and its log-derivative [N, 1].
func (c *cdfLayer) forward(tp *nn.Tape[float64], x *nn.Tensor[float64]) (*nn.Tensor[float64], *nn.Tensor[float64]) {
	rows, n := x.Shape[0], x.Shape[1]
	bins := len(c.h)
	b := c.bound
	out := tp.Op([]int{rows, n + 1}, []*nn.Tensor[float64]{x, c.p}, func(out []float64) {
		v, a, f := make([]float64, bins+1), make([]float64, bins+1), make([]float64, bins+1)
		for j := 0; j < n; j++ {
			c.nodes(j, v, a)
			c.cumulative(f, v)
			for i := 0; i < rows; i++ {
				xi := x.Data[i*n+j]
				if math.Abs(xi) > b {
					out[i*(n+1)+j] = xi
					continue
				}
				t := (xi + b) / (2 * b)
				k := c.cell(t)
				xm := t - c.mesh[k]
				y := f[k] + xm*xm/2*(v[k+1]-v[k])/c.h[k] + xm*v[k]
				out[i*(n+1)+j] = y*2*b - b
				out[i*(n+1)+n] += math.Log(xm*(v[k+1]-v[k])/c.h[k] + v[k])
			}
		}
	}, func(g []float64, gin [][]float64) {
		v, a, gv := make([]float64, bins+1), make([]float64, bins+1), make([]float64, bins+1)
		gf := make([]float64, bins+1) // the gradient reaching F_k, per cell k
		for j := 0; j < n; j++ {
			c.nodes(j, v, a)
			clear(gv)
			clear(gf)
			for i := 0; i < rows; i++ {
				xi := x.Data[i*n+j]
				gy, gl := g[i*(n+1)+j], g[i*(n+1)+n]
				if math.Abs(xi) > b {
					if gin[0] != nil {
						gin[0][i*n+j] += gy
					}
					continue
				}
				t := (xi + b) / (2 * b)
				k := c.cell(t)
				h, xm := c.h[k], t-c.mesh[k]
				q := xm*(v[k+1]-v[k])/h + v[k]
				if gin[0] != nil {
					// dy/dx = q; d log q / dx = (v[k+1]-v[k]) / h / q / (2b)
					gin[0][i*n+j] += gy*q + gl*(v[k+1]-v[k])/h/q/(2*b)
				}
				gy *= 2 * b
				gf[k] += gy
				gv[k] += gy*(xm-xm*xm/(2*h)) + gl*(1-xm/h)/q
				gv[k+1] += gy*xm*xm/(2*h) + gl*(xm/h)/q
			}
			if gin[1] == nil {
				continue
			}
			// F_k sums the cells l < k, (v_l + v_{l+1}) h_l / 2: cell l
			// collects the gradient of every F_k with k > l.
			var above float64
			for l := bins - 1; l >= 0; l-- {
				gv[l] += above * c.h[l] / 2
				gv[l+1] += above * c.h[l] / 2
				above += gf[l]
			}
			// v_m = (1-h0) e_m / S: dv_m/dp_l = v_m (delta_ml - a_l).
			var sum float64
			for l := 1; l < bins; l++ {
				sum += gv[l] * v[l]
			}
			for l := 1; l < bins; l++ {
				gin[1][(l-1)*n+j] += gv[l]*v[l] - a[l]*sum
			}
		}
	})
	return tp.Narrow(out, 1, 0, n), tp.Narrow(out, 1, n, 1)
}

// inverse undoes the CDF map on the rows of x [N, n] in place.
func (c *cdfLayer) inverse(x []float64, n int) {
	bins := len(c.h)
	b := c.bound
	v, a, f := make([]float64, bins+1), make([]float64, bins+1), make([]float64, bins+1)
	for j := 0; j < n; j++ {
		c.nodes(j, v, a)
		c.cumulative(f, v)
		for i := j; i < len(x); i += n {
			if math.Abs(x[i]) > b {
				continue
			}
			ty := (x[i] + b) / (2 * b)
			k := max(0, min(sort.SearchFloat64s(f, ty)-1, bins-1))
			ys, h := ty-f[k], c.h[k]
			// Solve ys = xm v_k + xm^2 (v_{k+1} - v_k) / (2h) for xm >= 0,
			// in the form without cancellation.
			xm := 2 * ys / (v[k] + math.Sqrt(math.Max(0, v[k]*v[k]+2*ys*(v[k+1]-v[k])/h)))
			x[i] = (c.mesh[k]+xm)*2*b - b
		}
	}
}

// toLatent maps points of the support onto R^d (the logistic map after an
// affine one) and returns the log-determinant of every row.
func (k *KRnet) toLatent(x *nn.Tensor[float64]) (*nn.Tensor[float64], []float64) {
	rows, d := x.Shape[0], x.Shape[1]
	z := nn.Zeros[float64](rows, d)
	ld := make([]float64, rows)
	w := k.Hi - k.Lo
	for i := 0; i < rows; i++ {
		ld[i] = float64(d) * math.Log(1/w)
		for j := 0; j < d; j++ {
			u := math.Max(1e-6, math.Min(1-1e-6, (x.Data[i*d+j]-k.Lo)/w))
			z.Data[i*d+j] = math.Log(u) - math.Log1p(-u)
			ld[i] -= math.Log(u) + math.Log1p(-u)
		}
	}
	return z, ld
}

// LogProb records the log-density of the flow at the points x [N, d] of
// its support, [N, 1]. The first call initialises the actnorm layers from
// x (the data initialisation: call it first with a representative batch).
func (k *KRnet) LogProb(tp *nn.Tape[float64], x *nn.Tensor[float64]) *nn.Tensor[float64] {
	lp, _ := k.toPrior(tp, x)
	return lp
}

// toPrior records the map of x [N, d] to the prior and the log-density;
// the prior point's coordinates come as columns in FromLatent's order.
func (k *KRnet) toPrior(tp *nn.Tape[float64], x *nn.Tensor[float64]) (lp *nn.Tensor[float64], cols []*nn.Tensor[float64]) {
	if len(x.Shape) != 2 || x.Shape[1] != k.D {
		panic(fmt.Sprintf("pinn: KRnet of dimension %d given points %v", k.D, x.Shape))
	}
	init := !k.inited
	k.inited = true
	rows := x.Shape[0]
	z, ld0 := k.toLatent(x)
	lp = nn.Zeros[float64](rows, 1)
	for i := range ld0 {
		lp.Data[i] = ld0[i] - 0.5*float64(k.D)*math.Log(2*math.Pi)
	}
	cols = make([]*nn.Tensor[float64], k.D)
	var ld *nn.Tensor[float64]
	for s := range k.stages {
		st := &k.stages[s]
		for i := range st.cps {
			z, ld = st.norms[i].forward(tp, z, init)
			lp = tp.AddBroadcast(lp, ld)
			z, ld = st.cps[i].forward(tp, z)
			lp = tp.Add(lp, ld)
			z = reverse(tp, z)
		}
		// The last coordinate is done: its prior term now.
		n := z.Shape[1]
		cut := tp.Narrow(z, 1, n-1, 1)
		cols[k.D-1-s] = cut
		lp = tp.Sub(lp, tp.Scale(tp.Square(cut), 0.5))
		z = tp.Narrow(z, 1, 0, n-1)
	}
	z, ld = k.last.forward(tp, z, init)
	lp = tp.AddBroadcast(lp, ld)
	z, ld = k.cdf.forward(tp, z)
	lp = tp.Add(lp, ld)
	cols[0] = z
	return tp.Sub(lp, tp.Scale(tp.Square(z), 0.5)), cols
}

// Density returns the flow's density at the points x [N, d].
func (k *KRnet) Density(x *nn.Tensor[float64]) []float64 {
	tp := nn.NewTape[float64]()
	tp.SetNoGrad(true)
	lp := k.LogProb(tp, x).Data
	out := make([]float64, len(lp))
	for i, v := range lp {
		out[i] = math.Exp(v)
	}
	return out
}

// Sample returns n points drawn from the flow, [n, d], in its support
// (prior draws from rnd pushed through the inverse layers).
func (k *KRnet) Sample(n int, rnd *rand.Rand) *nn.Tensor[float64] {
	z := make([]float64, n*k.D)
	for i := range z {
		z[i] = rnd.NormFloat64()
	}
	return k.FromLatent(z)
}

// FromLatent maps prior points z (rows of d) to the support: the inverse
// of the map LogProb differentiates.
func (k *KRnet) FromLatent(z []float64) *nn.Tensor[float64] {
	d := k.D
	rows := len(z) / d
	tp := nn.NewTape[float64]()
	tp.SetNoGrad(true)
	// The active coordinates grow from the last stage's one; set-aside
	// coordinate of stage s is column d-1-s of z.
	act := make([]float64, rows)
	for i := 0; i < rows; i++ {
		act[i] = z[i*d]
	}
	k.cdf.inverse(act, 1)
	k.last.inverse(act, 1)
	for s := len(k.stages) - 1; s >= 0; s-- {
		st := &k.stages[s]
		n := st.n
		next := make([]float64, rows*n)
		for i := 0; i < rows; i++ {
			copy(next[i*n:i*n+n-1], act[i*(n-1):(i+1)*(n-1)])
			next[i*n+n-1] = z[i*d+d-1-s]
		}
		act = next
		for i := len(st.cps) - 1; i >= 0; i-- {
			reverseRows(act, n)
			tp.Reset()
			st.cps[i].inverse(tp, act, rows, n)
			st.norms[i].inverse(act, n)
		}
	}
	w := k.Hi - k.Lo
	for i, v := range act {
		act[i] = k.Lo + w/(1+math.Exp(-v))
	}
	return nn.New(act, rows, d)
}
