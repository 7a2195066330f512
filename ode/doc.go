// Package ode integrates ordinary differential equations dy/dt = f(t, y)
// with explicit Runge-Kutta methods: Euler, Midpoint and RK4 at a fixed
// step, and the adaptive pairs BS3, DP5 (Dormand-Prince) and Tsit5
// (Tsitouras) with OrdinaryDiffEq's PI step-size controller, FSAL reuse
// and each method's own dense output. Every accepted step reports its
// scaled error estimate and a stiffness estimate, the quantities that
// regularized neural ODEs penalize; Stats count function evaluations and
// accepted and rejected steps. Events (zeros of functions of the state,
// terminal or not) are located on the dense output. A failure (a NaN from f, a step below the
// resolution of t, too many steps) is an *Error with the time it
// happened, and the state is kept up to there.
//
// Integrating to t = 10 with output at given times:
//
//	f := func(dy []float64, t float64, y []float64) { dy[0] = y[1]; dy[1] = -y[0] }
//	sol, err := ode.Solve(ode.Tsit5, f, 0, 10, []float64{1, 0}, []float64{1, 2, 5, 10},
//		&ode.Settings{RTol: 1e-8, ATol: 1e-10})
//	if err != nil { ... }
//	fmt.Println(sol.Y[3], sol.Stats.FEvals)
//
// The lower-level Explicit integrator (Init, Step, State, Dense) gives
// step-by-step control.
package ode
