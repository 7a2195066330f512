package idx_test

import (
	"bytes"
	"fmt"

	"github.com/pdekit/pdekit/io/idx"
)

// An IDX array of two 2x2 images (MNIST's layout: magic 0x00000803,
// then the dimensions, then the bytes).
func ExampleReadFrom() {
	in := []byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 255, 128, 0, 1, 2, 3, 4}
	d, err := idx.ReadFrom(bytes.NewReader(in))
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Dims, d.Bytes)
	// Output: [2 2 2] [0 255 128 0 1 2 3 4]
}
