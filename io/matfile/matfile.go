// Package matfile writes MATLAB level-5 MAT-files (the format of MATLAB
// 5 to 7.2, which scipy.io.loadmat, MATLAB and Octave read; MathWorks,
// "MAT-File Format", level 5): real single or double arrays of any rank,
// each under a name. An array given in row-major (C) order with dims
// [d0, ..., dk] is stored so that a reader gets the same dims with the
// same element at each index: scipy.io.loadmat returns exactly the array
// written, and MATLAB's A(i0+1, ..., ik+1) is element (i0, ..., ik). A
// level-5 variable holds less than 2^31 bytes; larger ones need MATLAB's
// HDF5-based v7.3 files, which this package does not write.
package matfile

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// The level-5 data types and array classes used here.
const (
	miINT8   = 1
	miINT32  = 5
	miUINT32 = 6
	miSINGLE = 7
	miDOUBLE = 9
	miMATRIX = 14

	mxDOUBLE = 6
	mxSINGLE = 7
)

// maxBytes bounds one variable's data: level 5 counts bytes in 32 bits
// and MATLAB reads at most 2^31 - 1.
const maxBytes = math.MaxInt32

// Writer writes a MAT-file's variables in turn after its header. It
// buffers; Close flushes (it does not close the underlying writer).
type Writer struct {
	w   *bufio.Writer
	err error
}

// NewWriter writes the 128-byte header (the text description, which
// carries no date so that equal contents give equal bytes) and returns
// the writer of the variables.
func NewWriter(w io.Writer, description string) (*Writer, error) {
	mw := &Writer{w: bufio.NewWriterSize(w, 1<<20)}
	text := []byte("MATLAB 5.0 MAT-file, " + description)
	if len(text) > 116 {
		text = text[:116]
	}
	head := make([]byte, 128)
	for i := range head[:116] {
		head[i] = ' '
	}
	copy(head, text)
	// Bytes 116-123: no subsystem data; 124-125: version 0x0100; 126-127:
	// the endian indicator "IM" (little-endian: 'M' 'I' read as uint16).
	binary.LittleEndian.PutUint16(head[124:], 0x0100)
	head[126], head[127] = 'I', 'M'
	mw.write(head)
	return mw, mw.err
}

func (w *Writer) write(b []byte) {
	if w.err == nil {
		_, w.err = w.w.Write(b)
	}
}

func (w *Writer) u32(vs ...uint32) {
	var b [4]byte
	for _, v := range vs {
		binary.LittleEndian.PutUint32(b[:], v)
		w.write(b[:])
	}
}

func pad8(n int) int { return (8 - n%8) % 8 }

// WriteFloat32 writes a single-precision array.
func (w *Writer) WriteFloat32(name string, dims []int, data []float32) error {
	return writeArray(w, name, dims, data, mxSINGLE, miSINGLE, 4, func(b []byte, v float32) {
		binary.LittleEndian.PutUint32(b, math.Float32bits(v))
	})
}

// WriteFloat64 writes a double-precision array.
func (w *Writer) WriteFloat64(name string, dims []int, data []float64) error {
	return writeArray(w, name, dims, data, mxDOUBLE, miDOUBLE, 8, func(b []byte, v float64) {
		binary.LittleEndian.PutUint64(b, math.Float64bits(v))
	})
}

func checkName(name string) error {
	if name == "" || len(name) > 63 {
		return fmt.Errorf("matfile: variable name %q: want 1 to 63 characters", name)
	}
	for i, c := range name {
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			return fmt.Errorf("matfile: variable name %q: want a letter, then letters, digits or underscores", name)
		}
	}
	return nil
}

func writeArray[T float32 | float64](w *Writer, name string, dims []int, data []T, class, miType uint32, size int, put func([]byte, T)) error {
	if w.err != nil {
		return w.err
	}
	if err := checkName(name); err != nil {
		return err
	}
	if len(dims) == 1 {
		dims = []int{dims[0], 1} // MATLAB arrays have at least two dimensions
	}
	n := 1
	for _, d := range dims {
		if d < 0 || d > math.MaxInt32 {
			return fmt.Errorf("matfile: %s: dimension %d", name, d)
		}
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("matfile: %s: %d values for dimensions %v", name, len(data), dims)
	}
	if n*size > maxBytes-256 {
		return fmt.Errorf("matfile: %s: %d bytes, more than a level-5 MAT-file variable holds (2^31); split the data set", name, n*size)
	}
	nameBytes := len(name)
	body := 8 + 8 + // array flags
		8 + 4*len(dims) + pad8(4*len(dims)) + // dimensions
		8 + nameBytes + pad8(nameBytes) + // name
		8 + n*size + pad8(n*size) // real part
	w.u32(miMATRIX, uint32(body))
	w.u32(miUINT32, 8, class, 0)
	w.u32(miINT32, uint32(4*len(dims)))
	for _, d := range dims {
		w.u32(uint32(d))
	}
	w.write(make([]byte, pad8(4*len(dims))))
	w.u32(miINT8, uint32(nameBytes))
	w.write([]byte(name))
	w.write(make([]byte, pad8(nameBytes)))
	w.u32(miType, uint32(n*size))
	// Column-major order: the first index fastest. idx counts in that
	// order; off is the row-major offset of idx.
	stride := make([]int, len(dims)) // row-major strides
	s := 1
	for k := len(dims) - 1; k >= 0; k-- {
		stride[k] = s
		s *= dims[k]
	}
	idx := make([]int, len(dims))
	buf := make([]byte, size)
	off := 0
	for p := 0; p < n; p++ {
		put(buf, data[off])
		w.write(buf)
		for k := range idx {
			idx[k]++
			off += stride[k]
			if idx[k] < dims[k] {
				break
			}
			off -= idx[k] * stride[k]
			idx[k] = 0
		}
	}
	w.write(make([]byte, pad8(n*size)))
	return w.err
}

// Close flushes the buffered bytes.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}
