package sparse

import (
	"fmt"
	"slices"
)

// COO accumulates a sparse matrix as (row, column, value) triplets.
// Duplicated positions are summed when it is converted to CSR, which is what
// finite-element and finite-difference assembly expects.
type COO struct {
	r, c int
	i, j []int
	v    []float64
}

// NewCOO returns an empty r x c triplet builder.
func NewCOO(r, c int) *COO {
	if r < 0 || c < 0 {
		panic(fmt.Sprintf("sparse: negative dimensions %d x %d", r, c))
	}
	return &COO{r: r, c: c}
}

// Dims returns the dimensions of the matrix being built.
func (b *COO) Dims() (r, c int) { return b.r, b.c }

// Len returns the number of triplets added so far, duplicates included.
func (b *COO) Len() int { return len(b.v) }

// Add appends the triplet (i, j, v). It panics if (i, j) is out of range.
func (b *COO) Add(i, j int, v float64) {
	if uint(i) >= uint(b.r) || uint(j) >= uint(b.c) {
		panic(fmt.Sprintf("sparse: triplet (%d, %d) out of range %d x %d", i, j, b.r, b.c))
	}
	b.i = append(b.i, i)
	b.j = append(b.j, j)
	b.v = append(b.v, v)
}

// ToCSR returns the CSR matrix holding the sum of all triplets. Explicit
// zeros, including sums that cancel, are kept as stored entries so that the
// sparsity pattern does not depend on values.
func (b *COO) ToCSR() *CSR {
	return buildCSR(b.r, b.c, b.i, b.j, b.v)
}

// FromTriplets builds an r x c CSR matrix from parallel slices of row
// indices, column indices and values, summing duplicates. Unlike COO.Add it
// returns an error, naming the entry, for an out-of-range index or slices of
// different lengths, so it suits data from outside the program.
func FromTriplets(r, c int, rows, cols []int, vals []float64) (*CSR, error) {
	if r < 0 || c < 0 {
		return nil, fmt.Errorf("sparse: negative dimensions %d x %d", r, c)
	}
	if len(rows) != len(cols) || len(rows) != len(vals) {
		return nil, fmt.Errorf("sparse: triplet slices have lengths %d, %d, %d", len(rows), len(cols), len(vals))
	}
	for k := range rows {
		if uint(rows[k]) >= uint(r) || uint(cols[k]) >= uint(c) {
			return nil, fmt.Errorf("sparse: triplet %d: index (%d, %d) is out of range %d x %d", k, rows[k], cols[k], r, c)
		}
	}
	return buildCSR(r, c, rows, cols, vals), nil
}

// buildCSR assumes in-range indices. It counting-sorts by row, then sorts each
// row by column and merges duplicates.
func buildCSR(r, c int, ri, ci []int, vi []float64) *CSR {
	indptr := make([]int, r+1)
	for _, i := range ri {
		indptr[i+1]++
	}
	for i := 0; i < r; i++ {
		indptr[i+1] += indptr[i]
	}
	cols := make([]int, len(ri))
	vals := make([]float64, len(ri))
	next := make([]int, r)
	copy(next, indptr[:r])
	for k, i := range ri {
		p := next[i]
		cols[p] = ci[k]
		vals[p] = vi[k]
		next[i]++
	}
	// Sort each row and merge duplicates, compacting in place.
	out := 0
	var perm []int
	var sc []int
	var sv []float64
	for i := 0; i < r; i++ {
		lo, hi := indptr[i], indptr[i+1]
		indptr[i] = out
		n := hi - lo
		if !slices.IsSorted(cols[lo:hi]) {
			perm = perm[:0]
			for k := lo; k < hi; k++ {
				perm = append(perm, k)
			}
			slices.SortStableFunc(perm, func(x, y int) int { return cols[x] - cols[y] })
			sc, sv = append(sc[:0], make([]int, n)...), append(sv[:0], make([]float64, n)...)
			for q, k := range perm {
				sc[q], sv[q] = cols[k], vals[k]
			}
			copy(cols[lo:hi], sc)
			copy(vals[lo:hi], sv)
		}
		for k := lo; k < hi; k++ {
			if out > indptr[i] && cols[out-1] == cols[k] {
				vals[out-1] += vals[k]
				continue
			}
			cols[out], vals[out] = cols[k], vals[k]
			out++
		}
	}
	indptr[r] = out
	return &CSR{r: r, c: c, indptr: indptr, indices: cols[:out:out], data: vals[:out:out]}
}
