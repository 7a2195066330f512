package solvers

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/sparse"
)

// tridiag returns the n x n matrix tridiag(-1, d, -1).
func tridiag(n int, d float64) *sparse.CSR {
	b := sparse.NewCOO(n, n)
	for i := 0; i < n; i++ {
		b.Add(i, i, d)
		if i > 0 {
			b.Add(i, i-1, -1)
		}
		if i < n-1 {
			b.Add(i, i+1, -1)
		}
	}
	return b.ToCSR()
}

// randomSPD returns Q diag(eig) Q^T with a random orthogonal Q.
func randomSPD(eig []float64, rnd *rand.Rand) *sparse.CSR {
	n := len(eig)
	g := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			g.Set(i, j, rnd.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	var a mat.Dense
	a.Mul(&q, mat.NewDiagDense(n, eig))
	a.Mul(&a, q.T())
	return sparse.FromMatrix(&a)
}

// direct solves A x = b densely.
func direct(t *testing.T, a *sparse.CSR, b []float64) []float64 {
	t.Helper()
	var x mat.VecDense
	if err := x.SolveVec(a.ToDense(), mat.NewVecDense(len(b), b)); err != nil {
		t.Fatal(err)
	}
	return x.RawVector().Data
}

func trueRelResidual(a Operator, x, b []float64) float64 {
	r := make([]float64, len(b))
	a.MulVecTo(r, x)
	floats.Sub(r, b)
	return floats.Norm(r, 2) / floats.Norm(b, 2)
}

// systems used across the method table.
func testSystems() map[string]*sparse.CSR {
	g := mesh.NewGrid(mesh.Dirichlet, 15, 15)
	return map[string]*sparse.CSR{
		"spd":        mesh.NewLaplacian(g).ToCSR(),
		"nonsym":     mesh.NewConvDiff(g, 1, []float64{20, -10}, mesh.Upwind).ToCSR(),
		"indefinite": mesh.NewHelmholtz(g, 9).ToCSR(), // eigenvalues of both signs
	}
}

type methodCase struct {
	name    string
	method  func() Method
	pc      func(a *sparse.CSR) (Preconditioner, error)
	applies []string
}

func noPC(*sparse.CSR) (Preconditioner, error) { return nil, nil }

func methodCases() []methodCase {
	jac := func(a *sparse.CSR) (Preconditioner, error) { return NewJacobi(a) }
	sor := func(omega float64, s Sweep) func(a *sparse.CSR) (Preconditioner, error) {
		return func(a *sparse.CSR) (Preconditioner, error) { return NewSOR(a, omega, s) }
	}
	ilu := func(a *sparse.CSR) (Preconditioner, error) { return NewILU0(a) }
	ic := func(a *sparse.CSR) (Preconditioner, error) { return NewIC0(a) }
	all := []string{"spd", "nonsym", "indefinite"}
	return []methodCase{
		{"cg", func() Method { return &CG{} }, noPC, []string{"spd"}},
		{"pcg-jacobi", func() Method { return &CG{} }, jac, []string{"spd"}},
		{"pcg-ssor", func() Method { return &CG{} }, sor(1.5, Symmetric), []string{"spd"}},
		{"pcg-ic0", func() Method { return &CG{} }, ic, []string{"spd"}},
		{"minres", func() Method { return &MINRES{} }, noPC, []string{"spd", "indefinite"}},
		{"pminres-jacobi", func() Method { return &MINRES{} }, jac, []string{"spd"}},
		{"pminres-ic0", func() Method { return &MINRES{} }, ic, []string{"spd"}},
		{"gmres", func() Method { return &GMRES{} }, noPC, all},
		{"gmres(5)", func() Method { return &GMRES{Restart: 5} }, noPC, []string{"spd", "nonsym"}},
		{"gmres-reorth", func() Method { return &GMRES{Reorthogonalize: true} }, noPC, all},
		{"gmres-ilu0", func() Method { return &GMRES{} }, ilu, all},
		{"bicgstab", func() Method { return &BiCGSTAB{} }, noPC, []string{"spd", "nonsym"}},
		{"bicgstab-ilu0", func() Method { return &BiCGSTAB{} }, ilu, all},
		{"jacobi", func() Method { return &Richardson{} }, jac, []string{"spd", "nonsym"}},
		{"weighted-jacobi", func() Method { return &Richardson{Scale: 0.8} }, jac, []string{"spd"}},
		{"gauss-seidel", func() Method { return &Richardson{} }, sor(1, Forward), []string{"spd", "nonsym"}},
		{"sor-backward", func() Method { return &Richardson{} }, sor(1.7, Backward), []string{"spd"}},
		{"ssor", func() Method { return &Richardson{} }, sor(1.5, Symmetric), []string{"spd", "nonsym"}},
	}
}

// TestMethodsAgainstDirect runs every method on every system it applies to
// and compares with a dense direct solve.
func TestMethodsAgainstDirect(t *testing.T) {
	sys := testSystems()
	for _, mc := range methodCases() {
		for _, kind := range mc.applies {
			a := sys[kind]
			n, _ := a.Dims()
			b := make([]float64, n)
			for i := range b {
				b[i] = math.Cos(0.37 * float64(i))
			}
			want := direct(t, a, b)
			pc, err := mc.pc(a)
			if err != nil {
				t.Fatalf("%s on %s: %v", mc.name, kind, err)
			}
			s := &Settings{Tolerance: 1e-10, History: true, MaxIterations: 20000}
			if pc != nil {
				s.Preconditioner = pc
			}
			var calls []int
			s.Callback = func(it Iteration) bool { calls = append(calls, it.Iter); return true }
			res, err := Solve(context.Background(), a, b, mc.method(), s)
			if err != nil {
				t.Fatalf("%s on %s: %v", mc.name, kind, err)
			}
			if res.Reason != ConvergedRelative {
				t.Errorf("%s on %s: %v after %d iterations (%s), relres %.3g", mc.name, kind, res.Reason, res.Iterations, res.Message, res.RelResidual)
				continue
			}
			if rr := trueRelResidual(a, res.X, b); rr > 2e-10 {
				t.Errorf("%s on %s: true relative residual %.3g, reported %.3g", mc.name, kind, rr, res.RelResidual)
			}
			d := make([]float64, n)
			floats.SubTo(d, res.X, want)
			if e := floats.Norm(d, 2) / floats.Norm(want, 2); e > 1e-7 {
				t.Errorf("%s on %s: relative error %.3g against the direct solve", mc.name, kind, e)
			}
			if len(res.History) != res.Iterations+1 {
				t.Errorf("%s on %s: history has %d entries for %d iterations", mc.name, kind, len(res.History), res.Iterations)
			}
			// The callback sees iteration 0 and every iteration before the last.
			if len(calls) != res.Iterations || len(calls) > 0 && calls[0] != 0 {
				t.Errorf("%s on %s: callback saw %d iterations starting at %v, solve took %d", mc.name, kind, len(calls), calls[:min(1, len(calls))], res.Iterations)
			}
		}
	}
}

// TestMethodsStopCleanly checks the iteration limit, the callback and
// cancellation for every method: the iterate returned is the one whose
// residual is reported.
func TestMethodsStopCleanly(t *testing.T) {
	a := testSystems()["nonsym"]
	n, _ := a.Dims()
	b := make([]float64, n)
	for i := range b {
		b[i] = 1
	}
	for _, mc := range methodCases() {
		pc, err := mc.pc(a)
		if err != nil {
			continue // IC(0) of a nonsymmetric matrix
		}
		s := &Settings{MaxIterations: 7, Preconditioner: pc}
		res, err := Solve(context.Background(), a, b, mc.method(), s)
		if err != nil {
			t.Fatal(err)
		}
		if res.Reason != IterationLimit || res.Iterations != 7 {
			t.Errorf("%s: limit 7 gave %v after %d", mc.name, res.Reason, res.Iterations)
		}
		// GMRES forms x at the stop, so the reported residual is x's.
		if rr := trueRelResidual(a, res.X, b); math.Abs(rr-res.RelResidual) > 1e-6*rr+1e-12 {
			t.Errorf("%s: reported relres %.6g, true %.6g", mc.name, res.RelResidual, rr)
		}
		s = &Settings{Preconditioner: pc, Callback: func(it Iteration) bool { return it.Iter < 2 }}
		res, _ = Solve(context.Background(), a, b, mc.method(), s)
		if res.Reason != StoppedByCallback || res.Iterations != 2 {
			t.Errorf("%s: callback stop gave %v after %d", mc.name, res.Reason, res.Iterations)
		}
		ctx, cancel := context.WithCancel(context.Background())
		s = &Settings{Preconditioner: pc, Callback: func(it Iteration) bool {
			if it.Iter == 3 {
				cancel()
			}
			return true
		}}
		res, _ = Solve(ctx, a, b, mc.method(), s)
		if res.Reason != Cancelled || res.Iterations != 3 {
			t.Errorf("%s: cancel gave %v after %d", mc.name, res.Reason, res.Iterations)
		}
		// b = 0 converges at iteration 0 with x = 0.
		res, _ = Solve(context.Background(), a, make([]float64, n), mc.method(), &Settings{Preconditioner: pc})
		if res.Reason != ConvergedAbsolute || res.Iterations != 0 || floats.Norm(res.X, 2) != 0 {
			t.Errorf("%s: b = 0 gave %v after %d", mc.name, res.Reason, res.Iterations)
		}
	}
}

// TestCGExactInNSteps: in exact arithmetic CG ends in at most n steps; on a
// small well-conditioned SPD matrix rounding does not delay it.
func TestCGExactInNSteps(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{3, 8, 20} {
		eig := make([]float64, n)
		for i := range eig {
			eig[i] = 1 + 9*float64(i)/float64(n-1)
		}
		a := randomSPD(eig, rnd)
		b := make([]float64, n)
		for i := range b {
			b[i] = rnd.NormFloat64()
		}
		res, err := Solve(context.Background(), a, b, &CG{}, &Settings{Tolerance: 1e-12, MaxIterations: n})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Reason.Converged() {
			t.Errorf("n = %d: %v with relres %.3g after n steps", n, res.Reason, res.RelResidual)
		}
		// With k distinct eigenvalues CG ends in k steps.
		for i := range eig {
			eig[i] = float64(1 + i%3)
		}
		a = randomSPD(eig, rnd)
		res, _ = Solve(context.Background(), a, b, &CG{}, &Settings{Tolerance: 1e-12, MaxIterations: 3})
		if n >= 3 && !res.Reason.Converged() {
			t.Errorf("n = %d, 3 distinct eigenvalues: %v with relres %.3g after 3 steps", n, res.Reason, res.RelResidual)
		}
	}
}

// TestExactPreconditioners: on a tridiagonal matrix IC(0) and ILU(0) are
// the exact factorizations, so one iteration solves the system.
func TestExactPreconditioners(t *testing.T) {
	a := tridiag(50, 2.5)
	b := make([]float64, 50)
	for i := range b {
		b[i] = float64(i%7) - 3
	}
	ic, err := NewIC0(a)
	if err != nil {
		t.Fatal(err)
	}
	ilu, err := NewILU0(a)
	if err != nil {
		t.Fatal(err)
	}
	for name, pc := range map[string]Preconditioner{"ic0": ic, "ilu0": ilu} {
		for _, m := range []Method{&CG{}, &GMRES{}, &BiCGSTAB{}, &Richardson{}} {
			res, _ := Solve(context.Background(), a, b, m, &Settings{Tolerance: 1e-12, Preconditioner: pc})
			if !res.Reason.Converged() || res.Iterations != 1 {
				t.Errorf("%s with %T: %v after %d iterations", name, m, res.Reason, res.Iterations)
			}
		}
	}
}

// TestIncompleteFactorsMatchPattern: L U equals A on the pattern of A for
// ILU(0) (and L D L^T for IC(0)), the defining property of zero fill.
func TestIncompleteFactorsMatchPattern(t *testing.T) {
	g := mesh.NewGrid(mesh.Dirichlet, 6, 5)
	for _, a := range []*sparse.CSR{
		mesh.NewLaplacian(g).ToCSR(),
		mesh.NewConvDiff(g, 1, []float64{5, 3}, mesh.Central).ToCSR(),
	} {
		p, err := NewILU0(a)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := a.Dims()
		// The factors must also solve: L U z = r for PreconSolve's z.
		r := make([]float64, n)
		for i := range r {
			r[i] = math.Sin(float64(i))
		}
		z := make([]float64, n)
		p.PreconSolve(z, r)
		fc, err := sparse.NewCSR(n, n, p.f.indptr, p.f.indices, p.f.data)
		if err != nil {
			t.Fatal(err)
		}
		f := fc.ToDense()
		l := mat.NewDense(n, n, nil)
		u := mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				switch {
				case j < i:
					l.Set(i, j, f.At(i, j))
				case j == i:
					l.Set(i, j, 1)
					u.Set(i, j, f.At(i, j))
				default:
					u.Set(i, j, f.At(i, j))
				}
			}
		}
		var lu mat.Dense
		lu.Mul(l, u)
		var luz mat.VecDense
		luz.MulVec(&lu, mat.NewVecDense(n, z))
		for i := range r {
			if math.Abs(luz.AtVec(i)-r[i]) > 1e-12 {
				t.Fatalf("(L U z)[%d] = %g, r = %g", i, luz.AtVec(i), r[i])
			}
		}
		ip, ind, val := a.RawCSR()
		for i := 0; i < n; i++ {
			for k := ip[i]; k < ip[i+1]; k++ {
				if d := lu.At(i, ind[k]) - val[k]; math.Abs(d) > 1e-12 {
					t.Fatalf("(LU - A)[%d][%d] = %g on the pattern", i, ind[k], d)
				}
			}
		}
	}
}

