package h5

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"

	"gonum.org/v1/hdf5"
)

// mu serialises every call into libhdf5, which Debian builds without
// thread safety.
var mu sync.Mutex

// LibVersion returns the version of the libhdf5 the program runs with.
func LibVersion() string {
	lock()
	defer unlock()
	v, err := hdf5.LibVersion()
	if err != nil {
		return "unknown"
	}
	return v.String()
}

// Elem is an element type a dataset can hold.
type Elem interface {
	float64 | float32 | int64 | int32
}

func elemInfo[T Elem]() (typeInfo, *hdf5.Datatype) {
	var z T
	switch any(z).(type) {
	case float64:
		return typeInfo{classFloat, 8, true}, hdf5.T_NATIVE_DOUBLE
	case float32:
		return typeInfo{classFloat, 4, true}, hdf5.T_NATIVE_FLOAT
	case int64:
		return typeInfo{classInteger, 8, true}, hdf5.T_NATIVE_INT64
	default:
		return typeInfo{classInteger, 4, true}, hdf5.T_NATIVE_INT32
	}
}

// typeName returns a NumPy-style name for a stored type.
func (t typeInfo) String() string {
	switch t.class {
	case classFloat:
		return fmt.Sprintf("float%d", 8*t.size)
	case classInteger:
		if t.signed {
			return fmt.Sprintf("int%d", 8*t.size)
		}
		return fmt.Sprintf("uint%d", 8*t.size)
	case classString:
		return "string"
	}
	return fmt.Sprintf("HDF5 class %d (%d bytes)", t.class, t.size)
}

// File is an open HDF5 file. A File from Create writes to a temporary file
// until Close renames it into place.
type File struct {
	h         *hdf5.File
	path, tmp string
	overwrite bool
	closed    bool
	size      int64 // of an opened file, for the read bound
}

// MaxRead bounds the bytes one read may allocate: 16 GiB. A read is also
// refused when the dataset declares more than 1100 times the file's size
// (deflate compresses at most about 1032:1): such a shape is corrupt.
const MaxRead = 1 << 34

// readBound checks that n elements of size bytes may be read from f.
func (f *File) readBound(name string, dims []int, n, size int) error {
	if n > MaxRead/size {
		return fmt.Errorf("h5: dataset %q in %s has shape %v: more than the %d bytes a read may take", name, f.path, dims, int64(MaxRead))
	}
	if f.size > 0 && int64(n)*int64(size) > 1100*f.size+1<<20 {
		return fmt.Errorf("h5: dataset %q in %s declares shape %v (%d bytes), more than a %d-byte file can hold: the file is corrupt",
			name, f.path, dims, int64(n)*int64(size), f.size)
	}
	return nil
}

// Create starts writing the HDF5 file path. The data go to a temporary file
// in the same folder, renamed to path by Close. If path exists and overwrite
// is false, Create fails and the existing file is untouched.
func Create(path string, overwrite bool) (*File, error) {
	if !overwrite {
		if _, err := os.Stat(path); err == nil {
			return nil, fmt.Errorf("h5: %s already exists (overwrite it with --force)", path)
		}
	}
	tf, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("h5: create %s: %w", path, err)
	}
	tmp := tf.Name()
	tf.Close()
	os.Chmod(tmp, 0o644)
	lock()
	h, err := hdf5.CreateFile(tmp, hdf5.F_ACC_TRUNC)
	unlock()
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("h5: create %s: %v", path, err)
	}
	return &File{h: h, path: path, tmp: tmp, overwrite: overwrite}, nil
}

// Open opens an existing HDF5 file for reading.
func Open(path string) (*File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("h5: %w", err)
	}
	lock()
	defer unlock()
	if !hdf5.IsHDF5(path) {
		return nil, fmt.Errorf("h5: %s is not an HDF5 file", path)
	}
	h, err := hdf5.OpenFile(path, hdf5.F_ACC_RDONLY)
	if err != nil {
		return nil, fmt.Errorf("h5: open %s: %v", path, err)
	}
	return &File{h: h, path: path, size: fi.Size()}, nil
}

// Path returns the final path of the file.
func (f *File) Path() string { return f.path }

