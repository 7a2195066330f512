// Package openblas puts OpenBLAS under gonum's BLAS interface (through
// gonum.org/v1/netlib) and reports, and corrects, the CPU core OpenBLAS
// runs its kernels for.
//
// Debian's OpenBLAS can mistake a virtual machine's CPU for an old one
// (Prescott) and run SSE3 kernels 5x slower than the AVX-512 ones the CPU
// supports. The core is chosen when the library loads, from the
// OPENBLAS_CORETYPE environment variable if set, so the fix must be in the
// environment before the process starts: Reexec restarts the running
// program with it, and the Makefile exports it for the tests.
package openblas

/*
#cgo LDFLAGS: -lopenblas
char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
*/
import "C"

import (
	"os"
	"strings"
	"syscall"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/cblas128"
	"gonum.org/v1/gonum/blas/cblas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// BLAS is OpenBLAS under gonum's BLAS interfaces (blas.Float64, Float32,
// Complex64, Complex128), for packages that call it directly: they get the
// fast BLAS without changing the process-wide implementations that Use
// sets.
var BLAS netlib.Implementation

// Use makes gonum's blas64, blas32, cblas128 and cblas64 (and so gonum/mat)
// call OpenBLAS for the whole process. Programs call it where they start.
func Use() {
	blas64.Use(netlib.Implementation{})
	blas32.Use(netlib.Implementation{})
	cblas128.Use(netlib.Implementation{})
	cblas64.Use(netlib.Implementation{})
}

// Core returns the name of the core OpenBLAS runs its kernels for.
func Core() string { return strings.TrimSpace(C.GoString(C.openblas_get_corename())) }

// Config returns OpenBLAS's build configuration string.
func Config() string { return strings.TrimSpace(C.GoString(C.openblas_get_config())) }

// Threads returns the number of threads OpenBLAS uses.
func Threads() int { return int(C.openblas_get_num_threads()) }

// SetThreads sets the number of threads OpenBLAS uses.
func SetThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// avx512Cores and avx2Cores are the OpenBLAS cores that use the CPU's
// widest vectors.
var (
	avx512Cores = []string{"skylakex", "cooperlake", "sapphirerapids"}
	avx2Cores   = append([]string{"haswell", "zen"}, avx512Cores...)
)

// Recommended returns the OPENBLAS_CORETYPE the CPU deserves when OpenBLAS
// picked a core with narrower vectors than the CPU has (flags as in
// /proc/cpuinfo), or "" when the choice is right.
func Recommended(core string, flags []string) string {
	has := func(f string) bool {
		for _, v := range flags {
			if v == f {
				return true
			}
		}
		return false
	}
	in := func(list []string) bool {
		for _, v := range list {
			if strings.EqualFold(core, v) {
				return true
			}
		}
		return false
	}
	switch {
	case has("avx512f") && has("avx512bw") && !in(avx512Cores):
		return "SkylakeX"
	case has("avx2") && has("fma") && !in(avx2Cores):
		return "Haswell"
	}
	return ""
}

// CPUFlags returns the feature flags of the first CPU in /proc/cpuinfo
// (nil where there is none).
func CPUFlags() []string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			return strings.Fields(v)
		}
	}
	return nil
}

// reexecMark keeps a restarted program from restarting again.
const reexecMark = "PDEKIT_OPENBLAS_REEXEC"

// Reexec restarts the running program with OPENBLAS_CORETYPE set when
// OpenBLAS chose a core below the CPU's and the variable is unset; it
// returns only if no restart is needed or the restart failed.
func Reexec() {
	if os.Getenv("OPENBLAS_CORETYPE") != "" || os.Getenv(reexecMark) != "" {
		return
	}
	want := Recommended(Core(), CPUFlags())
	if want == "" {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	env := append(os.Environ(), "OPENBLAS_CORETYPE="+want, reexecMark+"=1")
	_ = syscall.Exec(exe, os.Args, env)
}
