package h5

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/sparse"
)

func seq[T Elem](n int) []T {
	v := make([]T, n)
	for i := range v {
		v[i] = T(i*3 - 7)
	}
	return v
}

func roundTrip[T Elem](t *testing.T, f *File, name string, dims []int, opt *Options) {
	t.Helper()
	n := 1
	for _, d := range dims {
		n *= d
	}
	if err := Write(f, name, dims, seq[T](n), opt); err != nil {
		t.Fatal(err)
	}
}

func checkRead[T Elem](t *testing.T, f *File, name string, dims []int) {
	t.Helper()
	got, gd, err := Read[T](f, name)
	if err != nil {
		t.Fatal(err)
	}
	if len(gd) != len(dims) {
		t.Fatalf("%s: dims %v, want %v", name, gd, dims)
	}
	want := seq[T](len(got))
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: element %d = %v, want %v", name, i, got[i], want[i])
		}
	}
}

func TestRoundTripEveryTypeAndRank(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rt.h5")
	f, err := Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	shapes := [][]int{{5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}, {0}}
	for _, dims := range shapes {
		for _, opt := range []*Options{nil, {Deflate: 4}, {Chunk: dims}} {
			if len(dims) == 1 && dims[0] == 0 && opt != nil {
				continue
			}
			tag := strings.ReplaceAll(strings.Trim(fmt.Sprint(dims), "[]"), " ", "x")
			if opt != nil {
				tag += map[bool]string{true: "z", false: "c"}[opt.Deflate > 0]
			}
			roundTrip[float64](t, f, "f64/a"+tag, dims, opt)
			roundTrip[float32](t, f, "f32/a"+tag, dims, opt)
			roundTrip[int64](t, f, "i64/a"+tag, dims, opt)
			roundTrip[int32](t, f, "i32/a"+tag, dims, opt)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, grp := range []string{"f64", "f32", "i64", "i32"} {
		names, err := g.List(grp)
		if err != nil || len(names) == 0 {
			t.Fatalf("List(%s): %v %v", grp, names, err)
		}
		for _, nm := range names {
			ds := grp + "/" + nm
			info, err := g.Stat(ds)
			if err != nil {
				t.Fatal(err)
			}
			switch grp {
			case "f64":
				checkRead[float64](t, g, ds, info.Dims)
			case "f32":
				checkRead[float32](t, g, ds, info.Dims)
			case "i64":
				checkRead[int64](t, g, ds, info.Dims)
			case "i32":
				checkRead[int32](t, g, ds, info.Dims)
			}
		}
	}
}

func TestTypeMismatchFailsCleanly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mm.h5")
	f, _ := Create(path, false)
	if err := Write(f, "x", []int{4}, []float32{1, 2, 3, 4}, nil); err != nil {
		t.Fatal(err)
	}
	if err := Write(f, "n", []int{2}, []int32{1, 2}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	g, _ := Open(path)
	defer g.Close()
	if v, _, err := Read[float64](g, "x"); err == nil || !strings.Contains(err.Error(), "stores float32, cannot read it as float64") || v != nil {
		t.Errorf("float32 read as float64: %v, %v", v, err)
	}
	if _, _, err := Read[int64](g, "n"); err == nil || !strings.Contains(err.Error(), "stores int32") {
		t.Errorf("int32 read as int64: %v", err)
	}
	if _, _, err := Read[float64](g, "missing/deep"); err == nil || !strings.Contains(err.Error(), `no dataset "missing/deep"`) {
		t.Errorf("missing dataset: %v", err)
	}
	if _, err := ReadSlab[float32](g, "x", []int{2}, []int{3}, nil); err == nil || !strings.Contains(err.Error(), "exceeds shape") {
		t.Errorf("slab out of range: %v", err)
	}
	if err := Write(g, "y", []int{1}, []float64{1}, nil); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("write to read-only file: %v", err)
	}
}

func TestHyperslabs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slab.h5")
	f, _ := Create(path, false)
	// A [4, 3, 6] float32 dataset, chunked one sample per chunk as PDEBench,
	// filled one sample at a time.
	if err := CreateDataset[float32](f, "tensor", []int{4, 3, 6}, &Options{Chunk: []int{1, 3, 6}, Deflate: 4}); err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 4; s++ {
		v := make([]float32, 18)
		for i := range v {
			v[i] = float32(100*s + i)
		}
		if err := WriteSlab(f, "tensor", []int{s, 0, 0}, []int{1, 3, 6}, v); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	g, _ := Open(path)
	defer g.Close()
	// Strided read, as a loader subsampling with ::2 does: sample 2, all
	// rows, columns 1, 3, 5.
	got, err := ReadSlab[float32](g, "tensor", []int{2, 0, 1}, []int{1, 3, 3}, []int{1, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{201, 203, 205, 207, 209, 211, 213, 215, 217}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("strided slab %v, want %v", got, want)
		}
	}
}

func TestAttributesAndConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "attr.h5")
	f, _ := Create(path, false)
	Write(f, "grp/u", []int{2}, []float64{1, 2}, nil)
	type cfg struct {
		Problem string
		N       int
		Tol     float64
	}
	for _, err := range []error{
		f.SetAttr("/", "pi", 3.25),
		f.SetAttr("/", "n", 42),
		f.SetAttr("grp", "name", "héllo"),
		f.SetAttr("grp/u", "shape", []int{7, 9}),
		f.SetAttr("grp/u", "w", []float64{0.5, -1}),
		f.SetAttr("/", "n", 43), // replaces
		f.SetConfig("/", cfg{"poisson2d", 64, 1e-8}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SetAttr("/", "bad", []string{"a"}); err == nil {
		t.Error("unsupported attribute type accepted")
	}
	f.Close()
	g, _ := Open(path)
	defer g.Close()
	if v, err := g.AttrFloat64("/", "pi"); err != nil || v != 3.25 {
		t.Errorf("pi: %v %v", v, err)
	}
	if v, err := g.AttrInt64("/", "n"); err != nil || v != 43 {
		t.Errorf("n: %v %v", v, err)
	}
	if v, err := g.AttrString("grp", "name"); err != nil || v != "héllo" {
		t.Errorf("name: %q %v", v, err)
	}
	if v, err := g.AttrInt64s("grp/u", "shape"); err != nil || len(v) != 2 || v[0] != 7 || v[1] != 9 {
		t.Errorf("shape: %v %v", v, err)
	}
	if v, err := g.AttrFloat64s("grp/u", "w"); err != nil || len(v) != 2 || v[1] != -1 {
		t.Errorf("w: %v %v", v, err)
	}
	if _, err := g.AttrFloat64("grp", "name"); err == nil || !strings.Contains(err.Error(), "is string, not float") {
		t.Errorf("string read as float: %v", err)
	}
	if _, err := g.AttrString("/", "nope"); err == nil || !strings.Contains(err.Error(), `no attribute "nope"`) {
		t.Errorf("missing attribute: %v", err)
	}
	var c cfg
	if err := g.Config("/", &c); err != nil || c != (cfg{"poisson2d", 64, 1e-8}) {
		t.Errorf("config %+v %v", c, err)
	}
}

func TestCSRGroup(t *testing.T) {
	b := sparse.NewCOO(3, 4)
	b.Add(0, 1, 2.5)
	b.Add(2, 0, -1)
	b.Add(2, 3, 4)
	a := b.ToCSR()
	path := filepath.Join(t.TempDir(), "csr.h5")
	f, _ := Create(path, false)
	if err := WriteCSR(f, "A", a); err != nil {
		t.Fatal(err)
	}
	f.Close()
	g, _ := Open(path)
	defer g.Close()
	got, err := ReadCSR(g, "A")
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(got, a) {
		t.Error("CSR round trip changed the matrix")
	}
}

func TestNoOverwriteWithoutPermission(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keep.h5")
	os.WriteFile(path, []byte("precious"), 0o644)
	if _, err := Create(path, false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("Create over an existing file: %v", err)
	}
	f, err := Create(path, true)
	if err != nil {
		t.Fatal(err)
	}
	f.Abort()
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Error("an aborted write touched the existing file")
	}
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "not an HDF5 file") {
		t.Errorf("Open of a non-HDF5 file: %v", err)
	}
}

