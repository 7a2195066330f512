package dcdm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/solvers"
)

// NetSettings shape the network. The zero value (with Dim set) is the
// paper's network for N = 64: 16 channels; 4 convolutions at full
// resolution, 6 after the average pooling, 4 after the upsampling (the
// N = 128 network has 6, 10 and 6).
type NetSettings struct {
	// Dim is 2 or 3: the grid's dimension.
	Dim int `json:"dim"`
	// Channels of every convolution; zero means 16.
	Channels int `json:"channels"`
	// Full, Half and Up count the 3 x 3 (x 3) convolutions at full
	// resolution, after the pooling and after the upsampling; zero means
	// 4, 6 and 4. Each is even (pairs with an additive skip).
	Full int `json:"full"`
	Half int `json:"half"`
	Up   int `json:"up"`
}

func (s *NetSettings) defaults() {
	for _, d := range []struct {
		v   *int
		def int
	}{{&s.Channels, 16}, {&s.Full, 4}, {&s.Half, 6}, {&s.Up, 4}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
}

// Net is the network of the DCDM paper, a model of A^-1 up to a scale:
// fully convolutional on [B, 1, n...] fields (n even), so that a network
// trained on one grid applies to larger ones. A linear 3 x 3 (x 3)
// convolution lifts to Channels; then ReLU convolutions in pairs with
// additive skips (lb = relu(conv(la)), la = relu(conv(lb)) + la), at full
// resolution, after a 2 x 2 (x 2) average pooling, and after upsampling
// back (with the last full-resolution features added); a per-point
// linear map gives one channel. Weights start Glorot-uniform, biases at
// zero (Keras's defaults, as the authors' code).
type Net[T nn.Float] struct {
	s            NetSettings
	w, b         []*nn.Tensor[T] // the 3 x 3 (x 3) convolutions, in order
	headW, headB *nn.Tensor[T]
}

// NewNet returns a network with weights drawn from rnd.
func NewNet[T nn.Float](s NetSettings, rnd *rand.Rand) (*Net[T], error) {
	s.defaults()
	if s.Dim != 2 && s.Dim != 3 {
		return nil, fmt.Errorf("dcdm: network for %d dimensions, want 2 or 3", s.Dim)
	}
	if s.Channels < 1 || s.Full < 2 || s.Half < 2 || s.Up < 2 || s.Full%2 != 0 || s.Half%2 != 0 || s.Up%2 != 0 {
		return nil, fmt.Errorf("dcdm: network settings %+v: channels positive, convolution counts even and at least 2", s)
	}
	m := &Net[T]{s: s}
	k := 9
	if s.Dim == 3 {
		k = 27
	}
	glorot := func(out, in, fanIn, fanOut int, shape ...int) *nn.Tensor[T] {
		t := nn.Zeros[T](shape...)
		lim := math.Sqrt(6 / float64(fanIn+fanOut))
		for i := range t.Data {
			t.Data[i] = T((2*rnd.Float64() - 1) * lim)
		}
		return nn.Param(t.Data, shape...)
	}
	c := s.Channels
	for i := 0; i < 1+s.Full+s.Half+s.Up; i++ {
		in := c
		if i == 0 {
			in = 1
		}
		shape := []int{c, in, 3, 3}
		if s.Dim == 3 {
			shape = append(shape, 3)
		}
		m.w = append(m.w, glorot(c, in, in*k, c*k, shape...))
		m.b = append(m.b, nn.Param(make([]T, c), c))
	}
	head := []int{1, c, 1, 1}
	if s.Dim == 3 {
		head = append(head, 1)
	}
	m.headW, m.headB = glorot(1, c, c, 1, head...), nn.Param(make([]T, 1), 1)
	return m, nil
}

// Settings returns the network's settings, defaults filled in.
func (m *Net[T]) Settings() NetSettings { return m.s }

// Params returns the trainable tensors with their checkpoint names.
func (m *Net[T]) Params() []nn.Named[T] {
	var p []nn.Named[T]
	for i := range m.w {
		p = append(p, nn.Named[T]{Name: fmt.Sprintf("conv%d/w", i), Tensor: m.w[i]}, nn.Named[T]{Name: fmt.Sprintf("conv%d/b", i), Tensor: m.b[i]})
	}
	return append(p, nn.Named[T]{Name: "head/w", Tensor: m.headW}, nn.Named[T]{Name: "head/b", Tensor: m.headB})
}

// CheckGrid says whether the network takes fields of the given shape.
func (m *Net[T]) CheckGrid(shape []int) error {
	if len(shape) != m.s.Dim {
		return fmt.Errorf("dcdm: a %d-D network on a grid %v", m.s.Dim, shape)
	}
	for _, n := range shape {
		if n < 2 || n%2 != 0 {
			return fmt.Errorf("dcdm: the network needs even grid lengths (it pools by 2), the grid is %v", shape)
		}
	}
	return nil
}

// Forward records the network on the tape for x [B, 1, n...].
func (m *Net[T]) Forward(tp *nn.Tape[T], x *nn.Tensor[T]) *nn.Tensor[T] {
	if err := m.CheckGrid(x.Shape[min(2, len(x.Shape)):]); err != nil || len(x.Shape) != m.s.Dim+2 || x.Shape[1] != 1 {
		panic(fmt.Sprintf("dcdm: network on input %v: want [B, 1, n...] with %d even n (%v)", x.Shape, m.s.Dim, err))
	}
	i := 0
	conv := func(v *nn.Tensor[T]) *nn.Tensor[T] {
		var y *nn.Tensor[T]
		if m.s.Dim == 2 {
			y = tp.Conv2d(v, m.w[i], m.b[i], nn.Conv2dOpts{Padding: 1})
		} else {
			y = tp.Conv3d(v, m.w[i], m.b[i], nn.Conv2dOpts{Padding: 1})
		}
		i++
		return y
	}
	// pairs runs n convolutions as lb = relu(conv(la)), la = relu(conv(lb)) + la.
	pairs := func(la *nn.Tensor[T], n int) *nn.Tensor[T] {
		for k := 0; k < n; k += 2 {
			lb := tp.ReLU(conv(la))
			la = tp.Add(tp.ReLU(conv(lb)), la)
		}
		return la
	}
	first := conv(x)
	la := tp.ReLU(conv(first))
	// The full-resolution block: la, then Full-1 more (ending with lb).
	lb := tp.ReLU(conv(la))
	for k := 2; k < m.s.Full; k += 2 {
		la = tp.Add(tp.ReLU(conv(lb)), la)
		lb = tp.ReLU(conv(la))
	}
	apa := pairs(tp.AvgPool2(lb), m.s.Half)
	upa := pairs(tp.Add(tp.Upsample2(apa), lb), m.s.Up)
	if m.s.Dim == 2 {
		return tp.Conv2d(upa, m.headW, m.headB, nn.Conv2dOpts{})
	}
	return tp.Conv3d(upa, m.headW, m.headB, nn.Conv2dOpts{})
}

// Loss returns the paper's unsupervised, scale-invariant loss of the
// network's outputs q [B, 1, n...] for the right-hand sides b (same
// shape, data): the mean over the batch of ||b - A x||^2 with
// x = q (q^T b)/(q^T A q), the exact line search along q. A must be
// symmetric (its products with the gradient use A for A^T).
func Loss[T nn.Float](tp *nn.Tape[T], a solvers.Operator, q, b *nn.Tensor[T]) *nn.Tensor[T] {
	bs := q.Shape[0]
	n := len(q.Data) / max(bs, 1)
	if r, c := a.Dims(); r != n || c != n || len(b.Data) != len(q.Data) {
		panic(fmt.Sprintf("dcdm: loss of outputs %v and right-hand sides %v with a %d x %d matrix", q.Shape, b.Shape, r, c))
	}
	qv, bv, ag := make([]float64, n), make([]float64, n), make([]float64, n)
	aqAll, resAll := make([]float64, bs*n), make([]float64, bs*n)
	aq, res := make([][]float64, bs), make([][]float64, bs)
	for k := range aq {
		aq[k], res[k] = aqAll[k*n:(k+1)*n], resAll[k*n:(k+1)*n]
	}
	scal := make([][2]float64, bs) // q^T A q and s per sample
	return tp.Op(nil, []*nn.Tensor[T]{q}, func(out []T) {
		var total float64
		for k := 0; k < bs; k++ {
			for i := 0; i < n; i++ {
				qv[i], bv[i] = float64(q.Data[k*n+i]), float64(b.Data[k*n+i])
			}
			a.MulVecTo(aq[k], qv)
			var qb, qaq float64
			for i := range qv {
				qb += qv[i] * bv[i]
				qaq += qv[i] * aq[k][i]
			}
			s := qb / qaq
			scal[k] = [2]float64{qaq, s}
			var rr float64
			for i := range bv {
				res[k][i] = bv[i] - s*aq[k][i]
				rr += res[k][i] * res[k][i]
			}
			total += rr
		}
		out[0] = T(total / float64(bs))
	}, func(gout []T, gin [][]T) {
		if gin[0] == nil {
			return
		}
		// L_k = ||b - s A q||^2, s = (q^T b)/(q^T A q). With g = dL/dr =
		// 2 r: dL/dq = -s A g - (g^T A q) (b/qaq - 2 s A q/qaq).
		c := 2 * float64(gout[0]) / float64(bs)
		for k := 0; k < bs; k++ {
			qaq, s := scal[k][0], scal[k][1]
			a.MulVecTo(ag, res[k])
			var gaq float64
			for i, v := range res[k] {
				gaq += v * aq[k][i]
			}
			g := gin[0][k*n : (k+1)*n]
			for i := range g {
				bi := float64(b.Data[k*n+i])
				g[i] += T(c * (-s*ag[i] - gaq*(bi/qaq-2*s*aq[k][i]/qaq)))
			}
		}
	})
}
