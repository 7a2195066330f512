package solvers

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/pdekit/pdekit/sparse"
)

// The preconditioners below hold scratch space, so one value must not be
// used by two solves at the same time; build one per goroutine.

// Jacobi is the diagonal preconditioner M = D. With Richardson it is the
// Jacobi iteration; Richardson.Scale weights it (weighted Jacobi).
type Jacobi struct {
	inv []float64
}

// NewJacobi returns the Jacobi preconditioner of the square operator a,
// which must give its diagonal (Diagonaler) or its rows (RowAccessor, or
// an assembled form through ToCSR). A zero diagonal entry is an error that
// names the row and wraps ErrSingular.
func NewJacobi(a Operator) (*Jacobi, error) {
	d, err := diagonal(a, "Jacobi")
	if err != nil {
		return nil, err
	}
	for i, v := range d {
		d[i] = 1 / v
	}
	return &Jacobi{inv: d}, nil
}

// PreconSolve sets dst = D^{-1} r.
func (p *Jacobi) PreconSolve(dst, r []float64) {
	inv := p.inv[:len(dst)]
	r = r[:len(dst)]
	for i := range dst {
		dst[i] = inv[i] * r[i]
	}
}

// diagonal returns the diagonal of a square operator with no zero or
// non-finite entry.
func diagonal(a Operator, who string) ([]float64, error) {
	r, c := a.Dims()
	if r != c {
		return nil, fmt.Errorf("solvers: %s needs a square matrix, got %d x %d: %w", who, r, c, ErrShape)
	}
	var d []float64
	if dg, ok := a.(Diagonaler); ok {
		d = dg.Diagonal(make([]float64, r))
	} else {
		m, err := AsCSR(a, who)
		if err != nil {
			return nil, err
		}
		d = m.Diagonal(nil)
	}
	for i, v := range d {
		if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("solvers: %s needs a nonzero diagonal, but a[%d][%d] = %v: %w", who, i, i, v, ErrSingular)
		}
	}
	return d, nil
}