// TestStationaryRates measures the asymptotic convergence factor of the
// Jacobi and optimal SOR iterations on the 2-D model problem against the
// closed forms rho_J = cos(pi h) and rho_SOR = omega_opt - 1 with
// omega_opt = 2 / (1 + sin(pi h)) (Young 1950).
func TestStationaryRates(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int
		omega  float64 // 0: Jacobi
		k1, k2 int
	}{
		{"jacobi", 15, 0, 300, 600},
		{"sor-opt", 63, -1, 100, 200},
	} {
		g := mesh.NewGrid(mesh.Dirichlet, tc.n, tc.n)
		a := mesh.NewLaplacian(g).ToCSR()
		h := 1 / float64(tc.n+1)
		var pc Preconditioner
		var want float64
		if tc.omega == 0 {
			pc, _ = NewJacobi(a)
			want = math.Cos(math.Pi * h)
		} else {
			w := 2 / (1 + math.Sin(math.Pi*h))
			pc, _ = NewSOR(a, w, Forward)
			want = w - 1
		}
		rate := func(pc Preconditioner) float64 {
			b := make([]float64, g.Len())
			rnd := rand.New(rand.NewPCG(3, 4))
			for i := range b {
				b[i] = rnd.Float64()
			}
			res, _ := Solve(context.Background(), a, b, &Richardson{}, &Settings{
				Preconditioner: pc, History: true, MaxIterations: tc.k2, Tolerance: 1e-300,
			})
			hs := res.History
			return math.Pow(hs[tc.k2]/hs[tc.k1], 1/float64(tc.k2-tc.k1))
		}
		got := rate(pc)
		// SOR at omega_opt has a 2x2 Jordan block: the residual falls as
		// k rho^k, which biases the measured factor by about (k2/k1)^(1/(k2-k1)).
		tol := 1e-3
		if tc.omega != 0 {
			tol = 1.5e-2
		}
		if math.Abs(got-want) > tol*want {
			t.Errorf("%s: measured factor %.5f, theory %.5f", tc.name, got, want)
		}
		if tc.omega != 0 {
			w := 2 / (1 + math.Sin(math.Pi*h))
			for _, dw := range []float64{-0.08, 0.05} {
				p, _ := NewSOR(a, w+dw, Forward)
				if r := rate(p); r <= got {
					t.Errorf("omega %.3f converges at %.5f, not slower than omega_opt at %.5f", w+dw, r, got)
				}
			}
		}
	}
}

