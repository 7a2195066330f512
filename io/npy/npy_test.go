package npy

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// readNPY parses a .npy array from NEP 1's description, independently of
// the writer: magic, version, header length, the header dict, the data.
func readNPY(t *testing.T, b []byte) (descr string, fortran bool, shape []int, vals []float64) {
	t.Helper()
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" || b[6] != 1 || b[7] != 0 {
		t.Fatalf("not a version 1.0 .npy: %q", b[:min(len(b), 10)])
	}
	hl := int(binary.LittleEndian.Uint16(b[8:]))
	if (10+hl)%64 != 0 || b[10+hl-1] != '\n' {
		t.Fatalf("header length %d: data not 64-byte aligned or no newline", hl)
	}
	h := string(b[10 : 10+hl])
	m := regexp.MustCompile(`'descr': '([^']*)'`).FindStringSubmatch(h)
	f := regexp.MustCompile(`'fortran_order': (True|False)`).FindStringSubmatch(h)
	s := regexp.MustCompile(`'shape': \(([^)]*)\)`).FindStringSubmatch(h)
	if m == nil || f == nil || s == nil {
		t.Fatalf("header %q", h)
	}
	for _, d := range strings.Split(s[1], ",") {
		if d = strings.TrimSpace(d); d != "" {
			n, err := strconv.Atoi(d)
			if err != nil {
				t.Fatal(err)
			}
			shape = append(shape, n)
		}
	}
	data := b[10+hl:]
	switch m[1] {
	case "<f4":
		for k := 0; k+4 <= len(data); k += 4 {
			vals = append(vals, float64(math.Float32frombits(binary.LittleEndian.Uint32(data[k:]))))
		}
	case "<f8":
		for k := 0; k+8 <= len(data); k += 8 {
			vals = append(vals, math.Float64frombits(binary.LittleEndian.Uint64(data[k:])))
		}
	default:
		t.Fatalf("descr %s", m[1])
	}
	return m[1], f[1] == "True", shape, vals
}

func TestArchiveReadBack(t *testing.T) {
	x := make([]float32, 2*3*5)
	for i := range x {
		x[i] = float32(i) * 0.25
	}
	y := []float64{3, 1, 4}
	var buf bytes.Buffer
	a := NewArchive(&buf)
	if err := Add(a, "x", []int{2, 3, 5}, x); err != nil {
		t.Fatal(err)
	}
	if err := Add(a, "y", []int{3}, y); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(z.File) != 2 || z.File[0].Name != "x.npy" || z.File[1].Name != "y.npy" {
		t.Fatalf("members %v", z.File)
	}
	for k, want := range []struct {
		descr string
		shape []int
		n     int
	}{{"<f4", []int{2, 3, 5}, 30}, {"<f8", []int{3}, 3}} {
		r, err := z.File[k].Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		descr, fortran, shape, vals := readNPY(t, b)
		if descr != want.descr || fortran || len(shape) != len(want.shape) || len(vals) != want.n {
			t.Fatalf("%s: %s %v %v %d values", z.File[k].Name, descr, fortran, shape, len(vals))
		}
		for i, d := range want.shape {
			if shape[i] != d {
				t.Fatalf("%s: shape %v", z.File[k].Name, shape)
			}
		}
		for i, v := range vals {
			w := y[min(i, 2)]
			if k == 0 {
				w = float64(x[i])
			}
			if v != w {
				t.Fatalf("%s[%d] = %v, want %v", z.File[k].Name, i, v, w)
			}
		}
	}
	// The same arrays give the same bytes.
	var again bytes.Buffer
	a = NewArchive(&again)
	Add(a, "x", []int{2, 3, 5}, x)
	Add(a, "y", []int{3}, y)
	a.Close()
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("two archives of the same arrays differ")
	}
}

func TestWriteErrors(t *testing.T) {
	if err := Write(io.Discard, []int{2, 2}, []float64{1}); err == nil {
		t.Errorf("a shape that does not fit: no error")
	}
	a := NewArchive(io.Discard)
	if err := Add(a, "a/b", []int{1}, []float64{1}); err == nil {
		t.Errorf("a name with a slash: no error")
	}
}