// TestInterruptedWrite kills a writer midway (a child process exits
// without closing) and checks nothing appears under the final name.
func TestInterruptedWrite(t *testing.T) {
	if os.Getenv("H5_CRASH_CHILD") != "" {
		f, err := Create(os.Getenv("H5_CRASH_CHILD"), false)
		if err != nil {
			os.Exit(3)
		}
		Write(f, "x", []int{1000}, make([]float64, 1000), nil)
		os.Exit(0) // no Close: as if killed
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "out.h5")
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptedWrite$")
	cmd.Env = append(os.Environ(), "H5_CRASH_CHILD="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("final path exists after an interrupted write: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || !strings.Contains(entries[0].Name(), ".tmp-") {
		t.Errorf("expected only the temporary file, found %v", entries)
	}
}

// TestH5dumpReadsOurFiles checks the files with the reference client.
func TestH5dumpReadsOurFiles(t *testing.T) {
	h5dump, err := exec.LookPath("h5dump")
	if err != nil {
		t.Fatal("h5dump not found: make installs hdf5-tools")
	}
	path := filepath.Join(t.TempDir(), "dump.h5")
	f, _ := Create(path, false)
	Write(f, "g/v", []int{2, 3}, []float64{1.5, -2, 3, 4, 5, 6.25}, &Options{Deflate: 6})
	Write(f, "g/w", []int{3}, []float32{0.5, 1, 2}, nil)
	f.SetAttr("/", "config", `{"n":3}`)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(h5dump, "-d", "/g/v", path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5dump: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"H5T_IEEE_F64LE", "( 2, 3 )", "1.5, -2, 3", "4, 5, 6.25"} {
		if !strings.Contains(s, want) {
			t.Errorf("h5dump output lacks %q:\n%s", want, s)
		}
	}
	out, _ = exec.Command(h5dump, "-d", "/g/w", path).CombinedOutput()
	if !strings.Contains(string(out), "H5T_IEEE_F32LE") || !strings.Contains(string(out), "0.5, 1, 2") {
		t.Errorf("h5dump float32:\n%s", out)
	}
	out, _ = exec.Command(h5dump, "-a", "/config", path).CombinedOutput()
	if !strings.Contains(string(out), `{\"n\":3}`) && !strings.Contains(string(out), `{"n":3}`) {
		t.Errorf("h5dump attribute:\n%s", out)
	}
}

// TestNoProcessWideSilence: importing the package leaves libhdf5's error
// printing as the library has it by default (on), and a failing call of
// the package neither prints nor changes it.
func TestNoProcessWideSilence(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if !errorPrinting() {
		t.Fatal("libhdf5's error printing is off for the process")
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.h5")); err == nil {
		t.Fatal("opening a missing file succeeded")
	}
	if !errorPrinting() {
		t.Error("a call of the package left the error printing off")
	}
}
