package ode

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/iterate"
)

// TestRadauConstants checks the method's constants against its matrix A
// (a_ij, the integral from 0 to c_i of the Lagrange polynomial of node
// j): TI = T^-1, TI A^-1 T = diag(mu_r, [[alpha, beta], [-beta, alpha]])
// with mu_c = alpha - i beta, the error weights are zero on quadratics and
// cubics (and -1 on linears, cancelling h f0), and the dense-output
// polynomial interpolates the stages.
func TestRadauConstants(t *testing.T) {
	c := radauC
	a := mat.NewDense(3, 3, nil)
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			// Integrate l_j exactly by 3-point Gauss-Legendre on [0, c_i].
			gx := []float64{-math.Sqrt(0.6), 0, math.Sqrt(0.6)}
			gw := []float64{5.0 / 9, 8.0 / 9, 5.0 / 9}
			var s float64
			for q := range gx {
				x := c[i] / 2 * (gx[q] + 1)
				l := 1.0
				for k := 0; k < 3; k++ {
					if k != j {
						l *= (x - c[k]) / (c[j] - c[k])
					}
				}
				s += gw[q] * l
			}
			a.Set(i, j, s*c[i]/2)
		}
	}
	var ai mat.Dense
	if err := ai.Inverse(a); err != nil {
		t.Fatal(err)
	}
	tm := mat.NewDense(3, 3, nil)
	ti := mat.NewDense(3, 3, nil)
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			tm.Set(i, j, radauT[i][j])
			ti.Set(i, j, radauTI[i][j])
		}
	}
	var id, d mat.Dense
	id.Mul(ti, tm)
	d.Mul(ti, &ai)
	d.Mul(&d, tm)
	al, be := real(radauMuC), -imag(radauMuC)
	want := mat.NewDense(3, 3, []float64{radauMu, 0, 0, 0, al, be, 0, -be, al})
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			e := 0.0
			if i == j {
				e = 1
			}
			if math.Abs(id.At(i, j)-e) > 1e-14 {
				t.Errorf("TI T [%d][%d] = %g", i, j, id.At(i, j))
			}
			if math.Abs(d.At(i, j)-want.At(i, j)) > 1e-13 {
				t.Errorf("TI A^-1 T [%d][%d] = %.16g, want %.16g", i, j, d.At(i, j), want.At(i, j))
			}
		}
	}
	for k, w := range []float64{-1, 0, 0} {
		var s float64
		for j := range c {
			s += radauE[j] * math.Pow(c[j], float64(k+1))
		}
		if math.Abs(s-w) > 1e-14 {
			t.Errorf("sum_j E_j c_j^%d = %g, want %g", k+1, s, w)
		}
	}
	// Q_k = sum_j P[j][k] Z_j: u(c_i) = sum_k Q_k c_i^(k+1) = Z_i.
	for i := range c {
		for j := range c {
			var u float64
			for k := 0; k < 3; k++ {
				u += radauP[j][k] * math.Pow(c[i], float64(k+1))
			}
			e := 0.0
			if i == j {
				e = 1
			}
			if math.Abs(u-e) > 1e-13 {
				t.Errorf("the polynomial of stage %d at node %d: %g, want %g", j, i, u, e)
			}
		}
	}
}

// TestRadauSparse: on the 2-D Brusselator (8 points per side, 128
// unknowns) the sparse path (coloured differences, UMFPACK's real and
// complex LU) takes the dense path's steps (gonum's LU, the complex
// system in its real form) and ends within 1e-7 of it; it reaches the
// reference (Rodas4 at 1e-10) to 3e-6 at rtol 1e-6, at the end and, by
// the dense output, inside.
func TestRadauSparse(t *testing.T) {
	f, y0, pat := Brusselator2D(8)
	run := func(m Method, tol float64, at []float64) *Solution {
		sol, err := Solve(context.Background(), m, f, 0, 11.5, y0, at, &Settings{Control: iterate.Control{Tolerance: tol, AbsTolerance: tol}})
		if err != nil || !sol.Reason.Converged() {
			t.Fatalf("%T at %g: %v %v", m, tol, err, sol.Reason)
		}
		return sol
	}
	at := []float64{3.3, 11.5}
	ref := run(Rodas4{Sparsity: pat, DirectW: true}, 1e-10, at)
	dense := run(Radau5{}, 1e-6, at)
	sp := run(Radau5{Sparsity: pat}, 1e-6, at)
	rel := func(y, r []float64) float64 {
		var num, den float64
		for i := range y {
			num += (y[i] - r[i]) * (y[i] - r[i])
			den += r[i] * r[i]
		}
		return math.Sqrt(num / den)
	}
	t.Logf("dense: %d steps, %d rejected, %d Jacobians, %d evaluations; sparse: %d, %d, %d, %d",
		dense.Stats.Accepted, dense.Stats.Rejected, dense.Stats.JacEvals, dense.Stats.FEvals,
		sp.Stats.Accepted, sp.Stats.Rejected, sp.Stats.JacEvals, sp.Stats.FEvals)
	if d := rel(sp.Y[1], dense.Y[1]); d > 1e-7 || sp.Stats.Accepted != dense.Stats.Accepted {
		t.Errorf("sparse against dense: %.3g apart, %d against %d steps", d, sp.Stats.Accepted, dense.Stats.Accepted)
	}
	for k, tt := range at {
		if e := rel(sp.Y[k], ref.Y[k]); e > 3e-6 {
			t.Errorf("at t = %g: relative error %.3g against the reference", tt, e)
		}
	}
}

// TestRadauFirstStep: Radau5's first step is SciPy's Radau's
// (select_initial_step with the error order 3), worked out here for the
// scalar y' = -y^2 + sin(t) from y = 2: h1 = (0.01 / max(d1, d2))^(1/4)
// against the 100 h0 cap.
func TestRadauFirstStep(t *testing.T) {
	f := func(dy []float64, t float64, y []float64) { dy[0] = -y[0]*y[0] + math.Sin(t) }
	const rtol, atol = 1e-6, 1e-9
	y0 := 2.0
	sc := atol + rtol*y0
	f0 := -y0 * y0
	d0, d1 := y0/sc, math.Abs(f0)/sc
	h0 := 0.01 * d0 / d1
	y1 := y0 + h0*f0
	d2 := math.Abs(-y1*y1+math.Sin(h0)-f0) / sc / h0
	want := math.Min(100*h0, math.Pow(0.01/math.Max(d1, d2), 0.25))
	sol, err := Solve(context.Background(), Radau5{}, f, 0, 1, []float64{y0}, nil, &Settings{Control: iterate.Control{Tolerance: rtol, AbsTolerance: atol}})
	if err != nil || !sol.Reason.Converged() {
		t.Fatal(err, sol.Reason)
	}
	if sol.Stats.Rejected > 0 {
		t.Fatalf("%d rejected steps: the first step is not the first accepted one", sol.Stats.Rejected)
	}
	if got := sol.T[1] - sol.T[0]; math.Abs(got-want) > 1e-12*want {
		t.Errorf("first step %.10g, want SciPy's %.10g", got, want)
	}
}
