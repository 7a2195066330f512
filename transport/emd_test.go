package transport

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/pdekit/pdekit/iterate"
)

// permutations calls f with every permutation of 0..n-1.
func permutations(n int, f func(p []int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			f(p)
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}

// checkDual checks the plan's marginals, complementary slackness and a zero
// duality gap.
func checkDual(t *testing.T, r *Result, a, b, c []float64) {
	t.Helper()
	n, m := len(a), len(b)
	if e := marginalError(r.Plan, a, b); e > 1e-12 {
		t.Errorf("marginal error %g", e)
	}
	dual := 0.0
	for i := range a {
		dual += a[i] * r.F[i]
	}
	for j := range b {
		dual += b[j] * r.G[j]
	}
	if math.Abs(dual-r.Cost) > 1e-10*math.Max(1, math.Abs(r.Cost)) {
		t.Errorf("duality gap: primal %.15g, dual %.15g", r.Cost, dual)
	}
	nnz := 0
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			slack := c[i*m+j] - r.F[i] - r.G[j]
			if slack < -1e-9 {
				t.Fatalf("dual infeasible at (%d,%d): %g", i, j, slack)
			}
			if p := r.Plan[i*m+j]; p < 0 {
				t.Fatalf("negative plan entry %g", p)
			} else if p > 0 {
				nnz++
				if slack > 1e-9 {
					t.Fatalf("positive plan entry at (%d,%d) with slack %g", i, j, slack)
				}
			}
		}
	}
	if nnz > n+m-1 {
		t.Errorf("plan has %d nonzeros, a basic solution has at most %d", nnz, n+m-1)
	}
}

// TestEMDAssignment checks uniform 7 x 7 problems against the best of all
// 5040 assignments (an optimal plan of the assignment polytope is a
// permutation).
func TestEMDAssignment(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 7
	for trial := 0; trial < 20; trial++ {
		c := make([]float64, n*n)
		for i := range c {
			c[i] = rng.Float64()
			if trial%4 == 0 {
				c[i] = float64(rng.IntN(3)) // ties: degenerate pivots
			}
		}
		w := make([]float64, n)
		for i := range w {
			w[i] = 1.0 / n
		}
		r, err := EMD(context.Background(), w, w, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		best := math.Inf(1)
		permutations(n, func(p []int) {
			s := 0.0
			for i, j := range p {
				s += c[i*n+j]
			}
			best = math.Min(best, s/n)
		})
		if !r.Reason.Converged() || math.Abs(r.Cost-best) > 1e-12 {
			t.Errorf("trial %d: cost %.15g, brute force %.15g (optimal %v)", trial, r.Cost, best, r.Reason.Converged())
		}
		checkDual(t, r, w, w, c)
	}
}

// TestEMD1D checks unequal, random marginals on the line against the
// closed form W_p^p (p = 1, 2) of sorted quantiles.
func TestEMD1D(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][2]int{{1, 5}, {13, 9}, {40, 60}, {150, 120}} {
		n, m := sz[0], sz[1]
		x, y := make([]float64, n), make([]float64, m)
		a, b := make([]float64, n), make([]float64, m)
		var sa, sb float64
		for i := range x {
			x[i], a[i] = rng.NormFloat64(), rng.Float64()+0.1
			sa += a[i]
		}
		for j := range y {
			y[j], b[j] = rng.NormFloat64()+1, rng.Float64()+0.1
			sb += b[j]
		}
		for i := range a {
			a[i] /= sa
		}
		for j := range b {
			b[j] /= sb
		}
		for _, p := range []float64{1, 2} {
			c := make([]float64, n*m)
			for i := range x {
				for j := range y {
					c[i*m+j] = math.Pow(math.Abs(x[i]-y[j]), p)
				}
			}
			r, err := EMD(context.Background(), a, b, c, nil)
			if err != nil {
				t.Fatal(err)
			}
			w, _ := Wasserstein1D(x, a, y, b, p)
			if want := math.Pow(w, p); !r.Reason.Converged() || math.Abs(r.Cost-want) > 1e-10*math.Max(1, want) {
				t.Errorf("%dx%d p=%g: cost %.15g, closed form %.15g", n, m, p, r.Cost, want)
			}
			checkDual(t, r, a, b, c)
		}
	}
}

