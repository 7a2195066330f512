package direct

/*
#cgo CFLAGS: -I/usr/include/suitesparse
#cgo LDFLAGS: -lcholmod -lumfpack -lsuitesparseconfig
#include <stdlib.h>
#include <string.h>
#include <cholmod.h>
#include <umfpack.h>

// The CHOLMOD common block lives in C memory: it holds pointers.
static cholmod_common *pdekit_cholmod_start(void) {
	cholmod_common *c = malloc(sizeof(cholmod_common));
	if (c == NULL) return NULL;
	cholmod_l_start(c);
	c->print = 0;
	c->final_ll = 1; // LL', not LDL': a Cholesky factorisation, which fails on an indefinite matrix
	return c;
}

static void pdekit_cholmod_finish(cholmod_common *c) {
	cholmod_l_finish(c);
	free(c);
}

// pdekit_cholmod_sparse copies a square matrix's CSR arrays into a CHOLMOD
// matrix read as symmetric from its upper triangle (stype 1): the CSR
// arrays are the CSC arrays of the transpose, equal to the matrix.
static cholmod_sparse *pdekit_cholmod_sparse(long n, const long *ptr, const long *ind, const double *val, cholmod_common *c) {
	long nnz = ptr[n];
	cholmod_sparse *a = cholmod_l_allocate_sparse(n, n, nnz, 1, 1, 1, CHOLMOD_REAL, c);
	if (a == NULL) return NULL;
	memcpy(a->p, ptr, (n + 1) * sizeof(long));
	memcpy(a->i, ind, nnz * sizeof(long));
	memcpy(a->x, val, nnz * sizeof(double));
	return a;
}

static int pdekit_cholmod_ordering(cholmod_common *c) { return c->method[c->selected].ordering; }
static double pdekit_cholmod_lnz(cholmod_common *c) { return c->lnz; }
static double pdekit_cholmod_fl(cholmod_common *c) { return c->fl; }
static int pdekit_cholmod_status(cholmod_common *c) { return c->status; }
static long pdekit_cholmod_minor(cholmod_factor *l) { return (long)l->minor; }
static int pdekit_cholmod_is_super(cholmod_factor *l) { return l->is_super; }
static double *pdekit_dense_x(cholmod_dense *d) { return (double *)d->x; }
*/
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

// Stats describe a factorisation.
type Stats struct {
	// Method is "cholesky (CHOLMOD, supernodal)" or similar, "lu (UMFPACK)".
	Method string
	// Ordering is the fill-reducing ordering used: "amd", "metis",
	// "nesdis", "colamd", "natural".
	Ordering string
	// NNZ is the number of nonzeros of the factors (L, or L plus U).
	NNZ float64
	// Flops is the factorisation's floating-point operation count.
	Flops float64
	// Seconds is the time of the analysis and the factorisation.
	Seconds float64
}

// Factorization is a sparse direct factorisation of A, kept in C memory
// until Close (or until it is garbage collected). SolveTo solves A x = b;
// PreconSolve is the same solve, so that a Factorization is an exact
// preconditioner: with solvers.Richardson each iteration is a solve plus a
// step of iterative refinement, which is how 'simulate solve --method
// direct' runs. A Factorization holds work space: one value serves one
// solve at a time.
type Factorization interface {
	solvers.Preconditioner
	SolveTo(dst, b []float64) error
	Stats() Stats
	Close()
}

// orderingName maps CHOLMOD's and UMFPACK's ordering codes to names.
func orderingName(cholmod bool, code int) string {
	if cholmod {
		switch code {
		case C.CHOLMOD_NATURAL:
			return "natural"
		case C.CHOLMOD_GIVEN:
			return "given"
		case C.CHOLMOD_AMD:
			return "amd"
		case C.CHOLMOD_METIS:
			return "metis"
		case C.CHOLMOD_NESDIS:
			return "nesdis"
		case C.CHOLMOD_COLAMD:
			return "colamd"
		}
		return fmt.Sprintf("cholmod-%d", code)
	}
	switch code {
	case C.UMFPACK_ORDERING_CHOLMOD:
		return "cholmod"
	case C.UMFPACK_ORDERING_AMD:
		return "amd"
	case C.UMFPACK_ORDERING_GIVEN:
		return "given"
	case C.UMFPACK_ORDERING_METIS:
		return "metis"
	case C.UMFPACK_ORDERING_NONE:
		return "natural"
	}
	return fmt.Sprintf("umfpack-%d", code)
}

// Cholesky is the sparse Cholesky factorisation A = L L^T of a symmetric
// positive definite matrix by CHOLMOD (supernodal or simplicial, as
// CHOLMOD chooses; AMD, METIS or nested-dissection ordering, the best of
// those it tries).
type Cholesky struct {
	mu    sync.Mutex
	n     int
	c     *C.cholmod_common
	l     *C.cholmod_factor
	b     *C.cholmod_dense
	x, y  *C.cholmod_dense
	e     *C.cholmod_dense
	stats Stats
}

