package sparse

import "fmt"

// The sweeps below are the sequential kernels of Gauss-Seidel, SOR, SSOR and
// incomplete-factorization preconditioners. They update x in place row by
// row, each row using the values already updated, so they are serial.

// SORForward performs one forward SOR sweep on A x = b, rows 0..n-1:
//
//	x_i <- (1-omega) x_i + omega/a_ii (b_i - sum_{j != i} a_ij x_j)
//
// with diag holding a_ii (see Diagonal). omega = 1 is a Gauss-Seidel sweep.
// A must be square; a zero diagonal entry yields Inf/NaN, so callers check
// the diagonal once before iterating.
func (a *CSR) SORForward(x, b, diag []float64, omega float64) {
	a.checkSweep(x, b, diag)
	for i := 0; i < a.r; i++ {
		a.sorRow(i, x, b, diag, omega)
	}
}

// SORBackward performs one SOR sweep in reverse row order, n-1..0. A forward
// sweep followed by a backward sweep is one SSOR iteration.
func (a *CSR) SORBackward(x, b, diag []float64, omega float64) {
	a.checkSweep(x, b, diag)
	for i := a.r - 1; i >= 0; i-- {
		a.sorRow(i, x, b, diag, omega)
	}
}

func (a *CSR) sorRow(i int, x, b, diag []float64, omega float64) {
	lo, hi := a.indptr[i], a.indptr[i+1]
	vals := a.data[lo:hi]
	idx := a.indices[lo:hi]
	vals = vals[:len(idx)]
	// The full row product includes a_ii x_i, so that the loop has no
	// branch: x_i + omega (b_i - sum_j a_ij x_j) / a_ii is the SOR update.
	// A sweep is bound by the latency of the chain from x_{i-1}, written
	// by the previous row, to x_i: two accumulators halve the dependent
	// additions on it, and omega/a_ii does not depend on x, so it is
	// computed off the chain.
	s0, s1 := b[i], 0.0
	k := 0
	for ; k+1 < len(idx); k += 2 {
		s0 -= vals[k] * x[idx[k]]
		s1 -= vals[k+1] * x[idx[k+1]]
	}
	if k < len(idx) {
		s0 -= vals[k] * x[idx[k]]
	}
	x[i] += (s0 + s1) * (omega / diag[i])
}

func (a *CSR) checkSweep(x, b, diag []float64) {
	if a.r != a.c {
		panic(fmt.Sprintf("sparse: sweep on a non-square %d x %d matrix", a.r, a.c))
	}
	if len(x) != a.r || len(b) != a.r || len(diag) != a.r {
		panic(fmt.Sprintf("sparse: sweep lengths x=%d b=%d diag=%d for n=%d", len(x), len(b), len(diag), a.r))
	}
}

// SolveLowerTo solves L x = b where L is the lower triangle of A, including
// the diagonal, or with a unit diagonal when unit is true (the L factor of
// ILU(0) stored together with U). Entries above the diagonal are ignored.
// dst and b may be the same slice.
func (a *CSR) SolveLowerTo(dst, b []float64, unit bool) {
	a.checkSweep(dst, b, dst)
	for i := 0; i < a.r; i++ {
		lo, hi := a.indptr[i], a.indptr[i+1]
		vals := a.data[lo:hi]
		s := b[i]
		d := 1.0
		for k, j := range a.indices[lo:hi] {
			if j < i {
				s -= vals[k] * dst[j]
			} else {
				if j == i && !unit {
					d = vals[k]
				}
				break
			}
		}
		dst[i] = s / d
	}
}

// SolveUpperTo solves U x = b where U is the upper triangle of A including the
// diagonal, or with a unit diagonal when unit is true. Entries below the
// diagonal are ignored. dst and b may be the same slice.
func (a *CSR) SolveUpperTo(dst, b []float64, unit bool) {
	a.checkSweep(dst, b, dst)
	for i := a.r - 1; i >= 0; i-- {
		lo, hi := a.indptr[i], a.indptr[i+1]
		vals := a.data[lo:hi]
		s := b[i]
		d := 1.0
		for k := hi - lo - 1; k >= 0; k-- {
			j := a.indices[lo+k]
			if j > i {
				s -= vals[k] * dst[j]
			} else {
				if j == i && !unit {
					d = vals[k]
				}
				break
			}
		}
		dst[i] = s / d
	}
}

// SORRows performs one SOR sweep on A x = b over the given rows, in the
// order given: a red-black or other multicolour ordering is a list of the
// rows of each colour in turn.
func (a *CSR) SORRows(x, b, diag []float64, omega float64, rows []int) {
	a.checkSweep(x, b, diag)
	for _, i := range rows {
		if i < 0 || i >= a.r {
			panic(fmt.Sprintf("sparse: SORRows row %d out of range [0, %d)", i, a.r))
		}
		a.sorRow(i, x, b, diag, omega)
	}
}
