package nn

import (
	"fmt"
	"math"
)

// CheckGradients compares the gradient a backward pass accumulates for
// every element of every parameter with central differences of the scalar
// loss that f builds (step h; zero means 1e-6), in float64, and returns an
// error naming the first element whose two values differ by more than tol
// relative to max(1, |difference quotient|) (zero means 1e-6). It is the
// gradient check every operation and model of the toolkit is tested with.
func CheckGradients(params []*Tensor[float64], f func(tp *Tape[float64]) *Tensor[float64], h, tol float64) error {
	if h == 0 {
		h = 1e-6
	}
	if tol == 0 {
		tol = 1e-6
	}
	tp := NewTape[float64]()
	for _, p := range params {
		p.ZeroGrad()
	}
	tp.Backward(f(tp))
	for k, p := range params {
		for i := range p.Data {
			old := p.Data[i]
			p.Data[i] = old + h
			tp.Reset()
			lp := f(tp).Item()
			p.Data[i] = old - h
			tp.Reset()
			lm := f(tp).Item()
			p.Data[i] = old
			fd := (lp - lm) / (2 * h)
			if d := math.Abs(p.Grad[i] - fd); !(d <= tol*math.Max(1, math.Abs(fd))) {
				return fmt.Errorf("parameter %d element %d: backward %.10g, central difference %.10g", k, i, p.Grad[i], fd)
			}
		}
	}
	return nil
}
