package pinn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
)

// zeroPINN returns a PINN of the 2-D Exp problem whose network is zero,
// so that its squared residual is f^2 = ((40 - 400 |x|^2) exp(-10 |x|^2))^2,
// concentrated at the origin: 96% of its mass lies within 0.3 of it,
// against 7% of the uniform distribution's.
func zeroPINN(t *testing.T) *PINN {
	t.Helper()
	m, err := New(Exp{D: 2}, 8, 2, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	for _, p := range m.Params() {
		clear(p.Tensor.Data)
	}
	return m
}

// nearOrigin returns the fraction of the points x [N, 2] within 0.3 of
// the origin.
func nearOrigin(x *nn.Tensor[float64]) float64 {
	var in int
	for i := 0; i < x.Shape[0]; i++ {
		if math.Hypot(x.Data[2*i], x.Data[2*i+1]) < 0.3 {
			in++
		}
	}
	return float64(in) / float64(x.Shape[0])
}

// TestDAS: the DAS flow fitted to the squared residual of a zero network
// draws at least 5 times the uniform fraction of its points within 0.3
// of the origin; DAS-G adds its points after the current ones, DAS-R
// replaces them.
func TestDAS(t *testing.T) {
	m := zeroPINN(t)
	cur := Uniform(2, 1000, rand.New(rand.NewPCG(2, 2)))
	for _, replace := range []bool{false, true} {
		s := &DAS{Flow: FlowSettings{Steps: 150, Batch: 250, LR: 1e-2, N: 1000}, Replace: replace}
		next, err := s.Next(context.Background(), m, cur, rand.New(rand.NewPCG(3, 3)))
		require.NoError(t, err)
		fresh := next
		if !replace {
			require.Equal(t, 2000, next.Shape[0])
			assert.Equal(t, cur.Data, next.Data[:2000])
			fresh = nn.New(next.Data[2000:], 1000, 2)
		} else {
			require.Equal(t, 1000, next.Shape[0])
		}
		inDomain(t, next)
		frac := nearOrigin(fresh)
		t.Logf("%s: %.3f of the new points within 0.3 of the origin (uniform: %.3f)", s.Name(), frac, nearOrigin(cur))
		if frac < 5*math.Pi*0.09/4 {
			t.Errorf("%s: %.3f of the new points near the peak of r^2", s.Name(), frac)
		}
		// A second stage fits from the flow's own points.
		_, err = s.Next(context.Background(), m, next, rand.New(rand.NewPCG(4, 4)))
		require.NoError(t, err)
	}
}

// TestAAS: the AAS flow maximising the mean squared residual of a zero
// network (with the gradient penalty) moves its points towards the
// residual's peak, at least 3 times the uniform fraction within 0.3 of
// it, and a larger penalty keeps it flatter.
func TestAAS(t *testing.T) {
	m := zeroPINN(t)
	cur := Uniform(2, 500, rand.New(rand.NewPCG(2, 2)))
	var fr []float64
	for _, beta := range []float64{1e-3, 10} {
		s := &AAS{Flow: FlowSettings{Steps: 80, Batch: 250, LR: 1e-2, N: 1000}, Beta: beta, Penalty: 100}
		next, err := s.Next(context.Background(), m, cur, rand.New(rand.NewPCG(3, 3)))
		require.NoError(t, err)
		require.Equal(t, 1000, next.Shape[0])
		inDomain(t, next)
		fr = append(fr, nearOrigin(next))
		t.Logf("beta %g: %.3f of the points within 0.3 of the origin", beta, fr[len(fr)-1])
	}
	if fr[0] < 3*math.Pi*0.09/4 || !(fr[1] < fr[0]) {
		t.Errorf("fractions near the peak %v", fr)
	}
	// AAS-G keeps the set and adds the first stage's number of points
	// after it, stage after stage.
	s := &AAS{Flow: FlowSettings{Steps: 5, Batch: 250, LR: 1e-2}, Penalty: 100, Add: true}
	next, err := s.Next(context.Background(), m, cur, rand.New(rand.NewPCG(3, 3)))
	require.NoError(t, err)
	require.Equal(t, 1000, next.Shape[0])
	assert.Equal(t, cur.Data, next.Data[:1000])
	next2, err := s.Next(context.Background(), m, next, rand.New(rand.NewPCG(4, 4)))
	require.NoError(t, err)
	require.Equal(t, 1500, next2.Shape[0])
	assert.Equal(t, next.Data, next2.Data[:2000])
	inDomain(t, next2)
}

// inDomain fails the test if a point of x lies outside [-1, 1]^d.
func inDomain(t *testing.T, x *nn.Tensor[float64]) {
	t.Helper()
	for i, v := range x.Data {
		if !(v >= -1 && v <= 1) {
			t.Fatalf("point %d has coordinate %g outside [-1, 1]", i/x.Shape[1], v)
		}
	}
}

// TestStagesRepeat: two runs of the stage loop with the same seed (DAS
// and AAS samplers, an L-BFGS refinement) end with the same network, bit
// for bit, and the same points.
func TestStagesRepeat(t *testing.T) {
	for _, mk := range []func() Sampler{
		func() Sampler {
			return &DAS{Flow: FlowSettings{Steps: 5, Batch: 50, KRnetSettings: KRnetSettings{Depth: 2, Width: 6}}}
		},
		func() Sampler {
			return &AAS{Flow: FlowSettings{Steps: 5, Batch: 50, KRnetSettings: KRnetSettings{Depth: 2, Width: 6}}, Penalty: 20}
		},
	} {
		var nets [][]float64
		var pts [][]float64
		for run := 0; run < 2; run++ {
			m, err := New(Exp{D: 2}, 6, 2, rand.New(rand.NewPCG(7, 7)))
			require.NoError(t, err)
			var last []float64
			_, err = TrainStages(context.Background(), m, mk(), &StageSettings{Stages: 3, LBFGS: 3,
				OnStage: func(_ StageResult, x *nn.Tensor[float64]) { last = append([]float64(nil), x.Data...) },
				Settings: Settings{Interior: 50, Boundary: 20, Validation: Grid(2, 11),
					Settings: train.Settings{Control: iterate.Control{MaxIterations: 4}, LR: 1e-2, Seed: 3}}})
			require.NoError(t, err)
			var w []float64
			for _, p := range m.Params() {
				w = append(w, p.Tensor.Data...)
			}
			nets, pts = append(nets, w), append(pts, last)
		}
		require.Equal(t, nets[0], nets[1], "the networks of two runs differ")
		require.Equal(t, pts[0], pts[1], "the last points of two runs differ")
	}
}

// TestStagesResume: a run interrupted in its third stage and resumed from
// its checkpoint ends with the network, points and errors of the
// uninterrupted run, bit for bit (DAS, whose flow, Adam state and fitting
// points are in the checkpoint; AAS, replacing its points and adding
// them; RAD).
func TestStagesResume(t *testing.T) {
	dir := t.TempDir()
	type onStep = func(step, steps int, loss float64)
	for i, mk0 := range []func(onStep) Sampler{
		func(f onStep) Sampler {
			return &DAS{Flow: FlowSettings{Steps: 5, Batch: 50, KRnetSettings: KRnetSettings{Depth: 2, Width: 6}, OnStep: f}}
		},
		func(f onStep) Sampler {
			return &AAS{Flow: FlowSettings{Steps: 5, Batch: 50, KRnetSettings: KRnetSettings{Depth: 2, Width: 6}, OnStep: f}, Penalty: 20}
		},
		func(f onStep) Sampler {
			return &AAS{Flow: FlowSettings{Steps: 5, Batch: 50, KRnetSettings: KRnetSettings{Depth: 2, Width: 6}, OnStep: f}, Penalty: 20, Add: true}
		},
		func(onStep) Sampler { return RAD{Candidates: 200} },
	} {
		mk := func() Sampler { return mk0(nil) }
		ck := filepath.Join(dir, fmt.Sprintf("ck%d.h5", i))
		// cancelAt: the stage (from 0) whose second Adam epoch cancels the
		// run; 4 + k: the k-th L-BFGS iteration of the last stage; 8 + k:
		// the third step of the flow training after stage k.
		run := func(cancelAt int, resume bool) ([]float64, []StageResult) {
			m, err := New(Exp{D: 2}, 6, 2, rand.New(rand.NewPCG(7, 7)))
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stage := 0
			mk := func() Sampler {
				return mk0(func(step, steps int, _ float64) {
					if steps != 5 {
						t.Errorf("flow step %d of %d, want of 5", step, steps)
					}
					if ctx.Err() != nil {
						t.Errorf("flow step %d after the cancellation", step)
					}
					if cancelAt == 8+stage && step == 3 {
						cancel()
					}
				})
			}
			s := &StageSettings{Stages: 4, LBFGS: 3, Checkpoint: ck,
				OnStage: func(StageResult, *nn.Tensor[float64]) { stage++ },
				Settings: Settings{Interior: 50, Boundary: 20, Validation: Grid(2, 11),
					Settings: train.Settings{Control: iterate.Control{MaxIterations: 4}, LR: 1e-2, Seed: 3}}}
			s.OnEpoch = func(e train.Epoch) {
				if stage == cancelAt && e.Epoch == 2 {
					cancel()
				}
			}
			s.OnLBFGS = func(k int, _ float64) {
				if cancelAt == 4+k {
					cancel()
				}
			}
			var res []StageResult
			if resume {
				res, err = ResumeStages(ctx, ck, m, mk(), s)
			} else {
				res, err = TrainStages(ctx, m, mk(), s)
			}
			if cancelAt >= 0 {
				require.ErrorIs(t, err, context.Canceled)
			} else {
				require.NoError(t, err)
			}
			var w []float64
			for _, p := range m.Params() {
				w = append(w, p.Tensor.Data...)
			}
			return w, res
		}
		want, wantRes := run(-1, false)
		_, part := run(2, false) // stopped in the third stage
		require.Len(t, part, 2)
		got, res := run(-1, true)
		assert.Equal(t, want, got, "%s: the resumed network differs", mk().Name())
		require.Len(t, res, 4)
		// Stopped in the last stage's L-BFGS: that stage is not recorded,
		// and the resumed run redoes it to the same bits.
		_, part = run(4+2, false)
		require.Len(t, part, 3, "%s: stopped in L-BFGS", mk().Name())
		got, res2 := run(-1, true)
		assert.Equal(t, want, got, "%s: the network resumed after a stop in L-BFGS differs", mk().Name())
		require.Len(t, res2, 4)
		if _, ok := mk().(RAD); !ok {
			// Stopped in the flow's training after the second stage: that
			// stage is not recorded either, and is redone to the same bits.
			_, part = run(8+2, false)
			require.Len(t, part, 2, "%s: stopped in the flow", mk().Name())
			got, _ = run(-1, true)
			assert.Equal(t, want, got, "%s: the network resumed after a stop in the flow differs", mk().Name())
		}
		for k := range res {
			require.Equal(t, wantRes[k].Error, res[k].Error, "%s: stage %d error", mk().Name(), k+1)
			if mk().Name() == "aas-g" {
				// The set grows by the first stage's 50 points a stage,
				// across the resumption too.
				require.Equal(t, 50*(k+1), res[k].Points, "aas-g: stage %d points", k+1)
			}
		}
	}
}
