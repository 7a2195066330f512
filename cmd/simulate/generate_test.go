package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pdekit/pdekit/io/h5"
)

// readAll returns every dataset of an HDF5 file as float32 or int64 values
// (for bitwise comparison), keyed by name.
func readAll(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	f, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err := f.List("/")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, nm := range names {
		info, err := f.Stat(nm)
		if err != nil {
			t.Fatal(err)
		}
		if info.Type == "int64" {
			x, _, err := h5.Read[int64](f, nm)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range x {
				out[nm] = append(out[nm], float32(v))
			}
			continue
		}
		x, _, err := h5.Read[float32](f, nm)
		if err != nil {
			t.Fatalf("%s: %v", nm, err)
		}
		out[nm] = x
	}
	return out
}

// TestGenerateShardsMerge makes a data set in 4 uneven shards and in one
// go, and checks that the merge equals the one-go file bit for bit, that
// h5dump sees PDEBench's names and shapes, and that a rerun skips.
func TestGenerateShardsMerge(t *testing.T) {
	for _, tc := range []struct {
		name   string
		recipe []string
		shapes map[string]string
	}{
		{"darcy", []string{"--n", "33", "--sub", "2"}, map[string]string{"tensor": "( 10, 1, 17, 17 )", "nu": "( 10, 17, 17 )", "x-coordinate": "( 17 )"}},
		{"ns2d", []string{"--n", "32", "--sub", "2", "--dt", "0.01", "--t-end", "0.2", "--frames", "2"},
			map[string]string{"tensor": "( 10, 3, 16, 16 )", "t-coordinate": "( 3 )"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"generate", tc.name, "--samples", "10", "--seed", "7"}, tc.recipe...)
			var shards []string
			for i := 0; i < 4; i++ {
				threads := []string{"--threads", "1"}
				if i%2 == 1 {
					threads = []string{"--threads", "2"}
				}
				code, _, errs := sim(t, append(slices.Clone(args), append(threads, "--shard", strings.Replace("i/4", "i", string(rune('0'+i)), 1),
					"--out", filepath.Join(dir, "part-{i}.h5"))...)...)
				if code != 0 {
					t.Fatalf("shard %d: exit %d: %s", i, code, errs)
				}
				shards = append(shards, filepath.Join(dir, "part-"+string(rune('0'+i))+".h5"))
			}
			whole := filepath.Join(dir, "whole.h5")
			if code, _, errs := sim(t, append(slices.Clone(args), "--out", whole)...); code != 0 {
				t.Fatalf("one go: exit %d: %s", code, errs)
			}
			merged := filepath.Join(dir, "merged.h5")
			// Shards in any order.
			if code, _, errs := sim(t, "merge", merged, shards[2], shards[0], shards[3], shards[1]); code != 0 {
				t.Fatalf("merge: exit %d: %s", code, errs)
			}
			a, b := readAll(t, whole), readAll(t, merged)
			if len(a) != len(b) {
				t.Fatalf("datasets %d vs %d", len(a), len(b))
			}
			for nm, x := range a {
				if !slices.Equal(x, b[nm]) {
					t.Errorf("dataset %s differs between the one-go and the merged file", nm)
				}
			}
			fa, _ := h5.Open(whole)
			fb, _ := h5.Open(merged)
			ca, _ := fa.AttrString("/", "config")
			cb, _ := fb.AttrString("/", "config")
			fa.Close()
			fb.Close()
			if ca != cb || !strings.Contains(ca, `"Seed":7`) {
				t.Errorf("config %q vs %q", ca, cb)
			}
			// A reader that knows only HDF5 sees the PDEBench names and shapes.
			h5dump, err := exec.LookPath("h5dump")
			if err != nil {
				t.Fatal("h5dump not found: make deps installs hdf5-tools")
			}
			outp, err := exec.Command(h5dump, "-H", merged).CombinedOutput()
			if err != nil {
				t.Fatalf("h5dump: %v: %s", err, outp)
			}
			dump := string(outp)
			for nm, shape := range tc.shapes {
				i := strings.Index(dump, `DATASET "`+nm+`"`)
				if i < 0 || !strings.Contains(dump[i:min(len(dump), i+200)], shape) {
					t.Errorf("h5dump: dataset %s with shape %s not found", nm, shape)
				}
			}
			// Rerunning a complete shard skips it.
			code, stdout, _ := sim(t, append(slices.Clone(args), "--shard", "1/4", "--out", filepath.Join(dir, "part-{i}.h5"), "--json")...)
			if code != 0 || !strings.Contains(stdout, `"skipped":true`) {
				t.Errorf("rerun: exit %d, %s", code, stdout)
			}
		})
	}
}

