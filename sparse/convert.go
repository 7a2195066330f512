package sparse

import (
	jbsparse "github.com/james-bowman/sparse"
	"gonum.org/v1/gonum/mat"
)

// FromMatrix returns the CSR form of any gonum matrix, storing its nonzero
// entries.
func FromMatrix(m mat.Matrix) *CSR {
	r, c := m.Dims()
	indptr := make([]int, r+1)
	var indices []int
	var data []float64
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if v := m.At(i, j); v != 0 {
				indices = append(indices, j)
				data = append(data, v)
			}
		}
		indptr[i+1] = len(data)
	}
	return &CSR{r: r, c: c, indptr: indptr, indices: indices, data: data}
}

// ToDense returns A as a new dense gonum matrix.
func (a *CSR) ToDense() *mat.Dense {
	if a.r == 0 || a.c == 0 {
		// gonum has no zero-sized Dense; return an empty receiver instead.
		return &mat.Dense{}
	}
	d := mat.NewDense(a.r, a.c, nil)
	for i := 0; i < a.r; i++ {
		for k := a.indptr[i]; k < a.indptr[i+1]; k++ {
			d.Set(i, a.indices[k], a.data[k])
		}
	}
	return d
}

// ToJB returns A as a james-bowman/sparse CSR sharing a's arrays. Note that
// jbsparse's own MulVecTo accumulates into dst (dst += A x); a.MulVecTo
// overwrites.
func (a *CSR) ToJB() *jbsparse.CSR {
	return jbsparse.NewCSR(a.r, a.c, a.indptr, a.indices, a.data)
}

// FromJB returns a copy of a james-bowman/sparse CSR matrix in canonical form
// (sorted columns, duplicates summed). jbsparse does not guarantee either.
func FromJB(m *jbsparse.CSR) *CSR {
	r, c := m.Dims()
	raw := m.RawMatrix()
	rows := make([]int, 0, len(raw.Data))
	for i := 0; i < r; i++ {
		for k := raw.Indptr[i]; k < raw.Indptr[i+1]; k++ {
			rows = append(rows, i)
		}
	}
	return buildCSR(r, c, rows, raw.Ind, raw.Data)
}