// TestEMDZeroMassAndCap checks zero-mass entries, the iteration cap and
// bad input.
func TestEMDZeroMassAndCap(t *testing.T) {
	a := []float64{0.5, 0, 0.5}
	b := []float64{0, 0.25, 0.75}
	c := []float64{1, 2, 6, 4, 5, 6, 9, 1, 2}
	r, err := EMD(context.Background(), a, b, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Rows 1 and columns 0 carry no mass. a_0 -> b_1 (0.25 at 2) + b_2
	// (0.25 at 6), a_2 -> b_2 (0.5 at 2): 3.0; a_0 -> b_2 (0.5 at 6) costs
	// more (3.75), so the first is optimal.
	if !r.Reason.Converged() || math.Abs(r.Cost-3.0) > 1e-14 {
		t.Errorf("cost %v, want 3", r.Cost)
	}
	checkDual(t, r, a, b, c)
	n := 30
	w := make([]float64, n)
	cc := make([]float64, n*n)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range w {
		w[i] = 1.0 / float64(n)
	}
	for i := range cc {
		cc[i] = rng.Float64()
	}
	r, err = EMD(context.Background(), w, w, cc, &Settings{Control: iterate.Control{MaxIterations: 3}})
	if err != nil || r.Reason.Converged() || r.Iterations != 3 {
		t.Errorf("capped run: optimal %v after %d pivots, err %v", r.Reason.Converged(), r.Iterations, err)
	}
	if e := marginalError(r.Plan, w, w); e != r.MarginalError || e == 0 {
		t.Errorf("capped plan: reported marginal error %g, computed %g", r.MarginalError, e)
	}
	if _, err := EMD(context.Background(), []float64{0.5, 0.5}, []float64{1}, []float64{1, math.NaN()}, nil); err == nil {
		t.Error("NaN cost accepted")
	}
	if _, err := EMD(context.Background(), []float64{0.5, 0.6}, []float64{1}, []float64{1, 1}, nil); err == nil {
		t.Error("unequal masses accepted")
	}
}

func TestKthLargest(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 5, 100, 1000} {
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(rng.IntN(7)) // many ties
			if i%3 == 0 {
				x[i] = rng.Float64()
			}
		}
		sorted := append([]float64(nil), x...)
		sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
		for _, k := range []int{1, n / 2, n} {
			if k < 1 {
				continue
			}
			y := append([]float64(nil), x...)
			if got := kthLargest(y, k); got != sorted[k-1] {
				t.Errorf("n=%d k=%d: %v, want %v", n, k, got, sorted[k-1])
			}
		}
	}
	zeros := make([]float64, 1<<20)
	if kthLargest(zeros, 1000) != 0 {
		t.Error("all zeros")
	}
}

func TestGridDensity(t *testing.T) {
	// 2 x 3 grid on the unit square: row index is axis 0.
	p, w, err := GridDensity([]float64{0, 2, 0, 1, 0, 1}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	wantP := []float64{0.25, 0.5, 0.75, 1.0 / 6, 0.75, 5.0 / 6}
	wantW := []float64{0.5, 0.25, 0.25}
	for i := range wantP {
		if math.Abs(p[i]-wantP[i]) > 1e-15 {
			t.Fatalf("points %v, want %v", p, wantP)
		}
	}
	for i := range wantW {
		if math.Abs(w[i]-wantW[i]) > 1e-15 {
			t.Fatalf("weights %v, want %v", w, wantW)
		}
	}
	for _, bad := range [][]float64{{0, 0, 0, 0, 0, 0}, {1, -1, 0, 0, 0, 0}, {1, 2}} {
		if _, _, err := GridDensity(bad, 2, 3); err == nil {
			t.Errorf("density %v accepted", bad)
		}
	}
}

func TestCostMatrixLp(t *testing.T) {
	x := []float64{0, 0, 1, 2}
	y := []float64{3, 4}
	for _, tc := range []struct{ p, want0, want1 float64 }{{1, 7, 4}, {2, 5, math.Sqrt(8)}, {3, math.Cbrt(27 + 64), math.Cbrt(16)}} {
		c, err := CostMatrixLp(x, y, 2, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(c[0]-tc.want0) > 1e-12 || math.Abs(c[1]-tc.want1) > 1e-12 {
			t.Errorf("p=%g: %v, want [%g %g]", tc.p, c, tc.want0, tc.want1)
		}
	}
	e, _ := CostMatrix(x, y, 2, Euclidean)
	l2, _ := CostMatrixLp(x, y, 2, 2)
	for i := range e {
		if math.Abs(e[i]-l2[i]) > 1e-12 {
			t.Errorf("Euclidean %v, Minkowski p=2 %v", e, l2)
		}
	}
	if _, err := CostMatrixLp(x, y, 2, 0.5); err == nil {
		t.Error("p = 0.5 accepted")
	}
}
