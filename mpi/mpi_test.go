package mpi

import (
	"os"
	"testing"
)

// TestMain initialises MPI once for the package's tests (run by 'make
// test-cluster' under mpirun with the tag mpi; one rank otherwise).
func TestMain(m *testing.M) {
	if err := Init(); err != nil {
		panic(err)
	}
	code := m.Run()
	Finalize()
	os.Exit(code)
}

// The collectives compute what their definitions say on any number of
// ranks: a sum and a maximum of rank-dependent values, a broadcast, and a
// ring exchange with a neighbour (an edge at the ends when open).
func TestCollectives(t *testing.T) {
	r, p := Rank(), Size()
	if r < 0 || r >= p {
		t.Fatalf("rank %d of %d", r, p)
	}
	buf := []float64{float64(r), 1, float64(r * r)}
	if err := AllreduceSum(buf); err != nil {
		t.Fatal(err)
	}
	want := []float64{float64(p * (p - 1) / 2), float64(p), float64((p - 1) * p * (2*p - 1) / 6)}
	for i := range buf {
		if buf[i] != want[i] {
			t.Errorf("rank %d: sum %v, want %v", r, buf, want)
			break
		}
	}
	mx := []float64{float64(r), -float64(r)}
	if err := AllreduceMax(mx); err != nil || mx[0] != float64(p-1) || mx[1] != 0 {
		t.Errorf("rank %d: max %v (%v)", r, mx, err)
	}
	b := []float64{float64(r + 7)}
	if err := Bcast(b, p-1); err != nil || b[0] != float64(p-1+7) {
		t.Errorf("rank %d: broadcast %v (%v)", r, b, err)
	}
	// Ring: send my rank to the right, receive the left's.
	right, left := (r+1)%p, (r-1+p)%p
	got := []float64{-1}
	if err := SendRecv([]float64{float64(r)}, right, got, left, 3); err != nil || got[0] != float64(left) {
		t.Errorf("rank %d: ring received %v from %d (%v)", r, got, left, err)
	}
	// Open chain: the first rank receives from nobody.
	src := r - 1
	got[0] = -1
	dest := r + 1
	if dest == p {
		dest = -1
	}
	if err := SendRecv([]float64{float64(r)}, dest, got, src, 4); err != nil || (src >= 0 && got[0] != float64(src)) || (src < 0 && got[0] != -1) {
		t.Errorf("rank %d: chain received %v (%v)", r, got, err)
	}
	if err := Barrier(); err != nil {
		t.Error(err)
	}
}
