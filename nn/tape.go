package nn

import "fmt"

// Tape records the operations of a forward pass so that Backward can run
// their hand-written backward functions in reverse. Intermediate tensors
// and their gradients come from the tape's buffer pool and go back to it
// on Reset, so a training loop that resets its tape each step allocates
// almost nothing after the first. A Tape is not safe for concurrent use.
type Tape[T Float] struct {
	back   []func()
	free   map[int][][]T
	live   [][]T
	noGrad bool
}

// SetNoGrad switches the tape to inference (on) or back to training: in
// inference its operations record no backward functions and their
// outputs need no gradient, even from parameters, so a forward pass
// keeps nothing for a backward one (PyTorch's torch.no_grad()).
func (tp *Tape[T]) SetNoGrad(on bool) { tp.noGrad = on }

// NewTape returns an empty tape.
func NewTape[T Float]() *Tape[T] { return &Tape[T]{free: map[int][][]T{}} }

// buf returns a zeroed buffer of length n owned by the tape until Reset.
func (tp *Tape[T]) buf(n int) []T {
	b := tp.bufRaw(n)
	clear(b)
	return b
}

// bufRaw is buf without the zeroing, for an operation that writes every
// element before reading any.
func (tp *Tape[T]) bufRaw(n int) []T {
	var b []T
	if l := tp.free[n]; len(l) > 0 {
		b = l[len(l)-1]
		tp.free[n] = l[:len(l)-1]
	} else {
		b = make([]T, n)
	}
	tp.live = append(tp.live, b)
	return b
}

// out returns a new zeroed intermediate tensor of the given shape that
// needs a gradient when any of the inputs does.
func (tp *Tape[T]) out(shape []int, in ...*Tensor[T]) *Tensor[T] {
	t := tp.outRaw(shape, in...)
	clear(t.Data)
	return t
}

// outRaw is out without the zeroing, for an operation that writes every
// element of its output.
func (tp *Tape[T]) outRaw(shape []int, in ...*Tensor[T]) *Tensor[T] {
	t := &Tensor[T]{Shape: append([]int(nil), shape...), Data: tp.bufRaw(size(shape))}
	if tp.noGrad {
		return t
	}
	for _, x := range in {
		if x.needGrad {
			t.needGrad = true
			break
		}
	}
	return t
}

// grad returns t's gradient buffer, taking it from the pool on first use.
func (tp *Tape[T]) grad(t *Tensor[T]) []T {
	if t.Grad == nil {
		t.Grad = tp.buf(len(t.Data))
	}
	return t.Grad
}

// gradRaw is grad, except that with fresh it returns an unzeroed buffer
// for a gradient not yet taken, which the caller must overwrite whole.
func (tp *Tape[T]) gradRaw(t *Tensor[T], fresh bool) []T {
	if fresh {
		t.Grad = tp.bufRaw(len(t.Data))
		return t.Grad
	}
	return tp.grad(t)
}

// record adds a backward function when the output needs a gradient.
func (tp *Tape[T]) record(out *Tensor[T], f func()) {
	if out.needGrad && !tp.noGrad {
		tp.back = append(tp.back, f)
	}
}

// Backward seeds d loss / d loss = 1 for a one-element loss and runs the
// recorded backward functions in reverse, accumulating into every Grad.
func (tp *Tape[T]) Backward(loss *Tensor[T]) {
	if len(loss.Data) != 1 {
		panic(fmt.Sprintf("nn: Backward of a tensor of shape %v; want a scalar loss", loss.Shape))
	}
	tp.grad(loss)[0] += 1
	for i := len(tp.back) - 1; i >= 0; i-- {
		tp.back[i]()
	}
}

// Reset forgets the recorded operations and returns the intermediate
// buffers to the pool. Tensors from before the reset (other than
// parameters) must not be used after it.
func (tp *Tape[T]) Reset() {
	tp.back = tp.back[:0]
	for _, b := range tp.live {
		tp.free[len(b)] = append(tp.free[len(b)], b)
	}
	tp.live = tp.live[:0]
}

// NoGrad reports whether the tape is in inference mode (SetNoGrad).
func (tp *Tape[T]) NoGrad() bool { return tp.noGrad }

// Op records an operation written outside the package, as PyTorch's
// autograd.Function does: forward fills out (zeroed, of the given shape)
// from the inputs' Data, and backward, which Backward runs when the output
// has received a gradient gout, adds into gin[i] the gradient of input i
// (nil for an input that needs none). The output needs a gradient when
// any input does.
func (tp *Tape[T]) Op(shape []int, in []*Tensor[T], forward func(out []T), backward func(gout []T, gin [][]T)) *Tensor[T] {
	in = append([]*Tensor[T](nil), in...) // kept for the backward pass
	y := tp.out(shape, in...)
	forward(y.Data)
	tp.record(y, func() {
		if y.Grad == nil {
			return
		}
		gin := make([][]T, len(in))
		for i, x := range in {
			if x.needGrad {
				gin[i] = tp.grad(x)
			}
		}
		backward(y.Grad, gin)
	})
	return y
}
