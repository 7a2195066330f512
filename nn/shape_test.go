package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPermuteNarrowBroadcast checks Permute, Narrow and AddBroadcast
// against their definitions by index, and their gradients.
func TestPermuteNarrowBroadcast(t *testing.T) {
	rnd := rand.New(rand.NewPCG(31, 32))
	x := randParam(rnd, 2, 3, 4, 5)
	tp := NewTape[float64]()
	p := tp.Permute(x, 0, 2, 3, 1)
	if !slices.Equal(p.Shape, []int{2, 4, 5, 3}) {
		t.Fatalf("Permute shape %v", p.Shape)
	}
	nw := tp.Narrow(x, 3, 1, 3)
	for b := 0; b < 2; b++ {
		for c := 0; c < 3; c++ {
			for h := 0; h < 4; h++ {
				for w := 0; w < 5; w++ {
					v := x.Data[((b*3+c)*4+h)*5+w]
					if got := p.Data[((b*4+h)*5+w)*3+c]; got != v {
						t.Fatalf("Permute[%d,%d,%d,%d] = %g, want %g", b, h, w, c, got, v)
					}
					if w >= 1 && w < 4 {
						if got := nw.Data[((b*3+c)*4+h)*3+w-1]; got != v {
							t.Fatalf("Narrow[%d,%d,%d,%d] = %g, want %g", b, c, h, w-1, got, v)
						}
					}
				}
			}
		}
	}
	pe := randParam(rnd, 1, 3, 4, 1) // broadcast over the batch and the last axis
	last := randParam(rnd, 2, 1, 4, 5)
	s := tp.AddBroadcast(x, pe)
	s2 := tp.AddBroadcast(last, x) // the first operand broadcast
	for b := 0; b < 2; b++ {
		for c := 0; c < 3; c++ {
			for h := 0; h < 4; h++ {
				for w := 0; w < 5; w++ {
					i := ((b*3+c)*4+h)*5 + w
					if want := x.Data[i] + pe.Data[c*4+h]; math.Abs(s.Data[i]-want) > 0 {
						t.Fatalf("AddBroadcast[%d] = %g, want %g", i, s.Data[i], want)
					}
					if want := x.Data[i] + last.Data[(b*4+h)*5+w]; math.Abs(s2.Data[i]-want) > 0 {
						t.Fatalf("AddBroadcast (first broadcast)[%d] = %g, want %g", i, s2.Data[i], want)
					}
				}
			}
		}
	}
	r1, r2, r3 := randTensor(rnd, 2, 4, 5, 3), randTensor(rnd, 2, 3, 4, 3), randTensor(rnd, 2, 3, 4, 5)
	gradCheck(t, "Permute", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] {
		return tp.Sum(tp.Mul(tp.Permute(x, 0, 2, 3, 1), r1))
	})
	gradCheck(t, "Narrow", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] {
		return tp.Sum(tp.Mul(tp.Narrow(x, 3, 1, 3), r2))
	})
	gradCheck(t, "AddBroadcast", []*Tensor[float64]{x, pe, last}, func(tp *Tape[float64]) *Tensor[float64] {
		return tp.Sum(tp.Mul(tp.Add(tp.AddBroadcast(x, pe), tp.AddBroadcast(last, x)), r3))
	})
}