// Close closes the file. For a file from Create it moves the temporary file
// to the final path; on any error the temporary file is removed and nothing
// appears under the final path.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	lock()
	err := f.h.Close()
	unlock()
	if f.tmp == "" {
		if err != nil {
			return fmt.Errorf("h5: close %s: %v", f.path, err)
		}
		return nil
	}
	if err == nil && !f.overwrite {
		if _, serr := os.Stat(f.path); serr == nil {
			err = fmt.Errorf("%s appeared while writing", f.path)
		}
	}
	if err == nil {
		err = os.Rename(f.tmp, f.path)
	}
	if err != nil {
		os.Remove(f.tmp)
		return fmt.Errorf("h5: finish %s: %v", f.path, err)
	}
	return nil
}

// Abort discards a file being written: the temporary file is removed and the
// final path is left as it was. On a closed file it does nothing, so
// `defer f.Abort()` is safe after a successful Close.
func (f *File) Abort() {
	if f.closed {
		return
	}
	f.closed = true
	lock()
	f.h.Close()
	unlock()
	if f.tmp != "" {
		os.Remove(f.tmp)
	}
}

func (f *File) writable(op string) error {
	if f.closed {
		return fmt.Errorf("h5: %s on closed file %s", op, f.path)
	}
	if f.tmp == "" {
		return fmt.Errorf("h5: %s: %s is open read-only", op, f.path)
	}
	return nil
}

func clean(name string) string {
	return strings.Trim(name, "/")
}

// ensureGroups creates the groups on the way to name.
func (f *File) ensureGroups(name string) error {
	parts := strings.Split(clean(name), "/")
	for i := 1; i < len(parts); i++ {
		p := strings.Join(parts[:i], "/")
		if f.h.LinkExists(p) {
			continue
		}
		if !createGroup(f.h.ID(), p) {
			return fmt.Errorf("h5: create group %q in %s failed", p, f.path)
		}
	}
	return nil
}

// CreateGroup creates the group name and any missing parents.
func (f *File) CreateGroup(name string) error {
	lock()
	defer unlock()
	if err := f.writable("CreateGroup"); err != nil {
		return err
	}
	if err := f.ensureGroups(clean(name) + "/x"); err != nil {
		return err
	}
	return nil
}

// Options sets the storage of a new dataset. The zero value is contiguous
// and uncompressed.
type Options struct {
	// Chunk is the chunk shape, one entry per dimension. Nil means
	// contiguous storage unless Deflate is set, in which case the chunk
	// is one entry of the leading dimension (one sample per chunk).
	Chunk []int
	// Deflate is the gzip level 1..9; 0 means no compression.
	Deflate int
}

func product(dims []int) (int, error) {
	n := 1
	for i, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("dimension %d is negative (%d)", i, d)
		}
		if d > 0 && n > math.MaxInt/d {
			return 0, fmt.Errorf("shape %v has more elements than an int counts", dims)
		}
		n *= d
	}
	return n, nil
}

func udims(d []int) []uint {
	u := make([]uint, len(d))
	for i, v := range d {
		u[i] = uint(v)
	}
	return u
}

// CreateDataset creates an empty dataset of element type T and shape dims,
// to be filled with WriteSlab.
func CreateDataset[T Elem](f *File, name string, dims []int, opt *Options) error {
	lock()
	defer unlock()
	ds, err := createDataset[T](f, name, dims, opt)
	if err != nil {
		return err
	}
	ds.Close()
	return nil
}

