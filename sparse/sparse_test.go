package sparse

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

// randomCSR returns an r x c matrix with about density*r*c entries and some
// rows left empty on purpose.
func randomCSR(rnd *rand.Rand, r, c int, density float64) *CSR {
	b := NewCOO(r, c)
	for i := 0; i < r; i++ {
		if i%7 == 3 {
			continue // empty row
		}
		for j := 0; j < c; j++ {
			if rnd.Float64() < density {
				b.Add(i, j, rnd.NormFloat64())
			}
		}
	}
	return b.ToCSR()
}

func randVec(rnd *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rnd.NormFloat64()
	}
	return v
}

func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !scalar.EqualWithinAbsOrRel(got[i], want[i], tol, tol) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestMulVecAgainstDense(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		r, c    int
		density float64
	}{
		{1, 1, 1}, {1, 1, 0}, {3, 5, 0.5}, {5, 3, 0.5}, {40, 40, 0.2},
		{300, 200, 0.3}, // above the parallel threshold
		{2000, 2000, 0.01},
	} {
		a := randomCSR(rnd, tc.r, tc.c, tc.density)
		d := a.ToDense()
		x := randVec(rnd, tc.c)
		got := randVec(rnd, tc.r) // garbage: must be overwritten
		a.MulVecTo(got, x)
		want := make([]float64, tc.r)
		if tc.r > 0 && tc.c > 0 {
			mat.NewVecDense(tc.r, want).MulVec(d, mat.NewVecDense(tc.c, x))
		}
		assertClose(t, "MulVecTo", got, want, 1e-12)

		y := randVec(rnd, tc.r)
		gotT := randVec(rnd, tc.c)
		a.MulVecTransTo(gotT, y)
		wantT := make([]float64, tc.c)
		mat.NewVecDense(tc.c, wantT).MulVec(d.T(), mat.NewVecDense(tc.r, y))
		assertClose(t, "MulVecTransTo", gotT, wantT, 1e-12)

		// The explicit transpose must agree with the transposed product.
		at := a.Transpose()
		a2 := randVec(rnd, tc.c)
		at.MulVecTo(a2, y)
		assertClose(t, "Transpose().MulVecTo", a2, wantT, 1e-12)
	}
}

func TestMulVecEveryPartition(t *testing.T) {
	// Every split of rows between parts must give the same product, including
	// parts that receive no rows.
	rnd := rand.New(rand.NewPCG(2, 2))
	a := randomCSR(rnd, 50, 50, 0.3)
	x := randVec(rnd, 50)
	want := make([]float64, 50)
	csrMulVec(want, a.indptr, a.indices, a.data, x)
	// The parts take the 32-bit kernel, which adds each row's terms in
	// the same order: the same bits.
	if a.compact() == nil {
		t.Fatal("no 32-bit indices")
	}
	for parts := 1; parts <= 64; parts *= 2 {
		got := make([]float64, 50)
		task := &mulVecTask{a: a, dst: got, x: x}
		covered := 0
		for p := 0; p < parts; p++ {
			lo, hi := a.rowRange(p, parts)
			covered += hi - lo
			task.Do(p, parts)
		}
		if covered != 50 {
			t.Fatalf("parts=%d cover %d rows, want 50", parts, covered)
		}
		assertClose(t, "partitioned", got, want, 0)
	}
}

func TestMulVecDoesNotAllocate(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 3))
	a := randomCSR(rnd, 3000, 3000, 0.01) // parallel path
	x, y := randVec(rnd, 3000), make([]float64, 3000)
	a.MulVecTo(y, x)
	if n := testing.AllocsPerRun(50, func() { a.MulVecTo(y, x) }); n != 0 {
		t.Errorf("MulVecTo allocated %v times per call", n)
	}
}

