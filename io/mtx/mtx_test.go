package mtx

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pdekit/pdekit/sparse"
	"gonum.org/v1/gonum/mat"
)

func randomCSR(rnd *rand.Rand, r, c int, sym Symmetry) *sparse.CSR {
	b := sparse.NewCOO(r, c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if rnd.Float64() > 0.3 {
				continue
			}
			v := rnd.NormFloat64() * math.Pow(10, float64(rnd.IntN(20)-10))
			switch {
			case sym == General:
				b.Add(i, j, v)
			case sym == Symmetric && j <= i:
				b.Add(i, j, v)
				if j != i {
					b.Add(j, i, v)
				}
			case sym == SkewSymmetric && j < i:
				b.Add(i, j, v)
				b.Add(j, i, -v)
			}
		}
	}
	return b.ToCSR()
}

func TestRoundTripCSR(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, sym := range []Symmetry{General, Symmetric, SkewSymmetric} {
		for _, sz := range [][2]int{{1, 1}, {7, 7}, {30, 30}, {5, 9}} {
			if sym != General && sz[0] != sz[1] {
				continue
			}
			a := randomCSR(rnd, sz[0], sz[1], sym)
			var buf bytes.Buffer
			if err := WriteCSR(&buf, a, sym); err != nil {
				t.Fatal(err)
			}
			b, h, err := ReadCSR(&buf)
			if err != nil {
				t.Fatalf("%v %v: %v", sym, sz, err)
			}
			if h.Symmetry != sym || !h.Coordinate {
				t.Errorf("header %+v", h)
			}
			// Values are written with the shortest exact representation:
			// the round trip is bit-exact.
			if !mat.Equal(a, b) {
				t.Errorf("%v %v: round trip changed the matrix", sym, sz)
			}
		}
	}
}

func TestRoundTripDense(t *testing.T) {
	rnd := rand.New(rand.NewPCG(2, 2))
	d := mat.NewDense(4, 3, nil)
	for i := 0; i < 4; i++ {
		for j := 0; j < 3; j++ {
			d.Set(i, j, rnd.NormFloat64())
		}
	}
	var buf bytes.Buffer
	if err := WriteDense(&buf, d); err != nil {
		t.Fatal(err)
	}
	data, r, c, err := ReadDense(bytes.NewReader(buf.Bytes()))
	if err != nil || r != 4 || c != 3 {
		t.Fatalf("%v %d %d", err, r, c)
	}
	if !mat.Equal(mat.NewDense(4, 3, data), d) {
		t.Error("dense round trip changed values")
	}
	a, _, err := ReadCSR(bytes.NewReader(buf.Bytes()))
	if err != nil || !mat.Equal(a, d) {
		t.Errorf("array file as CSR: %v", err)
	}
}

func TestReadKinds(t *testing.T) {
	// Hand-written files in the formats of the NIST specification.
	for _, tc := range []struct {
		name, file string
		want       [][]float64
	}{
		{"pattern", "%%MatrixMarket matrix coordinate pattern general\n% comment\n2 2 2\n1 1\n2 1\n", [][]float64{{1, 0}, {1, 0}}},
		{"integer symmetric", "%%MatrixMarket matrix coordinate integer symmetric\n2 2 2\n1 1 4\n2 1 -3\n", [][]float64{{4, -3}, {-3, 0}}},
		{"duplicates summed", "%%MatrixMarket matrix coordinate real general\n1 2 3\n1 2 1.5\n1 1 2\n1 2 0.5\n", [][]float64{{2, 2}}},
		{"array symmetric", "%%MatrixMarket matrix array real symmetric\n2 2\n1\n2\n3\n", [][]float64{{1, 2}, {2, 3}}},
		{"array skew", "%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n", [][]float64{{0, -1, -2}, {1, 0, -3}, {2, 3, 0}}},
		{"upper-case banner, blank lines", "%%MATRIXMARKET MATRIX COORDINATE REAL GENERAL\n\n1 1 1\n\n1 1 -2.5e-3\n", [][]float64{{-2.5e-3}}},
		{"empty", "%%MatrixMarket matrix coordinate real general\n3 2 0\n", [][]float64{{0, 0}, {0, 0}, {0, 0}}},
	} {
		data, r, c, err := ReadDense(strings.NewReader(tc.file))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				if data[i*c+j] != tc.want[i][j] {
					t.Errorf("%s: (%d,%d) = %v, want %v", tc.name, i, j, data[i*c+j], tc.want[i][j])
				}
			}
		}
	}
}

func TestMalformed(t *testing.T) {
	const ban = "%%MatrixMarket matrix coordinate real general\n"
	for _, tc := range []struct {
		name, file, want string
	}{
		{"empty file", "", "empty file"},
		{"bad banner", "%MatrixMarket matrix coordinate real general\n1 1 1\n", "line 1: bad banner"},
		{"not matrix", "%%MatrixMarket vector coordinate real general\n", `object "vector"`},
		{"bad format", "%%MatrixMarket matrix sparse real general\n", `format "sparse"`},
		{"complex", "%%MatrixMarket matrix coordinate complex general\n", "complex matrices are not supported"},
		{"bad symmetry", "%%MatrixMarket matrix coordinate real diagonal\n", `symmetry "diagonal"`},
		{"no size", ban + "% only comments\n", "file ends before the size line"},
		{"short size", ban + "3 3\n", "size line"},
		{"negative size", ban + "3 -3 1\n", "not a non-negative integer"},
		{"too few entries", ban + "2 2 5\n1 1 1\n", "file ends after 1 of 5 entries"},
		{"row out of range", ban + "2 2 1\n3 1 1.0\n", "line 3: row index 3 is out of range 1..2"},
		{"column zero", ban + "40 40 2\n1 1 1\n17 0 2\n", "line 4: column index 0 is out of range 1..40"},
		{"non-numeric value", ban + "2 2 1\n1 1 abc\n", `line 3: value "abc" is not a number`},
		{"non-numeric index", ban + "2 2 1\nx 1 1\n", `line 3: row index "x"`},
		{"integer with fraction", "%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 1.5\n", "not an integer"},
		{"missing value", ban + "2 2 1\n1 1\n", "line 3: entry has 2 fields, want 3"},
		{"truncated", ban + "2 2 3\n1 1 1\n2 2 2\n", "file ends after 2 of 3 entries"},
		{"extra entries", ban + "2 2 1\n1 1 1\n2 2 2\n", "line 4: unexpected data"},
		{"upper in symmetric", "%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 2 1\n", "above the diagonal"},
		{"diagonal in skew", "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 1 1\n", "not below the diagonal"},
		{"nonsquare symmetric", "%%MatrixMarket matrix coordinate real symmetric\n2 3 0\n", "must be square"},
		{"truncated array", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n", "file ends after 3 of 4 entries"},
		{"pattern array", "%%MatrixMarket matrix array pattern general\n", "pattern field is only valid"},
	} {
		a, _, err := ReadCSR(strings.NewReader(tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
		if a != nil {
			t.Errorf("%s: a partial matrix was returned", tc.name)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "mtx: ") {
			t.Errorf("%s: error %q lacks the package prefix", tc.name, err)
		}
	}
}

func TestWriteRejectsAsymmetric(t *testing.T) {
	a, _ := sparse.FromTriplets(2, 2, []int{0, 1}, []int{1, 0}, []float64{1, 2})
	var buf bytes.Buffer
	if err := WriteCSR(&buf, a, Symmetric); err == nil || !strings.Contains(err.Error(), "not symmetric") {
		t.Errorf("asymmetric written as symmetric: %v", err)
	}
}
