package transport_test

import (
	"context"
	"fmt"

	"github.com/pdekit/pdekit/transport"
)

// Exact and entropic transport between two three-point measures on the
// line, against the closed-form W2 distance. Sinkhorn's scaling converges
// slowly when eps is small against the cost; Sinkhorn-Newton-Sparse does
// not.
func ExampleEMD() {
	x, y := []float64{0, 1, 2}, []float64{0.5, 1.5, 2.5}
	a := []float64{1. / 3, 1. / 3, 1. / 3}
	c, err := transport.CostMatrix(x, y, 1, transport.SqEuclidean)
	if err != nil {
		panic(err)
	}
	exact, err := transport.EMD(context.Background(), a, a, c, nil)
	if err != nil {
		panic(err)
	}
	w2, _ := transport.Wasserstein1D(x, a, y, a, 2)
	ent, err := transport.SinkhornNewtonSparse(context.Background(), a, a, c, 0.01, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("EMD %v: cost %.4f, W2^2 = %.4f\n", exact.Reason, exact.Cost, w2*w2)
	fmt.Printf("SNS %v: cost %.4f\n", ent.Reason, ent.Cost)
	// Output:
	// EMD completed: cost 0.2500, W2^2 = 0.2500
	// SNS converged (relative tolerance): cost 0.2500
}
