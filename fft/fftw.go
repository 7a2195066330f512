package fft

/*
#cgo LDFLAGS: -lfftw3 -lfftw3f -lm
#include <fftw3.h>
#include <stdint.h>

// The plans are made for single transforms on FFTW-allocated (SIMD-aligned)
// scratch arrays; new-array execution then applies them to any arrays of
// the same alignment, and the unaligned variants to the rest.

static void *plan64(int kind, int rank, const int *n, const int *r2r, unsigned flags) {
	int total = 1, ctotal = 1;
	for (int i = 0; i < rank; i++) total *= n[i];
	ctotal = total / n[rank-1] * (n[rank-1] / 2 + 1);
	double *re = fftw_malloc(sizeof(double) * (total > 1 ? total : 1));
	fftw_complex *a = fftw_malloc(sizeof(fftw_complex) * (total > 1 ? total : 1));
	fftw_complex *b = fftw_malloc(sizeof(fftw_complex) * (total > 1 ? total : 1));
	double *re2 = fftw_malloc(sizeof(double) * (total > 1 ? total : 1));
	fftw_plan p = NULL;
	switch (kind) {
	case 0: p = fftw_plan_dft_r2c(rank, n, re, a, flags); break;
	case 1: p = fftw_plan_dft_c2r(rank, n, a, re, flags); break;
	case 2: p = fftw_plan_dft(rank, n, a, b, FFTW_FORWARD, flags); break;
	case 3: p = fftw_plan_dft(rank, n, a, b, FFTW_BACKWARD, flags); break;
	case 4: p = fftw_plan_r2r(rank, n, re, re2, (const fftw_r2r_kind *)r2r, flags); break;
	}
	(void)ctotal;
	fftw_free(re); fftw_free(re2); fftw_free(a); fftw_free(b);
	return (void *)p;
}

static void *plan32(int kind, int rank, const int *n, const int *r2r, unsigned flags) {
	int total = 1;
	for (int i = 0; i < rank; i++) total *= n[i];
	float *re = fftwf_malloc(sizeof(float) * (total > 1 ? total : 1));
	fftwf_complex *a = fftwf_malloc(sizeof(fftwf_complex) * (total > 1 ? total : 1));
	fftwf_complex *b = fftwf_malloc(sizeof(fftwf_complex) * (total > 1 ? total : 1));
	float *re2 = fftwf_malloc(sizeof(float) * (total > 1 ? total : 1));
	fftwf_plan p = NULL;
	switch (kind) {
	case 0: p = fftwf_plan_dft_r2c(rank, n, re, a, flags); break;
	case 1: p = fftwf_plan_dft_c2r(rank, n, a, re, flags); break;
	case 2: p = fftwf_plan_dft(rank, n, a, b, FFTW_FORWARD, flags); break;
	case 3: p = fftwf_plan_dft(rank, n, a, b, FFTW_BACKWARD, flags); break;
	case 4: p = fftwf_plan_r2r(rank, n, re, re2, (const fftwf_r2r_kind *)r2r, flags); break;
	}
	fftwf_free(re); fftwf_free(re2); fftwf_free(a); fftwf_free(b);
	return (void *)p;
}

static void exec64(int kind, void *p, void *in, void *out) {
	switch (kind) {
	case 0: fftw_execute_dft_r2c((fftw_plan)p, (double *)in, (fftw_complex *)out); break;
	case 1: fftw_execute_dft_c2r((fftw_plan)p, (fftw_complex *)in, (double *)out); break;
	case 2: case 3: fftw_execute_dft((fftw_plan)p, (fftw_complex *)in, (fftw_complex *)out); break;
	case 4: fftw_execute_r2r((fftw_plan)p, (double *)in, (double *)out); break;
	}
}

static void exec32(int kind, void *p, void *in, void *out) {
	switch (kind) {
	case 0: fftwf_execute_dft_r2c((fftwf_plan)p, (float *)in, (fftwf_complex *)out); break;
	case 1: fftwf_execute_dft_c2r((fftwf_plan)p, (fftwf_complex *)in, (float *)out); break;
	case 2: case 3: fftwf_execute_dft((fftwf_plan)p, (fftwf_complex *)in, (fftwf_complex *)out); break;
	case 4: fftwf_execute_r2r((fftwf_plan)p, (float *)in, (float *)out); break;
	}
}

static const char *version(void) { return fftw_version; }
static int aligned64(void *p) { return fftw_alignment_of((double *)p) == 0; }
static int aligned32(void *p) { return fftwf_alignment_of((float *)p) == 0; }
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// Version returns FFTW's version string.
func Version() string { return C.GoString(C.version()) }

// Transform kinds, as the C shim numbers them.
const (
	kindR2C = iota
	kindC2R
	kindForward
	kindBackward
	kindR2R
)

// r2r kinds of FFTW used for the DCTs.
const (
	redft00 = C.FFTW_REDFT00
	redft10 = C.FFTW_REDFT10
	redft01 = C.FFTW_REDFT01
)

// Effort is how hard the FFTW planner works on a new shape.
type Effort int

const (
	// Measure times candidate algorithms (FFTW_MEASURE): planning a new
	// shape takes milliseconds to seconds, execution is fastest. The
	// default.
	Measure Effort = iota
	// Estimate picks an algorithm by heuristics (FFTW_ESTIMATE): instant
	// planning, slower execution.
	Estimate
)

var (
	// planner guards the FFTW planner, which is not thread-safe; only
	// execution is.
	planner sync.Mutex
	effort  = Measure
	plans   = map[planKey]*cplan{}
)

// SetEffort sets the planner effort for shapes planned from now on and
// returns the previous one.
func SetEffort(e Effort) Effort {
	planner.Lock()
	defer planner.Unlock()
	old := effort
	effort = e
	return old
}

type planKey struct {
	single bool
	kind   int
	shape  string
	r2r    string
}

// cplan holds FFTW plans of one transform for aligned and unaligned
// arrays; the unaligned one is made on first need.
type cplan struct {
	single    bool
	kind      int
	n, r2r    []C.int
	aligned   unsafe.Pointer
	unaligned unsafe.Pointer
}

// getPlan returns the cached plan for a transform, making it if needed.
func getPlan(single bool, kind int, shape []int, r2r []int) (*cplan, error) {
	key := planKey{single, kind, fmt.Sprint(shape), fmt.Sprint(r2r)}
	planner.Lock()
	defer planner.Unlock()
	if p, ok := plans[key]; ok {
		return p, nil
	}
	p := &cplan{single: single, kind: kind, n: make([]C.int, len(shape))}
	for i, v := range shape {
		p.n[i] = C.int(v)
	}
	if r2r != nil {
		p.r2r = make([]C.int, len(r2r))
		for i, v := range r2r {
			p.r2r[i] = C.int(v)
		}
	}
	p.aligned = p.make(0)
	if p.aligned == nil {
		return nil, fmt.Errorf("fft: FFTW could not plan a %v transform of kind %d", shape, kind)
	}
	plans[key] = p
	return p, nil
}

// make plans with the current effort plus extra flags; the planner lock is
// held.
func (p *cplan) make(extra C.uint) unsafe.Pointer {
	flags := C.uint(C.FFTW_MEASURE)
	if effort == Estimate {
		flags = C.FFTW_ESTIMATE
	}
	flags |= extra
	var r2r *C.int
	if p.r2r != nil {
		r2r = &p.r2r[0]
	}
	if p.single {
		return C.plan32(C.int(p.kind), C.int(len(p.n)), &p.n[0], r2r, flags)
	}
	return C.plan64(C.int(p.kind), C.int(len(p.n)), &p.n[0], r2r, flags)
}

// exec runs the transform on one pair of arrays.
func (p *cplan) exec(in, out unsafe.Pointer) {
	plan := p.aligned
	var ok C.int
	if p.single {
		ok = C.aligned32(in) & C.aligned32(out)
	} else {
		ok = C.aligned64(in) & C.aligned64(out)
	}
	if ok == 0 {
		plan = p.unalignedPlan()
	}
	if p.single {
		C.exec32(C.int(p.kind), plan, in, out)
	} else {
		C.exec64(C.int(p.kind), plan, in, out)
	}
}

func (p *cplan) unalignedPlan() unsafe.Pointer {
	planner.Lock()
	defer planner.Unlock()
	if p.unaligned == nil {
		p.unaligned = p.make(C.FFTW_UNALIGNED)
	}
	return p.unaligned
}
