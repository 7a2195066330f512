package sparse_test

import (
	"fmt"

	"github.com/pdekit/pdekit/sparse"
)

// Build a matrix from triplets (duplicates are summed) and multiply.
func ExampleCOO() {
	b := sparse.NewCOO(3, 3)
	for i := 0; i < 3; i++ {
		b.Add(i, i, 2)
		if i > 0 {
			b.Add(i, i-1, -1)
			b.Add(i-1, i, -1)
		}
	}
	b.Add(0, 0, 1) // a_00 is now 3
	a := b.ToCSR()
	y := make([]float64, 3)
	a.MulVecTo(y, []float64{1, 1, 1})
	fmt.Println(a.NNZ(), y)
	cols, vals := a.Row(1)
	fmt.Println(cols, vals)
	// Output:
	// 7 [2 0 1]
	// [0 1 2] [-1 2 -1]
}
