package pinn

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/nn"
)

// SamplerState is implemented by samplers that carry state from stage to
// stage (the flows of DAS and AAS, with their optimiser), so that a stage
// loop's checkpoint can hold it and ResumeStages restore it.
type SamplerState interface {
	// SaveState writes the state under group of an open checkpoint.
	SaveState(f *h5.File, group string) error
	// LoadState reads it back for a d-dimensional problem.
	LoadState(f *h5.File, group string, d int) error
}

// checkpointVersion is the layout of a stage loop's checkpoint.
const checkpointVersion = 1

// writeStages writes the stage loop's state after done stages: the
// network (params/), the next stage's interior points, every stage's
// error and training time, the random stream, the sampler's state
// (sampler/), and the caller's Extra; atomically.
func writeStages(path string, m *PINN, smp Sampler, x *nn.Tensor[float64], out []StageResult, pcg *rand.PCG, extra func(*h5.File) error) error {
	f, err := h5.Create(path, true)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := nn.WriteParams(f, "params", m.Params()); err != nil {
		return err
	}
	if err := f.CreateGroup("stages"); err != nil {
		return err
	}
	rng, err := pcg.MarshalBinary()
	if err != nil {
		return err
	}
	errs, secs := make([]float64, len(out)), make([]float64, len(out))
	pts := make([]int64, len(out))
	for i, r := range out {
		errs[i], secs[i], pts[i] = r.Error, r.Seconds, int64(r.Points)
	}
	for _, a := range []struct {
		k string
		v any
	}{{"version", checkpointVersion}, {"done", len(out)}, {"rng", hex.EncodeToString(rng)}, {"sampler", smp.Name()}, {"problem", m.P.Name()}} {
		if err := f.SetAttr("stages", a.k, a.v); err != nil {
			return err
		}
	}
	if len(out) > 0 {
		for name, v := range map[string][]float64{"error": errs, "seconds": secs} {
			if err := h5.Write(f, "stages/"+name, []int{len(v)}, v, nil); err != nil {
				return err
			}
		}
		if err := h5.Write(f, "stages/points", []int{len(pts)}, pts, nil); err != nil {
			return err
		}
	}
	if err := h5.Write(f, "points", x.Shape, x.Data, nil); err != nil {
		return err
	}
	if ss, ok := smp.(SamplerState); ok {
		if err := f.CreateGroup("sampler"); err != nil {
			return err
		}
		if err := ss.SaveState(f, "sampler"); err != nil {
			return err
		}
	}
	if extra != nil {
		if err := extra(f); err != nil {
			return err
		}
	}
	return f.Close()
}

// readStages restores the loop's state from a checkpoint of writeStages
// into m and smp, and returns the next stage's points, the results so far
// and the random stream.
func readStages(path string, m *PINN, smp Sampler) (*nn.Tensor[float64], []StageResult, *rand.PCG, error) {
	f, err := h5.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("pinn: checkpoint %s: %s", path, fmt.Sprintf(format, args...))
	}
	if v, err := f.AttrInt64("stages", "version"); err != nil || v != checkpointVersion {
		return nil, nil, nil, bad("not a stage loop's checkpoint of layout %d", checkpointVersion)
	}
	for _, a := range [][2]string{{"sampler", smp.Name()}, {"problem", m.P.Name()}} {
		if v, err := f.AttrString("stages", a[0]); err != nil || v != a[1] {
			return nil, nil, nil, bad("its %s is %q, this run's %q", a[0], v, a[1])
		}
	}
	done, err := f.AttrInt64("stages", "done")
	if err != nil {
		return nil, nil, nil, bad("%v", err)
	}
	data, err := nn.ReadParams(f, "params", m.Params())
	if err != nil {
		return nil, nil, nil, err
	}
	x, dims, err := h5.Read[float64](f, "points")
	if err != nil || len(dims) != 2 || dims[1] != m.P.Dim() {
		return nil, nil, nil, bad("points %v: %v", dims, err)
	}
	out := make([]StageResult, done)
	if done > 0 {
		errs, _, err1 := h5.Read[float64](f, "stages/error")
		secs, _, err2 := h5.Read[float64](f, "stages/seconds")
		pts, _, err3 := h5.Read[int64](f, "stages/points")
		if err1 != nil || err2 != nil || err3 != nil || len(errs) != int(done) || len(secs) != int(done) || len(pts) != int(done) {
			return nil, nil, nil, bad("stage records unreadable")
		}
		for i := range out {
			out[i] = StageResult{Stage: i + 1, Points: int(pts[i]), Error: errs[i], Seconds: secs[i]}
		}
	}
	rngHex, err := f.AttrString("stages", "rng")
	if err != nil {
		return nil, nil, nil, bad("%v", err)
	}
	rb, err := hex.DecodeString(rngHex)
	pcg := &rand.PCG{}
	if err != nil || pcg.UnmarshalBinary(rb) != nil {
		return nil, nil, nil, bad("unreadable random stream state")
	}
	if ss, ok := smp.(SamplerState); ok {
		// A sampler without state yet (the flow not built) reads nothing.
		if err := ss.LoadState(f, "sampler", m.P.Dim()); err != nil {
			return nil, nil, nil, err
		}
	}
	nn.SetParams(m.Params(), data)
	return nn.New(x, dims...), out, pcg, nil
}