// TestMergeRejects checks that merge names the corrupted, mismatched or
// duplicated shard, or the missing samples, and writes nothing.
func TestMergeRejects(t *testing.T) {
	dir := t.TempDir()
	gen := func(out string, extra ...string) {
		args := append([]string{"generate", "poisson", "--samples", "6", "--n", "17", "--seed", "1", "--out", filepath.Join(dir, out)}, extra...)
		if code, _, errs := sim(t, args...); code != 0 {
			t.Fatalf("%s: exit %d: %s", out, code, errs)
		}
	}
	gen("a-{i}.h5", "--shard", "0/3")
	gen("a-{i}.h5", "--shard", "1/3")
	gen("a-{i}.h5", "--shard", "2/3")
	gen("b-{i}.h5", "--shard", "2/3", "--tau", "5")
	p := func(s string) string { return filepath.Join(dir, s) }
	// A truncated copy of shard 1.
	raw, err := os.ReadFile(p("a-1.h5"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("bad.h5"), raw[:len(raw)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		shards []string
		want   string
	}{
		{[]string{"a-0.h5", "bad.h5", "a-2.h5"}, "bad.h5"},
		{[]string{"a-0.h5", "a-1.h5", "b-2.h5"}, "b-2.h5: configuration differs"},
		{[]string{"a-0.h5", "a-2.h5"}, "samples missing from the shards (of 6): 2-3"},
		{[]string{"a-0.h5", "a-1.h5", "a-1.h5", "a-2.h5"}, "is in both"},
	} {
		args := []string{"merge", p("out.h5")}
		for _, s := range tc.shards {
			args = append(args, p(s))
		}
		code, _, errs := sim(t, args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.shards, code, errs, tc.want)
		}
		if _, err := os.Stat(p("out.h5")); err == nil {
			t.Fatalf("%v: a failed merge left out.h5", tc.shards)
		}
	}
	// A different configuration under an existing name is not skipped.
	code, _, errs := sim(t, "generate", "poisson", "--samples", "6", "--n", "17", "--seed", "2", "--shard", "0/3", "--out", p("a-{i}.h5"))
	if code != 2 || !strings.Contains(errs, "configuration differs") {
		t.Errorf("changed seed over an existing shard: exit %d, %q", code, errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "darcy", "--nu", "0.1"}, "--nu does not apply to darcy"},
		{[]string{"generate", "darcy", "--n", "33", "--sub", "3"}, "Sub 3 must divide N-1 = 32"},
		{[]string{"generate", "ns2d", "--dt", "0.3", "--t-end", "1", "--frames", "2"}, "not a whole number of steps"},
		{[]string{"generate", "darcy", "--shard", "2/2"}, `--shard "2/2"`},
		{[]string{"generate", "lorenz"}, `unknown DATASET "lorenz"`},
		{[]string{"merge", p("x.h5")}, "at least one SHARD"},
	} {
		code, _, errs := sim(t, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestGenerateClouds: the clouds of the OT peer's recipe (x uniform on the
// unit square, y normal around 0.5 with deviation 0.15, clipped), as
// simulate ot reads them.
func TestGenerateClouds(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.h5")
	code, _, errs := sim(t, "generate", "clouds", "--samples", "4000", "--seed", "5", "--out", p)
	require.Equal(t, 0, code, errs)
	f, err := h5.Open(p)
	require.NoError(t, err)
	x, xd, err1 := h5.Read[float32](f, "x")
	y, _, err2 := h5.Read[float32](f, "y")
	f.Close()
	require.NoError(t, err1)
	require.NoError(t, err2)
	if fmt.Sprint(xd) != "[4000 2]" {
		t.Fatalf("x has shape %v", xd)
	}
	var mx, my, vy float64
	for i := range x {
		if x[i] < 0 || x[i] > 1 || y[i] < 0 || y[i] > 1 {
			t.Fatalf("point %d outside the unit square: %v %v", i, x[i], y[i])
		}
		mx += float64(x[i]) / 8000
		my += float64(y[i]) / 8000
	}
	for _, v := range y {
		vy += (float64(v) - my) * (float64(v) - my) / 7999
	}
	// Means within 4 standard errors; clipping at 3.3 sigma barely moves
	// the deviation.
	if math.Abs(mx-0.5) > 4*0.2887/math.Sqrt(8000) || math.Abs(my-0.5) > 4*0.15/math.Sqrt(8000) || math.Abs(math.Sqrt(vy)-0.15) > 0.005 {
		t.Errorf("x mean %.4f, y mean %.4f, y deviation %.4f", mx, my, math.Sqrt(vy))
	}
	if code, _, errs := sim(t, "ot", "--in", p, "--method", "sinkhorn", "--reg", "0.05"); code != 0 {
		t.Errorf("ot on the clouds: exit %d, %s", code, errs)
	}
}

// The same seed gives the same file bytes, whatever the thread count and
// the time: no object time stamps, samples written in index order.
func TestGenerateBytesReproducible(t *testing.T) {
	dir := t.TempDir()
	var files [][]byte
	for k, threads := range []string{"1", "2"} {
		if k > 0 {
			time.Sleep(1100 * time.Millisecond) // HDF5 time stamps count seconds
		}
		out := filepath.Join(dir, "d"+threads+".h5")
		if code, _, errs := sim(t, "generate", "darcy", "--samples", "6", "--n", "33", "--seed", "4", "--threads", threads, "--out", out); code != 0 {
			t.Fatal(errs)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Errorf("two runs of the same seed (1 and 2 threads) wrote different bytes")
	}
}

// --split makes disjoint parts of one data set in one command: the parts
// merge back into the set generated whole.
func TestGenerateSplit(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "d-{split}.h5")
	if code, _, errs := sim(t, "generate", "darcy", "--split", "train:5,test:3", "--n", "17", "--seed", "3", "--out", out); code != 0 {
		t.Fatal(errs)
	}
	tr, te := readAll(t, filepath.Join(dir, "d-train.h5")), readAll(t, filepath.Join(dir, "d-test.h5"))
	whole := filepath.Join(dir, "whole.h5")
	if code, _, errs := sim(t, "generate", "darcy", "--samples", "8", "--n", "17", "--seed", "3", "--out", whole); code != 0 {
		t.Fatal(errs)
	}
	w := readAll(t, whole)
	per := 17 * 17
	if len(tr["nu"]) != 5*per || len(te["nu"]) != 3*per {
		t.Fatalf("parts of %d and %d values", len(tr["nu"]), len(te["nu"]))
	}
	if !slices.Equal(append(append([]float32(nil), tr["nu"]...), te["nu"]...), w["nu"]) {
		t.Errorf("train then test differ from the whole set")
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--split", "train:5,train:3"}, "distinct names"},
		{[]string{"--split", "train:0"}, "counts >= 1"},
		{[]string{"--split", "a:2,b:2", "--samples", "5"}, "adds up to 4"},
		{[]string{"--split", "a:2,b:2", "--shard", "0/2"}, "choose one"},
		{[]string{"--split", "a:2,b:2", "--out", filepath.Join(dir, "x.h5")}, "needs {split}"},
	} {
		code, _, errs := sim(t, append([]string{"generate", "darcy", "--n", "17"}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errs, c.msg)
		}
	}
}
