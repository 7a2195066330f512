package dcdm

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pdekit/pdekit/internal/parallel"
	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/nn"
	"github.com/pdekit/pdekit/nn/train"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

// Problem is a system the network works on: the matrix, the grid its
// unknowns live on (cells per axis, the last fastest), and the unknowns
// that are not the network's (Skip: the solid cells of an obstacle
// system, whose identity rows decouple them; nil for none). The network
// sees zeros at skipped cells and its output there is set to zero, so
// that directions never move them.
type Problem struct {
	A     solvers.Operator
	Shape []int
	Skip  []bool
}

// check says whether the problem fits a network.
func (p Problem) check(net *Net[float32]) (int, error) {
	if err := net.CheckGrid(p.Shape); err != nil {
		return 0, err
	}
	n := 1
	for _, v := range p.Shape {
		n *= v
	}
	if r, c := p.A.Dims(); r != n || c != n {
		return 0, fmt.Errorf("dcdm: a %d x %d matrix on the grid %v", r, c, p.Shape)
	}
	if p.Skip != nil && len(p.Skip) != n {
		return 0, fmt.Errorf("dcdm: %d skip flags for %d unknowns", len(p.Skip), n)
	}
	return n, nil
}

// Decoupled returns which rows of a are decoupled from the others (the
// row and the column hold only the diagonal entry): the solid cells of an
// obstacle system, as a Skip for a matrix read from a file. It returns
// nil when there are none.
func Decoupled(a *sparse.CSR) []bool {
	n, _ := a.Dims()
	other := make([]bool, n) // i appears off the diagonal in some row
	single := make([]bool, n)
	for i := 0; i < n; i++ {
		cols, _ := a.Row(i)
		single[i] = len(cols) == 1 && cols[0] == i
		for _, j := range cols {
			if j != i {
				other[j] = true
			}
		}
	}
	var skip []bool
	for i := range single {
		if single[i] && !other[i] {
			if skip == nil {
				skip = make([]bool, n)
			}
			skip[i] = true
		}
	}
	return skip
}

// Model is a trained network as the direction model of a solve: its
// PreconSolve applies the network (float32, no gradients) to a residual
// of the Problem's grid, which may be larger than the training grid.
// A Model is not safe for concurrent use.
type Model struct {
	net   *Net[float32]
	skip  []bool
	tp    *nn.Tape[float32]
	x     *nn.Tensor[float32]
	spent time.Duration
}

// Seconds returns the time spent in the network's applications so far
// (PreconSolve): the network's share of a solve.
func (m *Model) Seconds() float64 { return m.spent.Seconds() }

// NewModel returns net as the direction model for the problem p.
func NewModel(net *Net[float32], p Problem) (*Model, error) {
	if _, err := p.check(net); err != nil {
		return nil, err
	}
	tp := nn.NewTape[float32]()
	tp.SetNoGrad(true)
	return &Model{net: net, skip: p.Skip, tp: tp, x: nn.Zeros[float32](append([]int{1, 1}, p.Shape...)...)}, nil
}

// PreconSolve implements solvers.Preconditioner: dst = net(r), zero at
// skipped cells.
func (m *Model) PreconSolve(dst, r []float64) {
	start := time.Now()
	defer func() { m.spent += time.Since(start) }()
	m.tp.Reset()
	for i, v := range r {
		if m.skip != nil && m.skip[i] {
			v = 0
		}
		m.x.Data[i] = float32(v)
	}
	y := m.net.Forward(m.tp, m.x)
	for i, v := range y.Data {
		if m.skip != nil && m.skip[i] {
			v = 0
		}
		dst[i] = float64(v)
	}
}

// task is the network's training problem: the paper's loss on one
// matrix's training vectors.
type task struct {
	net     *Net[float32]
	p       Problem
	keep    map[int]*nn.Tensor[float32] // per batch size: 1 where the output counts, 0 at skipped cells
	tr, val [][]float32
}

func (t *task) Params() []nn.Named[float32] { return t.net.Params() }
func (t *task) Samples() int                { return len(t.tr) }

// batch returns the vectors idx of set as [B, 1, shape...].
func (t *task) batch(set [][]float32, idx []int) *nn.Tensor[float32] {
	n := len(set[0])
	b := nn.Zeros[float32](append([]int{len(idx), 1}, t.p.Shape...)...)
	for k, i := range idx {
		copy(b.Data[k*n:], set[i])
	}
	return b
}

// output is the network's output for b, zero at skipped cells.
func (t *task) output(tp *nn.Tape[float32], b *nn.Tensor[float32]) *nn.Tensor[float32] {
	q := t.net.Forward(tp, b)
	if t.p.Skip == nil {
		return q
	}
	keep := t.keep[q.Shape[0]]
	if keep == nil {
		keep = nn.Zeros[float32](q.Shape...)
		for i := range keep.Data {
			if !t.p.Skip[i%len(t.p.Skip)] {
				keep.Data[i] = 1
			}
		}
		t.keep[q.Shape[0]] = keep
	}
	return tp.Mul(q, keep)
}

