// Package ode integrates ordinary differential equations dy/dt = f(t, y).
//
// Methods (the Method argument of Solve):
//
//   - explicit Runge-Kutta tableaus: Euler, Midpoint and RK4 at a fixed
//     step; the adaptive pairs BS3, DP5 (Dormand-Prince), Tsit5
//     (Tsitouras) and Vern6 (Verner) with OrdinaryDiffEq's PI step-size
//     controller, FSAL reuse and each method's own dense output;
//   - stiff Rosenbrock methods: Rosenbrock23 (ode23s), Rodas4 and Rodas5,
//     with a dense Jacobian (forward or central differences, or the
//     user's) or a sparse one (a pattern, coloured differences or the
//     user's) solved by ILU(0)-GMRES for method-of-lines systems.
//
// Every accepted step reports its scaled error estimate and a stiffness
// estimate, the quantities that regularized neural ODEs penalize; Stats
// count function evaluations, Jacobians, linear solves and accepted and
// rejected steps. Events (zeros of functions of the state, terminal or
// not) are located on the dense output.
//
// Settings embed the toolkit's iterate.Control: Tolerance and
// AbsTolerance are rtol and atol of the error test, MaxIterations caps the
// steps, the callback sees every accepted step and the context stops the
// run. Solve returns an error only for bad input; how the integration
// ended is Solution.Reason (Completed, or IterationLimit, Diverged,
// Breakdown, Cancelled with the time and cause in Message), and
// Solution.Err says it as an error. What was saved up to a failure is
// kept.
//
// Integrating to t = 10 with output at given times:
//
//	f := func(dy []float64, t float64, y []float64) { dy[0] = y[1]; dy[1] = -y[0] }
//	sol, err := ode.Solve(ctx, ode.Tsit5, f, 0, 10, []float64{1, 0}, []float64{1, 2, 5, 10},
//		&ode.Settings{Control: iterate.Control{Tolerance: 1e-8, AbsTolerance: 1e-10}})
//	if err != nil { ... }          // bad input
//	if err := sol.Err(); err != nil { ... } // stopped before t = 10
//	fmt.Println(sol.Y[3], sol.Stats.FEvals)
//
// A stiff problem with Rodas5 and a finite-difference Jacobian is the same
// call with ode.Rodas5{} as the method. The lower-level Explicit
// integrator (Init, Step, State, Dense) gives step-by-step control.
package ode