func TestBuilderSumsDuplicates(t *testing.T) {
	b := NewCOO(2, 3)
	b.Add(1, 2, 1)
	b.Add(0, 1, 2)
	b.Add(1, 0, 3)
	b.Add(1, 2, 4) // duplicate of (1,2)
	b.Add(0, 1, -2)
	a := b.ToCSR()
	indptr, indices, data := a.RawCSR()
	// By hand: row 0 holds (0,1) = 2-2 = 0 kept as explicit zero; row 1 holds
	// (1,0) = 3 and (1,2) = 1+4 = 5.
	if want := []int{0, 1, 3}; !equalInts(indptr, want) {
		t.Errorf("indptr %v, want %v", indptr, want)
	}
	if want := []int{1, 0, 2}; !equalInts(indices, want) {
		t.Errorf("indices %v, want %v", indices, want)
	}
	assertClose(t, "data", data, []float64{0, 3, 5}, 0)
	if a.At(1, 2) != 5 || a.At(0, 0) != 0 {
		t.Errorf("At gives %v and %v", a.At(1, 2), a.At(0, 0))
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestValidationErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		r, c    int
		indptr  []int
		indices []int
		data    []float64
		want    string
	}{
		{"short indptr", 2, 2, []int{0, 1}, []int{0}, []float64{1}, "indptr has length 2"},
		{"nonzero start", 1, 2, []int{1, 1}, nil, nil, "indptr[0] = 1"},
		{"count mismatch", 1, 2, []int{0, 2}, []int{0}, []float64{1}, "len(indices) = 1"},
		{"decreasing", 2, 2, []int{0, 2, 1}, []int{0}, []float64{1}, "indptr[2] = 1"},
		{"column range", 1, 2, []int{0, 1}, []int{2}, []float64{1}, "column index 2 is out of range 0..1"},
		{"negative column", 1, 2, []int{0, 1}, []int{-1}, []float64{1}, "column index -1"},
		{"unsorted", 1, 3, []int{0, 2}, []int{2, 1}, []float64{1, 1}, "not strictly increasing"},
		{"duplicate", 1, 3, []int{0, 2}, []int{1, 1}, []float64{1, 1}, "not strictly increasing"},
		{"negative dims", -1, 2, []int{0}, nil, nil, "negative dimensions"},
	} {
		_, err := NewCSR(tc.r, tc.c, tc.indptr, tc.indices, tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	if _, err := FromTriplets(2, 2, []int{0, 2}, []int{0, 0}, []float64{1, 1}); err == nil || !strings.Contains(err.Error(), "triplet 1") {
		t.Errorf("FromTriplets out of range: %v", err)
	}
}

func TestCheckFinite(t *testing.T) {
	a, _ := FromTriplets(2, 2, []int{0, 1}, []int{0, 1}, []float64{1, math.NaN()})
	if err := a.CheckFinite(); err == nil || !strings.Contains(err.Error(), "(1, 1)") {
		t.Errorf("CheckFinite: %v", err)
	}
}

// denseSPD returns a random diagonally dominant matrix with some zeros.
func diagDominant(rnd *rand.Rand, n int) *CSR {
	b := NewCOO(n, n)
	for i := 0; i < n; i++ {
		b.Add(i, i, float64(n))
		for j := 0; j < n; j++ {
			if j != i && rnd.Float64() < 0.3 {
				b.Add(i, j, rnd.NormFloat64())
			}
		}
	}
	return b.ToCSR()
}

func TestSORSweepsMatchSplitting(t *testing.T) {
	// One forward SOR sweep is x+ = (D + wL)^{-1} (w b - (wU + (w-1) D) x),
	// the matrix splitting of the textbook (Saad, Iterative Methods, 4.1).
	rnd := rand.New(rand.NewPCG(4, 4))
	n := 12
	a := diagDominant(rnd, n)
	d := a.ToDense()
	diag := a.Diagonal(nil)
	b, x0 := randVec(rnd, n), randVec(rnd, n)
	for _, w := range []float64{1, 1.5, 0.7} {
		var lower, rhsM mat.Dense
		lower.Apply(func(i, j int, v float64) float64 {
			switch {
			case i == j:
				return v
			case j < i:
				return w * v
			}
			return 0
		}, d)
		rhsM.Apply(func(i, j int, v float64) float64 {
			switch {
			case i == j:
				return (w - 1) * v
			case j > i:
				return w * v
			}
			return 0
		}, d)
		var rhs mat.VecDense
		rhs.MulVec(&rhsM, mat.NewVecDense(n, x0))
		rhs.ScaleVec(-1, &rhs)
		rhs.AddScaledVec(&rhs, w, mat.NewVecDense(n, b))
		var want mat.VecDense
		if err := want.SolveVec(&lower, &rhs); err != nil {
			t.Fatal(err)
		}
		x := append([]float64(nil), x0...)
		a.SORForward(x, b, diag, w)
		assertClose(t, "SORForward", x, want.RawVector().Data, 1e-12)
	}
	// The backward sweep is the forward sweep on the reversed ordering:
	// with w = 1 on an upper-triangular matrix it is back substitution.
	upper := NewCOO(n, n)
	for i := 0; i < n; i++ {
		for k := a.indptr[i]; k < a.indptr[i+1]; k++ {
			if j := a.indices[k]; j >= i {
				upper.Add(i, j, a.data[k])
			}
		}
	}
	u := upper.ToCSR()
	x := make([]float64, n)
	u.SORBackward(x, b, u.Diagonal(nil), 1)
	check := make([]float64, n)
	u.MulVecTo(check, x)
	assertClose(t, "SORBackward on U", check, b, 1e-12)
}

func TestTriangularSolves(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 5))
	n := 15
	a := diagDominant(rnd, n)
	d := a.ToDense()
	b := randVec(rnd, n)
	for _, unit := range []bool{false, true} {
		var lo, up mat.Dense
		lo.Apply(func(i, j int, v float64) float64 {
			if j > i {
				return 0
			}
			if i == j && unit {
				return 1
			}
			return v
		}, d)
		up.Apply(func(i, j int, v float64) float64 {
			if j < i {
				return 0
			}
			if i == j && unit {
				return 1
			}
			return v
		}, d)
		for _, tc := range []struct {
			m     *mat.Dense
			solve func(dst, b []float64, unit bool)
			name  string
		}{{&lo, a.SolveLowerTo, "lower"}, {&up, a.SolveUpperTo, "upper"}} {
			var want mat.VecDense
			if err := want.SolveVec(tc.m, mat.NewVecDense(n, b)); err != nil {
				t.Fatal(err)
			}
			got := append([]float64(nil), b...) // in place
			tc.solve(got, got, unit)
			assertClose(t, tc.name, got, want.RawVector().Data, 1e-11)
		}
	}
}

