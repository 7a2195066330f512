package direct

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

// backwardError returns ||b - A x|| / (||A||_inf ||x|| + ||b||), the
// normwise backward error: near machine precision for a stable solve.
func backwardError(a *sparse.CSR, x, b []float64) float64 {
	r := make([]float64, len(b))
	a.MulVecTo(r, x)
	floats.Sub(r, b)
	var anorm float64
	for i := 0; i < len(b); i++ {
		_, vals := a.Row(i)
		var s float64
		for _, v := range vals {
			s += math.Abs(v)
		}
		anorm = math.Max(anorm, s)
	}
	return floats.Norm(r, math.Inf(1)) / (anorm*floats.Norm(x, math.Inf(1)) + floats.Norm(b, math.Inf(1)))
}

func randomVector(n int, seed uint64) []float64 {
	rnd := rand.New(rand.NewPCG(seed, 1))
	b := make([]float64, n)
	for i := range b {
		b[i] = rnd.NormFloat64()
	}
	return b
}

// Cholesky and LU solve the suite's matrices to a backward error near
// machine precision, and agree with each other.
func TestBackwardError(t *testing.T) {
	g2 := mesh.NewGrid(mesh.Dirichlet, 60, 50)
	g3 := mesh.NewGrid(mesh.Dirichlet, 14, 12, 10)
	a2 := mesh.NewLaplacian(g2).ToCSR()
	an := mesh.NewAnisotropic(g2, []float64{1e-3, 1}, 0).ToCSR()
	a3 := mesh.NewLaplacian(g3).ToCSR()
	cd := mesh.NewConvDiff(g2, 1, []float64{70, 70}, mesh.Upwind).ToCSR()
	for _, c := range []struct {
		name string
		a    *sparse.CSR
		spd  bool
	}{{"poisson2d", a2, true}, {"anisotropic2d", an, true}, {"poisson3d", a3, true}, {"convdiff2d", cd, false}} {
		n, _ := c.a.Dims()
		b := randomVector(n, 3)
		var fs []Factorization
		if c.spd {
			ch, err := NewCholesky(c.a)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			fs = append(fs, ch)
		}
		lu, err := NewLU(c.a)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		fs = append(fs, lu)
		var xs [][]float64
		for _, f := range fs {
			x := make([]float64, n)
			if err := f.SolveTo(x, b); err != nil {
				t.Fatal(err)
			}
			be := backwardError(c.a, x, b)
			st := f.Stats()
			t.Logf("%s, %s: backward error %.2e, ordering %s, factor nonzeros %.0f", c.name, st.Method, be, st.Ordering, st.NNZ)
			if be > 1e-14 {
				t.Errorf("%s, %s: backward error %.3g", c.name, st.Method, be)
			}
			if !(st.NNZ >= float64(n)) || st.Ordering == "" || !(st.Flops > 0) {
				t.Errorf("%s, %s: stats %+v", c.name, st.Method, st)
			}
			xs = append(xs, x)
			f.Close()
			f.Close() // twice is fine
		}
		if len(xs) == 2 && floats.Distance(xs[0], xs[1], math.Inf(1)) > 1e-10*floats.Norm(xs[0], math.Inf(1)) {
			t.Errorf("%s: Cholesky and LU differ", c.name)
		}
	}
}