// goInts reinterprets a []int as the C long array SuiteSparse's "l"
// routines take (both 64 bits here).
func goInts(s []int) *C.long {
	if unsafe.Sizeof(int(0)) != unsafe.Sizeof(C.long(0)) {
		panic("direct: Go int and C long differ in size")
	}
	return (*C.long)(unsafe.Pointer(unsafe.SliceData(s)))
}

// NewCholesky factors the symmetric positive definite a (a *sparse.CSR,
// a mesh stencil or any solvers.RowAccessor). Only the upper triangle is
// read; a's symmetry is checked. It returns an error wrapping
// solvers.ErrNotSPD when a pivot is not positive, and solvers.ErrShape for
// a non-square matrix.
func NewCholesky(op solvers.Operator) (*Cholesky, error) {
	a, err := checked(op, "Cholesky")
	if err != nil {
		return nil, err
	}
	if !symmetric(a) {
		return nil, fmt.Errorf("direct: Cholesky of a nonsymmetric matrix: %w", solvers.ErrNotSPD)
	}
	start := time.Now()
	n, _ := a.Dims()
	f := &Cholesky{n: n, c: C.pdekit_cholmod_start()}
	if f.c == nil {
		return nil, fmt.Errorf("direct: out of memory starting CHOLMOD")
	}
	runtime.SetFinalizer(f, (*Cholesky).Close)
	ptr, ind, val := a.RawCSR()
	ca := C.pdekit_cholmod_sparse(C.long(n), goInts(ptr), goInts(ind), (*C.double)(unsafe.SliceData(val)), f.c)
	if ca == nil {
		f.Close()
		return nil, fmt.Errorf("direct: CHOLMOD could not allocate the %d x %d matrix (status %d)", n, n, C.pdekit_cholmod_status(f.c))
	}
	defer C.cholmod_l_free_sparse(&ca, f.c)
	f.l = C.cholmod_l_analyze(ca, f.c)
	if f.l == nil {
		f.Close()
		return nil, fmt.Errorf("direct: CHOLMOD's analysis failed (status %d)", C.pdekit_cholmod_status(f.c))
	}
	f.stats = Stats{Ordering: orderingName(true, int(C.pdekit_cholmod_ordering(f.c))), NNZ: float64(C.pdekit_cholmod_lnz(f.c)), Flops: float64(C.pdekit_cholmod_fl(f.c))}
	C.cholmod_l_factorize(ca, f.l, f.c)
	if st := C.pdekit_cholmod_status(f.c); st == C.CHOLMOD_NOT_POSDEF || int(C.pdekit_cholmod_minor(f.l)) < n {
		minor := C.pdekit_cholmod_minor(f.l)
		f.Close()
		return nil, fmt.Errorf("direct: Cholesky: the leading minor of order %d is not positive definite: %w", minor+1, solvers.ErrNotSPD)
	} else if st != C.CHOLMOD_OK {
		f.Close()
		return nil, fmt.Errorf("direct: CHOLMOD's factorisation failed (status %d)", st)
	}
	f.stats.Method = "cholesky (CHOLMOD, simplicial)"
	if C.pdekit_cholmod_is_super(f.l) != 0 {
		f.stats.Method = "cholesky (CHOLMOD, supernodal)"
	}
	f.b = C.cholmod_l_allocate_dense(C.size_t(n), 1, C.size_t(n), C.CHOLMOD_REAL, f.c)
	if f.b == nil {
		f.Close()
		return nil, fmt.Errorf("direct: out of memory for the right-hand side")
	}
	f.stats.Seconds = time.Since(start).Seconds()
	return f, nil
}

