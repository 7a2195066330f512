package relax_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/solvers/relax"
)

// TestPolicyStateRoundTrip: a bandit saved to HDF5 mid-run (through
// io/h5's State interface) and restored makes the same choices as the one
// that never stopped.
func TestPolicyStateRoundTrip(t *testing.T) {
	cost := func(w, c float64) float64 { return math.Floor(20 + 400*math.Pow(w-(1+0.9*c), 2)) }
	mk := func() []relax.Policy {
		cheb, _ := relax.NewChebCB(nil, 6, 0, 1, 3)
		cb, _ := relax.NewTsallisINFCB(nil, 5, 0, 1, 4)
		return []relax.Policy{relax.NewTsallisINF(nil, 5), cb, cheb, relax.Fixed(1.4), &relax.Oracle{Mode: relax.GoldenSection}}
	}
	ctx := func(t int) float64 { return math.Mod(0.37*float64(t), 1) }
	a, b := mk(), mk()
	path := filepath.Join(t.TempDir(), "state.h5")
	f, err := h5.Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		for r := 0; r < 200; r++ {
			a[i].Update(cost(a[i].Choose(ctx(r)), ctx(r)))
			b[i].Update(cost(b[i].Choose(ctx(r)), ctx(r)))
		}
		s, err := relax.Snapshot(b[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := h5.WriteState(f, "policy"+string(rune('0'+i)), s); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	g, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for i := range a {
		s := &relax.State{}
		if err := h5.ReadState(g, "policy"+string(rune('0'+i)), s); err != nil {
			t.Fatal(err)
		}
		p, err := relax.Restore(s)
		if err != nil {
			t.Fatal(err)
		}
		for r := 200; r < 400; r++ {
			w1, w2 := a[i].Choose(ctx(r)), p.Choose(ctx(r))
			if w1 != w2 {
				t.Fatalf("%s: round %d: restored chose %v, uninterrupted %v", s.Kind, r, w2, w1)
			}
			a[i].Update(cost(w1, ctx(r)))
			p.Update(cost(w2, ctx(r)))
		}
	}
	if err := h5.ReadState(g, "nothing", &relax.State{}); err == nil {
		t.Error("reading a missing group succeeded")
	}
}
