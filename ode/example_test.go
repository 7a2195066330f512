package ode_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/ode"
)

// y' = -y from y(0) = 1 with Tsit5, output at t = 1 and 2 by the dense
// output; a stiff problem takes ode.Rodas5{} in the same call.
func ExampleSolve() {
	f := func(dy []float64, _ float64, y []float64) { dy[0] = -y[0] }
	sol, err := ode.Solve(context.Background(), ode.Tsit5, f, 0, 2, []float64{1}, []float64{1, 2},
		&ode.Settings{Control: iterate.Control{Tolerance: 1e-10, AbsTolerance: 1e-12}})
	if err != nil {
		panic(err)
	}
	fmt.Println(sol.Reason)
	fmt.Printf("y(1) = %.8f (e^-1 = %.8f)\n", sol.Y[0][0], math.Exp(-1))
	fmt.Printf("y(2) = %.8f (e^-2 = %.8f)\n", sol.Y[1][0], math.Exp(-2))
	// Output:
	// completed
	// y(1) = 0.36787944 (e^-1 = 0.36787944)
	// y(2) = 0.13533528 (e^-2 = 0.13533528)
}

// A neural ODE dy/dt = f(y, t) (a TimeMLP) trained through Tsit5 to map
// points to their rotation by one radian at t = 1, with the error
// regulariser of "Opening the Blackbox" (ERNODE) added to the loss: the
// gradient is the discrete adjoint of the adaptive solve.
func ExampleSolveTape() {
	rnd := rand.New(rand.NewPCG(1, 2))
	f := ode.NewTimeMLP[float64](rnd, false, 2, 16, 2)
	x := nn.New([]float64{1, 0, 0, 1, -1, 0, 0.5, 0.5}, 4, 2)
	c, s := math.Cos(1), math.Sin(1)
	want := nn.New([]float64{c, s, -s, c, -c, -s, 0.5 * (c - s), 0.5 * (s + c)}, 4, 2)
	opt := &nn.Adam[float64]{LR: 0.01}
	set := &ode.Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-8}}
	tp := nn.NewTape[float64]()
	var first, last float64
	for it := 0; it < 300; it++ {
		tp.Reset()
		sol, err := ode.SolveTape(context.Background(), tp, ode.Tsit5, f, x, []float64{0, 1}, set)
		if err != nil {
			panic(err)
		}
		mse := tp.MSE(sol.Y[0], want)
		loss := tp.Add(mse, tp.Scale(sol.ErrorReg, 10))
		for _, p := range f.Params() {
			p.ZeroGrad()
		}
		tp.Backward(loss)
		opt.Step(f.Params())
		if it == 0 {
			first = mse.Item()
		}
		last = mse.Item()
	}
	fmt.Printf("mean squared error %.2g -> %.2g\n", first, last)
	// Output:
	// mean squared error 0.65 -> 0.00035
}

// Robertson's stiff chemical kinetics to t = 1e5 with the Radau IIA
// method of order 5 and a finite-difference Jacobian: the three
// concentrations keep summing to 1.
func ExampleRadau5() {
	f := func(dy []float64, _ float64, y []float64) {
		dy[0] = -0.04*y[0] + 1e4*y[1]*y[2]
		dy[1] = 0.04*y[0] - 1e4*y[1]*y[2] - 3e7*y[1]*y[1]
		dy[2] = 3e7 * y[1] * y[1]
	}
	sol, err := ode.Solve(context.Background(), ode.Radau5{}, f, 0, 1e5, []float64{1, 0, 0}, nil,
		&ode.Settings{Control: iterate.Control{Tolerance: 1e-6, AbsTolerance: 1e-10}})
	if err != nil {
		panic(err)
	}
	y := sol.Y[len(sol.Y)-1]
	fmt.Println(sol.Reason)
	fmt.Printf("y = %.5f %.4e %.5f, sum %.8f\n", y[0], y[1], y[2], y[0]+y[1]+y[2])
	// Output:
	// completed
	// y = 0.01787 7.2748e-08 0.98213, sum 1.00000000
}
