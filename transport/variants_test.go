package transport

import (
	"context"
	"math"
	"testing"

	"github.com/pdekit/pdekit/iterate"
)

// TestSNSAgreesWithSinkhorn checks that SNS reaches the same entropic plan
// as log-domain Sinkhorn in at least 10 times fewer iterations at small
// regularisation, and that a fixed paper fraction also converges.
func TestSNSAgreesWithSinkhorn(t *testing.T) {
	w, c := benchClouds(200)
	for _, reg := range []float64{0.01, 0.001} {
		ref, err := SinkhornLog(context.Background(), w, w, c, reg, &Settings{Control: iterate.Control{Tolerance: 1e-11}})
		if err != nil || !ref.Reason.Converged() {
			t.Fatalf("reference: %v", err)
		}
		for _, keep := range []float64{0, 0.05} {
			r, err := SinkhornNewtonSparse(context.Background(), w, w, c, reg, &Settings{Control: iterate.Control{Tolerance: 1e-10}, Keep: keep})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Reason.Converged() || r.MarginalError > 1e-10 {
				t.Errorf("reg %g keep %g: converged %v, marginal error %g", reg, keep, r.Reason.Converged(), r.MarginalError)
			}
			if rel := math.Abs(r.Cost-ref.Cost) / ref.Cost; rel > 1e-8 {
				t.Errorf("reg %g keep %g: cost %.12g, Sinkhorn %.12g", reg, keep, r.Cost, ref.Cost)
			}
			worst := 0.0
			for i, p := range r.Plan {
				worst = math.Max(worst, math.Abs(p-ref.Plan[i]))
			}
			if worst > 1e-9 {
				t.Errorf("reg %g keep %g: plans differ by %g", reg, keep, worst)
			}
			t.Logf("reg %g keep %g: SNS %d+%d iterations (CG %d), Sinkhorn %d", reg, keep, r.Stats.SinkhornIterations, r.Stats.NewtonIterations, r.Stats.CGIterations, ref.Iterations)
			if keep == 0 && reg == 0.001 && 10*r.Iterations > ref.Iterations {
				t.Errorf("reg %g: SNS took %d iterations, Sinkhorn %d: not 10x fewer", reg, r.Iterations, ref.Iterations)
			}
		}
	}
}

// TestEpsScaling checks that epsilon scaling reaches Sinkhorn's plan.
func TestEpsScaling(t *testing.T) {
	w, c := benchClouds(100)
	ref, _ := SinkhornLog(context.Background(), w, w, c, 0.002, &Settings{Control: iterate.Control{Tolerance: 1e-11}})
	r, err := SinkhornEpsScaling(context.Background(), w, w, c, 0.002, &Settings{Control: iterate.Control{Tolerance: 1e-11}})
	if err != nil || !r.Reason.Converged() {
		t.Fatalf("eps scaling: %v", err)
	}
	if rel := math.Abs(r.Cost-ref.Cost) / ref.Cost; rel > 1e-9 {
		t.Errorf("cost %.12g, Sinkhorn %.12g", r.Cost, ref.Cost)
	}
}

