package relax_test

import (
	"context"
	"fmt"
	"io"

	"github.com/pdekit/pdekit/solvers/relax"
)

// A sequence of shifted Laplacians solved by SOR with omega tuned online by
// the Tsallis-INF bandit; every solve reports how it ended.
func ExampleSequence() {
	src, err := relax.NewShiftedLaplacian(relax.High, 10, 200, 1)
	if err != nil {
		panic(err)
	}
	seq := relax.Sequence{Base: relax.SOR, Policy: relax.NewTsallisINF(nil, 7)}
	var first, last, unconverged int
	for t := 0; ; t++ {
		in, err := src.Next(nil)
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		step, err := seq.Solve(context.Background(), in)
		if err != nil {
			panic(err)
		}
		if !step.Result.Reason.Converged() {
			unconverged++
		}
		switch {
		case t < 50:
			first += step.Iterations
		case t >= 150:
			last += step.Iterations
		}
	}
	// The bandit learns: the last 50 solves cost less than the first 50.
	fmt.Println(last < first, unconverged)
	// Output: true 0
}
