// Package sketchnewton solves equality-constrained programs
// min f(x) s.t. c(x) = 0 by Newton steps on the KKT conditions that are
// solved inexactly by randomized iterative sketching (randomized Kaczmarz,
// Gaussian or count-sketch block sketch-and-project) to an adaptive
// accuracy condition, globalized by Armijo line search on the exact
// augmented Lagrangian: after Hong, Na, Mahoney and Kolar, "Constrained
// Optimization via Exact Augmented Lagrangian and Randomized Iterative
// Sketching" (ICML 2023). Exact is the deterministic baseline with the same
// outer loop.
//
// The accuracy condition is the paper's, ||K z - rhs|| <= theta delta
// ||rhs|| / (||K||_F psi) with Frobenius norms and delta clamped at 1e-6;
// psi >= 200 with the default constants, so it asks for a relative
// residual below about 1e-9 / ||K||_F. Sketching solvers reach it on small
// well-conditioned KKT systems (the Hock-Schittkowski set); on the Poisson
// control problem every inner solve stops at the 1e5-step cap already at
// N = 3 (27 unknowns), and the outer iteration converges only because the
// capped directions are good enough; from N = 7 it crawls. Exact does not
// have this limit.
//
// A Hock-Schittkowski problem solved with randomized Kaczmarz:
//
//	hs := sketchnewton.HS()[0]
//	if err := sketchnewton.CheckDerivatives(hs.Problem, hs.X0, make([]float64, 1), 0); err != nil { ... }
//	res, err := sketchnewton.Solve(ctx, hs.Problem, hs.X0, sketchnewton.Kaczmarz{},
//		&sketchnewton.Settings{Control: iterate.Control{AbsTolerance: 1e-8}})
//	if err != nil { ... }                        // bad input
//	fmt.Println(res.X, res.F, res.Reason, res.Iterations, res.Stats.InnerSteps)
//
// Settings embed iterate.Control on the KKT residual (the paper's absolute
// 1e-4 by default); Result embeds iterate.Outcome, and with
// Control.History its Trace records every Newton step.
package sketchnewton
