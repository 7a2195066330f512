// Package pinn holds physics-informed neural networks: the test problems
// of the adaptive-sampling papers (DAS, Tang, Wan and Yang, J. Comput.
// Phys. 2023; AAS, Tang, Zhai, Wan and Yang, ICLR 2024), the residual of
// a network through nn's forward Taylor mode (values, gradients and
// Laplacians with respect to the inputs, on the tape), and the training
// of a PINN on collocation points with a boundary loss.
//
// A Problem is a linear second-order PDE on the box [-1, 1]^d with
// Dirichlet data from its exact solution; Residual gives the network's
// residual at interior points; Error measures the trained network against
// the exact solution on a grid (or on uniform points in high dimension).
//
// A Sampler chooses each training stage's collocation points from the
// network trained on the last ones (TrainStages, the DAS papers' loop,
// with an optional L-BFGS refinement at the end): UniformSampler, RAR
// (the largest residuals among candidates added), RAD (points drawn with
// probability |r|^k/mean + c), DAS (a KRnet fitted to the squared
// residual, its points added or replacing the set) and AAS (a KRnet
// trained adversarially to maximise the mean squared residual under a
// Sobolev penalty; the objective is reconstructed from the paper's
// abstract, see AAS; its points replace the set, or with AAS.Add join it
// as DAS-G's do).
//
// The loss is mean(r^2) plus Settings.BoundaryWeight (the DAS code's 1 by
// default) times the boundary loss. On the peak problem the source
// reaches 4000, so at weight 1 the residual term drowns the boundary
// term: the network fits the peak and leaves a boundary error that
// spreads over the domain as a harmonic error, and with the DAS code's
// rate (1e-4) and 5 stages no sampler, not even one that places half its
// points on the peak, gets the relative L2 error below 1. With Adam at
// 1e-3, boundary weight 1e5, 10 stages of 3000 epochs and 2000 L-BFGS
// iterations (simulate pinn --lr 1e-3 --boundary-weight 1e5 --stages 10
// --lbfgs 2000), the relative L2 errors over seeds 1-3 were: AAS
// 0.037-0.131 (mean 0.082), uniform 0.32-0.72 (0.48), RAD 0.19-0.76
// (0.47), each on 1000 points; RAR 0.026-0.033 (0.030) and DAS-G
// 0.031-0.084 (0.063), each growing to 10,000 points and taking 3-6 times
// as long; AAS-G (seed 1, 10,000 points) 0.044. On the two-peak problem
// at the same budget (seed 1): AAS 0.11, DAS-G 0.31, uniform 0.66.
//
// KRnet is the DAS papers' bounded normalizing flow on a box: exact
// log-density on the tape (for its training) and sampling by its
// inverse.
package pinn
