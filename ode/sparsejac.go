package ode

import (
	"context"
	"fmt"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/direct"
	"github.com/pdekit/pdekit/sparse"
)

// sparseW holds a sparse Jacobian on a fixed pattern and W = I - g J for
// the Rosenbrock solver: the Jacobian by the user's function or by
// forward differences on column groups of a greedy colouring (Curtis,
// Powell and Reid 1974: columns that share no row are perturbed together,
// one evaluation of f per group), and W solved by ILU(0)-preconditioned
// GMRES to a relative residual of 1e-12, or factored by sparse LU.
type sparseW struct {
	n        int
	ptr, ind []int // the pattern with every diagonal entry
	diag     []int // position of (i, i)
	jv       []float64
	w        *sparse.CSR
	wv       []float64
	groups   [][]int // columns of each colour
	// colEntries[j] lists the (row, position) pairs of column j.
	colRow, colPos []int
	colPtr         []int
	user           func(dst *sparse.CSR, t float64, y []float64)
	jac            *sparse.CSR // the user's view of jv
	pre            *solvers.ILU0
	set            solvers.Settings
	direct         bool       // factor W by sparse LU instead
	lu             *direct.LU // the factorisation of W when direct
}

// newSparseW builds the structure for the pattern p (n x n; its values are
// ignored).
func newSparseW(p *sparse.CSR, user func(dst *sparse.CSR, t float64, y []float64)) (*sparseW, error) {
	n, c := p.Dims()
	if n != c {
		return nil, fmt.Errorf("ode: Jacobian pattern is %d x %d, not square", n, c)
	}
	pptr, pind, _ := p.RawCSR()
	s := &sparseW{n: n, ptr: make([]int, n+1), diag: make([]int, n), user: user}
	// Copy the pattern, inserting missing diagonal entries in order.
	for i := 0; i < n; i++ {
		s.ptr[i] = len(s.ind)
		placed := false
		for k := pptr[i]; k < pptr[i+1]; k++ {
			j := pind[k]
			if !placed && j >= i {
				if j > i {
					s.diag[i] = len(s.ind)
					s.ind = append(s.ind, i)
				}
				placed = true
			}
			if j == i {
				s.diag[i] = len(s.ind)
			}
			s.ind = append(s.ind, j)
		}
		if !placed {
			s.diag[i] = len(s.ind)
			s.ind = append(s.ind, i)
		}
	}
	s.ptr[n] = len(s.ind)
	nnz := len(s.ind)
	s.jv, s.wv = make([]float64, nnz), make([]float64, nnz)
	var err error
	if s.w, err = sparse.NewCSR(n, n, s.ptr, s.ind, s.wv); err != nil {
		return nil, fmt.Errorf("ode: Jacobian pattern: %w", err)
	}
	if s.jac, err = sparse.NewCSR(n, n, s.ptr, s.ind, s.jv); err != nil {
		return nil, err
	}
	// Column lists (the transpose of the pattern).
	s.colPtr = make([]int, n+1)
	for _, j := range s.ind {
		s.colPtr[j+1]++
	}
	for j := 0; j < n; j++ {
		s.colPtr[j+1] += s.colPtr[j]
	}
	s.colRow, s.colPos = make([]int, nnz), make([]int, nnz)
	fill := append([]int(nil), s.colPtr[:n]...)
	for i := 0; i < n; i++ {
		for k := s.ptr[i]; k < s.ptr[i+1]; k++ {
			j := s.ind[k]
			s.colRow[fill[j]], s.colPos[fill[j]] = i, k
			fill[j]++
		}
	}
	// Greedy colouring: column j takes the least colour not used by a
	// column that shares a row with it.
	color := make([]int, n)
	mark := make([]int, n+1) // mark[c] = j+1 when colour c is taken for column j
	for j := 0; j < n; j++ {
		for q := s.colPtr[j]; q < s.colPtr[j+1]; q++ {
			i := s.colRow[q]
			for k := s.ptr[i]; k < s.ptr[i+1]; k++ {
				if jj := s.ind[k]; jj < j {
					mark[color[jj]] = j + 1
				}
			}
		}
		cl := 0
		for mark[cl] == j+1 {
			cl++
		}
		color[j] = cl
		if cl == len(s.groups) {
			s.groups = append(s.groups, nil)
		}
		s.groups[cl] = append(s.groups[cl], j)
	}
	s.set = solvers.Settings{Control: iterate.Control{Tolerance: 1e-12, MaxIterations: 1000}}
	return s, nil
}

// jacobian fills the Jacobian values at (t, y) with f0 = f(t, y); eval
// counts the evaluations; tmp is scratch of length n. y is restored.
func (s *sparseW) jacobian(eval func(dy []float64, t float64, y []float64) error, t float64, y, f0, tmp, tmp2 []float64, central bool) error {
	if s.user != nil {
		s.user(s.jac, t, y)
		return nil
	}
	old := make([]float64, 0, 16)
	for _, g := range s.groups {
		old = old[:0]
		for _, j := range g {
			old = append(old, y[j])
			if central {
				y[j] += centralStep(y[j])
			} else {
				y[j] += fdStep(y[j])
			}
		}
		err := eval(tmp, t, y)
		lower := f0 // the other end of the difference
		if central && err == nil {
			for k, j := range g {
				y[j] = old[k] - centralStep(old[k])
			}
			err = eval(tmp2, t, y)
			lower = tmp2
		}
		for k, j := range g {
			// The step as represented: y+ - y- (central) or y+ - y.
			hi := old[k] + fdStep(old[k])
			lo := old[k]
			if central {
				hi, lo = old[k]+centralStep(old[k]), old[k]-centralStep(old[k])
			}
			d := hi - lo
			y[j] = old[k]
			if err != nil {
				continue
			}
			for q := s.colPtr[j]; q < s.colPtr[j+1]; q++ {
				i := s.colRow[q]
				s.jv[s.colPos[q]] = (tmp[i] - lower[i]) / d
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// factor forms W = I - g J and its ILU(0) preconditioner, or with direct
// its LU factorisation.
func (s *sparseW) factor(g float64) error {
	for k, v := range s.jv {
		s.wv[k] = -g * v
	}
	for _, k := range s.diag {
		s.wv[k]++
	}
	if s.direct {
		if s.lu != nil {
			// W's pattern is fixed: reuse the ordering.
			if err := s.lu.Refactor(s.w); err != nil {
				return fmt.Errorf("LU of W: %w", err)
			}
			return nil
		}
		lu, err := direct.NewLU(s.w)
		if err != nil {
			return fmt.Errorf("LU of W: %w", err)
		}
		// The stages' error is the step's truncation error, far above
		// the factorisation's rounding: refinement would double each
		// solve for nothing.
		lu.SetRefinement(0)
		s.lu = lu
		return nil
	}
	pre, err := solvers.NewILU0(s.w)
	if err != nil {
		return err
	}
	s.pre = pre
	return nil
}

// solve solves W x = b.
func (s *sparseW) solve(x, b []float64) error {
	if s.direct {
		return s.lu.SolveTo(x, b)
	}
	set := s.set
	set.Preconditioner = s.pre
	clear(x)
	res, err := solvers.SolveTo(context.Background(), x, s.w, b, &solvers.GMRES{}, &set)
	if err != nil {
		return err
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("GMRES on W: %w", err)
	}
	return nil
}