func createDataset[T Elem](f *File, name string, dims []int, opt *Options) (*hdf5.Dataset, error) {
	if err := f.writable("create dataset"); err != nil {
		return nil, err
	}
	name = clean(name)
	if name == "" {
		return nil, errors.New("h5: empty dataset name")
	}
	if len(dims) == 0 {
		return nil, fmt.Errorf("h5: dataset %q: rank 0; store scalars as attributes", name)
	}
	if _, err := product(dims); err != nil {
		return nil, fmt.Errorf("h5: dataset %q: %v", name, err)
	}
	if err := f.ensureGroups(name); err != nil {
		return nil, err
	}
	if f.h.LinkExists(name) {
		return nil, fmt.Errorf("h5: dataset %q already exists in %s", name, f.path)
	}
	space, err := hdf5.CreateSimpleDataspace(udims(dims), nil)
	if err != nil {
		return nil, fmt.Errorf("h5: dataset %q: dataspace %v: %v", name, dims, err)
	}
	defer space.Close()
	_, dtype := elemInfo[T]()
	dcpl, err := hdf5.NewPropList(hdf5.P_DATASET_CREATE)
	if err != nil {
		return nil, fmt.Errorf("h5: dataset %q: %v", name, err)
	}
	defer dcpl.Close()
	var o Options
	if opt != nil {
		o = *opt
	}
	if o.Deflate < 0 || o.Deflate > 9 {
		return nil, fmt.Errorf("h5: dataset %q: deflate level %d not in 0..9", name, o.Deflate)
	}
	chunk := o.Chunk
	if chunk == nil && o.Deflate > 0 {
		chunk = append([]int{1}, dims[1:]...)
		if len(dims) == 1 {
			chunk = []int{min(dims[0], 1<<16)}
		}
	}
	if chunk != nil {
		if len(chunk) != len(dims) {
			return nil, fmt.Errorf("h5: dataset %q: chunk %v has rank %d, data rank %d", name, chunk, len(chunk), len(dims))
		}
		for i, c := range chunk {
			if c < 1 || c > max(dims[i], 1) {
				return nil, fmt.Errorf("h5: dataset %q: chunk %v: entry %d must be in 1..%d", name, chunk, i, max(dims[i], 1))
			}
		}
		if err := dcpl.SetChunk(udims(chunk)); err != nil {
			return nil, fmt.Errorf("h5: dataset %q: chunk %v: %v", name, chunk, err)
		}
		if o.Deflate > 0 {
			if err := dcpl.SetDeflate(o.Deflate); err != nil {
				return nil, fmt.Errorf("h5: dataset %q: deflate: %v", name, err)
			}
		}
	}
	if !untimed(dcpl.ID()) {
		return nil, fmt.Errorf("h5: dataset %q: property list", name)
	}
	ds, err := f.h.CreateDatasetWith(name, dtype, space, dcpl)
	if err != nil {
		return nil, fmt.Errorf("h5: create dataset %q in %s: %v", name, f.path, err)
	}
	return ds, nil
}

// Write creates the dataset name holding data with shape dims (row-major,
// last index fastest, as NumPy). Missing parent groups are created.
func Write[T Elem](f *File, name string, dims []int, data []T, opt *Options) error {
	n, err := product(dims)
	if err != nil {
		return fmt.Errorf("h5: dataset %q: %v", name, err)
	}
	if n != len(data) {
		return fmt.Errorf("h5: dataset %q: shape %v holds %d values, data has %d", name, dims, n, len(data))
	}
	lock()
	defer unlock()
	ds, err := createDataset[T](f, name, dims, opt)
	if err != nil {
		return err
	}
	defer ds.Close()
	if n == 0 {
		return nil
	}
	if err := ds.Write(&data); err != nil {
		return fmt.Errorf("h5: write dataset %q in %s: %v", name, f.path, err)
	}
	return nil
}

// openTyped opens a dataset and checks that it stores T.
func openTyped[T Elem](f *File, name string) (*hdf5.Dataset, []int, error) {
	if f.closed {
		return nil, nil, fmt.Errorf("h5: read from closed file %s", f.path)
	}
	name = clean(name)
	if !linkExists(f.h, name) {
		return nil, nil, fmt.Errorf("h5: no dataset %q in %s", name, f.path)
	}
	ds, err := f.h.OpenDataset(name)
	if err != nil {
		return nil, nil, fmt.Errorf("h5: %q in %s is not a dataset", name, f.path)
	}
	want, _ := elemInfo[T]()
	got, ok := datasetType(ds.ID())
	if !ok {
		ds.Close()
		return nil, nil, fmt.Errorf("h5: dataset %q in %s: cannot read its datatype", name, f.path)
	}
	if got != want {
		ds.Close()
		return nil, nil, fmt.Errorf("h5: dataset %q in %s stores %v, cannot read it as %v", name, f.path, got, want)
	}
	space := ds.Space()
	d, _, err := space.SimpleExtentDims()
	space.Close()
	if err != nil {
		ds.Close()
		return nil, nil, fmt.Errorf("h5: dataset %q: %v", name, err)
	}
	dims := make([]int, len(d))
	for i, v := range d {
		dims[i] = int(v)
	}
	return ds, dims, nil
}

