package main

import (
	"context"
	"fmt"

	"github.com/pdekit/pdekit/pde"
)

// cloudsData is the recipe of the optimal-transport inputs of the peer
// script optimal_transport.py: sample i is point i of both clouds, x_i
// uniform on [0, 1]^Dim and y_i normal with mean 0.5 and deviation 0.15
// per coordinate, clipped to [0, 1]. The file holds x and y [samples,
// Dim] (float32), the input of simulate ot. The streams are the
// toolkit's (keyed by Seed and i), not NumPy's: the peer reads the file
// (--h5) to work on the same clouds.
type cloudsData struct {
	Dim  int    `json:"dim"`
	Seed uint64 `json:"seed"`
}

func (c *cloudsData) defaults() {
	if c.Dim == 0 {
		c.Dim = 2
	}
}

// Check implements pde.Dataset.
func (c *cloudsData) Check() error {
	if c.Dim < 1 || c.Dim > 1024 {
		return fmt.Errorf("Dim %d, want 1..1024", c.Dim)
	}
	return nil
}

// Fields implements pde.Dataset.
func (c *cloudsData) Fields() []pde.Field {
	return []pde.Field{{Name: "x", Shape: []int{c.Dim}}, {Name: "y", Shape: []int{c.Dim}}}
}

// Coordinates implements pde.Dataset: clouds have none.
func (c *cloudsData) Coordinates() []pde.Coordinate { return nil }

// NewWorker implements pde.Dataset.
func (c *cloudsData) NewWorker() (pde.Worker, error) { return c, nil }

// Sample implements pde.Worker.
func (c *cloudsData) Sample(_ context.Context, i int, out [][]float32) error {
	r := pde.SampleRand(c.Seed, i)
	for k := range out[0] {
		out[0][k] = float32(r.Float64())
	}
	for k := range out[1] {
		out[1][k] = float32(min(1, max(0, 0.5+0.15*r.NormFloat64())))
	}
	return nil
}
