// Package mtx reads and writes Matrix Market files
// (https://math.nist.gov/MatrixMarket/formats.html): coordinate and array
// formats; real, integer and pattern fields; general, symmetric and
// skew-symmetric storage. Complex and Hermitian files are rejected with an
// error.
//
//	a, err := mtx.ReadCSR(f) // any real/integer/pattern file, as CSR
//	err = mtx.WriteCSR(w, a, mtx.General)
//
// A malformed file gives an error that names its line and never a partial
// matrix: "mtx: line 17: column index 0 is out of range 1..40". Symmetric
// files must store only the lower triangle, as the format defines.
package mtx