// As the preconditioner of Richardson the factorisation is a direct solve:
// one iteration reaches the tolerance.
func TestRichardsonOneIteration(t *testing.T) {
	a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, 40, 40)).ToCSR()
	f, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := f.(*Cholesky); !ok {
		t.Errorf("New chose %T for an SPD matrix, want Cholesky", f)
	}
	b := randomVector(1600, 5)
	res, err := solvers.Solve(context.Background(), a, b, &solvers.Richardson{},
		&solvers.Settings{Control: iterate.Control{Tolerance: 1e-12}, Preconditioner: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.Iterations != 1 {
		t.Errorf("%d iterations, want 1", res.Iterations)
	}
	cd := mesh.NewConvDiff(mesh.NewGrid(mesh.Dirichlet, 20, 20), 1, []float64{10, 0}, mesh.Upwind).ToCSR()
	g, err := New(cd)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, ok := g.(*LU); !ok {
		t.Errorf("New chose %T for a nonsymmetric matrix, want LU", g)
	}
}

func TestErrors(t *testing.T) {
	// Symmetric indefinite: Cholesky fails with ErrNotSPD, LU succeeds.
	ind, _ := sparse.NewCSR(2, 2, []int{0, 2, 4}, []int{0, 1, 0, 1}, []float64{1, 2, 2, 1})
	if _, err := NewCholesky(ind); !errors.Is(err, solvers.ErrNotSPD) {
		t.Errorf("Cholesky of an indefinite matrix: %v", err)
	}
	f, err := New(ind)
	if err != nil {
		t.Fatalf("New of an indefinite matrix: %v", err)
	}
	x := make([]float64, 2)
	if err := f.SolveTo(x, []float64{3, 3}); err != nil || math.Abs(x[0]-1) > 1e-14 || math.Abs(x[1]-1) > 1e-14 {
		t.Errorf("indefinite solve: %v, %v", x, err)
	}
	if err := f.SolveTo(x, []float64{1}); !errors.Is(err, solvers.ErrShape) {
		t.Errorf("short right-hand side: %v", err)
	}
	f.Close()
	if err := f.SolveTo(x, []float64{3, 3}); err == nil {
		t.Errorf("solve after Close: no error")
	}
	sing, _ := sparse.NewCSR(2, 2, []int{0, 2, 4}, []int{0, 1, 0, 1}, []float64{1, 2, 2, 4})
	if _, err := NewLU(sing); !errors.Is(err, solvers.ErrSingular) {
		t.Errorf("LU of a singular matrix: %v", err)
	}
	rect, _ := sparse.NewCSR(2, 3, []int{0, 1, 2}, []int{0, 1}, []float64{1, 1})
	if _, err := New(rect); !errors.Is(err, solvers.ErrShape) {
		t.Errorf("rectangular: %v", err)
	}
	nonsym, _ := sparse.NewCSR(2, 2, []int{0, 2, 3}, []int{0, 1, 1}, []float64{2, 1, 2})
	if _, err := NewCholesky(nonsym); !errors.Is(err, solvers.ErrNotSPD) {
		t.Errorf("Cholesky of a nonsymmetric matrix: %v", err)
	}
}

// Refactor reuses the analysis for new values on the same pattern: its
// solve equals a fresh factorisation's; another pattern is ErrShape; a
// singular matrix leaves no factors (a solve says so) until a Refactor
// succeeds. Without refinement the backward error stays near rounding on a
// well-conditioned matrix.
func TestLURefactor(t *testing.T) {
	g := mesh.NewGrid(mesh.Dirichlet, 30, 20)
	a := mesh.NewConvDiff(g, 1, []float64{70, 70}, mesh.Upwind).ToCSR()
	n, _ := a.Dims()
	b := randomVector(n, 5)
	lu, err := NewLU(a)
	if err != nil {
		t.Fatal(err)
	}
	defer lu.Close()
	// New values on the same pattern: W = I + 0.01 A.
	ptr, ind, val := a.RawCSR()
	wv := make([]float64, len(val))
	for i := 0; i < n; i++ {
		for k := ptr[i]; k < ptr[i+1]; k++ {
			wv[k] = 0.01 * val[k]
			if ind[k] == i {
				wv[k]++
			}
		}
	}
	w, _ := sparse.NewCSR(n, n, ptr, ind, wv)
	if err := lu.Refactor(w); err != nil {
		t.Fatal(err)
	}
	fresh, err := NewLU(w)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	x, y := make([]float64, n), make([]float64, n)
	if err := lu.SolveTo(x, b); err != nil {
		t.Fatal(err)
	}
	if err := fresh.SolveTo(y, b); err != nil {
		t.Fatal(err)
	}
	if d := floats.Distance(x, y, math.Inf(1)); d > 1e-13*floats.Norm(y, math.Inf(1)) {
		t.Errorf("refactored and fresh solves differ by %.3g", d)
	}
	lu.SetRefinement(0)
	if err := lu.SolveTo(x, b); err != nil {
		t.Fatal(err)
	}
	if be := backwardError(w, x, b); be > 1e-14 {
		t.Errorf("without refinement: backward error %.3g", be)
	}
	// Another pattern: the identity.
	ip, ii, iv := make([]int, n+1), make([]int, n), make([]float64, n)
	for i := range ii {
		ip[i+1], ii[i], iv[i] = i+1, i, 1
	}
	eye, _ := sparse.NewCSR(n, n, ip, ii, iv)
	if err := lu.Refactor(eye); !errors.Is(err, solvers.ErrShape) {
		t.Errorf("Refactor on another pattern: %v", err)
	}
	// A singular matrix on the pattern: all zeros but the diagonal's
	// first row.
	zv := make([]float64, len(val))
	zv[ptr[0]] = 1
	z, _ := sparse.NewCSR(n, n, ptr, ind, zv)
	if err := lu.Refactor(z); !errors.Is(err, solvers.ErrSingular) {
		t.Errorf("Refactor of a singular matrix: %v", err)
	}
	if err := lu.SolveTo(x, b); err == nil {
		t.Error("solve after a failed Refactor: no error")
	}
	if err := lu.Refactor(w); err != nil {
		t.Fatal(err)
	}
	if err := lu.SolveTo(x, b); err != nil || backwardError(w, x, b) > 1e-14 {
		t.Errorf("after a good Refactor: %v, backward error %.3g", err, backwardError(w, x, b))
	}
	lu.Close()
	if err := lu.Refactor(w); err == nil {
		t.Error("Refactor after Close: no error")
	}
}

// TestComplexLU: a random sparse complex system (a 5-point pattern with
// random off-diagonal entries, complex diagonal) solved to a relative
// residual near machine precision, not conjugated (A x = b, not A^H);
// a refactorisation with new values likewise; a singular matrix and a
// broken pattern are refused with the package's errors.
func TestComplexLU(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	const side = 9
	n := side * side
	var ptr, ind []int
	for i := 0; i < n; i++ {
		ptr = append(ptr, len(ind))
		for _, j := range []int{i - side, i - 1, i, i + 1, i + side} {
			if j >= 0 && j < n && (j == i || j/side == i/side || j%side == i%side) {
				ind = append(ind, j)
			}
		}
	}
	ptr = append(ptr, len(ind))
	values := func() ([]float64, []float64) {
		re, im := make([]float64, len(ind)), make([]float64, len(ind))
		for i := 0; i < n; i++ {
			for k := ptr[i]; k < ptr[i+1]; k++ {
				re[k], im[k] = rnd.NormFloat64(), rnd.NormFloat64()
				if ind[k] == i {
					re[k], im[k] = 2+rnd.Float64(), 3*rnd.NormFloat64()
				}
			}
		}
		return re, im
	}
	check := func(f *ComplexLU, re, im []float64) {
		br, bi := make([]float64, n), make([]float64, n)
		for i := range br {
			br[i], bi[i] = rnd.NormFloat64(), rnd.NormFloat64()
		}
		xr, xi := make([]float64, n), make([]float64, n)
		if err := f.SolveTo(xr, xi, br, bi); err != nil {
			t.Fatal(err)
		}
		var rn, bn float64
		for i := 0; i < n; i++ {
			s := complex(-br[i], -bi[i])
			for k := ptr[i]; k < ptr[i+1]; k++ {
				s += complex(re[k], im[k]) * complex(xr[ind[k]], xi[ind[k]])
			}
			rn += real(s)*real(s) + imag(s)*imag(s)
			bn += br[i]*br[i] + bi[i]*bi[i]
		}
		if r := math.Sqrt(rn / bn); r > 1e-14 {
			t.Errorf("relative residual %.3g", r)
		}
	}
	re, im := values()
	f, err := NewComplexLU(n, ptr, ind, re, im)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	check(f, re, im)
	re, im = values()
	if err := f.Refactor(re, im); err != nil {
		t.Fatal(err)
	}
	check(f, re, im)
	zero := make([]float64, len(ind))
	if err := f.Refactor(zero, zero); !errors.Is(err, solvers.ErrSingular) {
		t.Errorf("a zero matrix: %v, want ErrSingular", err)
	}
	if _, err := NewComplexLU(n, ptr, ind[:len(ind)-1], re[:len(ind)-1], im[:len(ind)-1]); !errors.Is(err, solvers.ErrShape) {
		t.Errorf("a short pattern: %v, want ErrShape", err)
	}
}
