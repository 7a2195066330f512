package pde

import (
	"context"
	"fmt"
	"math"
)

// Heat integrates the heat equation u_t = div(a grad u) on the unit square
// with u = 0 on the boundary, on the node grid of Elliptic, by
// Crank-Nicolson: (A + 2/dt) u' = (2/dt - A) u with A = -div(a grad .),
// each step one multigrid-preconditioned CG solve warm-started from u.
//
// A Heat is not safe for concurrent use.
type Heat struct {
	e     *Elliptic
	sigma float64
	rhs   []float64
}

// NewHeat returns the integrator on an n x n node grid with time step dt
// and diffusivity a (n*n node values, nil means 1); tol is the solves'
// relative tolerance (zero means 1e-10).
func NewHeat(n int, dt float64, a []float64, tol float64) (*Heat, error) {
	if !(dt > 0) || math.IsInf(dt, 1) {
		return nil, fmt.Errorf("pde: heat time step %v, want positive and finite", dt)
	}
	e, err := NewElliptic(n, 2/dt, tol)
	if err != nil {
		return nil, err
	}
	if err := e.SetCoefficient(a); err != nil {
		return nil, err
	}
	return &Heat{e: e, sigma: 2 / dt, rhs: make([]float64, n*n)}, nil
}

// Step advances u (n*n node values) by one step in place.
func (h *Heat) Step(ctx context.Context, u []float64) error {
	if len(u) != len(h.rhs) {
		return fmt.Errorf("pde: heat state has length %d, want %d", len(u), len(h.rhs))
	}
	h.e.Apply(h.rhs, u)
	for i, v := range u {
		h.rhs[i] = 2*h.sigma*v - h.rhs[i]
	}
	return h.e.Solve(ctx, u, h.rhs)
}
