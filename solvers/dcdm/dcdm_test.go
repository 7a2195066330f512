package dcdm

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/pde"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

// system returns an obstacle system on n x n cells.
func system(t *testing.T, n int, seed uint64) (*sparse.CSR, []float64) {
	t.Helper()
	sys, err := pde.Obstacles{Dim: 2, N: n, Seed: seed}.Build()
	if err != nil {
		t.Fatal(err)
	}
	return sys.A, sys.B
}

// denseSym returns the symmetric matrix a densely.
func denseSym(a *sparse.CSR) *mat.SymDense {
	n, _ := a.Dims()
	dense := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		cols, vals := a.Row(i)
		for k, j := range cols {
			if j >= i {
				dense.SetSym(i, j, vals[k])
			}
		}
	}
	return dense
}

// exact is a "model" that returns A^-1 r.
type exact struct{ chol mat.Cholesky }

func (e *exact) PreconSolve(dst, r []float64) {
	var x mat.VecDense
	e.chol.SolveVecTo(&x, mat.NewVecDense(len(r), append([]float64(nil), r...)))
	copy(dst, x.RawVector().Data)
}

func solve(t *testing.T, a *sparse.CSR, b []float64, m solvers.Method, pc solvers.Preconditioner, tol float64, cb func(iterate.Progress) bool) *solvers.Result {
	t.Helper()
	res, err := solvers.Solve(context.Background(), a, b, m, &solvers.Settings{Control: iterate.Control{Tolerance: tol, MaxIterations: 5000, Callback: cb}, Preconditioner: pc})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestExactModel: a model that returns A^-1 r makes DCDM converge in one
// iteration (the line search takes the exact step).
func TestExactModel(t *testing.T) {
	a, b := system(t, 10, 1)
	var e exact
	if !e.chol.Factorize(denseSym(a)) {
		t.Fatal("the obstacle matrix is not positive definite")
	}
	res := solve(t, a, b, &Method{}, &e, 1e-12, nil)
	if res.Iterations != 1 || !res.Reason.Converged() {
		t.Errorf("%d iterations, %v, relative residual %g", res.Iterations, res.Reason, res.RelResidual)
	}
}

// TestConjugateGradients: without a model DCDM is conjugate gradients
// with explicit orthogonalisation, and with IC(0) as its model it is
// IC(0)-PCG: the iteration counts agree within 2 at tolerance 1e-8; each
// new direction is A-orthogonal to the two before it (to rounding).
func TestConjugateGradients(t *testing.T) {
	a, b := system(t, 48, 2)
	ic, err := solvers.NewIC0(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, pc := range []solvers.Preconditioner{nil, ic} {
		m := &Method{}
		var worst float64
		var older, aOlder []float64 // the direction before m.p[0], and A times it
		cb := func(iterate.Progress) bool {
			if m.pap[0] > 0 {
				worst = math.Max(worst, math.Abs(floats.Dot(m.p[1], m.ap[0]))/math.Sqrt(m.pap[0]*m.pap[1]))
			}
			if older != nil {
				worst = math.Max(worst, math.Abs(floats.Dot(m.p[1], aOlder))/math.Sqrt(floats.Dot(older, aOlder)*m.pap[1]))
			}
			if m.pap[0] > 0 {
				older, aOlder = append(older[:0], m.p[0]...), append(aOlder[:0], m.ap[0]...)
			}
			return true
		}
		got := solve(t, a, b, m, pc, 1e-8, cb)
		want := solve(t, a, b, &solvers.CG{}, pc, 1e-8, nil)
		t.Logf("model %T: DCDM %d iterations, CG %d; largest |p_k^T A p_j| / norms, j = k-1, k-2: %.2g", pc, got.Iterations, want.Iterations, worst)
		if !got.Reason.Converged() || math.Abs(float64(got.Iterations-want.Iterations)) > 2 || worst > 1e-10 {
			t.Errorf("model %T: DCDM %d iterations (%v), CG %d; A-orthogonality %g", pc, got.Iterations, got.Reason, want.Iterations, worst)
		}
		// The true residual of the returned x.
		r := make([]float64, len(b))
		a.MulVecTo(r, got.X)
		floats.Sub(r, b)
		if rel := floats.Norm(r, 2) / floats.Norm(b, 2); rel > 1e-8 || math.Abs(rel-got.RelResidual) > 1e-12 {
			t.Errorf("model %T: true relative residual %g, reported %g", pc, rel, got.RelResidual)
		}
	}
}

// zero is a model that proposes nothing.
type zero struct{}

func (zero) PreconSolve(dst, _ []float64) { clear(dst) }

// stuck is a model whose proposals ignore the residual: a fixed vector
// plus noise of 1e-9.
type stuck struct {
	rnd *rand.Rand
	v   []float64
}

func (s *stuck) PreconSolve(dst, _ []float64) {
	for i := range dst {
		dst[i] = s.v[i] + 1e-9*s.rnd.NormFloat64()
	}
}

// TestBreakdown: a model that proposes nothing ends the solve with reason
// Breakdown, naming the cause; one whose proposals ignore the residual
// makes no progress and ends with reason Stagnated after Patience
// iterations, the returned x's true residual the one reported.
func TestBreakdown(t *testing.T) {
	a, b := system(t, 8, 3)
	res := solve(t, a, b, &Method{}, zero{}, 1e-8, nil)
	if res.Reason != iterate.Breakdown || res.Err() == nil {
		t.Errorf("reason %v, %v", res.Reason, res.Err())
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	st := &stuck{rnd: rnd, v: make([]float64, len(b))}
	for i := range st.v {
		st.v[i] = rnd.NormFloat64()
	}
	res = solve(t, a, b, &Method{Patience: 20}, st, 1e-8, nil)
	r := make([]float64, len(b))
	a.MulVecTo(r, res.X)
	floats.Sub(r, b)
	if res.Reason != iterate.Stagnated || res.Iterations > 200 || math.Abs(floats.Norm(r, 2)-res.Residual) > 1e-12*res.Residual {
		t.Errorf("reason %v after %d iterations (%v); true residual %g, reported %g", res.Reason, res.Iterations, res.Err(), floats.Norm(r, 2), res.Residual)
	}
}