// SolveTo sets dst to the solution of A dst = b.
func (f *Cholesky) SolveTo(dst, b []float64) error {
	if len(dst) != f.n || len(b) != f.n {
		return fmt.Errorf("direct: SolveTo lengths %d, %d for %d unknowns: %w", len(dst), len(b), f.n, solvers.ErrShape)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.l == nil {
		return fmt.Errorf("direct: SolveTo after Close")
	}
	bx := unsafe.Slice((*float64)(unsafe.Pointer(C.pdekit_dense_x(f.b))), f.n)
	copy(bx, b)
	if C.cholmod_l_solve2(C.CHOLMOD_A, f.l, f.b, nil, &f.x, nil, &f.y, &f.e, f.c) == 0 {
		return fmt.Errorf("direct: CHOLMOD's solve failed (status %d)", C.pdekit_cholmod_status(f.c))
	}
	copy(dst, unsafe.Slice((*float64)(unsafe.Pointer(C.pdekit_dense_x(f.x))), f.n))
	return nil
}

// PreconSolve implements solvers.Preconditioner: dst = A^-1 r.
func (f *Cholesky) PreconSolve(dst, r []float64) {
	if err := f.SolveTo(dst, r); err != nil {
		panic(err)
	}
}

// Stats returns the factorisation's statistics.
func (f *Cholesky) Stats() Stats { return f.stats }

// Close frees the factorisation's C memory; the Cholesky is unusable
// afterwards. It is safe to call more than once.
func (f *Cholesky) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.c == nil {
		return
	}
	for _, d := range []**C.cholmod_dense{&f.b, &f.x, &f.y, &f.e} {
		if *d != nil {
			C.cholmod_l_free_dense(d, f.c)
		}
	}
	if f.l != nil {
		C.cholmod_l_free_factor(&f.l, f.c)
	}
	C.pdekit_cholmod_finish(f.c)
	f.c = nil
	runtime.SetFinalizer(f, nil)
}

// LU is the sparse LU factorisation P A Q = L U of a square nonsingular
// matrix by UMFPACK (its default strategy and ordering), with UMFPACK's
// iterative refinement in every solve (see SetRefinement).
type LU struct {
	mu       sync.Mutex
	n        int
	ptr, ind []int
	val      []float64
	sym, num unsafe.Pointer
	control  []float64 // UMFPACK's settings
	info     []float64 // and its report of the last factorisation
	stats    Stats
}

