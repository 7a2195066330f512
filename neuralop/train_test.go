package neuralop

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn/train"
	"github.com/pdekit/pdekit/pde"
)

// darcy makes n Darcy samples (FNO's recipe) on a side x side node grid
// from samples first, first+1, ... of seed.
func darcy(t *testing.T, side, n, first int, seed uint64) *Data {
	t.Helper()
	ds := &pde.DarcyData{N: side, Seed: seed}
	ds.Defaults()
	require.NoError(t, ds.Check())
	w, err := ds.NewWorker()
	require.NoError(t, err)
	d := &Data{N: n, In: 1, Out: 1, H: side, W: side}
	p := side * side
	d.X, d.Y = make([]float32, n*p), make([]float32, n*p)
	for i := 0; i < n; i++ {
		require.NoError(t, w.Sample(context.Background(), first+i, [][]float32{d.X[i*p : (i+1)*p], d.Y[i*p : (i+1)*p]}))
	}
	return d
}

// TestNormalizer: encoding then decoding gives the field back; the
// point-wise normaliser's statistics are those of the samples (standard
// deviation with n-1); the resampled normaliser of a linear field is the
// field on the new grid.
func TestNormalizer(t *testing.T) {
	x := []float32{1, 2, 3, 5, 2, 7} // 2 samples of 3 points
	z := FitUnitGaussian(x, 2)
	if !slices.Equal(z.Mean, []float32{3, 2, 5}) || math.Abs(float64(z.Std[0])-math.Sqrt(8)) > 1e-6 || z.Std[1] != 0 {
		t.Errorf("mean %v, std %v", z.Mean, z.Std)
	}
	y := make([]float32, 6)
	z.Encode(y, x)
	z.Decode(y, y)
	for i := range x {
		if math.Abs(float64(y[i]-x[i])) > 1e-5 {
			t.Fatalf("round trip: %v, want %v", y, x)
		}
	}
	g := FitGaussian(x)
	if len(g.Mean) != 1 || math.Abs(float64(g.Mean[0])-10.0/3) > 1e-6 {
		t.Errorf("Gaussian mean %v", g.Mean)
	}
	lin := Normalizer{Mean: make([]float32, 9), Std: make([]float32, 9)}
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			lin.Mean[i*3+j] = float32(linspace(i, 3) + 2*linspace(j, 3))
			lin.Std[i*3+j] = 1
		}
	}
	r := lin.resample(1, 3, 3, 5, 5)
	for i := 0; i < 5; i++ {
		for j := 0; j < 5; j++ {
			if want := linspace(i, 5) + 2*linspace(j, 5); math.Abs(float64(r.Mean[i*5+j])-want) > 1e-6 {
				t.Fatalf("resampled mean at (%d, %d) = %g, want %g", i, j, r.Mean[i*5+j], want)
			}
		}
	}
}

// TestTrainMgNO: a small MgNO trained for 30 epochs on 64 Darcy samples
// of 17 x 17 (seed 1) reaches a relative L2 error below 0.1 on 16 test
// samples (seed 2), a third of the error of the mean solution; the
// checkpoint reads back as the same operator; resuming from an interrupted
// run ends with the same weights, bit for bit.
func TestTrainMgNO(t *testing.T) {
	tr, te := darcy(t, 17, 64, 0, 1), darcy(t, 17, 16, 0, 2)
	dir := t.TempDir()
	cfg := Config{Kind: "mgno", MgNO: &MgNOSettings{Channels: 8, Layers: 2, Levels: 3}}
	newOp := func() *Operator {
		op, err := NewOperator(cfg, tr, UnitGaussian, UnitGaussian, rand.New(rand.NewPCG(7, 7)))
		require.NoError(t, err)
		return op
	}
	settings := func(path string) *TrainSettings {
		return &TrainSettings{Settings: train.Settings{Control: iterate.Control{MaxIterations: 30}, Batch: 8, LR: 3e-3,
			WeightDecay: 1e-4, Schedule: train.Schedule{Kind: train.Cosine}, Seed: 3, Checkpoint: path}}
	}
	op := newOp()
	path := filepath.Join(dir, "mgno.h5")
	res, err := Train(context.Background(), op, tr, te, settings(path))
	require.NoError(t, err)
	errs, err := op.Evaluate(context.Background(), te, 8)
	require.NoError(t, err)
	got := Summarize(errs.RelL2).Mean
	// The error of predicting the training set's mean solution.
	mean := FitGaussian(tr.Y)
	var base float64
	for i := 0; i < te.N; i++ {
		_, y := te.Sample(i)
		var num, den float64
		for _, v := range y {
			num += float64(v-mean.Mean[0]) * float64(v-mean.Mean[0])
			den += float64(v) * float64(v)
		}
		base += math.Sqrt(num/den) / float64(te.N)
	}
	t.Logf("test rel L2 %.4f (mean solution %.4f), best epoch %d, %v", got, base, res.BestEpoch, res.Reason)
	if !(got < 0.1 && got < base/3) {
		t.Errorf("test relative L2 error %.4f; want below 0.1 and a third of the mean solution's %.4f", got, base)
	}
	// The last weights read back predict the same.
	back, err := LoadOperator(path, false)
	require.NoError(t, err)
	p1, err := op.Predict(context.Background(), te, 5)
	require.NoError(t, err)
	p2, err := back.Predict(context.Background(), te, 5)
	require.NoError(t, err)
	if !slices.Equal(p1, p2) {
		t.Error("the checkpoint's operator predicts differently")
	}
	// Interrupted at epoch 12 and resumed: the same weights.
	ipath := filepath.Join(dir, "cut.h5")
	op2 := newOp()
	ctx, cancel := context.WithCancel(context.Background())
	s := settings(ipath)
	s.OnBatch = func(b train.BatchInfo) {
		if b.Epoch == 12 && b.Batch == 5 {
			cancel()
		}
	}
	r2, err := Train(ctx, op2, tr, te, s)
	require.NoError(t, err)
	require.Equal(t, iterate.Cancelled, r2.Reason)
	op3, err := LoadOperator(ipath, false)
	require.NoError(t, err)
	_, err = Resume(context.Background(), ipath, op3, tr, te, settings(ipath))
	require.NoError(t, err)
	for i, p := range op3.Model.Params() {
		if !slices.Equal(p.Tensor.Data, op.Model.Params()[i].Tensor.Data) {
			t.Fatalf("parameter %s differs after the resume", p.Name)
		}
	}
}

