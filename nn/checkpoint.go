package nn

import (
	"fmt"
	"slices"
	"sort"

	"github.com/pdekit/pdekit/io/h5"
)

// Named is a parameter with its name in a checkpoint.
type Named[T Float] struct {
	Name   string
	Tensor *Tensor[T]
}

// Stateful is an optimizer whose state a checkpoint saves, so that a
// resumed run continues bit for bit.
type Stateful[T Float] interface {
	// State returns the optimizer's scalars and, per buffer name, one
	// buffer per parameter of params in order (nil where none exists yet).
	State(params []*Tensor[T]) (scalars map[string]float64, buffers map[string][][]float64)
	// SetState restores what State returned.
	SetState(params []*Tensor[T], scalars map[string]float64, buffers map[string][][]float64) error
}

// State implements Stateful.
func (o *Adam[T]) State(params []*Tensor[T]) (map[string]float64, map[string][][]float64) {
	m, v := make([][]float64, len(params)), make([][]float64, len(params))
	for i, p := range params {
		m[i], v[i] = o.m[p], o.v[p]
	}
	return map[string]float64{"step": float64(o.t)}, map[string][][]float64{"m": m, "v": v}
}

// SetState implements Stateful.
func (o *Adam[T]) SetState(params []*Tensor[T], sc map[string]float64, buf map[string][][]float64) error {
	o.t = int(sc["step"])
	o.m, o.v = map[*Tensor[T]][]float64{}, map[*Tensor[T]][]float64{}
	for i, p := range params {
		if m := buf["m"][i]; m != nil {
			o.m[p], o.v[p] = m, buf["v"][i]
		}
	}
	return nil
}

// State implements Stateful.
func (o *SGD[T]) State(params []*Tensor[T]) (map[string]float64, map[string][][]float64) {
	vel := make([][]float64, len(params))
	for i, p := range params {
		vel[i] = o.vel[p]
	}
	return map[string]float64{}, map[string][][]float64{"velocity": vel}
}

// SetState implements Stateful.
func (o *SGD[T]) SetState(params []*Tensor[T], _ map[string]float64, buf map[string][][]float64) error {
	o.vel = map[*Tensor[T]][]float64{}
	for i, p := range params {
		if v := buf["velocity"][i]; v != nil {
			o.vel[p] = v
		}
	}
	return nil
}

func tensors[T Float](params []Named[T]) ([]*Tensor[T], error) {
	out := make([]*Tensor[T], len(params))
	seen := map[string]bool{}
	for i, p := range params {
		if p.Name == "" || seen[p.Name] {
			return nil, fmt.Errorf("nn: checkpoint parameter %d has an empty or repeated name %q", i, p.Name)
		}
		seen[p.Name] = true
		out[i] = p.Tensor
	}
	return out, nil
}

// SaveCheckpoint writes the parameters, one dataset per name under
// "params/", and the optimizer's state (when it is Stateful, under
// "optim/") to an HDF5 file, atomically; an existing file is replaced only
// with overwrite.
func SaveCheckpoint[T Float](path string, overwrite bool, params []Named[T], opt Optimizer[T]) error {
	f, err := h5.Create(path, overwrite)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := WriteParams(f, "params", params); err != nil {
		return err
	}
	if err := WriteOptimizer(f, "optim", params, opt); err != nil {
		return err
	}
	return f.Close()
}

// WriteParams writes the parameters into an open file, one dataset per
// name under group.
func WriteParams[T Float](f *h5.File, group string, params []Named[T]) error {
	if _, err := tensors(params); err != nil {
		return err
	}
	for _, p := range params {
		if err := h5.Write(f, group+"/"+p.Name, p.Tensor.Shape, p.Tensor.Data, nil); err != nil {
			return err
		}
	}
	return nil
}