// linkExists checks every prefix of name, since HDF5 fails (rather than
// answers false) when an intermediate group is missing.
func linkExists(h *hdf5.File, name string) bool {
	parts := strings.Split(name, "/")
	for i := 1; i <= len(parts); i++ {
		if !h.LinkExists(strings.Join(parts[:i], "/")) {
			return false
		}
	}
	return true
}

// Read reads the whole dataset name, which must store T exactly: reading
// a float32 dataset as float64 is an error naming both types, never a
// silent reinterpretation of bytes. It returns the data and the shape.
func Read[T Elem](f *File, name string) ([]T, []int, error) {
	lock()
	defer unlock()
	ds, dims, err := openTyped[T](f, name)
	if err != nil {
		return nil, nil, err
	}
	defer ds.Close()
	n, err := product(dims)
	if err != nil {
		return nil, nil, fmt.Errorf("h5: dataset %q in %s: %v", name, f.path, err)
	}
	if err := f.readBound(name, dims, n, int(unsafe.Sizeof(*new(T)))); err != nil {
		return nil, nil, err
	}
	data := make([]T, n)
	if n == 0 {
		return data, dims, nil
	}
	if err := ds.Read(&data); err != nil {
		return nil, nil, fmt.Errorf("h5: read dataset %q in %s: %v", name, f.path, err)
	}
	return data, dims, nil
}

// Info describes a stored dataset.
type Info struct {
	// Type is the NumPy-style element type, e.g. "float32".
	Type string
	Dims []int
}

// Stat returns the element type and shape of the dataset name.
func (f *File) Stat(name string) (Info, error) {
	lock()
	defer unlock()
	name = clean(name)
	if !linkExists(f.h, name) {
		return Info{}, fmt.Errorf("h5: no dataset %q in %s", name, f.path)
	}
	ds, err := f.h.OpenDataset(name)
	if err != nil {
		return Info{}, fmt.Errorf("h5: %q in %s is not a dataset", name, f.path)
	}
	defer ds.Close()
	ti, _ := datasetType(ds.ID())
	space := ds.Space()
	defer space.Close()
	d, _, err := space.SimpleExtentDims()
	if err != nil {
		return Info{}, fmt.Errorf("h5: dataset %q: %v", name, err)
	}
	dims := make([]int, len(d))
	for i, v := range d {
		dims[i] = int(v)
	}
	return Info{Type: ti.String(), Dims: dims}, nil
}

// selection checks a hyperslab against dims and returns it as HDF5 wants.
func selection(name string, dims, offset, count, stride []int) (off, cnt, str []uint, n int, err error) {
	r := len(dims)
	if len(offset) != r || len(count) != r || (stride != nil && len(stride) != r) {
		return nil, nil, nil, 0, fmt.Errorf("h5: dataset %q has rank %d; offset %v, count %v, stride %v do not match", name, r, offset, count, stride)
	}
	n = 1
	for i := 0; i < r; i++ {
		s := 1
		if stride != nil {
			s = stride[i]
		}
		if s < 1 || offset[i] < 0 || count[i] < 0 {
			return nil, nil, nil, 0, fmt.Errorf("h5: dataset %q: bad selection offset %v count %v stride %v", name, offset, count, stride)
		}
		if count[i] > 0 && (offset[i] >= dims[i] || count[i]-1 > (dims[i]-1-offset[i])/s) {
			return nil, nil, nil, 0, fmt.Errorf("h5: dataset %q: selection offset %v count %v stride %v exceeds shape %v", name, offset, count, stride, dims)
		}
		n *= count[i]
	}
	str = nil
	if stride != nil {
		str = udims(stride)
	}
	return udims(offset), udims(count), str, n, nil
}

