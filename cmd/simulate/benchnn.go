package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/pdekit/pdekit/internal/openblas"
	"github.com/pdekit/pdekit/neuralop"
	"github.com/pdekit/pdekit/nn"
)

// nnCase is one case of ../shared/peers/nnops.py: its parameters and one
// training step.
type nnCase struct {
	name   string
	params []*nn.Tensor[float32]
	step   func()
}

var nnCaseNames = []string{"conv2d-b8-c32-64x64-k3", "specconv2d-b8-c32-64x64-m12", "specconv3d-b4-c20-64x64x40-m12x12x8", "fno2d-b8-64x64-w32-m12", "mgno2d-b8-64x64-c24-l5-v5", "pinn-mlp-2x64x4-n2000-laplace"}

func randn32(rnd *rand.Rand, shape ...int) *nn.Tensor[float32] {
	t := nn.Zeros[float32](shape...)
	for i := range t.Data {
		t.Data[i] = float32(rnd.NormFloat64())
	}
	return t
}

// uniformParam returns a parameter of the shape drawn uniformly in
// +-1/sqrt(fanIn) (PyTorch's default initialisation of linear layers).
func uniformParam[T nn.Float](rnd *rand.Rand, fanIn int, shape ...int) *nn.Tensor[T] {
	t := nn.Zeros[T](shape...)
	bound := 1 / math.Sqrt(float64(fanIn))
	for i := range t.Data {
		t.Data[i] = T((2*rnd.Float64() - 1) * bound)
	}
	return nn.Param(t.Data, shape...)
}

func makeNNCase(name string, rnd *rand.Rand) nnCase {
	tp := nn.NewTape[float32]()
	opt := &nn.Adam[float32]{LR: 1e-3}
	switch name {
	case "conv2d-b8-c32-64x64-k3":
		x, y := randn32(rnd, 8, 32, 64, 64), randn32(rnd, 8, 32, 64, 64)
		w, b := uniformParam[float32](rnd, 32*9, 32, 32, 3, 3), uniformParam[float32](rnd, 32*9, 32)
		params := []*nn.Tensor[float32]{w, b}
		return nnCase{name, params, func() {
			tp.Reset()
			for _, p := range params {
				p.ZeroGrad()
			}
			loss := tp.MSE(tp.Conv2d(x, w, b, nn.Conv2dOpts{Padding: 1}), y)
			tp.Backward(loss)
			opt.Step(params)
		}}
	case "specconv2d-b8-c32-64x64-m12", "specconv3d-b4-c20-64x64x40-m12x12x8":
		// The FNO code's initialisation: scale 1/(cin cout) times uniform
		// [0, 1) real and imaginary parts.
		weight := func(shape ...int) *nn.Tensor[float32] {
			t := nn.Zeros[float32](shape...)
			for i := range t.Data {
				t.Data[i] = float32(rnd.Float64() / float64(shape[0]*shape[1]))
			}
			return nn.Param(t.Data, t.Shape...)
		}
		var x, y *nn.Tensor[float32]
		var params []*nn.Tensor[float32]
		var layer func() *nn.Tensor[float32]
		if strings.HasPrefix(name, "specconv2d") {
			x, y = randn32(rnd, 8, 32, 64, 64), randn32(rnd, 8, 32, 64, 64)
			params = []*nn.Tensor[float32]{weight(32, 32, 12, 12, 2), weight(32, 32, 12, 12, 2)}
			layer = func() *nn.Tensor[float32] { return tp.SpectralConv2d(x, params[0], params[1]) }
		} else {
			x, y = randn32(rnd, 4, 20, 64, 64, 40), randn32(rnd, 4, 20, 64, 64, 40)
			for range 4 {
				params = append(params, weight(20, 20, 12, 12, 8, 2))
			}
			layer = func() *nn.Tensor[float32] {
				return tp.SpectralConv3d(x, 40, [4]*nn.Tensor[float32](params))
			}
		}
		return nnCase{name, params, func() {
			tp.Reset()
			for _, p := range params {
				p.ZeroGrad()
			}
			tp.Backward(tp.MSE(layer(), y))
			opt.Step(params)
		}}
	case "fno2d-b8-64x64-w32-m12", "mgno2d-b8-64x64-c24-l5-v5":
		// The models of nnops.py with their default settings.
		kind := name[:strings.Index(name, "2d")]
		m, err := neuralop.New[float32](neuralop.Config{Kind: kind, H: 64, W: 64}, rnd)
		if err != nil {
			panic(err)
		}
		x, y := randn32(rnd, 8, 1, 64, 64), randn32(rnd, 8, 1, 64, 64)
		params := nn.Tensors(m.Params())
		return nnCase{name, params, func() {
			tp.Reset()
			for _, p := range params {
				p.ZeroGrad()
			}
			tp.Backward(tp.MSE(m.Forward(tp, x), y))
			opt.Step(params)
		}}
	default: // pinn-mlp-2x64x4-n2000-laplace
		x := nn.Zeros[float32](2000, 2)
		for i := range x.Data {
			x.Data[i] = float32(rnd.Float64())
		}
		m := nn.NewMLP[float32](rnd, 2, 64, 64, 64, 64, 1)
		params := m.Params()
		return nnCase{name, params, func() { nn.PINNStep(tp, m, params, opt, x) }}
	}
}

// benchNN prints one JSON line per case of ../shared/peers/nnops.py that the
// toolkit implements: one float32 training step (forward, loss, backward,
// Adam), the mean of --reps after 2 warm-up steps, as the peer measures.
func benchNN(args []string, stdout, stderr io.Writer) error {
	var cm common
	var reps int
	var only string
	fs := newFlags("bench nn", "Time one float32 training step per case of the PyTorch peer script nnops.py (implemented so far: "+strings.Join(nnCaseNames, ", ")+").",
		"simulate bench nn --threads 1 --reps 20", stderr)
	cm.register(fs)
	fs.IntVar(&reps, "reps", 10, "timed steps per case")
	fs.StringVar(&only, "only", "", "comma-separated case-name prefixes to run (default all)")
	st, err := cm.parseBegin(fs, args, "bench nn", stdout, stderr)
	if err != nil {
		return err
	}
	defer st.end()
	if reps < 1 {
		return usageErr("--reps must be at least 1, got %d", reps)
	}
	if core := openblas.Core(); openblas.Recommended(core, openblas.CPUFlags()) != "" {
		fmt.Fprintf(stderr, "note: OpenBLAS runs %s kernels (OPENBLAS_CORETYPE=%q); this CPU's widest are %s: set OPENBLAS_CORETYPE=%s for the figures the peer comparison expects\n",
			core, os.Getenv("OPENBLAS_CORETYPE"), openblas.Recommended(core, openblas.CPUFlags()), openblas.Recommended(core, openblas.CPUFlags()))
	}
	for _, name := range nnCaseNames {
		if only != "" && !hasPrefix(name, strings.Split(only, ",")) {
			continue
		}
		c := makeNNCase(name, rand.New(rand.NewPCG(0, 0)))
		for range 2 {
			c.step()
		}
		start := time.Now()
		for range reps {
			c.step()
		}
		secs := time.Since(start).Seconds() / float64(reps)
		count := 0
		for _, p := range c.params {
			count += p.Len()
		}
		if err := st.line(map[string]any{"case": name, "impl": fmt.Sprintf("pdekit-cpu-f32-t%d", cm.Threads),
			"seconds": secs, "params": count, "what": "train step: forward+loss+backward+adam", "threads": cm.Threads}); err != nil {
			return err
		}
	}
	return st.complete()
}

func hasPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if p != "" && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
