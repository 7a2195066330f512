package mtx

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/pdekit/pdekit/sparse"
	"gonum.org/v1/gonum/mat"
)

// Symmetry is the storage scheme of a Matrix Market file.
type Symmetry int

const (
	// General stores every entry.
	General Symmetry = iota
	// Symmetric stores the lower triangle of a_ij = a_ji.
	Symmetric
	// SkewSymmetric stores the strict lower triangle of a_ij = -a_ji.
	SkewSymmetric
)

func (s Symmetry) String() string {
	switch s {
	case Symmetric:
		return "symmetric"
	case SkewSymmetric:
		return "skew-symmetric"
	}
	return "general"
}

// Limits on what a file may declare, checked before anything is
// allocated: a corrupt or hostile size line gives an error, never an
// out-of-memory abort.
const (
	// MaxDim bounds the rows and the columns (2^31 - 1).
	MaxDim = 1<<31 - 1
	// MaxDense bounds rows*cols for ReadDense and for array files:
	// 2^28 values, 2 GiB as float64.
	MaxDense = 1 << 28
	// RowsPerEntry bounds, for ReadCSR, how many rows a coordinate file
	// may declare per stored entry (beyond the first 2^20 rows): CSR
	// storage costs a word per row, so 10^8 rows holding 3 entries would
	// take 800 MB for nothing.
	RowsPerEntry = 16
)

// Header is the parsed banner and size line of a file.
type Header struct {
	// Coordinate is true for the sparse coordinate format, false for array.
	Coordinate bool
	// Field is "real", "integer" or "pattern".
	Field    string
	Symmetry Symmetry
	// Rows, Cols and Entries come from the size line; Entries is the
	// number of stored entries (for array files, of stored values).
	Rows, Cols, Entries int
}

type reader struct {
	s    *bufio.Scanner
	line int
}

func (r *reader) errorf(format string, args ...any) error {
	return fmt.Errorf("mtx: line %d: "+format, append([]any{r.line}, args...)...)
}

// next returns the next line that is not a comment or blank.
func (r *reader) next() ([]byte, error) {
	for r.s.Scan() {
		r.line++
		b := bytes.TrimSpace(r.s.Bytes())
		if len(b) == 0 || b[0] == '%' {
			continue
		}
		return b, nil
	}
	if err := r.s.Err(); err != nil {
		return nil, fmt.Errorf("mtx: after line %d: %w", r.line, err)
	}
	return nil, io.EOF
}

func parseHeader(r *reader) (Header, error) {
	var h Header
	if !r.s.Scan() {
		if err := r.s.Err(); err != nil {
			return h, fmt.Errorf("mtx: %w", err)
		}
		return h, errors.New("mtx: empty file")
	}
	r.line = 1
	f := bytes.Fields(bytes.ToLower(r.s.Bytes()))
	if len(f) != 5 || string(f[0]) != "%%matrixmarket" {
		return h, r.errorf("bad banner %q, want %q", r.s.Text(), "%%MatrixMarket matrix <format> <field> <symmetry>")
	}
	if string(f[1]) != "matrix" {
		return h, r.errorf("object %q not supported, only \"matrix\"", f[1])
	}
	switch string(f[2]) {
	case "coordinate":
		h.Coordinate = true
	case "array":
	default:
		return h, r.errorf("format %q, want coordinate or array", f[2])
	}
	switch string(f[3]) {
	case "real", "integer", "double":
		h.Field = string(f[3])
		if h.Field == "double" {
			h.Field = "real"
		}
	case "pattern":
		if !h.Coordinate {
			return h, r.errorf("pattern field is only valid with the coordinate format")
		}
		h.Field = "pattern"
	case "complex":
		return h, r.errorf("complex matrices are not supported")
	default:
		return h, r.errorf("field %q, want real, integer or pattern", f[3])
	}
	switch string(f[4]) {
	case "general":
		h.Symmetry = General
	case "symmetric":
		h.Symmetry = Symmetric
	case "skew-symmetric":
		h.Symmetry = SkewSymmetric
	case "hermitian":
		return h, r.errorf("hermitian matrices are not supported (complex)")
	default:
		return h, r.errorf("symmetry %q, want general, symmetric or skew-symmetric", f[4])
	}
	line, err := r.next()
	if err == io.EOF {
		return h, r.errorf("file ends before the size line")
	}
	if err != nil {
		return h, err
	}
	sz := bytes.Fields(line)
	want := 3
	if !h.Coordinate {
		want = 2
	}
	if len(sz) != want {
		return h, r.errorf("size line %q has %d numbers, want %d", line, len(sz), want)
	}
	dims := make([]int, want)
	for i, s := range sz {
		v, err := strconv.Atoi(string(s))
		if err != nil || v < 0 {
			return h, r.errorf("size %q is not a non-negative integer", s)
		}
		dims[i] = v
	}
	h.Rows, h.Cols = dims[0], dims[1]
	if h.Rows > MaxDim || h.Cols > MaxDim {
		return h, r.errorf("size %d x %d is beyond the reader's limit of %d rows and columns", h.Rows, h.Cols, MaxDim)
	}
	if !h.Coordinate && h.Rows > 0 && h.Cols > MaxDense/h.Rows {
		return h, r.errorf("array of %d x %d values is beyond the reader's limit of %d values", h.Rows, h.Cols, MaxDense)
	}
	if h.Symmetry != General && h.Rows != h.Cols {
		return h, r.errorf("%v matrix must be square, size is %d x %d", h.Symmetry, h.Rows, h.Cols)
	}
	if h.Coordinate {
		// Duplicated positions are legal (they are summed), so the count
		// may exceed rows*cols.
		h.Entries = dims[2]
	} else {
		switch h.Symmetry {
		case General:
			h.Entries = h.Rows * h.Cols
		case Symmetric:
			h.Entries = h.Rows * (h.Rows + 1) / 2
		case SkewSymmetric:
			h.Entries = h.Rows * (h.Rows - 1) / 2
		}
	}
	return h, nil
}