func TestConversions(t *testing.T) {
	rnd := rand.New(rand.NewPCG(6, 6))
	a := randomCSR(rnd, 9, 7, 0.4)
	back := FromMatrix(a.ToDense())
	if !mat.Equal(back, a) {
		t.Error("CSR -> Dense -> CSR changed the matrix")
	}
	jb := a.ToJB()
	if !mat.Equal(jb, a) {
		t.Error("ToJB differs")
	}
	if !mat.Equal(FromJB(jb), a) {
		t.Error("FromJB(ToJB) differs")
	}
	// jbsparse accumulates in MulVecTo; ours overwrites. Check the documented
	// difference holds for the versions pinned.
	x := randVec(rnd, 7)
	acc := make([]float64, 9)
	for i := range acc {
		acc[i] = 1
	}
	jb.MulVecTo(acc, false, x)
	ours := make([]float64, 9)
	a.MulVecTo(ours, x)
	for i := range ours {
		ours[i]++
	}
	assertClose(t, "jbsparse accumulate", acc, ours, 1e-12)
	diag := a.Diagonal(nil)
	for i := range diag {
		if diag[i] != a.At(i, i) {
			t.Fatalf("Diagonal[%d] = %v, At = %v", i, diag[i], a.At(i, i))
		}
	}
}

// TestDiagonal: Diagonal agrees with At on short rows (scanned) and long
// ones (searched), with and without a stored diagonal entry.
func TestDiagonal(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 9))
	for _, density := range []float64{0.05, 0.6} {
		a := randomCSR(rnd, 80, 80, density)
		missing := 0
		for i, d := range a.Diagonal(nil) {
			if d != a.At(i, i) {
				t.Fatalf("density %g: Diagonal[%d] = %v, At = %v", density, i, d, a.At(i, i))
			}
			if d == 0 {
				missing++
			}
		}
		long := 0
		for i := 0; i < 80; i++ {
			if c, _ := a.Row(i); len(c) > 16 {
				long++
			}
		}
		if missing == 0 || (density > 0.5) != (long > 40) {
			t.Errorf("density %g: %d rows without a diagonal entry, %d rows over 16 entries: the test misses a path", density, missing, long)
		}
	}
}

