package pinn

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn/train"
)

// TestRAR: the added points are the candidates of largest |residual|
// (the candidates redrawn from the same seed), after the current ones.
func TestRAR(t *testing.T) {
	m, _ := New(Peak{}, 8, 2, rand.New(rand.NewPCG(4, 4)))
	cur := Uniform(2, 5, rand.New(rand.NewPCG(5, 5)))
	next, err := RAR{Candidates: 200, Add: 10}.Next(context.Background(), m, cur, rand.New(rand.NewPCG(6, 6)))
	if err != nil {
		t.Fatal(err)
	}
	if next.Shape[0] != 15 || !slices.Equal(next.Data[:10], cur.Data) {
		t.Fatalf("%v points; the current ones first?", next.Shape)
	}
	cand := Uniform(2, 200, rand.New(rand.NewPCG(6, 6)))
	r := residuals(m, cand)
	added := residuals(m, rows(nil, next, []int{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}))
	sorted := append([]float64(nil), r...)
	slices.Sort(sorted)
	for _, v := range added {
		if v < sorted[len(sorted)-10] {
			t.Errorf("added a point of residual %g below the tenth largest %g", v, sorted[len(sorted)-10])
		}
	}
}

// TestRAD: 20,000 draws from 50 candidates choose each with frequency
// |r|^k/mean + c over the sum, to 0.01 (k = 2, c = 0.5).
func TestRAD(t *testing.T) {
	m, _ := New(Exp{D: 2}, 8, 2, rand.New(rand.NewPCG(7, 7)))
	s := RAD{N: 20000, Candidates: 50, K: 2, C: 0.5}
	next, err := s.Next(context.Background(), m, Uniform(2, 3, rand.New(rand.NewPCG(1, 1))), rand.New(rand.NewPCG(8, 8)))
	if err != nil {
		t.Fatal(err)
	}
	cand := Uniform(2, 50, rand.New(rand.NewPCG(8, 8)))
	r := residuals(m, cand)
	var mean float64
	for _, v := range r {
		mean += v * v / 50
	}
	w := make([]float64, 50)
	var total float64
	for i, v := range r {
		w[i] = v*v/mean + 0.5
		total += w[i]
	}
	count := make([]float64, 50)
	for i := 0; i < next.Shape[0]; i++ {
		for j := 0; j < 50; j++ {
			if next.Data[2*i] == cand.Data[2*j] && next.Data[2*i+1] == cand.Data[2*j+1] {
				count[j]++
				break
			}
		}
	}
	for j := range w {
		if f, p := count[j]/20000, w[j]/total; math.Abs(f-p) > 0.01 {
			t.Errorf("candidate %d drawn with frequency %.4f, probability %.4f", j, f, p)
		}
	}
}

// TestTrainStages: three stages with RAR grow the set by the points
// added and record each stage's validation error.
func TestTrainStages(t *testing.T) {
	m, _ := New(Exp{D: 2}, 8, 2, rand.New(rand.NewPCG(9, 9)))
	res, err := TrainStages(context.Background(), m, RAR{Candidates: 500, Add: 50}, &StageSettings{Stages: 3,
		Settings: Settings{Interior: 100, Boundary: 40, Validation: Grid(2, 21), Settings: train.Settings{Control: iterate.Control{MaxIterations: 20}, LR: 3e-3}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].Points != 100 || res[1].Points != 150 || res[2].Points != 200 || !(res[2].Error > 0) {
		t.Errorf("stages %+v", res)
	}
}
