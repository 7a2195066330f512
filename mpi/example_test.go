package mpi_test

import (
	"fmt"

	"github.com/pdekit/pdekit/mpi"
)

// A global sum: each rank contributes its part and every rank gets the
// total: 1 + 2 + ... + P and P. In the default build there is one rank;
// built with -tags mpi and started by 'mpirun -np P', every rank prints
// the same.
func ExampleAllreduceSum() {
	if err := mpi.Init(); err != nil {
		panic(err)
	}
	part := []float64{float64(mpi.Rank() + 1), 1}
	if err := mpi.AllreduceSum(part); err != nil {
		panic(err)
	}
	p := float64(mpi.Size())
	fmt.Println(part[0] == p*(p+1)/2, part[1] == p)
	// Output:
	// true true
}