func (t *task) Loss(tp *nn.Tape[float32], idx []int) *nn.Tensor[float32] {
	b := t.batch(t.tr, idx)
	return Loss(tp, t.p.A, t.output(tp, b), b)
}

// Validate returns the mean loss on the validation vectors.
func (t *task) Validate(ctx context.Context) (float64, error) {
	sum, err := t.validSum(ctx, 0, len(t.val))
	return sum / float64(len(t.val)), err
}

// ValidateShard implements train.ShardValidator: the summed loss of the
// validation vectors [rank N/size, (rank+1) N/size) and their count.
func (t *task) ValidateShard(ctx context.Context, rank, size int) (float64, int, error) {
	lo, hi := parallel.Range(len(t.val), rank, size)
	sum, err := t.validSum(ctx, lo, hi)
	return sum, hi - lo, err
}

// validSum returns the summed loss of the validation vectors [lo, hi),
// in batches of 10.
func (t *task) validSum(ctx context.Context, lo, hi int) (float64, error) {
	tp := nn.NewTape[float32]()
	tp.SetNoGrad(true)
	var sum float64
	idx := make([]int, 0, 10)
	for b := lo; b < hi; b += 10 {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		tp.Reset()
		idx = idx[:0]
		for i := b; i < min(b+10, hi); i++ {
			idx = append(idx, i)
		}
		v := t.batch(t.val, idx)
		sum += float64(Loss(tp, t.p.A, t.output(tp, v), v).Item()) * float64(len(idx))
	}
	return sum, nil
}

// checkpointInfo is what a checkpoint says about its network.
type checkpointInfo struct {
	Net   NetSettings `json:"net"`
	Shape []int       `json:"shape"` // the training grid
}

// Train trains net with the paper's loss on the training vectors tr
// (TrainingSet) of the problem p, validating on val after every epoch
// (the mean loss), with nn/train's loop (Adam, batches, schedules,
// checkpoints that resume, best-validation weights); the network's output
// at skipped cells is zero in the loss, as in a solve. With s.Checkpoint
// set, the checkpoint also records the network's settings and training
// grid, so that LoadModel rebuilds it; resume names a checkpoint to
// continue.
func Train(ctx context.Context, net *Net[float32], p Problem, tr, val [][]float32, s *train.Settings, resume string) (*train.Result[float32], error) {
	n, err := p.check(net)
	if err != nil {
		return nil, err
	}
	for name, set := range map[string][][]float32{"training": tr, "validation": val} {
		if len(set) == 0 {
			return nil, fmt.Errorf("dcdm: no %s vectors", name)
		}
		for i, v := range set {
			if len(v) != n {
				return nil, fmt.Errorf("dcdm: %s vector %d has %d values, the grid %v has %d", name, i, len(v), p.Shape, n)
			}
		}
	}
	var set train.Settings
	if s != nil {
		set = *s
	}
	info, err := json.Marshal(checkpointInfo{Net: net.s, Shape: p.Shape})
	if err != nil {
		return nil, err
	}
	prev := set.Extra
	set.Extra = func(f *h5.File) error {
		if err := f.SetAttr("/", "dcdm", string(info)); err != nil {
			return err
		}
		if prev != nil {
			return prev(f)
		}
		return nil
	}
	t := &task{net: net, p: p, tr: tr, val: val, keep: map[int]*nn.Tensor[float32]{}}
	if resume != "" {
		return train.Resume[float32](ctx, resume, t, &set)
	}
	return train.Run[float32](ctx, t, &set)
}

// LoadModel reads the network of a checkpoint Train wrote (the
// best-validation weights when best is set and present, else the last)
// and returns it with its training grid.
func LoadModel(path string, best bool) (*Net[float32], []int, error) {
	f, err := h5.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	s, err := f.AttrString("/", "dcdm")
	if err != nil {
		return nil, nil, fmt.Errorf("dcdm: %s is not a DCDM checkpoint (no dcdm attribute)", path)
	}
	var info checkpointInfo
	if err := json.Unmarshal([]byte(s), &info); err != nil {
		return nil, nil, fmt.Errorf("dcdm: %s: %w", path, err)
	}
	net, err := NewNet[float32](info.Net, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("dcdm: %s: %w", path, err)
	}
	group := "params"
	if _, err := f.Stat("best/" + net.Params()[0].Name); best && err == nil {
		group = "best"
	}
	data, err := nn.ReadParams(f, group, net.Params())
	if err != nil {
		return nil, nil, err
	}
	nn.SetParams(net.Params(), data)
	return net, info.Shape, nil
}