// AsCSR returns the stored entries of a as a sparse.CSR, for the
// preconditioners that need them (who names the one asking): a itself
// when it is a *sparse.CSR, its ToCSR() when it has one (the mesh
// stencils), or a copy of its rows when it is a RowAccessor. Any other
// operator is an error: it has no entries to give.
func AsCSR(a Operator, who string) (*sparse.CSR, error) {
	switch m := a.(type) {
	case *sparse.CSR:
		return m, nil
	case interface{ ToCSR() *sparse.CSR }:
		return m.ToCSR(), nil
	case RowAccessor:
		r, c := m.Dims()
		indptr := make([]int, r+1)
		var indices []int
		var data []float64
		for i := 0; i < r; i++ {
			cols, vals := m.Row(i)
			if len(cols) != len(vals) {
				return nil, fmt.Errorf("solvers: %s: row %d of %T has %d columns and %d values: %w", who, i, a, len(cols), len(vals), ErrShape)
			}
			indices = append(indices, cols...)
			data = append(data, vals...)
			indptr[i+1] = len(indices)
		}
		out, err := sparse.NewCSR(r, c, indptr, indices, data)
		if err != nil {
			return nil, fmt.Errorf("solvers: %s: rows of %T: %w", who, a, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("solvers: %s needs the entries of the matrix, but %T has no Row (RowAccessor) or ToCSR method", who, a)
}

// Sweep is the direction of an SOR sweep.
type Sweep int

const (
	// Forward sweeps rows 0, 1, ..., n-1: M = D/omega + L.
	Forward Sweep = iota
	// Backward sweeps rows n-1, ..., 0: M = D/omega + U.
	Backward
	// Symmetric is a forward sweep followed by a backward sweep (SSOR):
	// M = (D/omega + L) (D (2-omega)/omega)^{-1} (D/omega + U),
	// the lower factor applied first, as PETSc's PCSOR with
	// -pc_sor_symmetric does.
	Symmetric
)

// SOR is the successive over-relaxation preconditioner of a splitting
// A = L + D + U: M^{-1} r is one sweep (two for Symmetric) on A z = r from
// z = 0. omega = 1 gives Gauss-Seidel and symmetric Gauss-Seidel. With
// Richardson it is the Gauss-Seidel, SOR or SSOR iteration itself:
// x + M^{-1}(b - A x) equals one sweep on A x = b from x.
type SOR struct {
	omega float64
	sweep Sweep
	f     *factor
}

// NewSOR returns the SOR preconditioner of the square operator a (a
// RowAccessor, or one with ToCSR) with relaxation factor omega in (0, 2)
// and the given sweep. A zero diagonal entry (ErrSingular) or an omega out
// of range is an error.
func NewSOR(a Operator, omega float64, sweep Sweep) (*SOR, error) {
	if !(omega > 0 && omega < 2) {
		return nil, fmt.Errorf("solvers: SOR omega = %v is not in (0, 2)", omega)
	}
	if sweep < Forward || sweep > Symmetric {
		return nil, fmt.Errorf("solvers: unknown SOR sweep %d", sweep)
	}
	m, err := AsCSR(a, "SOR")
	if err != nil {
		return nil, err
	}
	d, err := diagonal(m, "SOR")
	if err != nil {
		return nil, err
	}
	return &SOR{omega: omega, sweep: sweep, f: sorFactor(m, d, omega, sweep)}, nil
}

// sorFactor writes the sweeps from zero as triangular solves, so they run
// on the factor kernel (no branches, no divisions, the freshest value last
// on each row's dependency chain). With D/omega + L = (I + omega L D^{-1}) D/omega,
//
//	Forward:   M^{-1} = omega D^{-1} (I + omega L D^{-1})^{-1}
//	Backward:  M^{-1} = (D/omega + U)^{-1}
//	Symmetric: M^{-1} = (2-omega) (D/omega + U)^{-1} (I + omega L D^{-1})^{-1}
//
// so the unit lower factor holds omega a_ij / a_jj, the upper one a_ij, the
// inverse diagonal omega / a_ii, and the right-hand side is scaled by 2-omega
// for SSOR. A sweep from zero never reads the entries a zero iterate would
// multiply, which the general sweeps of package sparse must.
func sorFactor(a *sparse.CSR, diag []float64, omega float64, sweep Sweep) *factor {
	n, _ := a.Dims()
	ip, ind, val := a.RawCSR()
	f := &factor{indptr: make([]int, n+1), diag: make([]int, n), invDiag: make([]float64, n), scale: 1}
	if sweep == Symmetric {
		f.scale = 2 - omega
	}
	for i := 0; i < n; i++ {
		for k := ip[i]; k < ip[i+1]; k++ {
			j := ind[k]
			switch {
			case j < i && sweep != Backward:
				f.indices = append(f.indices, j)
				f.data = append(f.data, omega*val[k]/diag[j])
			case j == i:
				f.diag[i] = len(f.indices)
				f.indices = append(f.indices, j)
				f.data = append(f.data, val[k])
			case j > i && sweep != Forward:
				f.indices = append(f.indices, j)
				f.data = append(f.data, val[k])
			}
		}
		f.indptr[i+1] = len(f.indices)
		f.invDiag[i] = omega / diag[i]
	}
	f.compile()
	return f
}

// Omega returns the relaxation factor.
func (p *SOR) Omega() float64 { return p.omega }

// PreconSolve sets dst = M^{-1} r.
func (p *SOR) PreconSolve(dst, r []float64) { p.f.solve(dst, r) }

// ILU0 is the incomplete LU factorization with zero fill, A ~ L U, with L
// unit lower triangular and U upper triangular on the sparsity pattern of A
// (PETSc's PCILU with its default zero levels of fill).
type ILU0 struct {
	f *factor
}

// factor holds L (unit, strictly lower) and U in one CSR layout, with the
// position of each diagonal entry and its inverse, so that the triangular
// solves run without branches or divisions.
type factor struct {
	indptr, indices []int
	data            []float64
	diag            []int
	invDiag         []float64
	scale           float64 // right-hand side factor (SSOR's 2-omega)

	// The solve's layout (PETSc's factored one): the strictly lower rows
	// in order and the strictly upper rows in reverse order, each
	// contiguous with 32-bit column indices, so that both sweeps stream
	// through memory forwards with a quarter less traffic. The entry
	// next to the diagonal, (i, i-1) in L and (i, i+1) in U, is kept
	// apart in lnext/unext (zero where absent): the sweep multiplies it
	// with the value it has just computed, held in a register, so that
	// one row's result reaches the next without a store and a load.
	lptr, uptr   []int
	lind, uind   []int32
	lval, uval   []float64
	lnext, unext []float64 // nil when few rows have the neighbour
}

// compile builds the solve's layout from the combined one.
func (f *factor) compile() {
	n := len(f.diag)
	f.lptr, f.uptr = make([]int, n+1), make([]int, n+1)
	nl, adjacent := 0, 0
	for i := 0; i < n; i++ {
		nl += f.diag[i] - f.indptr[i]
		if f.diag[i] > f.indptr[i] && f.indices[f.diag[i]-1] == i-1 {
			adjacent++
		}
	}
	// Holding the last result in a register chains every row to the one
	// before; it pays only when most rows use it (a grid's natural order:
	// darcy2d 421 IC(0)-PCG 1.24 -> 0.83 s; on the L-shaped FE matrix,
	// whose mesher's order seldom puts neighbours next to each other, it
	// costs 10%).
	f.lnext, f.unext = nil, nil
	if 2*adjacent > n {
		f.lnext, f.unext = make([]float64, n), make([]float64, n)
	}
	nu := len(f.indices) - nl - n
	f.lind, f.lval = make([]int32, 0, nl), make([]float64, 0, nl)
	f.uind, f.uval = make([]int32, 0, nu), make([]float64, 0, nu)
	for i := 0; i < n; i++ {
		for k := f.indptr[i]; k < f.diag[i]; k++ {
			if j := f.indices[k]; j == i-1 && f.lnext != nil {
				f.lnext[i] = f.data[k]
				continue
			}
			f.lind = append(f.lind, int32(f.indices[k]))
			f.lval = append(f.lval, f.data[k])
		}
		f.lptr[i+1] = len(f.lind)
	}
	for p := 0; p < n; p++ {
		i := n - 1 - p
		// Farthest entries first: the nearest one, just computed, ends
		// the dependency chain.
		for k := f.indptr[i+1] - 1; k > f.diag[i]; k-- {
			if j := f.indices[k]; j == i+1 && f.unext != nil {
				f.unext[i] = f.data[k]
				continue
			}
			f.uind = append(f.uind, int32(f.indices[k]))
			f.uval = append(f.uval, f.data[k])
		}
		f.uptr[p+1] = len(f.uind)
	}
}

// solve sets dst = U^{-1} L^{-1} (scale r): forward substitution into dst,
// then backward substitution in place. The inner products run without a
// bounds check per entry: compile made the index arrays from a validated
// matrix, so each is in [0, n), and dst and r are cut to n first.
func (f *factor) solve(dst, r []float64) {
	n := len(f.diag)
	dst = dst[:n]
	r = r[:n]
	pd := unsafe.Pointer(unsafe.SliceData(dst))
	pli := unsafe.Pointer(unsafe.SliceData(f.lind))
	plv := unsafe.Pointer(unsafe.SliceData(f.lval))
	lptr := f.lptr[:n+1]
	uptr := f.uptr[:n+1]
	pui := unsafe.Pointer(unsafe.SliceData(f.uind))
	puv := unsafe.Pointer(unsafe.SliceData(f.uval))
	inv := f.invDiag[:n]
	if f.lnext == nil {
		// Two terms a step, in order. (The two sweeps are written out:
		// as a shared helper, which Go does not inline, the solve took
		// 40% longer on darcy2d.)
		for i := 0; i < n; i++ {
			s := f.scale * r[i]
			k, hi := lptr[i], lptr[i+1]
			for ; k+1 < hi; k += 2 {
				j0 := *(*int32)(unsafe.Add(pli, 4*k))
				j1 := *(*int32)(unsafe.Add(pli, 4*k+4))
				s -= *(*float64)(unsafe.Add(plv, 8*k)) * *(*float64)(unsafe.Add(pd, 8*int(j0)))
				s -= *(*float64)(unsafe.Add(plv, 8*k+8)) * *(*float64)(unsafe.Add(pd, 8*int(j1)))
			}
			if k < hi {
				j := *(*int32)(unsafe.Add(pli, 4*k))
				s -= *(*float64)(unsafe.Add(plv, 8*k)) * *(*float64)(unsafe.Add(pd, 8*int(j)))
			}
			dst[i] = s
		}
		for p := 0; p < n; p++ {
			i := n - 1 - p
			s := dst[i]
			k, hi := uptr[p], uptr[p+1]
			for ; k+1 < hi; k += 2 {
				j0 := *(*int32)(unsafe.Add(pui, 4*k))
				j1 := *(*int32)(unsafe.Add(pui, 4*k+4))
				s -= *(*float64)(unsafe.Add(puv, 8*k)) * *(*float64)(unsafe.Add(pd, 8*int(j0)))
				s -= *(*float64)(unsafe.Add(puv, 8*k+8)) * *(*float64)(unsafe.Add(pd, 8*int(j1)))
			}
			if k < hi {
				j := *(*int32)(unsafe.Add(pui, 4*k))
				s -= *(*float64)(unsafe.Add(puv, 8*k)) * *(*float64)(unsafe.Add(pd, 8*int(j)))
			}
			dst[i] = s * inv[i]
		}
		return
	}
	lnext, unext := f.lnext[:n], f.unext[:n]
	var last float64 // dst[i-1]
	for i := 0; i < n; i++ {
		s := f.scale * r[i]
		for k := lptr[i]; k < lptr[i+1]; k++ {
			j := *(*int32)(unsafe.Add(pli, 4*k))
			s -= *(*float64)(unsafe.Add(plv, 8*k)) * *(*float64)(unsafe.Add(pd, 8*int(j)))
		}
		last = s - lnext[i]*last
		dst[i] = last
	}
	last = 0 // dst[i+1]
	for p := 0; p < n; p++ {
		i := n - 1 - p
		s := dst[i]
		for k := uptr[p]; k < uptr[p+1]; k++ {
			j := *(*int32)(unsafe.Add(pui, 4*k))
			s -= *(*float64)(unsafe.Add(puv, 8*k)) * *(*float64)(unsafe.Add(pd, 8*int(j)))
		}
		last = (s - unext[i]*last) * inv[i]
		dst[i] = last
	}
}

// NewILU0 factors the square operator a (a RowAccessor, or one with
// ToCSR), which must have every diagonal entry stored. A zero pivot is an
// error naming its row and wrapping ErrSingular.
func NewILU0(a Operator) (*ILU0, error) {
	m, err := AsCSR(a, "ILU(0)")
	if err != nil {
		return nil, err
	}
	f, err := ilu0(m, "ILU(0)", false)
	if err != nil {
		return nil, err
	}
	return &ILU0{f: f}, nil
}

// PreconSolve sets dst = U^{-1} L^{-1} r.
func (p *ILU0) PreconSolve(dst, r []float64) { p.f.solve(dst, r) }

// IC0 is the incomplete Cholesky factorization with zero fill of a
// symmetric positive definite matrix, A ~ L D L^T on the pattern of A. It
// is computed as ILU(0) of the symmetric A, whose factors are L and
// D L^T (the two coincide in exact arithmetic), and it checks what IC(0)
// needs: a symmetric A and positive pivots.
type IC0 struct {
	ILU0
}

// NewIC0 factors the symmetric operator a (a RowAccessor, or one with
// ToCSR). A nonsymmetric a or a non-positive pivot (a not positive
// definite, or an IC(0) breakdown that a diagonal shift would cure) is an
// error wrapping ErrNotSPD; a missing diagonal entry one wrapping
// ErrSingular.
func NewIC0(a Operator) (*IC0, error) {
	m, err := AsCSR(a, "IC(0)")
	if err != nil {
		return nil, err
	}
	if err := checkSymmetric(m); err != nil {
		return nil, err
	}
	f, err := ilu0(m, "IC(0)", true)
	if err != nil {
		return nil, err
	}
	return &IC0{ILU0{f: f}}, nil
}

// ilu0 computes the ILU(0) factors of a.
func ilu0(a *sparse.CSR, who string, positive bool) (*factor, error) {
	n, c := a.Dims()
	if n != c {
		return nil, fmt.Errorf("solvers: %s needs a square matrix, got %d x %d: %w", who, n, c, ErrShape)
	}
	if err := a.CheckFinite(); err != nil {
		return nil, fmt.Errorf("solvers: %s: %w", who, err)
	}
	ip, ind, val := a.RawCSR()
	indptr := append([]int(nil), ip...)
	indices := append([]int(nil), ind...)
	data := append([]float64(nil), val...)
	diag := make([]int, n)
	for i := 0; i < n; i++ {
		diag[i] = -1
		for k := indptr[i]; k < indptr[i+1]; k++ {
			if indices[k] == i {
				diag[i] = k
				break
			}
		}
		if diag[i] < 0 {
			return nil, fmt.Errorf("solvers: %s needs every diagonal entry stored, row %d has none: %w", who, i, ErrSingular)
		}
	}
	pos := make([]int, n) // pos[j] = index of (i, j) in row i, or -1
	for i := range pos {
		pos[i] = -1
	}
	for i := 0; i < n; i++ {
		lo, hi := indptr[i], indptr[i+1]
		for k := lo; k < hi; k++ {
			pos[indices[k]] = k
		}
		for k := lo; k < hi && indices[k] < i; k++ {
			kk := indices[k]
			l := data[k] / data[diag[kk]]
			data[k] = l
			for q := diag[kk] + 1; q < indptr[kk+1]; q++ {
				if p := pos[indices[q]]; p >= 0 {
					data[p] -= l * data[q]
				}
			}
		}
		for k := lo; k < hi; k++ {
			pos[indices[k]] = -1
		}
		d := data[diag[i]]
		if positive && !(d > 0) {
			return nil, fmt.Errorf("solvers: %s breakdown: pivot %d is %.3g (the matrix is %w, or needs a diagonal shift)", who, i, d, ErrNotSPD)
		}
		if d == 0 || math.IsNaN(d) {
			return nil, fmt.Errorf("solvers: %s breakdown: pivot %d is %.3g: %w", who, i, d, ErrSingular)
		}
	}
	inv := make([]float64, n)
	for i, k := range diag {
		inv[i] = 1 / data[k]
	}
	f := &factor{indptr: indptr, indices: indices, data: data, diag: diag, invDiag: inv, scale: 1}
	f.compile()
	return f, nil
}

// checkSymmetric reports whether a equals its transpose to rounding.
func checkSymmetric(a *sparse.CSR) error {
	n, c := a.Dims()
	if n != c {
		return fmt.Errorf("solvers: IC(0) needs a square matrix, got %d x %d: %w", n, c, ErrShape)
	}
	t := a.Transpose()
	ip, ind, val := a.RawCSR()
	tp, tind, tval := t.RawCSR()
	for i := 0; i < n; i++ {
		if ip[i+1]-ip[i] != tp[i+1]-tp[i] {
			return fmt.Errorf("solvers: IC(0) needs a symmetric matrix; row %d and column %d differ in pattern: %w", i, i, ErrNotSPD)
		}
		for k := ip[i]; k < ip[i+1]; k++ {
			if ind[k] != tind[k] || math.Abs(val[k]-tval[k]) > 1e-12*(math.Abs(val[k])+math.Abs(tval[k])) {
				return fmt.Errorf("solvers: IC(0) needs a symmetric matrix, but a[%d][%d] != a[%d][%d]: %w", i, ind[k], ind[k], i, ErrNotSPD)
			}
		}
	}
	return nil
}
