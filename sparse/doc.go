// Package sparse provides compressed sparse row (CSR) matrices with a fast,
// parallel, allocation-free matrix-vector product, the triangular sweeps of
// the SOR family, and conversion to and from gonum's mat and
// github.com/james-bowman/sparse.
//
// Build a matrix from (row, column, value) triplets; duplicates are summed:
//
//	b := sparse.NewCOO(3, 3)
//	b.Add(0, 0, 2)
//	b.Add(0, 1, -1)
//	b.Add(0, 0, 1) // a_00 is now 3
//	a := b.ToCSR()
//	a.MulVecTo(y, x) // y = A x, y overwritten
//
// Matrices from outside the program (files, other libraries) go through
// NewCSR or FromTriplets, which validate every index and return an error
// naming the first bad one. Methods on a valid CSR panic only on programmer
// errors such as mismatched slice lengths, with a "sparse: " prefix.
//
// MulVecTo splits rows into blocks of equal nonzero count and runs them on a
// persistent pool of GOMAXPROCS goroutines; below about 20 000 nonzeros it
// runs serially. A CSR is safe for concurrent use by readers.
package sparse
