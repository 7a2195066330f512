package dcdm

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
	"github.com/pdekit/pdekit/pde"
	"github.com/pdekit/pdekit/solvers"
)

// TestTrainedModel: a small network (8 channels, 6 convolutions) trained
// for 20 epochs on 300 Lanczos vectors of one 24 x 24 obstacle system
// (seed 1) makes DCDM reduce the residual of systems it has not seen
// (other obstacles and right-hand side, seed 9, 24 x 24) to 5e-2 in fewer
// than half of CG's iterations; the checkpoint reads back as the same
// model. (So small and briefly trained a model stalls before tighter
// tolerances, and on 48 x 48 before 5e-2: once a step makes little
// progress the normalised residual, and so the proposed direction, stops
// changing.)
func TestTrainedModel(t *testing.T) {
	if testing.Short() {
		t.Skip("makes Lanczos vectors and trains a network for 20 epochs (about 10 s): skipped under -short")
	}
	sys, err := pde.Obstacles{Dim: 2, N: 24, Seed: 1}.Build()
	if err != nil {
		t.Fatal(err)
	}
	prob := Problem{A: sys.A, Shape: sys.Shape, Skip: Decoupled(sys.A)}
	if !slices.Equal(prob.Skip, sys.Solid) {
		t.Fatal("the decoupled rows are not the solid cells")
	}
	vecs, err := TrainingSet(context.Background(), sys.A, &DataSettings{Steps: 300, Samples: 330, Seed: 1, Skip: prob.Skip})
	if err != nil {
		t.Fatal(err)
	}
	net, err := NewNet[float32](NetSettings{Dim: 2, Channels: 8, Full: 2, Half: 2, Up: 2}, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dcdm.h5")
	_, err = Train(context.Background(), net, prob, vecs[:300], vecs[300:], &train.Settings{
		Control: iterate.Control{MaxIterations: 20}, Batch: 10, LR: 1e-3, Seed: 1, Checkpoint: path}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{24} {
		b2, rhs := system(t, n, 9)
		model, err := NewModel(net, Problem{A: b2, Shape: []int{n, n}, Skip: Decoupled(b2)})
		if err != nil {
			t.Fatal(err)
		}
		got := solve(t, b2, rhs, &Method{}, model, 5e-2, nil)
		cg := solve(t, b2, rhs, &solvers.CG{}, nil, 5e-2, nil)
		t.Logf("%d x %d: DCDM %d iterations (%v), CG %d", n, n, got.Iterations, got.Reason, cg.Iterations)
		if !got.Reason.Converged() || 2*got.Iterations >= cg.Iterations {
			t.Errorf("%d x %d: DCDM %d iterations (%v), CG %d", n, n, got.Iterations, got.Reason, cg.Iterations)
		}
	}
	last, shape, err := LoadModel(path, false)
	if err != nil || !slices.Equal(shape, []int{24, 24}) {
		t.Fatalf("LoadModel: %v, grid %v", err, shape)
	}
	for i, p := range last.Params() {
		if !slices.Equal(p.Tensor.Data, net.Params()[i].Tensor.Data) {
			t.Fatalf("checkpoint's %s differs from the trained network's", p.Name)
		}
	}
}

// The validation shards of a data-parallel run sum to the whole set's
// validation: ValidateShard's sums over 3 shards against Validate's mean.
func TestValidateShards(t *testing.T) {
	sys, err := pde.Obstacles{Dim: 2, N: 16, Seed: 1}.Build()
	if err != nil {
		t.Fatal(err)
	}
	prob := Problem{A: sys.A, Shape: sys.Shape, Skip: Decoupled(sys.A)}
	rnd := rand.New(rand.NewPCG(3, 3))
	val := make([][]float32, 23)
	for i := range val {
		val[i] = make([]float32, 16*16)
		for k := range val[i] {
			val[i][k] = float32(rnd.NormFloat64())
		}
	}
	net, err := NewNet[float32](NetSettings{Dim: 2, Channels: 4, Full: 2, Half: 2, Up: 2}, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	tk := &task{net: net, p: prob, tr: val, val: val, keep: map[int]*nn.Tensor[float32]{}}
	whole, err := tk.Validate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	var n int
	for r := 0; r < 3; r++ {
		s, c, err := tk.ValidateShard(context.Background(), r, 3)
		if err != nil {
			t.Fatal(err)
		}
		sum, n = sum+s, n+c
	}
	if n != 23 || math.Abs(sum/23-whole) > 1e-6*whole {
		t.Errorf("shards: %d vectors, mean %v; whole %v", n, sum/float64(n), whole)
	}
}