// NewLU factors the square a (a *sparse.CSR, a mesh stencil or any
// solvers.RowAccessor). It keeps a copy of a's arrays, which UMFPACK's
// refinement reads. It returns an error wrapping solvers.ErrSingular for
// a singular matrix.
func NewLU(op solvers.Operator) (*LU, error) {
	a, err := checked(op, "LU")
	if err != nil {
		return nil, err
	}
	start := time.Now()
	n, _ := a.Dims()
	ptr, ind, val := a.RawCSR()
	if len(val) == 0 {
		return nil, fmt.Errorf("direct: LU: the %d x %d matrix has no entries: %w", n, n, solvers.ErrSingular)
	}
	f := &LU{n: n, ptr: append([]int(nil), ptr...), ind: append([]int(nil), ind...), val: append([]float64(nil), val...)}
	control := make([]float64, C.UMFPACK_CONTROL)
	info := make([]float64, C.UMFPACK_INFO)
	C.umfpack_dl_defaults((*C.double)(&control[0]))
	f.control, f.info = slices.Clone(control), make([]float64, C.UMFPACK_INFO)
	// The CSR arrays of A are the CSC arrays of A^T: factor A^T, and
	// solve with A^T's transpose.
	st := C.umfpack_dl_symbolic(C.long(n), C.long(n), goInts(f.ptr), goInts(f.ind), (*C.double)(&f.val[0]), &f.sym, (*C.double)(&control[0]), (*C.double)(&info[0]))
	if st != C.UMFPACK_OK {
		return nil, fmt.Errorf("direct: UMFPACK's analysis failed (status %d)", st)
	}
	runtime.SetFinalizer(f, (*LU).Close)
	if err := f.numeric(start); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// numeric factors f.val on the kept symbolic analysis, replacing any
// earlier factors, and sets the statistics.
func (f *LU) numeric(start time.Time) error {
	if f.num != nil {
		C.umfpack_dl_free_numeric(&f.num)
	}
	// The solves' settings serve (the numeric phase reads none of those
	// SetRefinement changes); info is kept for the statistics.
	info := f.info
	st := C.umfpack_dl_numeric(goInts(f.ptr), goInts(f.ind), (*C.double)(&f.val[0]), f.sym, &f.num, (*C.double)(&f.control[0]), (*C.double)(&info[0]))
	if st == C.UMFPACK_WARNING_singular_matrix {
		C.umfpack_dl_free_numeric(&f.num)
		f.num = nil
		return fmt.Errorf("direct: LU: the %d x %d matrix is singular: %w", f.n, f.n, solvers.ErrSingular)
	}
	if st != C.UMFPACK_OK {
		if f.num != nil {
			C.umfpack_dl_free_numeric(&f.num)
			f.num = nil
		}
		return fmt.Errorf("direct: UMFPACK's factorisation failed (status %d)", st)
	}
	f.stats = Stats{Method: "lu (UMFPACK)", Ordering: orderingName(false, int(info[C.UMFPACK_ORDERING_USED])),
		NNZ: info[C.UMFPACK_LNZ] + info[C.UMFPACK_UNZ], Flops: info[C.UMFPACK_FLOPS], Seconds: time.Since(start).Seconds()}
	return nil
}

// Refactor factors new values on the pattern of the first matrix, reusing
// its analysis (the fill-reducing ordering): the cheap path for a
// sequence of matrices on one pattern, such as a Rosenbrock method's
// W = I - h g J. A matrix of another pattern is an error wrapping
// solvers.ErrShape. After an error other than that one (a singular
// matrix), the LU can not solve until a Refactor succeeds.
func (f *LU) Refactor(op solvers.Operator) error {
	a, err := checked(op, "LU")
	if err != nil {
		return err
	}
	start := time.Now()
	ptr, ind, val := a.RawCSR()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sym == nil {
		return fmt.Errorf("direct: Refactor after Close")
	}
	if !slices.Equal(ptr, f.ptr) || !slices.Equal(ind, f.ind) {
		return fmt.Errorf("direct: Refactor of a matrix whose pattern differs from the analysed one: %w", solvers.ErrShape)
	}
	copy(f.val, val)
	return f.numeric(start)
}

// SolveTo sets dst to the solution of A dst = b.
func (f *LU) SolveTo(dst, b []float64) error {
	if len(dst) != f.n || len(b) != f.n {
		return fmt.Errorf("direct: SolveTo lengths %d, %d for %d unknowns: %w", len(dst), len(b), f.n, solvers.ErrShape)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sym == nil {
		return fmt.Errorf("direct: SolveTo after Close")
	}
	if f.num == nil {
		return fmt.Errorf("direct: SolveTo without factors: the last Refactor failed")
	}
	st := C.umfpack_dl_solve(C.UMFPACK_At, goInts(f.ptr), goInts(f.ind), (*C.double)(&f.val[0]),
		(*C.double)(unsafe.SliceData(dst)), (*C.double)(unsafe.SliceData(b)), f.num, (*C.double)(&f.control[0]), nil)
	if st != C.UMFPACK_OK {
		return fmt.Errorf("direct: UMFPACK's solve failed (status %d)", st)
	}
	return nil
}

// SetRefinement sets the most steps of iterative refinement each solve
// takes (UMFPACK's default is 2; 0 turns refinement off, for a solve
// whose accuracy the caller controls, as a Rosenbrock method's W).
func (f *LU) SetRefinement(steps int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.control[C.UMFPACK_IRSTEP] = float64(max(steps, 0))
}

// PreconSolve implements solvers.Preconditioner: dst = A^-1 r.
func (f *LU) PreconSolve(dst, r []float64) {
	if err := f.SolveTo(dst, r); err != nil {
		panic(err)
	}
}

// Stats returns the factorisation's statistics.
func (f *LU) Stats() Stats { return f.stats }

// Close frees the factorisation's C memory; the LU is unusable afterwards.
// It is safe to call more than once.
func (f *LU) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.num != nil {
		C.umfpack_dl_free_numeric(&f.num)
		f.num = nil
	}
	if f.sym != nil {
		C.umfpack_dl_free_symbolic(&f.sym)
		f.sym = nil
	}
	runtime.SetFinalizer(f, nil)
}

// New factors a by Cholesky when it is symmetric with a positive diagonal
// and that succeeds, and by LU otherwise: the choice 'simulate solve
// --method direct' makes.
func New(op solvers.Operator) (Factorization, error) {
	a, err := checked(op, "factorisation")
	if err != nil {
		return nil, err
	}
	if symmetric(a) && positiveDiagonal(a) {
		if f, err := NewCholesky(a); err == nil {
			return f, nil
		}
	}
	return NewLU(a)
}

// checked returns op's entries, square, finite and not empty.
func checked(op solvers.Operator, who string) (*sparse.CSR, error) {
	a, err := solvers.AsCSR(op, who)
	if err != nil {
		return nil, err
	}
	n, c := a.Dims()
	if n != c || n == 0 {
		return nil, fmt.Errorf("direct: %s of a %d x %d matrix: %w", who, n, c, solvers.ErrShape)
	}
	if err := a.CheckFinite(); err != nil {
		return nil, fmt.Errorf("direct: %w", err)
	}
	return a, nil
}

// symmetric reports whether a equals its transpose to rounding: the same
// pattern, and values that differ by at most 1e-12 of the largest.
func symmetric(a *sparse.CSR) bool {
	t := a.Transpose()
	p1, i1, v1 := a.RawCSR()
	p2, i2, v2 := t.RawCSR()
	var big float64
	for _, v := range v1 {
		big = max(big, math.Abs(v))
	}
	for k := range p1 {
		if p1[k] != p2[k] {
			return false
		}
	}
	for k := range i1 {
		if i1[k] != i2[k] || math.Abs(v1[k]-v2[k]) > 1e-12*big {
			return false
		}
	}
	return true
}

func positiveDiagonal(a *sparse.CSR) bool {
	for _, d := range a.Diagonal(nil) {
		if !(d > 0) {
			return false
		}
	}
	return true
}
