package main

import (
	"archive/zip"
	bin "encoding/binary"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdekit/pdekit/io/h5"
)

// npzArrays returns the float32 arrays of an .npz by the .npy header's
// shape (format checked in io/npy's tests).
func npzArrays(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	out := map[string][]float32{}
	for _, f := range z.File {
		r, _ := f.Open()
		b, _ := io.ReadAll(r)
		r.Close()
		hl := int(bin.LittleEndian.Uint16(b[8:]))
		if !strings.Contains(string(b[10:10+hl]), "'<f4'") {
			t.Fatalf("%s: header %q", f.Name, b[10:10+hl])
		}
		var v []float32
		for k := 10 + hl; k+4 <= len(b); k += 4 {
			v = append(v, math.Float32frombits(bin.LittleEndian.Uint32(b[k:])))
		}
		out[strings.TrimSuffix(f.Name, ".npy")] = v
	}
	return out
}

// convert writes the same values in every layout: the npz pairs and the
// PDEBench files hold the source's fields, the group-per-sample form each
// trajectory with a channel last, and the time-last order of the MATLAB
// layout puts frame f of sample i at [i, ..., f].
func TestConvert(t *testing.T) {
	dir := t.TempDir()
	d, ns := filepath.Join(dir, "d.h5"), filepath.Join(dir, "ns.h5")
	if code, _, errs := sim(t, "generate", "darcy", "--samples", "3", "--n", "17", "--seed", "2", "--out", d); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := sim(t, "generate", "ns2d", "--samples", "2", "--n", "16", "--sub", "1", "--frames", "3", "--t-start", "0.5", "--t-end", "0.8", "--out", ns); code != 0 {
		t.Fatal(errs)
	}
	src := readAll(t, d)
	for _, out := range []string{"d.npz", "d.hdf5", "d.mat"} {
		if code, _, errs := sim(t, "convert", d, filepath.Join(dir, out)); code != 0 {
			t.Fatalf("%s: %s", out, errs)
		}
	}
	z := npzArrays(t, filepath.Join(dir, "d.npz"))
	p := readAll(t, filepath.Join(dir, "d.hdf5"))
	for i := range src["nu"] {
		if z["x"][i] != src["nu"][i] || z["y"][i] != src["tensor"][i] || p["nu"][i] != src["nu"][i] || p["tensor"][i] != src["tensor"][i] {
			t.Fatalf("value %d differs", i)
		}
	}
	srcNS := readAll(t, ns)
	if code, _, errs := sim(t, "convert", ns, filepath.Join(dir, "ns.npz")); code != 0 {
		t.Fatal(errs)
	}
	pn := filepath.Join(dir, "ns-pdebench.h5")
	if code, _, errs := sim(t, "convert", ns, pn); code != 0 || !strings.Contains(errs, "sample 0023") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	z = npzArrays(t, filepath.Join(dir, "ns.npz"))
	const frames, sp = 4, 16 * 16
	for i := 0; i < 2; i++ {
		for f := 0; f < frames; f++ {
			for q := 0; q < sp; q++ {
				v := srcNS["tensor"][(i*frames+f)*sp+q]
				got := z["x"][i*sp+q]
				if f > 0 {
					got = z["y"][(i*(frames-1)+f-1)*sp+q]
				}
				if got != v {
					t.Fatalf("npz: sample %d frame %d point %d: %v, want %v", i, f, q, got, v)
				}
			}
		}
		g, err := h5.Open(pn)
		if err != nil {
			t.Fatal(err)
		}
		data, dims, err := h5.Read[float32](g, []string{"0000", "0001"}[i]+"/data")
		g.Close()
		if err != nil || len(dims) != 4 || dims[0] != frames || dims[3] != 1 {
			t.Fatalf("pdebench sample %d: dims %v, %v", i, dims, err)
		}
		for k, v := range data {
			if v != srcNS["tensor"][i*frames*sp+k] {
				t.Fatalf("pdebench sample %d value %d", i, k)
			}
		}
	}
	// Time last, as FNO's u: [N, x, y, t].
	s, err := readFieldSet(ns)
	if err != nil {
		t.Fatal(err)
	}
	u := s.frameRange(1, frames, true)
	if u.shape[3] != frames-1 || u.data[(1*sp+7)*(frames-1)+2] != float64(srcNS["tensor"][(1*frames+3)*sp+7]) {
		t.Errorf("time-last frames: shape %v or order wrong", u.shape)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"convert", d, filepath.Join(dir, "x.h5")}, "name a flat set .hdf5"},
		{[]string{"convert", ns, filepath.Join(dir, "x.hdf5")}, "ends in \"h5\""},
		{[]string{"convert", d, filepath.Join(dir, "x.txt")}, "say --to"},
		{[]string{"convert", d, filepath.Join(dir, "x.mat"), "--to", "csv"}, "unknown --to"},
		{[]string{"convert", d, d}, "is IN"},
		{[]string{"convert", d}, "needs IN and OUT"},
		{[]string{"convert", filepath.Join(dir, "none.h5"), filepath.Join(dir, "y.mat")}, "no such file"},
		{[]string{"convert", d, filepath.Join(dir, "d.mat")}, "already exists"},
	} {
		code, _, errs := sim(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args[1:], code, errs, c.msg)
		}
	}
}
