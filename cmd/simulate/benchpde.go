package main

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/pdekit/pdekit/pde"
)

// benchPDE prints the figures of the pde suite: one Navier-Stokes step
// (../shared/peers/ns2d.py's case) and Darcy samples per second with the
// solver's share.
func benchPDE(args []string, stdout, stderr io.Writer) error {
	var cm common
	var n, darcyN, steps, samples int
	fs := newFlags("bench pde", `One pseudo-spectral Navier-Stokes step (case ns2d-step-N, the work of
the peer script ns2d.py: Heun advection, Crank-Nicolson diffusion, 2/3 rule, float64) and
Darcy data samples (random field, threshold, MG-preconditioned CG to 1e-10) per second.`,
		"simulate bench pde --threads 1 --n 256 --steps 200", stderr)
	cm.register(fs)
	fs.IntVar(&n, "n", 256, "Navier-Stokes grid side")
	fs.IntVar(&steps, "steps", 200, "timed Navier-Stokes steps")
	fs.IntVar(&darcyN, "darcy-n", 257, "Darcy nodes per side (boundary included; 2^k+1 lets multigrid coarsen fully)")
	fs.IntVar(&samples, "samples", 8, "timed Darcy samples")
	st, err := cm.parseBegin(fs, args, "bench pde", stdout, stderr)
	if err != nil {
		return err
	}
	defer st.end()
	if steps < 1 || samples < 1 {
		return usageErr("--steps %d and --samples %d must be >= 1", steps, samples)
	}
	ns, err := pde.NewNS2D(n, 1e-3, 1e-3, pde.FNOForcing(n))
	if err != nil {
		return usageErr("--n: %v", err)
	}
	g, err := pde.NewPeriodicGRF(2.5, 7, math.Pow(7, 1.5), n, n)
	if err != nil {
		return err
	}
	w := make([]float64, n*n)
	g.Sample(w, pde.SampleRand(0, 0), nil)
	if err := ns.SetVorticity(w, 0); err != nil {
		return err
	}
	ns.Advance(3)
	start := time.Now()
	if err := ns.Advance(steps); err != nil {
		return err
	}
	secs := time.Since(start).Seconds() / float64(steps)
	if err := st.line(map[string]any{"case": fmt.Sprintf("ns2d-step-%d", n), "impl": "pdekit-f64", "n": n,
		"seconds": secs, "threads": cm.Threads, "what": "one Crank-Nicolson/Heun pseudo-spectral step"}); err != nil {
		return err
	}

	d, err := pde.NewElliptic(darcyN, 0, 1e-10)
	if err != nil {
		return usageErr("--darcy-n: %v", err)
	}
	grf, err := pde.NewNeumannGRF(2, 3, darcyN, darcyN)
	if err != nil {
		return err
	}
	field, a, u := make([]float64, darcyN*darcyN), make([]float64, darcyN*darcyN), make([]float64, darcyN*darcyN)
	var solve time.Duration
	iters := 0
	start = time.Now()
	for i := 0; i < samples; i++ {
		grf.Sample(field, pde.SampleRand(0, i), nil)
		pde.Threshold(a, field, 12, 3)
		t0 := time.Now()
		if err := d.SetCoefficient(a); err != nil {
			return err
		}
		if err := d.Solve(st.ctx, u, nil); err != nil {
			return st.fail(err)
		}
		solve += time.Since(t0)
		iters += d.Last.Iterations
	}
	total := time.Since(start)
	if err := st.line(map[string]any{"case": fmt.Sprintf("darcy-sample-%d", darcyN), "impl": "pdekit-" + d.Preconditioner + "-pcg",
		"n": darcyN, "seconds": total.Seconds() / float64(samples), "samples_per_second": float64(samples) / total.Seconds(),
		"solver_share": solve.Seconds() / total.Seconds(), "iters": float64(iters) / float64(samples), "threads": cm.Threads}); err != nil {
		return err
	}
	return st.complete()
}
