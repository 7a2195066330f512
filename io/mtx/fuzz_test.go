package mtx

import (
	"bytes"
	"math"
	"testing"
)

// FuzzRead: no input makes the readers panic or allocate beyond the
// limits; a matrix read is consistent with its header, and one written
// back reads the same.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.5\n3 2 -2\n",
		"%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n1 1 4\n2 1 1\n",
		"%%MatrixMarket matrix coordinate pattern skew-symmetric\n3 3 1\n2 1\n",
		"%%MatrixMarket matrix array real general\n2 1\n1\n2\n",
		"%%MatrixMarket matrix array integer symmetric\n2 2\n1\n2\n3\n",
		"%%MatrixMarket matrix coordinate real general\n1000000000000 1000000000000 0\n",
		"%%MatrixMarket matrix array real general\n4000000000 4000000000\n",
		"%%MatrixMarket matrix coordinate real general\n100000000 100000000 3\n1 1 1\n2 2 1\n3 3 1\n",
		"%%MatrixMarket matrix coordinate real general\n2 3 1\n1 1 nan\n",
		"%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, h, err := ReadCSR(bytes.NewReader(b))
		if err == nil {
			if r, c := a.Dims(); r != h.Rows || c != h.Cols {
				t.Fatalf("CSR %d x %d from a %d x %d header", r, c, h.Rows, h.Cols)
			}
			var buf bytes.Buffer
			if err := WriteCSR(&buf, a, General); err != nil {
				t.Fatalf("write back: %v", err)
			}
			back, _, err := ReadCSR(&buf)
			if err != nil {
				t.Fatalf("read back: %v", err)
			}
			if back.NNZ() != a.NNZ() {
				t.Fatalf("read back %d entries, wrote %d", back.NNZ(), a.NNZ())
			}
			for i := 0; i < h.Rows; i++ {
				ci, vi := a.Row(i)
				cj, vj := back.Row(i)
				for k := range ci {
					if ci[k] != cj[k] || !(vi[k] == vj[k] || math.IsNaN(vi[k]) && math.IsNaN(vj[k])) {
						t.Fatalf("row %d: %v %v, read back %v %v", i, ci, vi, cj, vj)
					}
				}
			}
		}
		if d, r, c, err := ReadDense(bytes.NewReader(b)); err == nil && len(d) != r*c {
			t.Fatalf("%d values for %d x %d", len(d), r, c)
		}
	})
}
