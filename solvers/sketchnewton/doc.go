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
// A Hock-Schittkowski problem solved with randomized Kaczmarz:
//
//	hs := sketchnewton.HS()[0]
//	if err := sketchnewton.CheckDerivatives(hs.Problem, hs.X0, make([]float64, 1), 0); err != nil { ... }
//	res, err := sketchnewton.Solve(ctx, hs.Problem, hs.X0, sketchnewton.Kaczmarz{}, &sketchnewton.Settings{Tolerance: 1e-8})
//	if err != nil { ... }
//	fmt.Println(res.X, res.F, res.Stats.Iterations, res.Stats.InnerSteps)
package sketchnewton
