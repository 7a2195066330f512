// Package mpi is the few MPI calls the toolkit needs to run one job on
// several processes: initialisation, rank and size, sum-allreduce,
// broadcast, paired send-receive and barrier on MPI_COMM_WORLD. Built
// with the tag mpi it binds Open MPI by cgo (pkg-config ompi-c; Debian's
// libopenmpi-dev); without it the package is a single process of rank 0,
// whose collectives are copies, so that code written against it runs
// unchanged in the default build, which needs no MPI:
//
//	go build -tags mpi ./cmd/simulate
//	mpirun -np 4 ./simulate solve --problem poisson3d --n 256 ...
//
// The calls are made from one goroutine at a time (MPI_THREAD_SERIALIZED):
// a program calls Init first and Finalize last.
package mpi
