package npy_test

import (
	"bytes"
	"fmt"

	"github.com/pdekit/pdekit/io/npy"
)

// Input/output pairs for a loader of x and y arrays: numpy.load gives
// x of shape (2, 3) and y of shape (2,), float32 and float64.
func ExampleAdd() {
	var buf bytes.Buffer // a file in practice
	z := npy.NewArchive(&buf)
	if err := npy.Add(z, "x", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}); err != nil {
		panic(err)
	}
	if err := npy.Add(z, "y", []int{2}, []float64{0.5, -1}); err != nil {
		panic(err)
	}
	if err := z.Close(); err != nil {
		panic(err)
	}
	fmt.Println(buf.Len() > 0, string(buf.Bytes()[:2]))
	// Output:
	// true PK
}