// TestSSORMatchesFactorForm checks the stated factor order: one symmetric
// sweep from zero applies M^{-1} with
// M = (D/w + L) (D (2-w)/w)^{-1} (D/w + U).
func TestSSORMatchesFactorForm(t *testing.T) {
	a := mesh.NewConvDiff(mesh.NewGrid(mesh.Dirichlet, 4, 3), 1, []float64{4, 2}, mesh.Upwind).ToCSR()
	n, _ := a.Dims()
	w := 1.3
	ad := a.ToDense()
	lo := mat.NewDense(n, n, nil)
	up := mat.NewDense(n, n, nil)
	mid := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			v := ad.At(i, j)
			switch {
			case j < i:
				lo.Set(i, j, v)
			case j > i:
				up.Set(i, j, v)
			default:
				lo.Set(i, i, v/w)
				up.Set(i, i, v/w)
				mid.Set(i, i, w/((2-w)*v))
			}
		}
	}
	var m mat.Dense
	m.Mul(lo, mid)
	m.Mul(&m, up)
	p, _ := NewSOR(a, w, Symmetric)
	r := make([]float64, n)
	for i := range r {
		r[i] = float64(i*i%5) - 2
	}
	z := make([]float64, n)
	p.PreconSolve(z, r)
	got := make([]float64, n)
	mat.NewVecDense(n, got).MulVec(&m, mat.NewVecDense(n, z))
	for i := range r {
		if math.Abs(got[i]-r[i]) > 1e-12 {
			t.Fatalf("M z != r at %d: %g vs %g", i, got[i], r[i])
		}
	}
}

