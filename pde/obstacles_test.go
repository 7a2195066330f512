package pde

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/solvers"
)

// TestObstacles: in 2-D and 3-D and for each shape, the matrix is
// symmetric with the row sums of its boundary conditions (0 for a fluid
// cell away from the open top, 1 at it, identity rows for solids), the
// right-hand side is zero on solids and sums to zero (the divergence of
// a field with no flow through the boundary), CG solves the system (it is
// positive definite: no fluid is trapped), and the same seed gives the
// same system, another seed another.
func TestObstacles(t *testing.T) {
	for _, o := range []Obstacles{{Dim: 2, N: 48, Seed: 1}, {Dim: 2, N: 40, Shape: "spheres", Count: 6, Seed: 2}, {Dim: 3, N: 16, Shape: "boxes", Seed: 3}} {
		sys, err := o.Build()
		if err != nil {
			t.Fatal(err)
		}
		n := sys.A.NNZ()
		size, _ := sys.A.Dims()
		solids := 0
		var bsum, bmax float64
		for i := 0; i < size; i++ {
			cols, vals := sys.A.Row(i)
			var sum float64
			for k, j := range cols {
				sum += vals[k]
				if sys.A.At(j, i) != vals[k] {
					t.Fatalf("%+v: A[%d,%d] = %g, A[%d,%d] = %g", o, i, j, vals[k], j, i, sys.A.At(j, i))
				}
			}
			top := i/(size/o.N) == o.N-1
			switch {
			case sys.Solid[i]:
				solids++
				if len(cols) != 1 || vals[0] != 1 || sys.B[i] != 0 {
					t.Fatalf("%+v: solid row %d: %v %v, b %g", o, i, cols, vals, sys.B[i])
				}
			case top && sum != 1, !top && sum != 0:
				t.Fatalf("%+v: fluid row %d (top %v) sums to %g", o, i, top, sum)
			}
			bsum += sys.B[i]
			bmax = math.Max(bmax, math.Abs(sys.B[i]))
		}
		if solids == 0 || solids == size || math.Abs(bsum) > 1e-10*bmax*float64(size) || bmax == 0 {
			t.Errorf("%+v: %d solid of %d cells, b sums to %g (largest %g)", o, solids, size, bsum, bmax)
		}
		res, err := solvers.Solve(context.Background(), sys.A, sys.B, &solvers.CG{}, &solvers.Settings{Control: iterate.Control{Tolerance: 1e-10, MaxIterations: 10 * size}})
		if err != nil || !res.Reason.Converged() {
			t.Errorf("%+v: CG %v %v after %d iterations", o, err, res.Reason, res.Iterations)
		}
		t.Logf("%dD %d^%d: %d solid (%d trapped), %d entries, CG %d iterations", o.Dim, o.N, o.Dim, solids, sys.Trapped, n, res.Iterations)
		again, _ := o.Build()
		o.Seed += 100
		other, _ := o.Build()
		if !slices.Equal(again.B, sys.B) || slices.Equal(other.Solid, sys.Solid) {
			t.Errorf("%+v: the same seed differs or another seed gives the same obstacles", o)
		}
	}
	for _, o := range []Obstacles{{Dim: 1, N: 8}, {Dim: 2, N: 3}, {Dim: 2, N: 8, Shape: "cones"}, {Dim: 3, N: 8, Count: -1}} {
		if _, err := o.Build(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