// TestEvalAnotherGrid: an operator trained on 17 x 17 evaluates 33 x 33
// data of the same distribution (FNO as is, MgNO with its V-cycle rebuilt,
// point-wise normalisers resampled), with errors of the same order.
func TestEvalAnotherGrid(t *testing.T) {
	tr := darcy(t, 17, 32, 0, 1)
	for _, cfg := range []Config{
		{Kind: "fno", FNO: &FNOSettings{Modes: 4, Width: 8, Layers: 2, Projection: 16}},
		{Kind: "mgno", MgNO: &MgNOSettings{Channels: 6, Layers: 2, Levels: 3}},
	} {
		op, err := NewOperator(cfg, tr, UnitGaussian, UnitGaussian, rand.New(rand.NewPCG(8, 8)))
		require.NoError(t, err)
		_, err = Train(context.Background(), op, tr, tr, &TrainSettings{Settings: train.Settings{Control: iterate.Control{MaxIterations: 15}, Batch: 8, LR: 3e-3, Seed: 1}})
		require.NoError(t, err)
		for _, side := range []int{17, 33} {
			e, err := op.Evaluate(context.Background(), darcy(t, side, 8, 100, 1), 4)
			require.NoError(t, err)
			m := Summarize(e.RelL2).Mean
			t.Logf("%s at %d: rel L2 %.4f, H1 %.4f", cfg.Kind, side, m, Summarize(e.RelH1).Mean)
			if !(m < 0.5) {
				t.Errorf("%s at %d x %d: relative L2 error %.3f", cfg.Kind, side, side, m)
			}
		}
	}
}

// TestBadInput: every bad input is an error that names it.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, fields map[string][]int, nan bool) string {
		p := filepath.Join(dir, name)
		f, err := h5.Create(p, true)
		require.NoError(t, err)
		for k, dims := range fields {
			n := 1
			for _, d := range dims {
				n *= d
			}
			v := make([]float64, n)
			for i := range v {
				v[i] = 1
			}
			if nan {
				v[n-1] = math.NaN()
			}
			require.NoError(t, h5.Write(f, k, dims, v, nil))
		}
		require.NoError(t, f.Close())
		return p
	}
	for _, tc := range []struct {
		path string
		spec DataSpec
		want string
	}{
		{write("a.h5", map[string][]int{"nu": {2, 5, 5}}, false), DataSpec{}, `no dataset "tensor"`},
		{write("b.h5", map[string][]int{"nu": {2, 5, 5}, "tensor": {2, 1, 5, 6}}, false), DataSpec{}, "input \"nu\" has 2 samples of 5 x 5"},
		{write("c.h5", map[string][]int{"nu": {2, 5}, "tensor": {2, 1, 5, 5}}, false), DataSpec{}, "want [N, H, W]"},
		{write("d.h5", map[string][]int{"nu": {3, 4, 4}, "tensor": {3, 1, 4, 4}}, true), DataSpec{}, "NaN in sample 2"},
		{write("e.h5", map[string][]int{"nu": {3, 4, 4}, "tensor": {3, 1, 4, 4}}, false), DataSpec{From: 2, To: 5}, "samples 2:5"},
	} {
		_, err := ReadData(tc.path, tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", filepath.Base(tc.path), err, tc.want)
		}
	}
	d, err := ReadData(filepath.Join(dir, "e.h5"), DataSpec{})
	require.NoError(t, err)
	if d.Converted != "float64" {
		t.Errorf("float64 data not reported as converted")
	}
	if _, err := LoadOperator(filepath.Join(dir, "e.h5"), true); err == nil || !strings.Contains(err.Error(), "not a neural-operator checkpoint") {
		t.Errorf("a data file as a checkpoint: %v", err)
	}
	op, err := NewOperator(Config{Kind: "mgno", MgNO: &MgNOSettings{Channels: 2, Layers: 1, Levels: 2}}, d, Gaussian, Gaussian, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	if _, err := op.Predict(context.Background(), &Data{N: 1, In: 1, H: 2, W: 2, X: make([]float32, 4)}, 1); err == nil || !strings.Contains(err.Error(), "too small") {
		t.Errorf("a 2 x 2 grid for 2 levels: %v", err)
	}
	if _, err := New[float32](Config{Kind: "unet", H: 8, W: 8}, nil); err == nil || !strings.Contains(err.Error(), `"unet"`) {
		t.Errorf("unknown kind: %v", err)
	}
}
