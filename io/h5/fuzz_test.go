package h5

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdekit/pdekit/sparse"
)

// seedFiles returns the bytes of small files in the layouts the toolkit
// writes: datasets of every element type (one chunked and deflated),
// attributes, a CSR group, nested groups.
func seedFiles(t testing.TB) [][]byte {
	dir := t.TempDir()
	var out [][]byte
	for k, build := range []func(f *File) error{
		func(f *File) error {
			if err := Write(f, "nu", []int{2, 3, 3}, seq[float32](18), nil); err != nil {
				return err
			}
			if err := Write(f, "tensor", []int{2, 1, 3, 3}, seq[float32](18), &Options{Chunk: []int{1, 1, 3, 3}, Deflate: 4}); err != nil {
				return err
			}
			if err := f.SetAttr("/", "config", `{"seed":3}`); err != nil {
				return err
			}
			return f.SetAttr("/", "seed", int64(3))
		},
		func(f *File) error {
			a, _ := sparse.FromTriplets(3, 3, []int{0, 1, 2, 0}, []int{0, 1, 2, 2}, []float64{4, 5, 6, -1})
			return WriteCSR(f, "A", a)
		},
		func(f *File) error {
			if err := f.CreateGroup("g/h"); err != nil {
				return err
			}
			if err := Write(f, "g/h/x", []int{4}, seq[float64](4), nil); err != nil {
				return err
			}
			if err := Write(f, "g/i", []int{2, 2}, seq[int64](4), nil); err != nil {
				return err
			}
			return f.SetAttr("g", "scale", []float64{1, 2})
		},
	} {
		p := filepath.Join(dir, "seed"+string(rune('a'+k))+".h5")
		f, err := Create(p, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := build(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// readAll reads everything in f the way the toolkit's commands do,
// ignoring the errors: the fuzz target asks only that none panics.
func readAll(f *File) {
	f.Walk("/", func(p string, info *Info) error {
		f.AttrString(p, "config")
		f.AttrInt64(p, "seed")
		f.AttrFloat64s(p, "scale")
		if info == nil {
			if _, err := f.AttrInt64s(p, "shape"); err == nil {
				ReadCSR(f, p)
			}
			return nil
		}
		switch info.Type {
		case "float32":
			Read[float32](f, p)
			if len(info.Dims) > 0 && info.Dims[0] > 0 {
				off, cnt := make([]int, len(info.Dims)), append([]int{1}, info.Dims[1:]...)
				ReadSlab[float32](f, p, off, cnt, nil)
			}
		case "float64":
			Read[float64](f, p)
		case "int64":
			Read[int64](f, p)
		case "int32":
			Read[int32](f, p)
		}
		return nil
	})
}

// childEnv names the file a test binary started as a child reads.
const childEnv = "PDEKIT_H5_FUZZ_CHILD"

// TestMain makes the test binary a reader of one file when started as a
// child by FuzzOpen.
func TestMain(m *testing.M) {
	if p := os.Getenv(childEnv); p != "" {
		// A Go panic is ours: exit 0 so that the parent reads the input
		// in-process and the fuzzer sees the panic. libhdf5's faults
		// cannot be recovered and end the child with a failure.
		defer func() {
			if recover() != nil {
				os.Exit(0)
			}
		}()
		if h, err := Open(p); err == nil {
			readAll(h)
			h.Close()
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// FuzzOpen: a corrupt file gives errors, never a panic or an allocation
// beyond the package's bounds. Each input is read first by a child
// process under a deadline: libhdf5 itself crashes (SIGSEGV in H5Dread)
// or spins (H5Aread) on some corruptions, which no in-process check can
// catch (simulate reads users' files the same way first); those inputs
// are skipped, the others read in-process.
func FuzzOpen(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b)
	}
	exe, err := os.Executable()
	if err != nil {
		f.Skip(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "fuzz.h5")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+p)
		if err := cmd.Run(); err != nil {
			t.Skipf("libhdf5 fails on this input in a child process: %v", err)
		}
		h, err := Open(p)
		if err != nil {
			return
		}
		defer h.Close()
		readAll(h)
	})
}

// TestWalk: every group and dataset, depth first, datasets with their
// shapes.
func TestWalk(t *testing.T) {
	p := filepath.Join(t.TempDir(), "w.h5")
	if err := os.WriteFile(p, seedFiles(t)[2], 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	err = f.Walk("/", func(p string, info *Info) error {
		if info == nil {
			got = append(got, strings.TrimSuffix(p, "/")+"/")
		} else {
			got = append(got, fmt.Sprintf("%s %s%v", p, info.Type, info.Dims))
		}
		return nil
	})
	if want := "[/ /g/ /g/h/ /g/h/x float64[4] /g/i int64[2 2]]"; err != nil || fmt.Sprint(got) != want {
		t.Errorf("walk %v, %v; want %s", got, err, want)
	}
}
