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
		worst := 0.0
		cb := conjugacy(a, m, 2, &worst)
		got := solve(t, a, b, m, pc, 1e-8, cb)
		want := solve(t, a, b, &solvers.CG{}, pc, 1e-8, nil)
		t.Logf("model %T: DCDM %d iterations, CG %d; largest |p_k^T A p_j| / norms, j = k-1, k-2: %.2g", pc, got.Iterations, want.Iterations, worst)
		if !got.Reason.Converged() || math.Abs(float64(got.Iterations-want.Iterations)) > 2 || !(worst <= 1e-10) {
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

// conjugacy returns a callback that measures, in *worst, the largest
// |p_k^T A p_j| / sqrt(p_k^T A p_k p_j^T A p_j) of each new direction p_k
// of m against the k directions before it, from copies it keeps.
func conjugacy(a *sparse.CSR, m *Method, k int, worst *float64) func(iterate.Progress) bool {
	var past, aPast [][]float64
	return func(iterate.Progress) bool {
		cur := (m.next + len(m.p) - 1) % len(m.p)
		if m.pap[cur] == 0 {
			return true // before the first direction
		}
		p, ap := m.p[cur], make([]float64, len(m.p[cur]))
		a.MulVecTo(ap, p)
		pap := floats.Dot(p, ap)
		for j := max(0, len(past)-k); j < len(past); j++ {
			c := math.Abs(floats.Dot(past[j], ap)) / math.Sqrt(pap*floats.Dot(past[j], aPast[j]))
			*worst = math.Max(*worst, c)
		}
		past, aPast = append(past, append([]float64(nil), p...)), append(aPast, ap)
		return true
	}
}

// bent is a nonlinear model: IC(0) of the residual, each entry scaled by
// a factor in [0.5, 1.5] that depends on the residual's own entry.
type bent struct{ ic solvers.Preconditioner }

func (m bent) PreconSolve(dst, r []float64) {
	m.ic.PreconSolve(dst, r)
	nr := floats.Norm(r, math.Inf(1))
	for i := range dst {
		dst[i] *= 1 + 0.5*math.Sin(7*r[i]/nr)
	}
}

// TestDirections: with a nonlinear model, the general variant keeps each
// new direction A-orthogonal to the last k; with k at least the number of
// unknowns the directions are a basis made A-orthogonal, so the iteration
// ends at the solution in at most n steps (finite termination), where the
// paper's k = 2 needs more. With k < 0 (none) each step is a line search
// along the proposal, slower than both.
func TestDirections(t *testing.T) {
	a, b := system(t, 24, 4)
	n := len(b)
	ic, err := solvers.NewIC0(a)
	if err != nil {
		t.Fatal(err)
	}
	iters := map[int]int{}
	for _, k := range []int{-1, 2, 5, n} {
		m := &Method{Directions: k, Patience: -1}
		worst := 0.0
		res := solve(t, a, b, m, bent{ic}, 1e-10, conjugacy(a, m, max(k, 0), &worst))
		iters[k] = res.Iterations
		t.Logf("k = %d: %d iterations (%v), A-orthogonality %.2g", k, res.Iterations, res.Reason, worst)
		if !res.Reason.Converged() || !(worst <= 1e-9) {
			t.Errorf("k = %d: %v after %d iterations, A-orthogonality %g", k, res.Reason, res.Iterations, worst)
		}
	}
	if iters[n] > n || !(iters[n] < iters[2] && iters[2] < iters[-1]) {
		t.Errorf("iterations by k: %v (n = %d): want finite termination with k = n and fewer with more directions", iters, n)
	}
}

// nearSpan is a model that proposes, from its tenth call on, the sum of
// the method's kept directions plus 1e-9 times bent's proposal: a q
// nearly in the span the new direction is made A-orthogonal to.
type nearSpan struct {
	bent
	m     *Method
	calls int
}

func (s *nearSpan) PreconSolve(dst, r []float64) {
	s.bent.PreconSolve(dst, r)
	if s.calls++; s.calls < 10 {
		return
	}
	floats.Scale(1e-9, dst)
	for j, p := range s.m.p {
		if s.m.pap[j] > 0 {
			floats.AddScaled(dst, 1/math.Sqrt(s.m.pap[j]), p)
		}
	}
}

// TestNearSpan: a proposal nearly in the span of the kept directions
// still gives a direction A-orthogonal to them (the orthogonalisation's
// second pass; one pass of classical Gram-Schmidt leaves about 1e-7 here).
func TestNearSpan(t *testing.T) {
	a, b := system(t, 24, 4)
	ic, err := solvers.NewIC0(a)
	if err != nil {
		t.Fatal(err)
	}
	m := &Method{Directions: 20, Patience: -1}
	worst := 0.0
	res, err := solvers.Solve(context.Background(), a, b, m, &solvers.Settings{
		Control:        iterate.Control{Tolerance: 1e-300, MaxIterations: 14, Callback: conjugacy(a, m, 20, &worst)},
		Preconditioner: &nearSpan{bent: bent{ic}, m: m}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d iterations (%v): A-orthogonality %.2g", res.Iterations, res.Reason, worst)
	if !(worst <= 1e-12) {
		t.Errorf("A-orthogonality %g", worst)
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
