package nn

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/internal/parallel"
)

// Float is the element type of tensors: float32 for training, float64 for
// gradient checks and PINNs.
type Float interface{ float32 | float64 }

// Tensor is a dense row-major array (the last axis fastest) with the
// gradient a backward pass accumulates into Grad. Parameters are tensors
// made with Param: they keep their Grad across passes until ZeroGrad.
type Tensor[T Float] struct {
	Shape []int
	Data  []T
	// Grad has the length of Data once a backward pass reached the
	// tensor; nil before.
	Grad []T

	needGrad bool
	param    bool
}

func size(shape []int) int {
	n := 1
	for _, v := range shape {
		if v < 0 {
			panic(fmt.Sprintf("nn: negative dimension in shape %v", shape))
		}
		n *= v
	}
	return n
}

// New returns a tensor of the given shape over data (not copied). It
// panics if the sizes disagree.
func New[T Float](data []T, shape ...int) *Tensor[T] {
	if size(shape) != len(data) {
		panic(fmt.Sprintf("nn: %d values for shape %v", len(data), shape))
	}
	return &Tensor[T]{Shape: append([]int(nil), shape...), Data: data}
}

// Zeros returns a zero tensor of the given shape.
func Zeros[T Float](shape ...int) *Tensor[T] {
	return New(make([]T, size(shape)), shape...)
}

// Param returns a trainable tensor over data: backward passes accumulate
// its gradient in Grad.
func Param[T Float](data []T, shape ...int) *Tensor[T] {
	t := New(data, shape...)
	t.needGrad, t.param = true, true
	t.Grad = make([]T, len(data))
	return t
}

// Len returns the number of elements.
func (t *Tensor[T]) Len() int { return len(t.Data) }

// IsParam reports whether t was made by Param.
func (t *Tensor[T]) IsParam() bool { return t.param }

// ZeroGrad sets the gradient to zero.
func (t *Tensor[T]) ZeroGrad() { clear(t.Grad) }

// Item returns the value of a one-element tensor.
func (t *Tensor[T]) Item() T {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("nn: Item of a tensor of shape %v", t.Shape))
	}
	return t.Data[0]
}

// Check returns an error naming the first element of t that is NaN or
// infinite.
func (t *Tensor[T]) Check() error {
	for i, v := range t.Data {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("nn: element %d of a tensor of shape %v is %v", i, t.Shape, f)
		}
	}
	return nil
}

// forRangeParts splits [0, n) into exactly parts ranges and calls f with
// each part's index, in parallel.
func forRangeParts(n, parts int, f func(p, lo, hi int)) {
	t := partsTask{n: n, f: f}
	parallel.Run(parts, &t)
}

type partsTask struct {
	n int
	f func(p, lo, hi int)
}

func (t *partsTask) Do(part, parts int) {
	lo, hi := parallel.Range(t.n, part, parts)
	t.f(part, lo, hi)
}
