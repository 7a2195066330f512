//go:build mpi

package mpi

/*
#cgo pkg-config: ompi-c
#include <mpi.h>
#include <stdlib.h>

static int pdekit_init(void) {
	int provided;
	int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
	if (rc != MPI_SUCCESS) return rc;
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	return provided < MPI_THREAD_SERIALIZED ? -1 : MPI_SUCCESS;
}
static int pdekit_rank(void) { int r; MPI_Comm_rank(MPI_COMM_WORLD, &r); return r; }
static int pdekit_size(void) { int s; MPI_Comm_size(MPI_COMM_WORLD, &s); return s; }
static int pdekit_allreduce_sum(double *buf, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
static int pdekit_allreduce_max(double *buf, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
}
static int pdekit_bcast(double *buf, int n, int root) {
	return MPI_Bcast(buf, n, MPI_DOUBLE, root, MPI_COMM_WORLD);
}
static int pdekit_sendrecv(double *s, int ns, int dest, double *r, int nr, int src, int tag) {
	return MPI_Sendrecv(s, ns, MPI_DOUBLE, dest < 0 ? MPI_PROC_NULL : dest, tag,
		r, nr, MPI_DOUBLE, src < 0 ? MPI_PROC_NULL : src, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}
static int pdekit_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static int pdekit_finalize(void) { return MPI_Finalize(); }
static int pdekit_initialized(void) { int f; MPI_Initialized(&f); return f; }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Enabled reports whether the package binds MPI (built with the tag mpi).
const Enabled = true

func check(what string, rc C.int) error {
	if rc != 0 {
		return fmt.Errorf("mpi: %s failed (error %d)", what, int(rc))
	}
	return nil
}

// Init initialises MPI (thread level MPI_THREAD_SERIALIZED). Calling it
// again is harmless.
func Init() error {
	if C.pdekit_initialized() != 0 {
		return nil
	}
	return check("MPI_Init_thread", C.pdekit_init())
}

// Finalize shuts MPI down.
func Finalize() error { return check("MPI_Finalize", C.pdekit_finalize()) }

// Rank returns this process's rank in MPI_COMM_WORLD.
func Rank() int { return int(C.pdekit_rank()) }

// Size returns the number of processes.
func Size() int { return int(C.pdekit_size()) }

func ptr(b []float64) *C.double {
	if len(b) == 0 {
		return nil
	}
	return (*C.double)(unsafe.Pointer(&b[0]))
}

// AllreduceSum replaces buf on every rank by the element-wise sum over the
// ranks.
func AllreduceSum(buf []float64) error {
	return check("MPI_Allreduce", C.pdekit_allreduce_sum(ptr(buf), C.int(len(buf))))
}

// AllreduceMax replaces buf on every rank by the element-wise maximum.
func AllreduceMax(buf []float64) error {
	return check("MPI_Allreduce", C.pdekit_allreduce_max(ptr(buf), C.int(len(buf))))
}

// Bcast copies root's buf to every rank's buf.
func Bcast(buf []float64, root int) error {
	return check("MPI_Bcast", C.pdekit_bcast(ptr(buf), C.int(len(buf)), C.int(root)))
}

// SendRecv sends send to rank dest and receives recv from rank source in
// one call (neither deadlocks against the other); a negative rank skips
// that half (MPI_PROC_NULL), as at the edge of a decomposition.
func SendRecv(send []float64, dest int, recv []float64, source, tag int) error {
	return check("MPI_Sendrecv", C.pdekit_sendrecv(ptr(send), C.int(len(send)), C.int(dest), ptr(recv), C.int(len(recv)), C.int(source), C.int(tag)))
}

// Barrier waits until every rank has called it.
func Barrier() error { return check("MPI_Barrier", C.pdekit_barrier()) }
