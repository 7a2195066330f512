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
	// Symbolic pass: the exact count of each row, so that the numeric
	// pass fills arrays allocated once.
	mark := make([]int, b.c)
	for j := range mark {
		mark[j] = -1
	}
	indptr := make([]int, a.r+1)
	for i := 0; i < a.r; i++ {
		cnt := 0
		for _, kk := range a.indices[a.indptr[i]:a.indptr[i+1]] {
			for _, j := range b.indices[b.indptr[kk]:b.indptr[kk+1]] {
				if mark[j] != i {
					mark[j] = i
					cnt++
				}
			}
		}
		indptr[i+1] = indptr[i] + cnt
	}
	nnz := indptr[a.r]
	indices := make([]int, nnz)
	data := make([]float64, nnz)
	acc := make([]float64, b.c)
	for j := range mark {
		mark[j] = -1
	}
	for i := 0; i < a.r; i++ {
		row := indices[indptr[i]:indptr[i]]
		for k := a.indptr[i]; k < a.indptr[i+1]; k++ {
			aik, kk := a.data[k], a.indices[k]
			bv := b.data[b.indptr[kk]:b.indptr[kk+1]]
			for q, j := range b.indices[b.indptr[kk]:b.indptr[kk+1]] {
				if mark[j] != i {
					mark[j] = i
					acc[j] = 0
					row = append(row, j)
				}
				acc[j] += aik * bv[q]
			}
		}
		slices.Sort(row)
		d := data[indptr[i]:indptr[i+1]]
		for q, j := range row {
			d[q] = acc[j]
		}
	}
	return &CSR{r: a.r, c: b.c, indptr: indptr, indices: indices, data: data}, nil
}