// ResumeStages continues the stage loop whose checkpoint is at path (the
// StageSettings.Checkpoint of an interrupted or finished run) with the
// same settings, sampler kind and problem: the network, the points, the
// sampler's state and the random stream are restored, and the stages not
// done run as the uninterrupted run would have run them, bit for bit.
// The results of the stages done before come first (without their
// training records).
func ResumeStages(ctx context.Context, path string, m *PINN, smp Sampler, s *StageSettings) ([]StageResult, error) {
	return stages(ctx, m, smp, s, path)
}

// initNames returns the KRnet's data-initialisation vectors as named
// tensors (they are set once, from the first batch, and not trained).
func (k *KRnet) initNames() []nn.Named[float64] {
	var out []nn.Named[float64]
	add := func(name string, a *actnorm) {
		out = append(out, nn.Named[float64]{Name: name + "b_init", Tensor: nn.New(a.b0, 1, len(a.b0))},
			nn.Named[float64]{Name: name + "logs_init", Tensor: nn.New(a.l0, 1, len(a.l0))})
	}
	for s := range k.stages {
		for i := range k.stages[s].norms {
			add(fmt.Sprintf("krnet/s%d/l%d/", s, i), &k.stages[s].norms[i])
		}
	}
	add("krnet/last/", &k.last)
	return out
}

// save writes the flow (parameters, data initialisation) and its Adam
// state under group.
func (fs *flowState) save(f *h5.File, group string) error {
	if fs.flow == nil {
		return nil
	}
	if err := f.SetAttr(group, "inited", boolInt(fs.flow.inited)); err != nil {
		return err
	}
	if err := f.SetAttr(group, "first_points", fs.n0); err != nil {
		return err
	}
	if err := nn.WriteParams(f, group+"/flow", fs.flow.Params()); err != nil {
		return err
	}
	if err := nn.WriteParams(f, group+"/flow_init", fs.flow.initNames()); err != nil {
		return err
	}
	if err := f.SetAttr(group, "optim", boolInt(fs.opt != nil)); err != nil {
		return err
	}
	if fs.opt != nil {
		return nn.WriteOptimizer(f, group+"/optim", fs.flow.Params(), fs.opt)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// load reads what save wrote, building the flow of settings s for a
// d-dimensional problem first.
func (fs *flowState) load(f *h5.File, group string, d int, s KRnetSettings, lr float64) error {
	inited, err := f.AttrInt64(group, "inited")
	if err != nil {
		return nil // the flow did not exist yet
	}
	fs.flow = nil
	if err := fs.init(d, s, rand.New(rand.NewPCG(0, 0))); err != nil {
		return err
	}
	for _, g := range []struct {
		name string
		ps   []nn.Named[float64]
	}{{"/flow", fs.flow.Params()}, {"/flow_init", fs.flow.initNames()}} {
		data, err := nn.ReadParams(f, group+g.name, g.ps)
		if err != nil {
			return err
		}
		nn.SetParams(g.ps, data)
	}
	fs.flow.inited = inited == 1
	// A checkpoint of AAS from before its sets could grow stores no
	// first_points: its sets never grew, and n0 = 0 makes the next set
	// as large as the current one.
	fs.n0 = 0
	if n0, err := f.AttrInt64(group, "first_points"); err == nil {
		fs.n0 = int(n0)
	}
	fs.opt = nil
	if has, err := f.AttrInt64(group, "optim"); err == nil && has == 1 {
		fs.opt = &nn.Adam[float64]{LR: lr}
		restore, err := nn.ReadOptimizer(f, group+"/optim", fs.flow.Params(), fs.opt)
		if err != nil {
			return err
		}
		return restore()
	}
	return nil
}

// SaveState implements SamplerState.
func (s *DAS) SaveState(f *h5.File, group string) error {
	if err := s.st.save(f, group); err != nil {
		return err
	}
	if s.train == nil {
		return nil
	}
	if err := h5.Write(f, group+"/train", []int{len(s.train)}, s.train, nil); err != nil {
		return err
	}
	return h5.Write(f, group+"/pold", []int{len(s.pold)}, s.pold, nil)
}

// LoadState implements SamplerState.
func (s *DAS) LoadState(f *h5.File, group string, d int) error {
	set := s.Flow
	set.defaults(3000)
	if err := s.st.load(f, group, d, set.KRnetSettings, set.LR); err != nil {
		return err
	}
	s.train, s.pold = nil, nil
	if _, err := f.Stat(group + "/train"); err != nil {
		return nil
	}
	var err error
	if s.train, _, err = h5.Read[float64](f, group+"/train"); err != nil {
		return err
	}
	s.pold, _, err = h5.Read[float64](f, group+"/pold")
	return err
}

// SaveState implements SamplerState.
func (s *AAS) SaveState(f *h5.File, group string) error { return s.st.save(f, group) }

// LoadState implements SamplerState.
func (s *AAS) LoadState(f *h5.File, group string, d int) error {
	set := s.Flow
	set.defaults(200)
	return s.st.load(f, group, d, set.KRnetSettings, set.LR)
}
