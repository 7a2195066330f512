package nn

import (
	"os"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/pdekit/pdekit/internal/openblas"
)

// TestNoProcessWideBLAS: importing nn leaves gonum's process-wide BLAS
// (gonum's own Go kernels unless the program chose otherwise) and
// OpenBLAS's thread count as they were, while nn's products still run on
// OpenBLAS and agree with gonum's kernels.
func TestNoProcessWideBLAS(t *testing.T) {
	if _, ok := blas64.Implementation().(gonum.Implementation); !ok {
		t.Errorf("blas64 is %T after importing nn, want gonum's own", blas64.Implementation())
	}
	if _, ok := blas32.Implementation().(gonum.Implementation); !ok {
		t.Errorf("blas32 is %T after importing nn, want gonum's own", blas32.Implementation())
	}
	// OpenBLAS starts with one thread per core unless told otherwise.
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" && os.Getenv("OMP_NUM_THREADS") == "" && runtime.NumCPU() > 1 && openblas.Threads() == 1 {
		t.Errorf("OpenBLAS runs 1 thread on %d cores: something set it", runtime.NumCPU())
	}
	const m, n, k = 37, 29, 41
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = float32(i%13) - 6
	}
	for i := range b {
		b[i] = float32(i%7) - 3
	}
	got, want := make([]float32, m*n), make([]float32, m*n)
	gemm(false, false, m, n, k, 1, a, k, b, n, 0, got, n)
	gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, want, n)
	for i := range got {
		if got[i] != want[i] { // small integers: exact in float32
			t.Fatalf("entry %d: nn %g, gonum %g", i, got[i], want[i])
		}
	}
}
