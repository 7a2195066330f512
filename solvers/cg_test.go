package solvers

import (
	"context"
	"math"
	"strings"
	"testing"

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

func TestCGSolvesSPD(t *testing.T) {
	n := 200
	a := tridiag(n, 2)
	xTrue := make([]float64, n)
	for i := range xTrue {
		xTrue[i] = math.Sin(float64(i))
	}
	b := make([]float64, n)
	a.MulVecTo(b, xTrue)
	res, err := CG(context.Background(), a, b, &Settings{Tolerance: 1e-10, History: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason != ConvergedRelative {
		t.Fatalf("reason %v", res.Reason)
	}
	// In exact arithmetic CG terminates in at most n steps; the eigenvalues
	// of tridiag(-1,2,-1) are distinct, so rounding delays it a little.
	if res.Iterations > n+20 {
		t.Errorf("%d iterations for n = %d", res.Iterations, n)
	}
	// Check the true residual, not the recurrence.
	r := make([]float64, n)
	a.MulVecTo(r, res.X)
	var rn, bn float64
	for i := range r {
		rn += (b[i] - r[i]) * (b[i] - r[i])
		bn += b[i] * b[i]
	}
	if rel := math.Sqrt(rn / bn); rel > 1e-9 {
		t.Errorf("true relative residual %v", rel)
	}
	if len(res.History) != res.Iterations+1 {
		t.Errorf("history has %d entries for %d iterations", len(res.History), res.Iterations)
	}
}

func TestCGReasons(t *testing.T) {
	a := tridiag(50, 2)
	b := make([]float64, 50)
	for i := range b {
		b[i] = 1
	}
	res, _ := CG(context.Background(), a, b, &Settings{MaxIterations: 3})
	if res.Reason != IterationLimit || res.Iterations != 3 {
		t.Errorf("limit: %v after %d", res.Reason, res.Iterations)
	}
	calls := 0
	res, _ = CG(context.Background(), a, b, &Settings{Callback: func(it Iteration) bool { calls++; return it.Iter < 2 }})
	if res.Reason != StoppedByCallback || calls != 3 {
		t.Errorf("callback: %v after %d calls", res.Reason, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, _ = CG(ctx, a, b, nil)
	if res.Reason != Cancelled {
		t.Errorf("cancelled: %v", res.Reason)
	}
	// tridiag(-1, 0.5, -1) is indefinite: CG must stop, not iterate on.
	res, _ = CG(context.Background(), tridiag(50, 0.5), b, nil)
	if res.Reason != Breakdown {
		t.Errorf("indefinite: %v", res.Reason)
	}
	res, _ = CG(context.Background(), a, make([]float64, 50), nil)
	if res.Reason != ConvergedAbsolute || res.Iterations != 0 {
		t.Errorf("b = 0: %v after %d", res.Reason, res.Iterations)
	}
}

func TestCGBadInput(t *testing.T) {
	a := tridiag(4, 2)
	rect, _ := sparse.FromTriplets(2, 3, []int{0}, []int{0}, []float64{1})
	for _, tc := range []struct {
		a    Operator
		b    []float64
		s    *Settings
		want string
	}{
		{rect, []float64{1, 1}, nil, "not square"},
		{a, []float64{1, 1}, nil, "length 2"},
		{a, []float64{1, math.NaN(), 1, 1}, nil, "entry 1 is NaN"},
		{a, []float64{1, 1, 1, 1}, &Settings{X0: []float64{1}}, "initial guess"},
		{a, []float64{1, 1, 1, 1}, &Settings{Tolerance: -1}, "negative"},
	} {
		_, err := CG(context.Background(), tc.a, tc.b, tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}
