// Package halpern solves monotone inclusions 0 in F(u) + G(u), with F
// single-valued and monotone, often a finite sum F = (1/n) sum_i F_i, and G
// given by its resolvent (a projection for constraints), by Halpern-type
// methods whose last iterate comes with a computable residual: after Cai,
// Alacaoglu and Diakonikolas, "Variance Reduced Halpern Iteration for
// Finite-Sum Monotone Inclusions" (ICLR 2024). Matrix games, convex-concave
// saddle points and variational inequalities are such inclusions.
//
// Methods: Halpern on the forward-backward map (and FixedPoint on any
// nonexpansive map), with an optional restart; the extragradient EG and
// the anchored extragradient EAG as baselines; VRHalpern, the paper's
// Algorithm 1 (Halpern with the PAGE estimator, F cocoercive on average);
// and VRInexactHalpern, Algorithm 2 (inexact Halpern on the resolvent,
// solved by variance-reduced forward-reflected-backward steps, F monotone
// and Lipschitz on average). Work is counted in component evaluations,
// the paper's oracle calls, and in epochs of n of them; every method stops
// on the residual ||u - J_G(u - F(u))||.
//
// A matrix game solved to a residual of 1e-4:
//
//	p, err := halpern.NewMatrixGame(halpern.PolicemanBurglar(100, seed))
//	if err != nil { ... }
//	res, err := halpern.VRInexactHalpern{}.Solve(ctx, p, &halpern.Settings{
//		Control: iterate.Control{AbsTolerance: 1e-4}, MaxEpochs: 5000})
//	if err != nil { ... }          // bad input
//	x, y := res.X[:100], res.X[100:] // the two mixed strategies
//	fmt.Println(res.Reason, res.Residual, res.Epochs)
//
// Settings embed iterate.Control (its Tolerance relative to the residual
// at the start, AbsTolerance absolute); Result embeds iterate.Outcome.
//
// Step sizes default to the theoretical forms in the Lipschitz constants
// (the Affine operator computes them); each method's fields override them,
// as the paper's experiments do.
package halpern
