package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/pdekit/pdekit/internal/openblas"
	"github.com/pdekit/pdekit/nn"
)

// benchNN prints one JSON line per case of ../shared/peers/nnops.py that the
// toolkit implements: one float32 training step (forward, loss, backward,
// Adam), the mean of --reps after 2 warm-up steps, as the peer measures.
func benchNN(args []string, stdout, stderr io.Writer) error {
	var cm common
	var reps int
	fs := newFlags("bench nn", "Time one float32 training step per case of ../shared/peers/nnops.py (implemented so far: pinn-mlp-2x64x4-n2000-laplace).",
		"simulate bench nn --threads 1 --reps 20", stderr)
	cm.register(fs)
	fs.IntVar(&reps, "reps", 10, "timed steps per case")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := cm.apply(); err != nil {
		return err
	}
	if reps < 1 {
		return usageErr("--reps must be at least 1, got %d", reps)
	}
	openblas.SetThreads(cm.Threads)
	rnd := rand.New(rand.NewPCG(0, 0))
	x := nn.Zeros[float32](2000, 2)
	for i := range x.Data {
		x.Data[i] = float32(rnd.Float64())
	}
	m := nn.NewMLP[float32](rnd, 2, 64, 64, 64, 64, 1)
	params := m.Params()
	tp := nn.NewTape[float32]()
	opt := &nn.Adam[float32]{LR: 1e-3}
	for range 2 {
		nn.PINNStep(tp, m, params, opt, x)
	}
	start := time.Now()
	for range reps {
		nn.PINNStep(tp, m, params, opt, x)
	}
	secs := time.Since(start).Seconds() / float64(reps)
	count := 0
	for _, p := range params {
		count += p.Len()
	}
	line, _ := json.Marshal(map[string]any{"case": "pinn-mlp-2x64x4-n2000-laplace", "impl": fmt.Sprintf("pdekit-cpu-f32-t%d", cm.Threads),
		"seconds": secs, "params": count, "what": "train step: forward+loss+backward+adam", "threads": cm.Threads})
	fmt.Fprintln(stdout, string(line))
	return nil
}