func (r *reader) parseValue(b []byte, field string) (float64, error) {
	if field == "integer" {
		v, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return 0, r.errorf("value %q is not an integer", b)
		}
		return float64(v), nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, r.errorf("value %q is not a number", b)
	}
	return v, nil
}

// read reads every entry of the file as 0-based (i, j, v), expanding
// symmetric storage.
func read(rd io.Reader) (Header, []int, []int, []float64, error) {
	r := &reader{s: bufio.NewScanner(rd)}
	r.s.Buffer(make([]byte, 64*1024), 1<<20)
	h, err := parseHeader(r)
	if err != nil {
		return h, nil, nil, nil, err
	}
	// The entries are appended as they are read: the declared count
	// reserves only a little, so a file cannot make the reader allocate
	// more than its own content.
	capHint := min(h.Entries, 1<<16)
	if h.Symmetry != General {
		capHint *= 2
	}
	is, js := make([]int, 0, capHint), make([]int, 0, capHint)
	vs := make([]float64, 0, capHint)
	add := func(i, j int, v float64) error {
		switch h.Symmetry {
		case Symmetric:
			if j > i {
				return r.errorf("entry (%d, %d) is above the diagonal in a symmetric file", i+1, j+1)
			}
			if i != j {
				is, js, vs = append(is, j), append(js, i), append(vs, v)
			}
		case SkewSymmetric:
			if j >= i {
				return r.errorf("entry (%d, %d) is not below the diagonal in a skew-symmetric file", i+1, j+1)
			}
			is, js, vs = append(is, j), append(js, i), append(vs, -v)
		}
		is, js, vs = append(is, i), append(js, j), append(vs, v)
		return nil
	}
	// Array files list columns top to bottom, only the stored triangle.
	ai, aj := 0, 0
	if !h.Coordinate {
		switch h.Symmetry {
		case Symmetric:
			ai = 0
		case SkewSymmetric:
			ai = 1
		}
	}
	for k := 0; k < h.Entries; k++ {
		line, err := r.next()
		if err == io.EOF {
			return h, nil, nil, nil, fmt.Errorf("mtx: line %d: file ends after %d of %d entries", r.line, k, h.Entries)
		}
		if err != nil {
			return h, nil, nil, nil, err
		}
		f := bytes.Fields(line)
		if !h.Coordinate {
			if len(f) != 1 {
				return h, nil, nil, nil, r.errorf("array entry has %d fields, want 1", len(f))
			}
			v, err := r.parseValue(f[0], h.Field)
			if err != nil {
				return h, nil, nil, nil, err
			}
			if err := add(ai, aj, v); err != nil {
				return h, nil, nil, nil, err
			}
			ai++
			if ai == h.Rows {
				aj++
				switch h.Symmetry {
				case General:
					ai = 0
				case Symmetric:
					ai = aj
				case SkewSymmetric:
					ai = aj + 1
				}
			}
			continue
		}
		want := 3
		if h.Field == "pattern" {
			want = 2
		}
		if len(f) != want {
			return h, nil, nil, nil, r.errorf("entry has %d fields, want %d", len(f), want)
		}
		i, err1 := strconv.Atoi(string(f[0]))
		j, err2 := strconv.Atoi(string(f[1]))
		if err1 != nil {
			return h, nil, nil, nil, r.errorf("row index %q is not an integer", f[0])
		}
		if err2 != nil {
			return h, nil, nil, nil, r.errorf("column index %q is not an integer", f[1])
		}
		if i < 1 || i > h.Rows {
			return h, nil, nil, nil, r.errorf("row index %d is out of range 1..%d", i, h.Rows)
		}
		if j < 1 || j > h.Cols {
			return h, nil, nil, nil, r.errorf("column index %d is out of range 1..%d", j, h.Cols)
		}
		v := 1.0
		if h.Field != "pattern" {
			if v, err = r.parseValue(f[2], h.Field); err != nil {
				return h, nil, nil, nil, err
			}
		}
		if err := add(i-1, j-1, v); err != nil {
			return h, nil, nil, nil, err
		}
	}
	if line, err := r.next(); err == nil {
		return h, nil, nil, nil, r.errorf("unexpected data %q after the %d declared entries", truncate(line), h.Entries)
	} else if err != io.EOF {
		return h, nil, nil, nil, err
	}
	return h, is, js, vs, nil
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// ReadCSR reads a Matrix Market file of any supported kind as a CSR matrix.
// Duplicate coordinate entries are summed; zeros in array files are kept
// out of the sparsity pattern.
func ReadCSR(r io.Reader) (*sparse.CSR, Header, error) {
	h, is, js, vs, err := read(r)
	if err != nil {
		return nil, h, err
	}
	if limit := RowsPerEntry*len(vs) + 1<<20; h.Rows > limit {
		return nil, h, fmt.Errorf("mtx: a %d x %d matrix with %d entries: more than %d empty rows per entry; refused as corrupt",
			h.Rows, h.Cols, len(vs), RowsPerEntry)
	}
	if !h.Coordinate {
		k := 0
		for q := range vs {
			if vs[q] != 0 {
				is[k], js[k], vs[k] = is[q], js[q], vs[q]
				k++
			}
		}
		is, js, vs = is[:k], js[:k], vs[:k]
	}
	a, err := sparse.FromTriplets(h.Rows, h.Cols, is, js, vs)
	return a, h, err
}

// ReadDense reads a Matrix Market file of any supported kind as a dense
// vector of values in row-major order with its dimensions. It suits
// right-hand sides and small matrices.
func ReadDense(r io.Reader) (data []float64, rows, cols int, err error) {
	h, is, js, vs, err := read(r)
	if err != nil {
		return nil, 0, 0, err
	}
	if h.Rows > 0 && h.Cols > MaxDense/h.Rows {
		return nil, 0, 0, fmt.Errorf("mtx: a %d x %d matrix is beyond the limit of %d values for dense storage", h.Rows, h.Cols, MaxDense)
	}
	data = make([]float64, h.Rows*h.Cols)
	for k := range vs {
		data[is[k]*h.Cols+js[k]] += vs[k]
	}
	return data, h.Rows, h.Cols, nil
}

// WriteCSR writes a as a real coordinate file. With Symmetric or
// SkewSymmetric it writes only the lower triangle, after checking that a
// has that symmetry exactly; it returns an error otherwise.
func WriteCSR(w io.Writer, a *sparse.CSR, sym Symmetry) error {
	r, c := a.Dims()
	indptr, indices, data := a.RawCSR()
	count := a.NNZ()
	if sym != General {
		if r != c {
			return fmt.Errorf("mtx: a %d x %d matrix cannot be written as %v", r, c, sym)
		}
		sign := 1.0
		if sym == SkewSymmetric {
			sign = -1
		}
		count = 0
		for i := 0; i < r; i++ {
			for k := indptr[i]; k < indptr[i+1]; k++ {
				j := indices[k]
				if a.At(j, i) != sign*data[k] {
					return fmt.Errorf("mtx: matrix is not %v: a(%d,%d) = %v but a(%d,%d) = %v", sym, i+1, j+1, data[k], j+1, i+1, a.At(j, i))
				}
				if j < i || (j == i && sym == Symmetric) {
					count++
				}
			}
		}
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, "%%%%MatrixMarket matrix coordinate real %v\n%d %d %d\n", sym, r, c, count)
	buf := make([]byte, 0, 64)
	for i := 0; i < r; i++ {
		for k := indptr[i]; k < indptr[i+1]; k++ {
			j := indices[k]
			if sym == Symmetric && j > i || sym == SkewSymmetric && j >= i {
				continue
			}
			buf = strconv.AppendInt(buf[:0], int64(i+1), 10)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, int64(j+1), 10)
			buf = append(buf, ' ')
			buf = appendFloat(buf, data[k])
			buf = append(buf, '\n')
			bw.Write(buf)
		}
	}
	return bw.Flush()
}

// appendFloat appends the shortest decimal that reads back as exactly v.
func appendFloat(buf []byte, v float64) []byte {
	return strconv.AppendFloat(buf, v, 'g', -1, 64)
}

// WriteDense writes m as a real general array file (column-major, as the
// format defines). A vector is a matrix with one column.
func WriteDense(w io.Writer, m mat.Matrix) error {
	r, c := m.Dims()
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, "%%%%MatrixMarket matrix array real general\n%d %d\n", r, c)
	buf := make([]byte, 0, 32)
	for j := 0; j < c; j++ {
		for i := 0; i < r; i++ {
			buf = appendFloat(buf[:0], m.At(i, j))
			buf = append(buf, '\n')
			bw.Write(buf)
		}
	}
	return bw.Flush()
}
