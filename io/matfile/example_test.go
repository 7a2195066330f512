package matfile_test

import (
	"bytes"
	"fmt"

	"github.com/pdekit/pdekit/io/matfile"
)

// A data set as FNO's MATLAB files hold it: coefficients and solutions
// [samples, x, y] in single precision. scipy.io.loadmat returns the same
// arrays, in the same order.
func ExampleNewWriter() {
	coeff := []float32{12, 3, 3, 12, 3, 12, 12, 12} // 2 samples of 2 x 2
	sol := []float32{0.1, 0.2, 0.2, 0.1, 0.3, 0.1, 0.1, 0.3}
	var buf bytes.Buffer // a file in practice
	w, err := matfile.NewWriter(&buf, "Darcy flow")
	if err != nil {
		panic(err)
	}
	if err := w.WriteFloat32("coeff", []int{2, 2, 2}, coeff); err != nil {
		panic(err)
	}
	if err := w.WriteFloat32("sol", []int{2, 2, 2}, sol); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	fmt.Printf("%q, %d bytes\n", buf.String()[:32], buf.Len())
	// Output:
	// "MATLAB 5.0 MAT-file, Darcy flow ", 336 bytes
}
