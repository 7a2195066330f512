package mtx_test

import (
	"bytes"
	"fmt"

	"github.com/pdekit/pdekit/io/mtx"
	"github.com/pdekit/pdekit/sparse"
)

// Write a symmetric matrix in Matrix Market form (the lower triangle only,
// as the format defines) and read it back.
func ExampleWriteCSR() {
	a, err := sparse.FromTriplets(2, 2, []int{0, 0, 1, 1}, []int{0, 1, 0, 1}, []float64{2, -1, -1, 2})
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	if err := mtx.WriteCSR(&buf, a, mtx.Symmetric); err != nil {
		panic(err)
	}
	fmt.Print(buf.String())
	b, _, err := mtx.ReadCSR(&buf)
	fmt.Println(b.NNZ(), b.At(0, 1), err)
	// Output:
	// %%MatrixMarket matrix coordinate real symmetric
	// 2 2 3
	// 1 1 2
	// 2 1 -1
	// 2 2 2
	// 4 -1 <nil>
}