// WriteSlab writes data into the block of dataset name starting at offset
// with shape count. The dataset must store T.
func WriteSlab[T Elem](f *File, name string, offset, count []int, data []T) error {
	lock()
	defer unlock()
	if err := f.writable("WriteSlab"); err != nil {
		return err
	}
	ds, dims, err := openTyped[T](f, name)
	if err != nil {
		return err
	}
	defer ds.Close()
	off, cnt, _, n, err := selection(name, dims, offset, count, nil)
	if err != nil {
		return err
	}
	if n != len(data) {
		return fmt.Errorf("h5: dataset %q: slab %v holds %d values, data has %d", name, count, n, len(data))
	}
	if n == 0 {
		return nil
	}
	return slabIO(ds, off, cnt, nil, func(mem, file *hdf5.Dataspace) error { return ds.WriteSubset(&data, mem, file) }, name, f.path)
}

// ReadSlab reads count entries per dimension of dataset name starting at
// offset, taking every stride-th entry (nil stride: contiguous), the way
// NumPy's a[o0:o0+c0*s0:s0, ...] does. The dataset must store T.
func ReadSlab[T Elem](f *File, name string, offset, count, stride []int) ([]T, error) {
	lock()
	defer unlock()
	ds, dims, err := openTyped[T](f, name)
	if err != nil {
		return nil, err
	}
	defer ds.Close()
	off, cnt, str, n, err := selection(name, dims, offset, count, stride)
	if err != nil {
		return nil, err
	}
	if err := f.readBound(name, count, n, int(unsafe.Sizeof(*new(T)))); err != nil {
		return nil, err
	}
	data := make([]T, n)
	if n == 0 {
		return data, nil
	}
	err = slabIO(ds, off, cnt, str, func(mem, file *hdf5.Dataspace) error { return ds.ReadSubset(&data, mem, file) }, name, f.path)
	return data, err
}

func slabIO(ds *hdf5.Dataset, off, cnt, str []uint, io func(mem, file *hdf5.Dataspace) error, name, path string) error {
	file := ds.Space()
	defer file.Close()
	if err := file.SelectHyperslab(off, str, cnt, nil); err != nil {
		return fmt.Errorf("h5: dataset %q in %s: select: %v", name, path, err)
	}
	mem, err := hdf5.CreateSimpleDataspace(cnt, nil)
	if err != nil {
		return fmt.Errorf("h5: dataset %q: %v", name, err)
	}
	defer mem.Close()
	if err := io(mem, file); err != nil {
		return fmt.Errorf("h5: dataset %q in %s: slab transfer: %v", name, path, err)
	}
	return nil
}

// Walk calls fn for group and every group and dataset below it, depth
// first in List's order: with info nil for a group, with the dataset's
// Info otherwise. An error from fn or from listing a group ends the walk
// and is returned; groups nest at most 32 deep.
func (f *File) Walk(group string, fn func(path string, info *Info) error) error {
	return f.walk(group, fn, 0)
}

func (f *File) walk(group string, fn func(path string, info *Info) error, depth int) error {
	if depth > 32 {
		return fmt.Errorf("h5: groups in %s nest deeper than 32", f.path)
	}
	if err := fn(group, nil); err != nil {
		return err
	}
	names, err := f.List(group)
	if err != nil {
		return err
	}
	for _, n := range names {
		p := strings.TrimSuffix(group, "/") + "/" + n
		info, err := f.Stat(p)
		if err != nil {
			if err := f.walk(p, fn, depth+1); err != nil {
				return err
			}
			continue
		}
		if err := fn(p, &info); err != nil {
			return err
		}
	}
	return nil
}

// List returns the names of the members of group ("/" for the root).
func (f *File) List(group string) ([]string, error) {
	lock()
	defer unlock()
	g, err := f.openGroup(group)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	n, err := g.NumObjects()
	if err != nil {
		return nil, fmt.Errorf("h5: list %q: %v", group, err)
	}
	if f.size > 0 && int64(n) > f.size {
		return nil, fmt.Errorf("h5: group %q in %s declares %d members, more than the file holds: the file is corrupt", group, f.path, n)
	}
	names := make([]string, 0, n)
	for i := uint(0); i < n; i++ {
		s, err := g.ObjectNameByIndex(i)
		if err != nil {
			return nil, fmt.Errorf("h5: list %q: %v", group, err)
		}
		names = append(names, s)
	}
	return names, nil
}