// TestBadInput: every bad input is an error naming the problem or a typed
// Reason, never a panic or a hang.
func TestBadInput(t *testing.T) {
	a := tridiag(4, 2)
	rect, _ := sparse.FromTriplets(2, 3, []int{0}, []int{0}, []float64{1})
	nanA, _ := sparse.FromTriplets(2, 2, []int{0, 1}, []int{0, 1}, []float64{1, math.Inf(1)})
	zeroDiag, _ := sparse.FromTriplets(2, 2, []int{0, 1, 1}, []int{1, 0, 1}, []float64{1, 1, 1})
	nonsym, _ := sparse.FromTriplets(2, 2, []int{0, 0, 1}, []int{0, 1, 1}, []float64{2, 1, 2})
	ones := []float64{1, 1, 1, 1}
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"non-square", func() error { _, err := Solve(context.Background(), rect, []float64{1, 1}, &CG{}, nil); return err }, "not square"},
		{"short b", func() error { _, err := Solve(context.Background(), a, []float64{1, 1}, &GMRES{}, nil); return err }, "length 2"},
		{"NaN in b", func() error {
			_, err := Solve(context.Background(), a, []float64{1, math.NaN(), 1, 1}, &MINRES{}, nil)
			return err
		}, "entry 1 is NaN"},
		{"Inf in A", func() error {
			_, err := Solve(context.Background(), nanA, []float64{1, 1}, &BiCGSTAB{}, nil)
			return err
		}, "entry (1, 1) is +Inf"},
		{"short X0", func() error {
			_, err := Solve(context.Background(), a, ones, &CG{}, &Settings{X0: []float64{1}})
			return err
		}, "initial guess"},
		{"NaN X0", func() error {
			_, err := Solve(context.Background(), a, ones, &CG{}, &Settings{X0: []float64{0, 0, math.NaN(), 0}})
			return err
		}, "initial guess entry 2"},
		{"negative tolerance", func() error {
			_, err := Solve(context.Background(), a, ones, &CG{}, &Settings{Tolerance: -1})
			return err
		}, "negative"},
		{"nil method", func() error { _, err := Solve(context.Background(), a, ones, nil, nil); return err }, "nil method"},
		{"zero diagonal Jacobi", func() error { _, err := NewJacobi(zeroDiag); return err }, "a[0][0] = 0"},
		{"zero diagonal SOR", func() error { _, err := NewSOR(zeroDiag, 1, Forward); return err }, "a[0][0] = 0"},
		{"omega 2", func() error { _, err := NewSOR(a, 2, Symmetric); return err }, "omega = 2"},
		{"ILU zero pivot", func() error { _, err := NewILU0(zeroDiag); return err }, "row 0 has none"},
		{"IC nonsymmetric", func() error { _, err := NewIC0(nonsym); return err }, "symmetric"},
		{"IC indefinite", func() error { _, err := NewIC0(tridiag(4, 0.5)); return err }, "not positive definite"},
	} {
		err := tc.err()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	// An indefinite matrix handed to CG and an indefinite preconditioner
	// are a typed Breakdown with a message, not a wrong answer.
	for _, tc := range []struct {
		m  Method
		pc Preconditioner
	}{
		{&CG{}, nil},
		{&CG{}, negate{}},
		{&MINRES{}, negate{}},
	} {
		s := &Settings{}
		if tc.pc != nil {
			s.Preconditioner = tc.pc
			a = tridiag(4, 2)
		} else {
			a = tridiag(4, 0.5)
		}
		res, err := Solve(context.Background(), a, ones, tc.m, s)
		if err != nil || res.Reason != Breakdown || !strings.Contains(res.Message, "positive definite") {
			t.Errorf("%T with %T: %v, reason %v, message %q", tc.m, tc.pc, err, res.Reason, res.Message)
		}
	}
}

type negate struct{}

func (negate) PreconSolve(dst, r []float64) {
	for i := range dst {
		dst[i] = -r[i]
	}
}

// TestSolveAllocations: a method value can be reused across solves; the
// second solve allocates only the result and the driver's vectors.
func TestSolveAllocations(t *testing.T) {
	a := testSystems()["spd"]
	n, _ := a.Dims()
	b := make([]float64, n)
	for i := range b {
		b[i] = 1
	}
	for _, m := range []Method{&CG{}, &MINRES{}, &GMRES{}, &BiCGSTAB{}} {
		Solve(context.Background(), a, b, m, nil)
		allocs := testing.AllocsPerRun(3, func() { Solve(context.Background(), a, b, m, nil) })
		if allocs > 8 {
			t.Errorf("%T: %v allocations per solve", m, allocs)
		}
	}
}

func ExampleSolve() {
	a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, 31, 31)).ToCSR()
	b := make([]float64, 31*31)
	for i := range b {
		b[i] = 1
	}
	ic, err := NewIC0(a)
	if err != nil {
		panic(err)
	}
	res, err := Solve(context.Background(), a, b, &CG{}, &Settings{Preconditioner: ic})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Reason, res.Iterations < 40)
	// Output: converged (relative tolerance) true
}
