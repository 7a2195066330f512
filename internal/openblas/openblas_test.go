package openblas

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/mat"
)

func TestRecommended(t *testing.T) {
	for _, tc := range []struct {
		core  string
		flags []string
		want  string
	}{
		{"Prescott", []string{"sse3", "avx2", "fma", "avx512f", "avx512bw"}, "SkylakeX"},
		{"SkylakeX", []string{"avx2", "fma", "avx512f", "avx512bw"}, ""},
		{"Prescott", []string{"sse3", "avx2", "fma"}, "Haswell"},
		{"Zen", []string{"avx2", "fma"}, ""},
		{"Haswell", []string{"avx2", "fma", "avx512f", "avx512bw"}, "SkylakeX"},
		{"Nehalem", []string{"sse4_2"}, ""},
	} {
		if got := Recommended(tc.core, tc.flags); got != tc.want {
			t.Errorf("Recommended(%q, %v) = %q, want %q", tc.core, tc.flags, got, tc.want)
		}
	}
}

// TestUseAgreesWithGonum multiplies through OpenBLAS and through gonum's
// native BLAS and compares.
func TestUseAgreesWithGonum(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	a := mat.NewDense(70, 50, nil)
	b := mat.NewDense(50, 60, nil)
	for _, m := range []*mat.Dense{a, b} {
		r, c := m.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				m.Set(i, j, rnd.NormFloat64())
			}
		}
	}
	blas64.Use(gonum.Implementation{})
	var want mat.Dense
	want.Mul(a, b)
	Use()
	defer blas64.Use(gonum.Implementation{})
	var got mat.Dense
	got.Mul(a, b)
	for i := 0; i < 70; i++ {
		for j := 0; j < 60; j++ {
			if math.Abs(got.At(i, j)-want.At(i, j)) > 1e-12*(1+math.Abs(want.At(i, j))) {
				t.Fatalf("(%d, %d): OpenBLAS %g, gonum %g", i, j, got.At(i, j), want.At(i, j))
			}
		}
	}
	if Core() == "" || Threads() < 1 {
		t.Errorf("core %q, threads %d", Core(), Threads())
	}
	t.Logf("OpenBLAS core %s, %d threads, %s", Core(), Threads(), Config())
}