func (f *File) openGroup(name string) (*hdf5.Group, error) {
	c := clean(name)
	if c == "" {
		c = "/"
	} else if !linkExists(f.h, c) {
		return nil, fmt.Errorf("h5: no group %q in %s", name, f.path)
	}
	g, err := f.h.OpenGroup(c)
	if err != nil {
		return nil, fmt.Errorf("h5: %q in %s is not a group", name, f.path)
	}
	return g, nil
}

// object is a group or dataset that can carry attributes.
type object interface {
	ID() int64
	Close() error
	CreateAttribute(name string, dtype *hdf5.Datatype, dspace *hdf5.Dataspace) (*hdf5.Attribute, error)
	OpenAttribute(name string) (*hdf5.Attribute, error)
}

func (f *File) openObject(name string) (object, error) {
	c := clean(name)
	if c != "" && !linkExists(f.h, c) {
		return nil, fmt.Errorf("h5: no object %q in %s", name, f.path)
	}
	if g, err := f.openGroup(name); err == nil {
		return g, nil
	}
	ds, err := f.h.OpenDataset(c)
	if err != nil {
		return nil, fmt.Errorf("h5: %q in %s is neither a group nor a dataset", name, f.path)
	}
	return ds, nil
}

// SetAttr sets attribute attr of the group or dataset obj ("/" for the
// root), replacing any old value. v is a float64, int, int64, string,
// []float64, []int or []int64.
func (f *File) SetAttr(obj, attr string, v any) error {
	lock()
	defer unlock()
	if err := f.writable("SetAttr"); err != nil {
		return err
	}
	o, err := f.openObject(obj)
	if err != nil {
		return err
	}
	defer o.Close()
	if attrExists(o.ID(), attr) && !attrDelete(o.ID(), attr) {
		return fmt.Errorf("h5: replace attribute %q of %q", attr, obj)
	}
	fail := func(err error) error { return fmt.Errorf("h5: attribute %q of %q: %v", attr, obj, err) }
	// put creates the attribute on space and writes it with write.
	put := func(dtype *hdf5.Datatype, space *hdf5.Dataspace, err error, write func(a *hdf5.Attribute) error) error {
		if err != nil {
			return fail(err)
		}
		defer space.Close()
		a, err := o.CreateAttribute(attr, dtype, space)
		if err != nil {
			return fail(err)
		}
		defer a.Close()
		if err := write(a); err != nil {
			return fail(err)
		}
		return nil
	}
	scalar := func(dtype *hdf5.Datatype, p any) error {
		space, err := hdf5.CreateDataspace(hdf5.S_SCALAR)
		return put(dtype, space, err, func(a *hdf5.Attribute) error { return a.Write(p, dtype) })
	}
	vector := func(dtype *hdf5.Datatype, n int, p unsafe.Pointer) error {
		space, err := hdf5.CreateSimpleDataspace([]uint{uint(n)}, nil)
		return put(dtype, space, err, func(a *hdf5.Attribute) error {
			if n > 0 && !attrWrite(a.ID(), dtype.ID(), p) {
				return errors.New("write failed")
			}
			return nil
		})
	}
	switch x := v.(type) {
	case float64:
		return scalar(hdf5.T_NATIVE_DOUBLE, &x)
	case int:
		y := int64(x)
		return scalar(hdf5.T_NATIVE_INT64, &y)
	case int64:
		return scalar(hdf5.T_NATIVE_INT64, &x)
	case string:
		return scalar(hdf5.T_GO_STRING, &x)
	case []float64:
		return vector(hdf5.T_NATIVE_DOUBLE, len(x), unsafe.Pointer(unsafe.SliceData(x)))
	case []int64:
		return vector(hdf5.T_NATIVE_INT64, len(x), unsafe.Pointer(unsafe.SliceData(x)))
	case []int:
		y := make([]int64, len(x))
		for i, v := range x {
			y[i] = int64(v)
		}
		return vector(hdf5.T_NATIVE_INT64, len(y), unsafe.Pointer(unsafe.SliceData(y)))
	}
	return fmt.Errorf("h5: attribute %q of %q: unsupported type %T", attr, obj, v)
}

