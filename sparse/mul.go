package sparse

import (
	"fmt"
	"slices"
)

// Mul returns the product a b (Gustavson's row-by-row algorithm), with
// sorted column indices and every structurally nonzero entry kept, even if
// it cancels to zero. It is the kernel of Galerkin coarse operators R A P.
func Mul(a, b *CSR) (*CSR, error) {
	if a.c != b.r {
		return nil, fmt.Errorf("sparse: Mul of %d x %d by %d x %d", a.r, a.c, b.r, b.c)
	}
	indptr := make([]int, a.r+1)
	indices := make([]int, 0, a.NNZ()+b.NNZ())
	data := make([]float64, 0, cap(indices))
	acc := make([]float64, b.c)
	mark := make([]int, b.c)
	for j := range mark {
		mark[j] = -1
	}
	for i := 0; i < a.r; i++ {
		start := len(indices)
		for k := a.indptr[i]; k < a.indptr[i+1]; k++ {
			aik, kk := a.data[k], a.indices[k]
			for q := b.indptr[kk]; q < b.indptr[kk+1]; q++ {
				j := b.indices[q]
				if mark[j] != i {
					mark[j] = i
					acc[j] = 0
					indices = append(indices, j)
				}
				acc[j] += aik * b.data[q]
			}
		}
		row := indices[start:]
		slices.Sort(row)
		for _, j := range row {
			data = append(data, acc[j])
		}
		indptr[i+1] = len(indices)
	}
	return &CSR{r: a.r, c: b.c, indptr: indptr, indices: indices, data: data}, nil
}
