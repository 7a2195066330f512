package direct_test

import (
	"context"
	"fmt"
	"math"

	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/direct"
	"github.com/pdekit/pdekit/sparse"
)

// A direct solve under the iterative driver: the factorisation is the
// preconditioner of Richardson, so one iteration solves the system.
func ExampleNew() {
	a := mesh.NewLaplacian(mesh.NewGrid(mesh.Dirichlet, 100, 100)).ToCSR()
	f, err := direct.New(a)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	b := make([]float64, 100*100)
	for i := range b {
		b[i] = 1
	}
	res, err := solvers.Solve(context.Background(), a, b, &solvers.Richardson{}, &solvers.Settings{Preconditioner: f})
	if err != nil {
		panic(err)
	}
	st := f.Stats()
	fmt.Println(st.Method, st.Ordering, res.Iterations, res.Reason)
	// Output:
	// cholesky (CHOLMOD, supernodal) amd 1 converged (relative tolerance)
}

// A sequence of matrices on one pattern (W = I + h A for a few h, as a
// Rosenbrock method meets them) factored on one analysis.
func ExampleLU_Refactor() {
	a := mesh.NewConvDiff(mesh.NewGrid(mesh.Dirichlet, 20, 20), 1, []float64{10, 10}, mesh.Upwind).ToCSR()
	n, _ := a.Dims()
	ptr, ind, val := a.RawCSR()
	w := func(h float64) *sparse.CSR {
		v := make([]float64, len(val))
		for i := 0; i < n; i++ {
			for k := ptr[i]; k < ptr[i+1]; k++ {
				v[k] = h * val[k]
				if ind[k] == i {
					v[k]++
				}
			}
		}
		m, _ := sparse.NewCSR(n, n, ptr, ind, v)
		return m
	}
	lu, err := direct.NewLU(w(0.1))
	if err != nil {
		panic(err)
	}
	defer lu.Close()
	b, x := make([]float64, n), make([]float64, n)
	for i := range b {
		b[i] = 1
	}
	for _, h := range []float64{0.05, 0.02} {
		if err := lu.Refactor(w(h)); err != nil {
			panic(err)
		}
		if err := lu.SolveTo(x, b); err != nil {
			panic(err)
		}
		r := make([]float64, n)
		w(h).MulVecTo(r, x)
		var worst float64
		for i := range r {
			worst = max(worst, math.Abs(r[i]-b[i]))
		}
		fmt.Printf("h %.2f: residual below 1e-12: %v\n", h, worst < 1e-12)
	}
	// Output:
	// h 0.05: residual below 1e-12: true
	// h 0.02: residual below 1e-12: true
}

// The complex system (2 + i) x1 + x2 = 1, x1 + (3 - 2i) x2 = i, given by
// its CSR pattern and the real and imaginary parts of its entries: by
// Cramer's rule x1 = 0.48 - 0.36i, x2 = -0.32 + 0.24i.
func ExampleComplexLU() {
	ptr, ind := []int{0, 2, 4}, []int{0, 1, 0, 1}
	re, im := []float64{2, 1, 1, 3}, []float64{1, 0, 0, -2}
	lu, err := direct.NewComplexLU(2, ptr, ind, re, im)
	if err != nil {
		panic(err)
	}
	defer lu.Close()
	xr, xi := make([]float64, 2), make([]float64, 2)
	if err := lu.SolveTo(xr, xi, []float64{1, 0}, []float64{0, 1}); err != nil {
		panic(err)
	}
	for k := range xr {
		x := complex(xr[k], xi[k])
		fmt.Printf("x%d = %.4f\n", k+1, x)
	}
	// The residual of the first equation.
	r := complex(2, 1)*complex(xr[0], xi[0]) + complex(xr[1], xi[1]) - 1
	fmt.Printf("|r1| < 1e-15: %v\n", math.Hypot(real(r), imag(r)) < 1e-15)
	// Output:
	// x1 = (0.4800-0.3600i)
	// x2 = (-0.3200+0.2400i)
	// |r1| < 1e-15: true
}