// openAttr opens attribute attr of obj and checks its class.
func (f *File) openAttr(obj, attr string, class int) (object, *hdf5.Attribute, typeInfo, bool, int, error) {
	o, err := f.openObject(obj)
	if err != nil {
		return nil, nil, typeInfo{}, false, 0, err
	}
	if !attrExists(o.ID(), attr) {
		o.Close()
		return nil, nil, typeInfo{}, false, 0, fmt.Errorf("h5: %q in %s has no attribute %q", obj, f.path, attr)
	}
	a, err := o.OpenAttribute(attr)
	if err != nil {
		o.Close()
		return nil, nil, typeInfo{}, false, 0, fmt.Errorf("h5: open attribute %q of %q: %v", attr, obj, err)
	}
	ti, vlen, n, ok := attrInfo(a.ID())
	if !ok || ti.class != class {
		a.Close()
		o.Close()
		want := map[int]string{classFloat: "float", classInteger: "integer", classString: "string"}[class]
		return nil, nil, ti, false, 0, fmt.Errorf("h5: attribute %q of %q is %v, not %s", attr, obj, ti, want)
	}
	return o, a, ti, vlen, n, nil
}

// numAttr reads a numeric attribute of class into a slice, letting HDF5
// convert within the class (float32 to float64, int32 to int64), which is
// exact.
func numAttr[T float64 | int64](f *File, obj, attr string) ([]T, error) {
	class, mem := classFloat, hdf5.T_NATIVE_DOUBLE
	var z T
	if _, isInt := any(z).(int64); isInt {
		class, mem = classInteger, hdf5.T_NATIVE_INT64
	}
	lock()
	defer unlock()
	o, a, _, _, n, err := f.openAttr(obj, attr, class)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	defer a.Close()
	if n < 0 || (f.size > 0 && int64(n) > f.size) {
		return nil, fmt.Errorf("h5: attribute %q of %q in %s declares %d values, more than the file holds: the file is corrupt", attr, obj, f.path, n)
	}
	out := make([]T, n)
	if n > 0 && !attrRead(a.ID(), mem.ID(), unsafe.Pointer(unsafe.SliceData(out))) {
		return nil, fmt.Errorf("h5: read attribute %q of %q failed", attr, obj)
	}
	return out, nil
}

// AttrFloat64s returns a floating-point attribute as a slice.
func (f *File) AttrFloat64s(obj, attr string) ([]float64, error) {
	return numAttr[float64](f, obj, attr)
}

// AttrInt64s returns an integer attribute as a slice.
func (f *File) AttrInt64s(obj, attr string) ([]int64, error) { return numAttr[int64](f, obj, attr) }

// AttrFloat64 returns a scalar floating-point attribute.
func (f *File) AttrFloat64(obj, attr string) (float64, error) {
	return scalarAttr[float64](f, obj, attr)
}

// AttrInt64 returns a scalar integer attribute.
func (f *File) AttrInt64(obj, attr string) (int64, error) { return scalarAttr[int64](f, obj, attr) }

func scalarAttr[T float64 | int64](f *File, obj, attr string) (T, error) {
	v, err := numAttr[T](f, obj, attr)
	if err == nil && len(v) != 1 {
		err = fmt.Errorf("h5: attribute %q of %q has %d values, want 1", attr, obj, len(v))
	}
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// AttrString returns a scalar string attribute (fixed or variable length).
func (f *File) AttrString(obj, attr string) (string, error) {
	lock()
	defer unlock()
	o, a, _, _, n, err := f.openAttr(obj, attr, classString)
	if err != nil {
		return "", err
	}
	defer o.Close()
	defer a.Close()
	if n != 1 {
		return "", fmt.Errorf("h5: attribute %q of %q holds %d strings, want 1", attr, obj, n)
	}
	var s string
	if err := a.Read(&s, hdf5.T_GO_STRING); err != nil {
		return "", fmt.Errorf("h5: read attribute %q of %q: %v", attr, obj, err)
	}
	return s, nil
}

// SetConfig stores v, marshalled to JSON, as the string attribute "config"
// of obj: the convention for recording the run configuration.
func (f *File) SetConfig(obj string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("h5: config of %q: %v", obj, err)
	}
	return f.SetAttr(obj, "config", string(b))
}

// Config unmarshals the JSON "config" attribute of obj into v.
func (f *File) Config(obj string, v any) error {
	s, err := f.AttrString(obj, "config")
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("h5: config of %q in %s: %v", obj, f.path, err)
	}
	return nil
}
