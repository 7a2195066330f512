package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/transport"
)

// TestOT runs every method on a small cloud pair and a 1-D density pair:
// the exact cost of the densities equals the closed form W2^2 (in the
// normalised cost units), the entropic methods agree with each other, the
// EMD plan is written as CSR, and bad input exits 2.
func TestOT(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "clouds.h5")
	f, err := h5.Create(in, false)
	if err != nil {
		t.Fatal(err)
	}
	n := 40
	x, y := make([]float64, 2*n), make([]float64, 2*n)
	for i := 0; i < n; i++ {
		x[2*i], x[2*i+1] = math.Mod(0.37*float64(i), 1), math.Mod(0.61*float64(i), 1)
		y[2*i], y[2*i+1] = 0.3+0.4*math.Mod(0.53*float64(i), 1), 0.2+0.5*math.Mod(0.29*float64(i), 1)
	}
	h5.Write(f, "x", []int{n, 2}, x, nil)
	h5.Write(f, "y", []int{n, 2}, y, nil)
	f.Close()
	costs := map[string]float64{}
	for _, m := range []string{"sinkhorn", "sinkhorn-log", "sinkhorn-eps", "sns", "emd", "unbalanced", "sparse"} {
		args := []string{"ot", "--in", in, "--method", m, "--reg", "0.01", "--json"}
		if m == "emd" {
			args = append(args, "--out", filepath.Join(dir, "plan.h5"))
		}
		if m == "unbalanced" {
			args = append(args, "--tau", "100", "--reg", "0.1", "--tol", "1e-8")
		}
		if m == "sparse" {
			args = append(args, "--k", "3", "--tol", "1e-6")
		}
		code, stdout, errs := sim(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", m, code, errs)
		}
		var line struct {
			Case   string  `json:"case"`
			Cost   float64 `json:"cost"`
			Merr   float64 `json:"marginal_err"`
			NNZ    int     `json:"nnz"`
			Impl   string  `json:"impl"`
			Scaled float64 `json:"scale"`
		}
		if err := json.Unmarshal([]byte(stdout), &line); err != nil {
			t.Fatalf("%s: %q", m, stdout)
		}
		if line.Case != "ot-clouds.h5-ot-n40-d2-sqeuclidean-reg0.01-seed0" && m != "unbalanced" {
			t.Errorf("%s: case %q", m, line.Case)
		}
		costs[m] = line.Cost
		if m == "emd" && line.NNZ > 2*n-1 {
			t.Errorf("emd plan has %d nonzeros", line.NNZ)
		}
	}
	for _, m := range []string{"sinkhorn-log", "sinkhorn-eps", "sns"} {
		if math.Abs(costs[m]-costs["sinkhorn"]) > 1e-7*costs["sinkhorn"] {
			t.Errorf("%s cost %.10g, sinkhorn %.10g", m, costs[m], costs["sinkhorn"])
		}
	}
	if !(costs["emd"] < costs["sinkhorn"]) {
		t.Errorf("exact cost %g not below the entropic %g", costs["emd"], costs["sinkhorn"])
	}
	pf, err := h5.Open(filepath.Join(dir, "plan.h5"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := h5.ReadCSR(pf, "plan")
	pf.Close()
	if err != nil || p.NNZ() > 2*n-1 {
		t.Fatalf("plan: %v", err)
	}

	// 1-D densities: EMD equals the closed-form W2^2 over the scale.
	fin := filepath.Join(dir, "fields.h5")
	f, _ = h5.Create(fin, false)
	k := 50
	da, db := make([]float64, k), make([]float64, k)
	for i := range da {
		s := (float64(i) + 0.5) / float64(k)
		da[i] = math.Exp(-50 * (s - 0.3) * (s - 0.3))
		if i > 10 && i < 40 {
			db[i] = 1 + s
		}
	}
	h5.Write(f, "x", []int{k}, da, nil)
	h5.Write(f, "y", []int{k}, db, nil)
	f.Close()
	code, stdout, errs := sim(t, "ot", "--in", fin, "--fields", "--method", "emd", "--json")
	if code != 0 {
		t.Fatalf("fields: exit %d: %s", code, errs)
	}
	var line struct {
		Cost, Scale float64
	}
	json.Unmarshal([]byte(stdout), &line)
	pa, wa, _ := transport.GridDensity(da, k)
	pb, wb, _ := transport.GridDensity(db, k)
	w2, _ := transport.Wasserstein1D(pa, wa, pb, wb, 2)
	if got := line.Cost * line.Scale; math.Abs(got-w2*w2) > 1e-12 {
		t.Errorf("fields: EMD cost %.15g, closed form W2^2 %.15g", got, w2*w2)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ot"}, "--in is required"},
		{[]string{"ot", "--in", in, "--method", "magic"}, `--method "magic"`},
		{[]string{"ot", "--in", filepath.Join(dir, "missing.h5")}, "--in"},
		{[]string{"ot", "--in", fin}, "[n, d]"},
		{[]string{"ot", "--in", in, "--cost", "l3"}, `--cost "l3"`},
		{[]string{"ot", "--in", in, "--reg", "-1"}, "regularisation"},
	} {
		code, _, errs := sim(t, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q, want %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestOTCostMatrix solves a user-given cost matrix (dataset cost) exactly
// and entropically: a 4 x 4 assignment with a known optimum.
func TestOTCostMatrix(t *testing.T) {
	in := filepath.Join(t.TempDir(), "cost.h5")
	f, err := h5.Create(in, false)
	if err != nil {
		t.Fatal(err)
	}
	// The identity permutation costs 0; every other one at least 2/4.
	c := []float64{0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0}
	h5.Write(f, "cost", []int{4, 4}, c, nil)
	f.Close()
	code, stdout, errs := sim(t, "ot", "--in", in, "--method", "emd", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var line struct {
		Cost float64 `json:"cost"`
		NNZ  int     `json:"nnz"`
	}
	json.Unmarshal([]byte(stdout), &line)
	if line.Cost != 0 || line.NNZ != 4 {
		t.Errorf("cost %v with %d nonzeros, want 0 with 4", line.Cost, line.NNZ)
	}
	code, stdout, _ = sim(t, "ot", "--in", in, "--method", "sns", "--reg", "0.05", "--json")
	json.Unmarshal([]byte(stdout), &line)
	if code != 0 || !(line.Cost > 0 && line.Cost < 0.01) {
		t.Errorf("sns: exit %d, cost %v", code, line.Cost)
	}
}