// TestConv3d1x1 checks the 1x1x1 convolution (a product over channels at
// every point) against its definition and by gradient checks.
func TestConv3d1x1(t *testing.T) {
	rnd := rand.New(rand.NewPCG(33, 34))
	x, w, b := randParam(rnd, 2, 3, 2, 3, 4), randParam(rnd, 5, 3, 1, 1, 1), randParam(rnd, 5)
	tp := NewTape[float64]()
	y := tp.Conv3d(x, w, b, Conv2dOpts{})
	if !slices.Equal(y.Shape, []int{2, 5, 2, 3, 4}) {
		t.Fatalf("shape %v", y.Shape)
	}
	for bi := 0; bi < 2; bi++ {
		for o := 0; o < 5; o++ {
			for p := 0; p < 24; p++ {
				want := b.Data[o]
				for i := 0; i < 3; i++ {
					want += w.Data[o*3+i] * x.Data[(bi*3+i)*24+p]
				}
				if got := y.Data[(bi*5+o)*24+p]; math.Abs(got-want) > 1e-14 {
					t.Fatalf("y[%d,%d,%d] = %g, want %g", bi, o, p, got, want)
				}
			}
		}
	}
	r := randTensor(rnd, y.Shape...)
	gradCheck(t, "Conv3d 1x1x1", []*Tensor[float64]{x, w, b}, func(tp *Tape[float64]) *Tensor[float64] {
		return tp.Sum(tp.Mul(tp.Conv3d(x, w, b, Conv2dOpts{}), r))
	})
}

// TestPool2: AvgPool2 averages 2 x 2 (x 2) blocks and Upsample2 repeats
// points, by definition in 2-D and 3-D; Upsample2 is 2^d times the
// adjoint of AvgPool2; both pass gradient checks.
func TestPool2(t *testing.T) {
	rnd := rand.New(rand.NewPCG(35, 36))
	for _, shape := range [][]int{{2, 3, 4, 6}, {1, 2, 4, 2, 6}} {
		d := len(shape) - 2
		x := randParam(rnd, shape...)
		tp := NewTape[float64]()
		p := tp.AvgPool2(x)
		u := tp.Upsample2(p)
		if !slices.Equal(u.Shape, x.Shape) {
			t.Fatalf("%v: pooled %v, upsampled %v", shape, p.Shape, u.Shape)
		}
		// Every fine point's upsampled value is the mean of its block.
		fine := rowStrides(shape)
		for i := range x.Data {
			var idx [5]int
			for a, rem := 0, i; a < len(shape); a++ {
				idx[a], rem = rem/fine[a], rem%fine[a]
			}
			var sum float64
			for corner := 0; corner < 1<<d; corner++ {
				j := idx[0]*fine[0] + idx[1]*fine[1]
				for a := 0; a < d; a++ {
					j += (idx[a+2]/2*2 + corner>>a&1) * fine[a+2]
				}
				sum += x.Data[j]
			}
			if want := sum / float64(int(1)<<d); math.Abs(u.Data[i]-want) > 1e-14 {
				t.Fatalf("%v: block mean at %d = %g, want %g", shape, i, u.Data[i], want)
			}
		}
		y := randTensor(rnd, p.Shape...)
		var lhs, rhs float64
		for i, v := range tp.Upsample2(y).Data {
			lhs += v * x.Data[i]
		}
		for i, v := range p.Data {
			rhs += v * y.Data[i]
		}
		if math.Abs(lhs-float64(int(1)<<d)*rhs) > 1e-12*math.Abs(lhs) {
			t.Errorf("%v: <Up y, x> = %g, 2^d <y, Avg x> = %g", shape, lhs, float64(int(1)<<d)*rhs)
		}
		r := randTensor(rnd, shape...)
		gradCheck(t, "AvgPool2 and Upsample2", []*Tensor[float64]{x}, func(tp *Tape[float64]) *Tensor[float64] {
			return tp.Sum(tp.Mul(tp.Upsample2(tp.Square(tp.AvgPool2(x))), r))
		})
	}
}

// TestReLUValues: max(x, 0) with NaN kept (as math.Max keeps it).
func TestReLUValues(t *testing.T) {
	x := New([]float64{-1, 0, 2, math.NaN(), math.Copysign(0, -1), math.Inf(1)}, 6)
	y := NewTape[float64]().ReLU(x)
	want := []float64{0, 0, 2, math.NaN(), 0, math.Inf(1)}
	for i, v := range y.Data {
		if v != want[i] && !(math.IsNaN(v) && math.IsNaN(want[i])) {
			t.Errorf("ReLU(%g) = %g, want %g", x.Data[i], v, want[i])
		}
	}
}
