// Package npy writes NumPy's .npy arrays and .npz archives of them (NumPy
// Enhancement Proposal 1, format version 1.0): little-endian float32 or
// float64 data in C order with its shape, which numpy.load reads. An .npz
// is a ZIP archive of NAME.npy members, stored uncompressed, with a fixed
// modification time so that equal contents give equal bytes.
package npy

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// header returns the .npy header (magic, version 1.0, header length and
// the dict, padded with spaces to a multiple of 64 bytes with the newline).
func header(descr string, shape []int) ([]byte, error) {
	dims := make([]string, len(shape))
	for i, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("npy: shape %v", shape)
		}
		dims[i] = strconv.Itoa(d)
	}
	tuple := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	tuple += ")"
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, tuple)
	total := 10 + len(dict) + 1
	dict += strings.Repeat(" ", (64-total%64)%64) + "\n"
	if len(dict) > math.MaxUint16 {
		return nil, fmt.Errorf("npy: header of %d bytes", len(dict))
	}
	h := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(h[8:], uint16(len(dict)))
	return append(h, dict...), nil
}

// Write writes data, of the given shape in C order, as one .npy array.
func Write[T float32 | float64](w io.Writer, shape []int, data []T) error {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("npy: %d values for shape %v", len(data), shape)
	}
	descr, size := "<f8", 8
	var zero T
	if _, ok := any(zero).(float32); ok {
		descr, size = "<f4", 4
	}
	h, err := header(descr, shape)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.Write(h); err != nil {
		return err
	}
	b := make([]byte, size)
	for _, v := range data {
		switch x := any(v).(type) {
		case float32:
			binary.LittleEndian.PutUint32(b, math.Float32bits(x))
		case float64:
			binary.LittleEndian.PutUint64(b, math.Float64bits(x))
		}
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Archive writes an .npz: NewArchive, then Add for each array, then Close.
type Archive struct {
	z *zip.Writer
}

// NewArchive starts an .npz on w.
func NewArchive(w io.Writer) *Archive { return &Archive{z: zip.NewWriter(w)} }

// stamp is the members' modification time: fixed, for reproducible bytes.
var stamp = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Add writes the array name (numpy.load(...)[name]) of the given shape.
func Add[T float32 | float64](a *Archive, name string, shape []int, data []T) error {
	if name == "" || strings.ContainsAny(name, "/\\") {
		return fmt.Errorf("npy: array name %q", name)
	}
	w, err := a.z.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Store, Modified: stamp})
	if err != nil {
		return err
	}
	return Write(w, shape, data)
}

// Close writes the archive's directory (it does not close the underlying
// writer).
func (a *Archive) Close() error { return a.z.Close() }
