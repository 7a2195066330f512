package matfile

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// readMAT is a reader of level-5 MAT-files written from MathWorks'
// specification, independently of the writer: it returns each variable's
// class, dims and values, the values listed in column-major order as the
// file stores them.
func readMAT(t *testing.T, b []byte) map[string]struct {
	class uint32
	dims  []int
	vals  []float64
} {
	t.Helper()
	if len(b) < 128 || string(b[:10]) != "MATLAB 5.0" {
		t.Fatalf("not a level-5 MAT-file header: %q", b[:min(len(b), 20)])
	}
	if binary.LittleEndian.Uint16(b[124:]) != 0x0100 || string(b[126:128]) != "IM" {
		t.Fatalf("version %x, endian %q", b[124:126], b[126:128])
	}
	out := map[string]struct {
		class uint32
		dims  []int
		vals  []float64
	}{}
	p := 128
	tag := func(at int) (typ, size uint32, data int) {
		typ = binary.LittleEndian.Uint32(b[at:])
		size = binary.LittleEndian.Uint32(b[at+4:])
		if typ>>16 != 0 { // small data element: size in the upper half
			return typ & 0xffff, typ >> 16, at + 4
		}
		return typ, size, at + 8
	}
	next := func(data int, size uint32, small bool) int {
		end := data + int(size)
		if small {
			return data + 4
		}
		return end + (8-int(size)%8)%8
	}
	for p < len(b) {
		typ, size, q := tag(p)
		if typ != 14 {
			t.Fatalf("element at %d of type %d, want miMATRIX", p, typ)
		}
		end := q + int(size)
		// Array flags.
		ft, fs, fd := tag(q)
		if ft != 6 || fs != 8 {
			t.Fatalf("array flags of type %d size %d", ft, fs)
		}
		class := binary.LittleEndian.Uint32(b[fd:]) & 0xff
		q = next(fd, fs, false)
		// Dimensions.
		dt, ds, dd := tag(q)
		if dt != 5 {
			t.Fatalf("dimensions of type %d", dt)
		}
		var dims []int
		for k := 0; k < int(ds)/4; k++ {
			dims = append(dims, int(int32(binary.LittleEndian.Uint32(b[dd+4*k:]))))
		}
		q = next(dd, ds, dd == q+4)
		// Name.
		nt, ns, nd := tag(q)
		if nt != 1 {
			t.Fatalf("name of type %d", nt)
		}
		name := string(b[nd : nd+int(ns)])
		q = next(nd, ns, nd == q+4)
		// Real part.
		rt, rs, rd := tag(q)
		var vals []float64
		switch rt {
		case 7:
			for k := 0; k < int(rs)/4; k++ {
				vals = append(vals, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[rd+4*k:]))))
			}
		case 9:
			for k := 0; k < int(rs)/8; k++ {
				vals = append(vals, math.Float64frombits(binary.LittleEndian.Uint64(b[rd+8*k:])))
			}
		default:
			t.Fatalf("%s: real part of type %d", name, rt)
		}
		out[name] = struct {
			class uint32
			dims  []int
			vals  []float64
		}{class, dims, vals}
		p = end
	}
	return out
}

// An asymmetric 3-D array comes back with its dims, and element (i, j, k)
// of the row-major source sits where MATLAB's column-major order puts
// A(i+1, j+1, k+1).
func TestWriteReadBack(t *testing.T) {
	dims := []int{2, 3, 4}
	src := make([]float32, 24)
	for i := range src {
		src[i] = float32(i) + 0.5
	}
	vec := []float64{1, -2, math.Pi}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32("coeff", dims, src); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat64("t", []int{3}, vec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readMAT(t, buf.Bytes())
	c := got["coeff"]
	if c.class != 7 || len(c.dims) != 3 || c.dims[0] != 2 || c.dims[1] != 3 || c.dims[2] != 4 {
		t.Fatalf("coeff: class %d dims %v", c.class, c.dims)
	}
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				if v, want := c.vals[i+2*(j+3*k)], float64(src[(i*3+j)*4+k]); v != want {
					t.Fatalf("A(%d,%d,%d) = %v, want %v", i+1, j+1, k+1, v, want)
				}
			}
		}
	}
	v := got["t"]
	if v.class != 6 || len(v.dims) != 2 || v.dims[0] != 3 || v.dims[1] != 1 || v.vals[2] != math.Pi {
		t.Fatalf("t: %+v", v)
	}
}

func TestErrors(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, "x")
	for _, c := range []struct {
		name string
		dims []int
		n    int
	}{{"1bad", []int{1}, 1}, {"ok", []int{2, 2}, 3}, {"", []int{1}, 1}, {"a-b", []int{1}, 1}} {
		if err := w.WriteFloat64(c.name, c.dims, make([]float64, c.n)); err == nil {
			t.Errorf("%q %v with %d values: no error", c.name, c.dims, c.n)
		}
	}
}
