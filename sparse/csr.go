package sparse

import (
	"fmt"
	"math"
	"sort"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// CSR is a sparse matrix in compressed sparse row form. Row i holds the
// columns Indices[Indptr[i]:Indptr[i+1]], strictly increasing, with values
// Data[Indptr[i]:Indptr[i+1]]. The layout is SciPy's csr_matrix with sorted
// indices and no duplicates. The values may change after construction (the
// views of RawCSR and Row write through); the pattern must not, since
// MulVecTo keeps a 32-bit copy of the column indices.
type CSR struct {
	r, c    int
	indptr  []int
	indices []int
	data    []float64

	// ind32 is a 32-bit copy of indices that MulVecTo streams (a quarter
	// less memory traffic per entry), made on its first call when the
	// columns fit.
	ind32Once sync.Once
	ind32     []int32
}

var _ mat.Matrix = (*CSR)(nil)

// NewCSR returns a CSR matrix of r rows and c columns that uses indptr,
// indices and data without copying them. It returns an error naming the first
// inconsistency: wrong lengths, a decreasing indptr, a column out of range,
// or columns not strictly increasing within a row.
func NewCSR(r, c int, indptr, indices []int, data []float64) (*CSR, error) {
	a := &CSR{r: r, c: c, indptr: indptr, indices: indices, data: data}
	if err := a.validate(); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *CSR) validate() error {
	if a.r < 0 || a.c < 0 {
		return fmt.Errorf("sparse: negative dimensions %d x %d", a.r, a.c)
	}
	if len(a.indptr) != a.r+1 {
		return fmt.Errorf("sparse: indptr has length %d, want rows+1 = %d", len(a.indptr), a.r+1)
	}
	if a.indptr[0] != 0 {
		return fmt.Errorf("sparse: indptr[0] = %d, want 0", a.indptr[0])
	}
	nnz := a.indptr[a.r]
	if len(a.indices) != nnz || len(a.data) != nnz {
		return fmt.Errorf("sparse: indptr[%d] = %d but len(indices) = %d and len(data) = %d",
			a.r, nnz, len(a.indices), len(a.data))
	}
	for i := 0; i < a.r; i++ {
		if a.indptr[i+1] < a.indptr[i] {
			return fmt.Errorf("sparse: indptr decreases at row %d: indptr[%d] = %d > indptr[%d] = %d",
				i, i, a.indptr[i], i+1, a.indptr[i+1])
		}
	}
	for i := 0; i < a.r; i++ {
		lo, hi := a.indptr[i], a.indptr[i+1]
		prev := -1
		for k := lo; k < hi; k++ {
			j := a.indices[k]
			if j < 0 || j >= a.c {
				return fmt.Errorf("sparse: row %d: column index %d is out of range 0..%d", i, j, a.c-1)
			}
			if j <= prev {
				return fmt.Errorf("sparse: row %d: column indices not strictly increasing (%d after %d)", i, j, prev)
			}
			prev = j
		}
	}
	return nil
}

// Dims returns the number of rows and columns.
func (a *CSR) Dims() (r, c int) { return a.r, a.c }

// NNZ returns the number of stored entries.
func (a *CSR) NNZ() int { return a.indptr[a.r] }

// RawCSR returns the arrays behind a. Changing values in data changes the
// matrix; changing the structure breaks it.
func (a *CSR) RawCSR() (indptr, indices []int, data []float64) {
	return a.indptr, a.indices, a.data
}

// At returns the element at row i, column j. It panics if i or j is out of
// range.
func (a *CSR) At(i, j int) float64 {
	if uint(i) >= uint(a.r) || uint(j) >= uint(a.c) {
		panic(fmt.Sprintf("sparse: index (%d, %d) out of range %d x %d", i, j, a.r, a.c))
	}
	lo, hi := a.indptr[i], a.indptr[i+1]
	cols := a.indices[lo:hi]
	k := sort.SearchInts(cols, j)
	if k < len(cols) && cols[k] == j {
		return a.data[lo+k]
	}
	return 0
}

// T returns the implicit transpose of a, for use with gonum's mat functions.
// Use Transpose for an explicit CSR of the transpose.
func (a *CSR) T() mat.Matrix { return mat.Transpose{Matrix: a} }

// Diagonal writes the main diagonal of a into dst, which must have length
// min(r, c), and returns dst. A nil dst is allocated.
func (a *CSR) Diagonal(dst []float64) []float64 {
	n := min(a.r, a.c)
	if dst == nil {
		dst = make([]float64, n)
	}
	if len(dst) != n {
		panic(fmt.Sprintf("sparse: diagonal length %d, want %d", len(dst), n))
	}
	for i := range n {
		dst[i] = 0
		lo, hi := a.indptr[i], a.indptr[i+1]
		cols := a.indices[lo:hi]
		if len(cols) <= 16 {
			// A stencil's short row: a scan beats the search's calls.
			for k, j := range cols {
				if j >= i {
					if j == i {
						dst[i] = a.data[lo+k]
					}
					break
				}
			}
			continue
		}
		if k := sort.SearchInts(cols, i); k < len(cols) && cols[k] == i {
			dst[i] = a.data[lo+k]
		}
	}
	return dst
}

// Row returns the column indices (ascending) and values of row i as views
// into a's storage: the caller must not modify them.
func (a *CSR) Row(i int) (cols []int, vals []float64) {
	lo, hi := a.indptr[i], a.indptr[i+1]
	return a.indices[lo:hi:hi], a.data[lo:hi:hi]
}

// Transpose returns A^T as a new CSR matrix (equivalently, A in compressed
// sparse column form).
func (a *CSR) Transpose() *CSR {
	nnz := a.NNZ()
	t := &CSR{r: a.c, c: a.r, indptr: make([]int, a.c+1), indices: make([]int, nnz), data: make([]float64, nnz)}
	for _, j := range a.indices {
		t.indptr[j+1]++
	}
	for j := 0; j < a.c; j++ {
		t.indptr[j+1] += t.indptr[j]
	}
	next := make([]int, a.c)
	copy(next, t.indptr[:a.c])
	// Rows are visited in increasing order, so each column of the result
	// receives its row indices sorted.
	for i := 0; i < a.r; i++ {
		for k := a.indptr[i]; k < a.indptr[i+1]; k++ {
			j := a.indices[k]
			p := next[j]
			t.indices[p] = i
			t.data[p] = a.data[k]
			next[j]++
		}
	}
	return t
}

// CheckFinite returns an error naming the first stored entry that is NaN or
// infinite.
func (a *CSR) CheckFinite() error {
	for i := 0; i < a.r; i++ {
		for k := a.indptr[i]; k < a.indptr[i+1]; k++ {
			if v := a.data[k]; math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("sparse: entry (%d, %d) is %v", i, a.indices[k], v)
			}
		}
	}
	return nil
}
