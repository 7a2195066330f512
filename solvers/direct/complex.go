package direct

/*
#cgo CFLAGS: -I/usr/include/suitesparse
#cgo LDFLAGS: -lumfpack -lsuitesparseconfig
#include <umfpack.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

// ComplexLU is the LU factorisation of a sparse complex square matrix by
// UMFPACK's complex routines, the matrix given by a CSR pattern and its
// real and imaginary values. A complex factorisation costs about half
// the flops of the real form of twice the size ([[Re, -Im], [Im, Re]]):
// the systems with mu I - J of an implicit Runge-Kutta method (Radau IIA)
// are its use. Its methods are safe for concurrent use.
type ComplexLU struct {
	mu       sync.Mutex
	n        int
	ptr, ind []int
	re, im   []float64
	sym, num unsafe.Pointer
	control  []float64
	info     []float64
	stats    Stats
}

// NewComplexLU factors the n x n complex matrix with the CSR pattern
// (ptr, ind) and values re + i im; it keeps copies of the arrays. It
// returns an error wrapping solvers.ErrShape for inconsistent arrays and
// solvers.ErrSingular for a singular matrix.
func NewComplexLU(n int, ptr, ind []int, re, im []float64) (*ComplexLU, error) {
	if err := checkPattern(n, ptr, ind, re, im); err != nil {
		return nil, err
	}
	start := time.Now()
	f := &ComplexLU{n: n, ptr: slices.Clone(ptr), ind: slices.Clone(ind), re: slices.Clone(re), im: slices.Clone(im)}
	f.control, f.info = make([]float64, C.UMFPACK_CONTROL), make([]float64, C.UMFPACK_INFO)
	C.umfpack_zl_defaults((*C.double)(&f.control[0]))
	// The CSR arrays of A are the CSC arrays of A^T (the array transpose,
	// not the conjugate one): factor A^T and solve with its transpose.
	st := C.umfpack_zl_symbolic(C.long(n), C.long(n), goInts(f.ptr), goInts(f.ind), (*C.double)(&f.re[0]), (*C.double)(&f.im[0]), &f.sym, (*C.double)(&f.control[0]), (*C.double)(&f.info[0]))
	if st != C.UMFPACK_OK {
		return nil, fmt.Errorf("direct: UMFPACK's complex analysis failed (status %d)", st)
	}
	runtime.SetFinalizer(f, (*ComplexLU).Close)
	if err := f.numeric(start); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkPattern checks a CSR pattern of an n x n matrix and its value
// arrays by sparse.NewCSR's validation and CheckFinite.
func checkPattern(n int, ptr, ind []int, vals ...[]float64) error {
	if n < 1 || len(ind) == 0 {
		return fmt.Errorf("direct: a complex LU of %d unknowns with %d entries: %w", n, len(ind), solvers.ErrShape)
	}
	for _, v := range vals {
		a, err := sparse.NewCSR(n, n, ptr, ind, v)
		if err != nil {
			return fmt.Errorf("direct: complex LU: %v: %w", err, solvers.ErrShape)
		}
		if err := a.CheckFinite(); err != nil {
			return fmt.Errorf("direct: complex LU: %w", err)
		}
	}
	return nil
}

func (f *ComplexLU) numeric(start time.Time) error {
	if f.num != nil {
		C.umfpack_zl_free_numeric(&f.num)
	}
	st := C.umfpack_zl_numeric(goInts(f.ptr), goInts(f.ind), (*C.double)(&f.re[0]), (*C.double)(&f.im[0]), f.sym, &f.num, (*C.double)(&f.control[0]), (*C.double)(&f.info[0]))
	if st != C.UMFPACK_OK {
		if f.num != nil {
			C.umfpack_zl_free_numeric(&f.num)
			f.num = nil
		}
		if st == C.UMFPACK_WARNING_singular_matrix {
			return fmt.Errorf("direct: complex LU: the %d x %d matrix is singular: %w", f.n, f.n, solvers.ErrSingular)
		}
		return fmt.Errorf("direct: UMFPACK's complex factorisation failed (status %d)", st)
	}
	f.stats = Stats{Method: "complex lu (UMFPACK)", Ordering: orderingName(false, int(f.info[C.UMFPACK_ORDERING_USED])),
		NNZ: f.info[C.UMFPACK_LNZ] + f.info[C.UMFPACK_UNZ], Flops: f.info[C.UMFPACK_FLOPS], Seconds: time.Since(start).Seconds()}
	return nil
}

// Refactor factors new values on the pattern of the first matrix,
// reusing its analysis. Values of another length are an error wrapping
// solvers.ErrShape; after another error (a singular matrix) the LU can
// not solve until a Refactor succeeds.
func (f *ComplexLU) Refactor(re, im []float64) error {
	start := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sym == nil {
		return fmt.Errorf("direct: Refactor after Close")
	}
	if len(re) != len(f.re) || len(im) != len(f.im) {
		return fmt.Errorf("direct: Refactor with %d and %d values for %d entries: %w", len(re), len(im), len(f.re), solvers.ErrShape)
	}
	copy(f.re, re)
	copy(f.im, im)
	return f.numeric(start)
}

// SolveTo sets (xr, xi) to the solution of A x = b, b = br + i bi.
func (f *ComplexLU) SolveTo(xr, xi, br, bi []float64) error {
	for _, v := range [][]float64{xr, xi, br, bi} {
		if len(v) != f.n {
			return fmt.Errorf("direct: SolveTo of length %d for %d unknowns: %w", len(v), f.n, solvers.ErrShape)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sym == nil {
		return fmt.Errorf("direct: SolveTo after Close")
	}
	if f.num == nil {
		return fmt.Errorf("direct: SolveTo without factors: the last Refactor failed")
	}
	st := C.umfpack_zl_solve(C.UMFPACK_Aat, goInts(f.ptr), goInts(f.ind), (*C.double)(&f.re[0]), (*C.double)(&f.im[0]),
		(*C.double)(unsafe.SliceData(xr)), (*C.double)(unsafe.SliceData(xi)), (*C.double)(unsafe.SliceData(br)), (*C.double)(unsafe.SliceData(bi)),
		f.num, (*C.double)(&f.control[0]), nil)
	if st != C.UMFPACK_OK {
		return fmt.Errorf("direct: UMFPACK's complex solve failed (status %d)", st)
	}
	return nil
}

// SetRefinement sets the most steps of iterative refinement per solve
// (UMFPACK's default 2; 0 turns it off).
func (f *ComplexLU) SetRefinement(steps int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.control[C.UMFPACK_IRSTEP] = float64(max(steps, 0))
}

// Stats returns the factorisation's statistics.
func (f *ComplexLU) Stats() Stats { return f.stats }

// Close frees the factorisation's C memory; it is safe to call more than
// once.
func (f *ComplexLU) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.num != nil {
		C.umfpack_zl_free_numeric(&f.num)
		f.num = nil
	}
	if f.sym != nil {
		C.umfpack_zl_free_symbolic(&f.sym)
		f.sym = nil
	}
	runtime.SetFinalizer(f, nil)
}