// WriteOptimizer writes a Stateful optimizer's state into an open file
// under group (nothing for another optimizer).
func WriteOptimizer[T Float](f *h5.File, group string, params []Named[T], opt Optimizer[T]) error {
	st, ok := opt.(Stateful[T])
	if !ok {
		return nil
	}
	ts, err := tensors(params)
	if err != nil {
		return err
	}
	sc, bufs := st.State(ts)
	if err := f.CreateGroup(group); err != nil {
		return err
	}
	keys := make([]string, 0, len(sc))
	for k := range sc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := f.SetAttr(group, k, sc[k]); err != nil {
			return err
		}
	}
	for name, per := range bufs {
		for i, b := range per {
			if b == nil {
				continue
			}
			if err := h5.Write(f, group+"/"+name+"/"+params[i].Name, []int{len(b)}, b, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// LoadCheckpoint reads the parameters saved by SaveCheckpoint into params
// (matched by name; shapes must agree) and restores a Stateful optimizer.
// An error names the parameter that is missing or has another shape, and
// nothing is modified then.
func LoadCheckpoint[T Float](path string, params []Named[T], opt Optimizer[T]) error {
	f, err := h5.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := ReadParams(f, "params", params)
	if err != nil {
		return err
	}
	restore, err := ReadOptimizer(f, "optim", params, opt)
	if err != nil {
		return err
	}
	SetParams(params, data)
	return restore()
}

// ReadParams reads the parameters under group of an open file into new
// slices in the order of params (it does not modify params), checking
// that every one is there with its shape.
func ReadParams[T Float](f *h5.File, group string, params []Named[T]) ([][]T, error) {
	if _, err := tensors(params); err != nil {
		return nil, err
	}
	data := make([][]T, len(params))
	for i, p := range params {
		d, dims, err := h5.Read[T](f, group+"/"+p.Name)
		if err != nil {
			return nil, fmt.Errorf("nn: checkpoint %s: parameter %q: %w", f.Path(), p.Name, err)
		}
		if !slices.Equal(dims, p.Tensor.Shape) {
			return nil, fmt.Errorf("nn: checkpoint %s: parameter %q has shape %v, the model's is %v", f.Path(), p.Name, dims, p.Tensor.Shape)
		}
		data[i] = d
	}
	return data, nil
}

// Count returns the number of reals in params.
func Count[T Float](params []Named[T]) int {
	n := 0
	for _, p := range params {
		n += p.Tensor.Len()
	}
	return n
}

// Tensors returns the tensors of params, in order (what an optimizer
// steps).
func Tensors[T Float](params []Named[T]) []*Tensor[T] {
	out := make([]*Tensor[T], len(params))
	for i, p := range params {
		out[i] = p.Tensor
	}
	return out
}

// SetParams copies data (as ReadParams returned it) into the parameters.
func SetParams[T Float](params []Named[T], data [][]T) {
	for i, p := range params {
		copy(p.Tensor.Data, data[i])
	}
}

// ReadOptimizer reads a Stateful optimizer's state under group of an open
// file and returns the function that restores it, so that a caller can
// check everything before changing anything.
func ReadOptimizer[T Float](f *h5.File, group string, params []Named[T], opt Optimizer[T]) (func() error, error) {
	st, stateful := opt.(Stateful[T])
	if !stateful {
		return func() error { return nil }, nil
	}
	ts, err := tensors(params)
	if err != nil {
		return nil, err
	}
	sc0, bufs0 := st.State(ts)
	sc, bufs := map[string]float64{}, map[string][][]float64{}
	for k := range sc0 {
		v, err := f.AttrFloat64(group, k)
		if err != nil {
			return nil, fmt.Errorf("nn: checkpoint %s: optimizer state %q: %w", f.Path(), k, err)
		}
		sc[k] = v
	}
	for name := range bufs0 {
		per := make([][]float64, len(params))
		for i, p := range params {
			key := group + "/" + name + "/" + p.Name
			if _, err := f.Stat(key); err != nil {
				continue // no state for this parameter yet
			}
			b, _, err := h5.Read[float64](f, key)
			if err != nil {
				return nil, fmt.Errorf("nn: checkpoint %s: %s: %w", f.Path(), key, err)
			}
			if len(b) != p.Tensor.Len() {
				return nil, fmt.Errorf("nn: checkpoint %s: %s has %d values for a parameter of %d", f.Path(), key, len(b), p.Tensor.Len())
			}
			per[i] = b
		}
		bufs[name] = per
	}
	return func() error { return st.SetState(ts, sc, bufs) }, nil
}
