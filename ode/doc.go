// Package ode integrates ordinary differential equations dy/dt = f(t, y).
//
// Methods (the Method argument of Solve):
//
//   - explicit Runge-Kutta tableaus: Euler, Midpoint and RK4 at a fixed
//     step; the adaptive pairs BS3, DP5 (Dormand-Prince), Tsit5
//     (Tsitouras) and Vern6 (Verner) with OrdinaryDiffEq's PI step-size
//     controller, FSAL reuse and each method's own dense output;
//   - stiff Rosenbrock methods: Rosenbrock23 (ode23s), Rodas4, Rodas5 and
//     Rodas5P (whose error follows the tolerance where Rodas5's does not),
//     with a dense Jacobian (forward or central differences, or the
//     user's) or a sparse one (a pattern, coloured differences or the
//     user's) solved by ILU(0)-GMRES for method-of-lines systems, or
//     factored by sparse LU (DirectW);
//   - the implicit Radau IIA method of order 5 (Radau5, Hairer and
//     Wanner's RADAU5, SciPy's Radau), which keeps its Jacobian and
//     factorisations across steps: the choice for large stiff systems
//     at tight tolerances, with sparse LU (UMFPACK, real and complex)
//     on a Jacobian pattern.
//
// Brusselator2D is the SciML benchmarks' 2-D Brusselator, a large stiff
// test problem with its Jacobian's pattern (simulate ode --problem
// brusselator2d).
//
// Every accepted step reports its scaled error estimate and a stiffness
// estimate, the quantities that regularized neural ODEs penalize; Stats
// count function evaluations, Jacobians, factorisations, linear solves
// and accepted and rejected steps. Events (zeros of functions of the state, terminal or
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
//
// # Neural ODEs
//
// SolveTape integrates dy/dt = f_theta(y, t), f a Field recorded on an nn
// tape (TimeMLP is the papers' network, time concatenated to every
// layer's input), with the same tableaus, error norm, controller and
// first-step choice as Explicit: in float64 its steps are Explicit's bit
// for bit. Every stage, error estimate and step size is on the tape, so
// a backward pass is the discrete adjoint of the whole adaptive solve
// (rejected attempts included; only accept/reject decisions and clamped
// bounds are constants). The solution carries the solver-heuristic
// regularisers of Pal et al., "Opening the Blackbox" (ICML 2021), as their
// code computes them: ErrorReg, the mean over accepted steps of EEst dt
// (ERNODE); StiffReg, the maximum of the eigenvalue estimate
// ||k7 - k6|| / ||g7 - g6|| over the stability size (3.5068 for Tsit5;
// SRNODE); BothReg, the mean of EEst dt + 0.1 eig/stability. The batch is
// one state: all its samples share the steps, as in the papers.
//
// LocalStep gives the local regularisers of Pal, Edelman and Rackauckas
// (ICML 2023): one step at a sampled time with the step size a fresh
// integrator picks there. SolveAdjoint is the continuous adjoint (the
// adjoint ODE solved backwards from a checkpoint per accepted step):
// less memory than the discrete adjoint, gradients equal to the
// tolerance, and no global regularisers.
package ode