// TestUnbalanced checks the one-point closed form p = (ab)^(tau/(2 tau +
// eps)) and that a large tau recovers balanced Sinkhorn.
func TestUnbalanced(t *testing.T) {
	for _, tc := range []struct{ a, b, tau, eps float64 }{{2, 0.5, 1, 0.1}, {3, 1.5, 0.2, 0.05}, {0.3, 0.7, 10, 1}} {
		r, err := SinkhornUnbalanced(context.Background(), []float64{tc.a}, []float64{tc.b}, []float64{0}, tc.eps, tc.tau, &Settings{Control: iterate.Control{Tolerance: 1e-14}})
		if err != nil || !r.Reason.Converged() {
			t.Fatalf("%+v: %v", tc, err)
		}
		want := math.Pow(tc.a*tc.b, tc.tau/(2*tc.tau+tc.eps))
		if math.Abs(r.Plan[0]-want) > 1e-12*want {
			t.Errorf("%+v: p = %.15g, closed form %.15g", tc, r.Plan[0], want)
		}
	}
	// The plan tends to the balanced one at the rate 1/tau.
	w, c := benchClouds(60)
	ref, _ := SinkhornLog(context.Background(), w, w, c, 0.5, &Settings{Control: iterate.Control{Tolerance: 1e-13}})
	var dist []float64
	for _, tau := range []float64{10, 100} {
		r, err := SinkhornUnbalanced(context.Background(), w, w, c, 0.5, tau, &Settings{Control: iterate.Control{Tolerance: 1e-10}})
		if err != nil || !r.Reason.Converged() {
			t.Fatalf("tau %g: %v", tau, err)
		}
		d := 0.0
		for i, p := range r.Plan {
			d += math.Abs(p - ref.Plan[i])
		}
		t.Logf("tau %g: %d iterations, l1 distance to the balanced plan %.3g", tau, r.Iterations, d)
		dist = append(dist, d)
	}
	if ratio := dist[0] / dist[1]; ratio < 7 || ratio > 14 {
		t.Errorf("distance to the balanced plan fell by %.3g from tau 10 to 100, want about 10 (rate 1/tau)", ratio)
	}
	if _, err := SinkhornUnbalanced(context.Background(), []float64{1}, []float64{1}, []float64{0}, 1, -1, nil); err == nil {
		t.Error("negative tau accepted")
	}
}

// TestSparsityConstrained checks at most k nonzeros per column, exact
// column sums for the semi-dual, near-feasibility at convergence, and that
// with k = n dual and semi-dual find the same quadratically regularised
// plan.
func TestSparsityConstrained(t *testing.T) {
	w, c := benchClouds(40)
	n := len(w)
	for _, semi := range []bool{false, true} {
		for _, k := range []int{1, 2, 5} {
			r, err := SparsityConstrained(context.Background(), w, w, c, 0.1, k, &Settings{SemiDual: semi, Control: iterate.Control{Tolerance: 1e-7}})
			if err != nil {
				t.Fatal(err)
			}
			for j := 0; j < n; j++ {
				nz, s := 0, 0.0
				for i := 0; i < n; i++ {
					if p := r.Plan[i*n+j]; p != 0 {
						nz++
						s += p
						if p < 0 {
							t.Fatalf("negative entry %g", p)
						}
					}
				}
				if nz > k {
					t.Fatalf("semi %v k %d: column %d has %d nonzeros", semi, k, j, nz)
				}
				if semi && math.Abs(s-w[j]) > 1e-12 {
					t.Fatalf("semi-dual column %d sums to %g, want %g", j, s, w[j])
				}
			}
			t.Logf("semi %v k %d: %d iterations, marginal error %.3g, cost %.6g, converged %v", semi, k, r.Iterations, r.MarginalError, r.Cost, r.Reason.Converged())
			// Below the support a column needs, the (semi-)dual is only a
			// relaxation of the nonconvex primal and its plan need not be
			// feasible; with room enough it is.
			if k == 5 && (!r.Reason.Converged() || r.MarginalError > 1e-5) {
				t.Errorf("semi %v k %d: converged %v, marginal error %g", semi, k, r.Reason.Converged(), r.MarginalError)
			}
		}
	}
	d, err1 := SparsityConstrained(context.Background(), w, w, c, 0.1, n, &Settings{Control: iterate.Control{Tolerance: 1e-9}})
	sd, err2 := SparsityConstrained(context.Background(), w, w, c, 0.1, n, &Settings{SemiDual: true, Control: iterate.Control{Tolerance: 1e-9}})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	diff := 0.0
	for i := range d.Plan {
		diff += math.Abs(d.Plan[i] - sd.Plan[i])
	}
	if diff > 1e-4 || d.MarginalError > 1e-6 {
		t.Errorf("k = n: dual and semi-dual plans differ by %g (dual marginal error %g)", diff, d.MarginalError)
	}
	if _, err := SparsityConstrained(context.Background(), w, w, c, 0.1, 0, nil); err == nil {
		t.Error("K = 0 accepted")
	}
}
