package sparse

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/pdekit/pdekit/internal/parallel"
)

// Mul returns the product a b (Gustavson's row-by-row algorithm), with
// sorted column indices and every structurally nonzero entry kept, even if
// it cancels to zero. It is the kernel of Galerkin coarse operators R A P.
// The rows are split into parts balanced by a's nonzeros and computed in
// parallel, each in one pass; the result is the same for any number of
// threads.
func Mul(a, b *CSR) (*CSR, error) {
	if a.c != b.r {
		return nil, fmt.Errorf("sparse: Mul of %d x %d by %d x %d", a.r, a.c, b.r, b.c)
	}
	t := &mulTask{a: a, b: b}
	parts := parallel.Parts(a.NNZ(), 1<<14)
	t.out = make([]mulPart, parts)
	parallel.Run(parts, t)
	if parts == 1 {
		p := t.out[0]
		return &CSR{r: a.r, c: b.c, indptr: p.indptr, indices: p.indices, data: p.data}, nil
	}
	indptr := make([]int, a.r+1)
	nnz := 0
	for _, p := range t.out {
		nnz += len(p.indices)
	}
	indices := make([]int, 0, nnz)
	data := make([]float64, 0, nnz)
	for pi, p := range t.out {
		lo, _ := a.rowRange(pi, parts)
		off := len(indices)
		for r, v := range p.indptr[1:] {
			indptr[lo+r+1] = off + v
		}
		indices = append(indices, p.indices...)
		data = append(data, p.data...)
	}
	return &CSR{r: a.r, c: b.c, indptr: indptr, indices: indices, data: data}, nil
}

// mulPart is the rows of one part of a product: indptr local to it.
type mulPart struct {
	indptr, indices []int
	data            []float64
}

type mulTask struct {
	a, b *CSR
	out  []mulPart
}

func (t *mulTask) Do(p, parts int) {
	a, b := t.a, t.b
	lo, hi := a.rowRange(p, parts)
	// mark[j] is the last row whose accumulator holds column j.
	mark := make([]int, b.c)
	for j := range mark {
		mark[j] = -1
	}
	acc := make([]float64, b.c)
	bitmap := make([]uint64, b.c/64+1)
	indptr := make([]int, hi-lo+1)
	guess := 2 * (a.indptr[hi] - a.indptr[lo])
	indices := make([]int, 0, guess)
	data := make([]float64, 0, guess)
	var row []int
	for i := lo; i < hi; i++ {
		row = row[:0]
		first, last := b.c, -1
		for k := a.indptr[i]; k < a.indptr[i+1]; k++ {
			aik, kk := a.data[k], a.indices[k]
			bv := b.data[b.indptr[kk]:b.indptr[kk+1]]
			bi := b.indices[b.indptr[kk]:b.indptr[kk+1]]
			if len(bi) > 0 {
				first, last = min(first, bi[0]), max(last, bi[len(bi)-1])
			}
			for q, j := range bi {
				if mark[j] != i {
					mark[j] = i
					acc[j] = aik * bv[q]
					row = append(row, j)
				} else {
					acc[j] += aik * bv[q]
				}
			}
		}
		// The columns in order: a long row through a bitmap of its span
		// when the span's words are few against the row (the coarse
		// operators of 3-D problems: rows of 20-250 entries over spans of
		// thousands of columns), which costs less than sorting it.
		if span := last - first + 1; len(row) > 16 && span/64 < 4*len(row) {
			w0 := first / 64
			for _, j := range row {
				bitmap[j/64-w0] |= 1 << (j % 64)
			}
			row = row[:0]
			for w := range bitmap[:last/64-w0+1] {
				for word := bitmap[w]; word != 0; word &= word - 1 {
					row = append(row, (w0+w)*64+bits.TrailingZeros64(word))
				}
				bitmap[w] = 0
			}
		} else {
			slices.Sort(row)
		}
		for _, j := range row {
			indices = append(indices, j)
			data = append(data, acc[j])
		}
		indptr[i-lo+1] = len(indices)
	}
	t.out[p] = mulPart{indptr: indptr, indices: indices, data: data}
}
