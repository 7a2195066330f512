package h5_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pdekit/pdekit/io/h5"
)

// Write a field atomically with its configuration, then read it back with
// its type checked.
func Example() {
	dir, _ := os.MkdirTemp("", "h5-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "out.h5")
	f, err := h5.Create(path, false) // false: refuse to overwrite
	if err != nil {
		panic(err)
	}
	defer f.Abort() // removes the temporary file unless Closed
	if err := h5.Write(f, "solution/u", []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}, nil); err != nil {
		panic(err)
	}
	if err := f.SetConfig("/", map[string]any{"n": 3, "seed": 7}); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil { // renames into place
		panic(err)
	}
	g, err := h5.Open(path)
	if err != nil {
		panic(err)
	}
	defer g.Close()
	u, dims, err := h5.Read[float64](g, "solution/u")
	fmt.Println(u, dims, err)
	_, _, err = h5.Read[float32](g, "solution/u") // stored as float64
	fmt.Println(err != nil)
	cfg, _ := g.AttrString("/", "config")
	fmt.Println(cfg)
	// Output:
	// [1 2 3 4 5 6] [2 3] <nil>
	// true
	// {"n":3,"seed":7}
}
