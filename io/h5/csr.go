package h5

import (
	"fmt"

	"github.com/pdekit/pdekit/sparse"
)

// WriteCSR stores a as the group name with datasets indptr and indices
// (int64), data (float64) and the attribute shape = [rows, cols], the
// layout from which a SciPy user rebuilds it:
//
//	g = f[name]; A = scipy.sparse.csr_matrix((g["data"], g["indices"], g["indptr"]), shape=g.attrs["shape"])
func WriteCSR(f *File, name string, a *sparse.CSR) error {
	indptr, indices, data := a.RawCSR()
	r, c := a.Dims()
	for _, d := range []struct {
		n string
		v []int
	}{{"indptr", indptr}, {"indices", indices}} {
		v := make([]int64, len(d.v))
		for i, x := range d.v {
			v[i] = int64(x)
		}
		if err := Write(f, name+"/"+d.n, []int{len(v)}, v, nil); err != nil {
			return err
		}
	}
	if err := Write(f, name+"/data", []int{len(data)}, data, nil); err != nil {
		return err
	}
	if err := f.SetAttr(name, "shape", []int64{int64(r), int64(c)}); err != nil {
		return err
	}
	return f.SetAttr(name, "format", "csr")
}

// ReadCSR reads a CSR group written by WriteCSR or by h5py from SciPy
// arrays (int32 or int64 indices, float64 or float32 data), validating it.
func ReadCSR(f *File, name string) (*sparse.CSR, error) {
	shape, err := f.AttrInt64s(name, "shape")
	if err != nil {
		return nil, err
	}
	if len(shape) != 2 {
		return nil, fmt.Errorf("h5: CSR group %q: shape has %d entries, want 2", name, len(shape))
	}
	ints := func(ds string) ([]int, error) {
		info, err := f.Stat(name + "/" + ds)
		if err != nil {
			return nil, err
		}
		switch info.Type {
		case "int64":
			return readInts[int64](f, name+"/"+ds)
		case "int32":
			return readInts[int32](f, name+"/"+ds)
		}
		return nil, fmt.Errorf("h5: CSR group %q: %s stores %s, want int32 or int64", name, ds, info.Type)
	}
	indptr, err := ints("indptr")
	if err != nil {
		return nil, err
	}
	indices, err := ints("indices")
	if err != nil {
		return nil, err
	}
	info, err := f.Stat(name + "/data")
	if err != nil {
		return nil, err
	}
	var data []float64
	switch info.Type {
	case "float64":
		data, _, err = Read[float64](f, name+"/data")
	case "float32":
		var v []float32
		v, _, err = Read[float32](f, name+"/data")
		data = make([]float64, len(v))
		for i, x := range v {
			data[i] = float64(x)
		}
	default:
		err = fmt.Errorf("h5: CSR group %q: data stores %s, want float64 or float32", name, info.Type)
	}
	if err != nil {
		return nil, err
	}
	a, err := sparse.NewCSR(int(shape[0]), int(shape[1]), indptr, indices, data)
	if err != nil {
		return nil, fmt.Errorf("h5: CSR group %q in %s: %v", name, f.path, err)
	}
	return a, nil
}

// readInts reads an integer dataset of type T as []int.
func readInts[T int32 | int64](f *File, name string) ([]int, error) {
	v, _, err := Read[T](f, name)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out, nil
}