func TestMulAgainstDense(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	a := randomCSR(rnd, 13, 9, 0.3)
	b := randomCSR(rnd, 9, 11, 0.3)
	c, err := Mul(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	var want mat.Dense
	want.Mul(a.ToDense(), b.ToDense())
	if !mat.EqualApprox(c.ToDense(), &want, 1e-12) {
		t.Errorf("Mul differs from the dense product")
	}
	if _, err := Mul(a, a); err == nil || !strings.Contains(err.Error(), "13 x 9 by 13 x 9") {
		t.Errorf("dimension mismatch: %v", err)
	}
	// Large enough to be split into parts: the same as the dense product.
	a = randomCSR(rnd, 400, 300, 0.35)
	b = randomCSR(rnd, 300, 200, 0.05)
	if c, err = Mul(a, b); err != nil {
		t.Fatal(err)
	}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	want.Reset()
	want.Mul(a.ToDense(), b.ToDense())
	if !mat.EqualApprox(c.ToDense(), &want, 1e-12) {
		t.Errorf("Mul of %d nonzeros differs from the dense product", a.NNZ())
	}
	// Rows of the product over 16 entries: over a narrow span (put in
	// order through a bitmap) and over a wide one (sorted).
	for _, cols := range []int{400, 12000} {
		a = randomCSR(rnd, 30, 200, 0.15)
		b = randomCSR(rnd, 200, cols, 1.0/float64(cols))
		if c, err = Mul(a, b); err != nil {
			t.Fatal(err)
		}
		if err := c.validate(); err != nil {
			t.Fatal(err)
		}
		long := 0
		for i := 0; i < 30; i++ {
			if r, _ := c.Row(i); len(r) > 16 {
				long++
			}
		}
		want.Reset()
		want.Mul(a.ToDense(), b.ToDense())
		if !mat.EqualApprox(c.ToDense(), &want, 1e-12) || long < 10 {
			t.Errorf("%d columns: Mul differs from the dense product, or only %d rows over 16 entries", cols, long)
		}
	}
}

func TestSORRowsOrderings(t *testing.T) {
	// Over rows 0..n-1 SORRows is SORForward; reversed, SORBackward.
	rnd := rand.New(rand.NewPCG(8, 8))
	n := 10
	a := diagDominant(rnd, n)
	diag := a.Diagonal(nil)
	b, x0 := randVec(rnd, n), randVec(rnd, n)
	fwd, bwd := make([]int, n), make([]int, n)
	for i := range fwd {
		fwd[i], bwd[i] = i, n-1-i
	}
	for _, tc := range []struct {
		rows  []int
		sweep func(x, b, d []float64, w float64)
	}{{fwd, a.SORForward}, {bwd, a.SORBackward}} {
		x1 := append([]float64(nil), x0...)
		x2 := append([]float64(nil), x0...)
		a.SORRows(x1, b, diag, 1.3, tc.rows)
		tc.sweep(x2, b, diag, 1.3)
		assertClose(t, "SORRows", x1, x2, 0)
	}
}

// shuffledGrid returns the 5-point Laplacian of an nx x ny grid with its
// unknowns numbered at random, and the natural order's mean gap.
func shuffledGrid(nx, ny int, rnd *rand.Rand) (*CSR, float64) {
	n := nx * ny
	natural := grid2D(nx, ny)
	shuffled, err := PermuteSym(natural, rnd.Perm(n))
	if err != nil {
		panic(err)
	}
	return shuffled, MeanGap(natural)
}

// TestRCM: on a grid numbered at random, reverse Cuthill-McKee brings the
// entries back to the natural order's distance from the diagonal (within
// a factor 2), its result a permutation; a matrix of several parts and
// isolated points is ordered whole.
func TestRCM(t *testing.T) {
	rnd := rand.New(rand.NewPCG(4, 4))
	a, natural := shuffledGrid(30, 20, rnd)
	perm, err := RCM(a)
	if err != nil {
		t.Fatal(err)
	}
	b, err := PermuteSym(a, perm)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mean gap: natural %.3g, shuffled %.3g, RCM %.3g", natural, MeanGap(a), MeanGap(b))
	if !(MeanGap(b) < 2*natural) || !(MeanGap(a) > 10*natural) {
		t.Errorf("mean gap: natural %.3g, shuffled %.3g, RCM %.3g", natural, MeanGap(a), MeanGap(b))
	}
	// Two grids, a diagonal block and a one-sided coupling.
	g1, _ := shuffledGrid(5, 4, rnd)
	coo := NewCOO(45, 45)
	for i := 0; i < 20; i++ {
		cols, vals := g1.Row(i)
		for k, j := range cols {
			coo.Add(i, j, vals[k])
			coo.Add(25+i, 25+j, vals[k])
		}
	}
	for i := 20; i < 25; i++ {
		coo.Add(i, i, 1)
	}
	coo.Add(20, 3, 0.5) // a_ij stored, a_ji not
	perm, err = RCM(coo.ToCSR())
	if err != nil {
		t.Fatal(err)
	}
	seen := make([]bool, 45)
	for _, i := range perm {
		if seen[i] {
			t.Fatalf("row %d twice in %v", i, perm)
		}
		seen[i] = true
	}
	if len(perm) != 45 {
		t.Errorf("%d rows ordered of 45", len(perm))
	}
}

// TestPermuteSym: entry (k, l) of P A P^T is entry (perm[k], perm[l]) of A;
// a list that is not a permutation is refused.
func TestPermuteSym(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 5))
	a := randomCSR(rnd, 30, 30, 0.2)
	perm := rnd.Perm(30)
	b, err := PermuteSym(a, perm)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.validate(); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 30; k++ {
		for l := 0; l < 30; l++ {
			if b.At(k, l) != a.At(perm[k], perm[l]) {
				t.Fatalf("(%d, %d): %v, want %v", k, l, b.At(k, l), a.At(perm[k], perm[l]))
			}
		}
	}
	perm[3] = perm[4]
	if _, err := PermuteSym(a, perm); err == nil || !strings.Contains(err.Error(), "permutation") {
		t.Errorf("a repeated index: %v", err)
	}
}
