package neuralop

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pdekit/pdekit/nn"
)

// Model is a neural operator on 2-D fields: Forward maps a batch of input
// fields x [B, In, H, W] to output fields [B, Out, H, W] on the same grid.
// Every model of the package satisfies it, so the trainer, evaluation and
// prediction know no model by name.
type Model[T nn.Float] interface {
	// Forward records the model on the tape. The grid must have been
	// accepted by SetGrid.
	Forward(tp *nn.Tape[T], x *nn.Tensor[T]) *nn.Tensor[T]
	// Params returns the trainable tensors with their checkpoint names.
	Params() []nn.Named[T]
	// Config returns the configuration that rebuilds the model (New).
	Config() Config
	// SetGrid prepares the model for h x w fields, or says why it cannot
	// take them.
	SetGrid(h, w int) error
}

// Config describes a model completely: its kind and settings, so that a
// checkpoint can rebuild it. The zero value of each kind's settings means
// that kind's documented defaults.
type Config struct {
	// Kind is "fno", "mgno" or "sfno".
	Kind string `json:"kind"`
	// In and Out are the channels of the input and output fields; zero
	// means 1.
	In  int `json:"in"`
	Out int `json:"out"`
	// H and W are the grid the model was built for (MgNO's prolongation
	// kernels follow it; SetGrid adapts them to another grid).
	H int `json:"h"`
	W int `json:"w"`
	// FNO, MgNO and SFNO hold the settings of their kind.
	FNO  *FNOSettings  `json:"fno,omitempty"`
	MgNO *MgNOSettings `json:"mgno,omitempty"`
	SFNO *SFNOSettings `json:"sfno,omitempty"`
}

// New builds the model cfg describes with weights drawn from rnd
// (PyTorch's default initialisations, so that the same recipe trains the
// same way), prepared for the grid cfg.H x cfg.W.
func New[T nn.Float](cfg Config, rnd *rand.Rand) (Model[T], error) {
	if cfg.In == 0 {
		cfg.In = 1
	}
	if cfg.Out == 0 {
		cfg.Out = 1
	}
	if cfg.In < 0 || cfg.Out < 0 {
		return nil, fmt.Errorf("neuralop: %d input and %d output channels", cfg.In, cfg.Out)
	}
	if cfg.H < 1 || cfg.W < 1 {
		return nil, fmt.Errorf("neuralop: grid %d x %d", cfg.H, cfg.W)
	}
	var m Model[T]
	var err error
	switch cfg.Kind {
	case "fno":
		var s FNOSettings
		if cfg.FNO != nil {
			s = *cfg.FNO
		}
		m, err = newFNO2d[T](cfg, s, rnd)
	case "mgno":
		var s MgNOSettings
		if cfg.MgNO != nil {
			s = *cfg.MgNO
		}
		m, err = newMgNO[T](cfg, s, rnd)
	case "sfno":
		var s SFNOSettings
		if cfg.SFNO != nil {
			s = *cfg.SFNO
		}
		m, err = newSFNO[T](cfg, s, rnd)
	default:
		return nil, fmt.Errorf("neuralop: unknown model kind %q (fno, mgno or sfno)", cfg.Kind)
	}
	if err != nil {
		return nil, err
	}
	return m, m.SetGrid(cfg.H, cfg.W)
}

// ParseConfig reads a configuration stored as JSON (as checkpoints do).
func ParseConfig(s string) (Config, error) {
	var c Config
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, fmt.Errorf("neuralop: model configuration %q: %w", s, err)
	}
	return c, nil
}

// CountParams returns the number of trainable reals of m.
func CountParams[T nn.Float](m Model[T]) int { return nn.Count(m.Params()) }

// uniform returns a parameter of the given shape, uniform in +-bound: the
// initialisation PyTorch gives nn.Linear and nn.Conv2d (bound 1/sqrt(fan
// in)) and their biases.
func uniform[T nn.Float](rnd *rand.Rand, bound float64, shape ...int) *nn.Tensor[T] {
	t := nn.Zeros[T](shape...)
	for i := range t.Data {
		t.Data[i] = T((2*rnd.Float64() - 1) * bound)
	}
	return nn.Param(t.Data, shape...)
}

// conv returns the weight [out, in, k, k] and, with bias, the bias [out]
// of a convolution with PyTorch's default initialisation (fan in = in k k).
func conv[T nn.Float](rnd *rand.Rand, out, in, k int, bias bool) (*nn.Tensor[T], *nn.Tensor[T]) {
	bound := 1 / math.Sqrt(float64(in*k*k))
	w := uniform[T](rnd, bound, out, in, k, k)
	if !bias {
		return w, nil
	}
	return w, uniform[T](rnd, bound, out)
}

// params collects named tensors, skipping nil ones.
type params[T nn.Float] []nn.Named[T]

func (p *params[T]) add(name string, t *nn.Tensor[T]) {
	if t != nil {
		*p = append(*p, nn.Named[T]{Name: name, Tensor: t})
	}
}
