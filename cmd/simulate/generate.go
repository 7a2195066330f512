package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/pde"
)

// genConfig is what a data set file records as its "config" attribute:
// everything that decides the samples, and nothing about the shard.
type genConfig struct {
	Dataset string      `json:"dataset"`
	Samples int         `json:"samples"`
	Recipe  pde.Dataset `json:"recipe"`
	// Differs says how the recipe differs from the published one, where
	// it does (the data set's PublishedDifference).
	Differs string `json:"differs_from_published,omitempty"`
}

// newGenConfig returns the configuration of a data set.
func newGenConfig(name string, samples int, ds pde.Dataset) genConfig {
	c := genConfig{Dataset: name, Samples: samples, Recipe: ds}
	if d, ok := ds.(interface{ PublishedDifference() string }); ok {
		c.Differs = d.PublishedDifference()
	}
	return c
}

// datasetFlags are the recipe flags; each applies to some data sets.
var datasetFlags = map[string][]string{
	"darcy":     {"n", "sub", "alpha", "tau", "high", "low", "tol"},
	"ns2d":      {"n", "sub", "nu", "dt", "t-start", "t-end", "frames", "alpha", "tau", "sigma", "bilinear"},
	"burgers":   {"n", "sub", "nu", "dt", "t-end", "frames", "alpha", "tau", "sigma"},
	"poisson":   {"n", "sub", "alpha", "tau", "tol"},
	"helmholtz": {"n", "sub", "k", "alpha", "tau", "tol"},
	"heat":      {"n", "sub", "dt", "t-end", "frames", "alpha", "tau", "tol"},
	"clouds":    {"dim"},
}

func datasetNames() string {
	var names []string
	for k := range datasetFlags {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func cmdGenerate(args []string, stdout, stderr io.Writer) error {
	var c struct {
		common
		Samples    int
		Seed       uint64
		Shard, Out string
		Split      string
		N, Sub     int
		Frames     int
		Nu, Dt     float64
		Start, End float64
		Alpha, Tau float64
		Sigma, K   float64
		High, Low  float64
		Tol        float64
		Bilinear   bool
		Dim        int
	}
	fs := newFlags("generate DATASET", `Generate a PDE data set as HDF5, PDEBench's layout: float32 datasets shaped
[samples, ...] ("tensor" the solution, "nu" a coefficient, "source" a source term),
"x-coordinate"/"y-coordinate"/"t-coordinate", "sample-index", one sample per chunk,
deflate-compressed, the configuration as the JSON "config" attribute. Sample i depends only
on the configuration and i (its random stream is keyed by --seed and i), so a data set can
be made in shards anywhere and joined with 'simulate merge'. --shard i/n makes the i-th of
n contiguous blocks (0-based; default from SLURM_ARRAY_TASK_ID/COUNT/MIN when set); "{i}"
in --out is replaced by i. An existing complete output with the same configuration is
skipped, so reruns of an array job only do what is missing.
Data sets: darcy (FNO Darcy flow), ns2d (FNO Navier-Stokes vorticity), burgers (1-D
viscous Burgers), poisson, helmholtz (random sources), heat (random diffusivity), clouds
(two point clouds for 'simulate ot': --samples points of --dim coordinates each).
Zero recipe flags mean the data set's published defaults (see the pde package).`,
		"simulate generate darcy --samples 8 --n 129 --sub 2 --seed 1 --shard 0/2 --out darcy-{i}.h5", stderr)
	c.common.register(fs)
	fs.IntVar(&c.Samples, "samples", 16, "samples in the whole data set (all shards)")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the data set")
	fs.StringVar(&c.Shard, "shard", "", "i/n: make the i-th of n shards (0-based)")
	fs.StringVar(&c.Out, "out", "", "output HDF5 file (default DATASET.h5, DATASET-{i}.h5 with --shard, DATASET-{split}.h5 with --split)")
	fs.StringVar(&c.Split, "split", "", "disjoint named parts, e.g. train:1000,test:100: samples 0-999 to the train file, 1000-1099 to the test file ({split} in --out); --samples is their sum")
	fs.IntVar(&c.N, "n", 0, "solver grid points per side (nodes incl. boundary for darcy, poisson, helmholtz, heat)")
	fs.IntVar(&c.Sub, "sub", 0, "store every sub-th point per side ([::sub], as the published subsampled sets)")
	fs.IntVar(&c.Frames, "frames", 0, "snapshots after the first (time-dependent sets)")
	fs.Float64Var(&c.Nu, "nu", 0, "viscosity (ns2d, burgers)")
	fs.Float64Var(&c.Dt, "dt", 0, "time step")
	fs.Float64Var(&c.Start, "t-start", 0, "time of the first snapshot, after a discarded warm-up (ns2d)")
	fs.Float64Var(&c.End, "t-end", 0, "time of the last snapshot")
	fs.Float64Var(&c.Alpha, "alpha", 0, "random-field smoothness alpha")
	fs.Float64Var(&c.Tau, "tau", 0, "random-field inverse length scale tau")
	fs.Float64Var(&c.Sigma, "sigma", 0, "random-field amplitude sigma (periodic fields)")
	fs.Float64Var(&c.K, "k", 0, "Helmholtz wavenumber (0: 15, k^2 halfway between two eigenvalues of the Laplacian; keep k^2 away from pi^2 (p^2+q^2), where the solutions resonate)")
	fs.Float64Var(&c.High, "high", 0, "Darcy coefficient where the field is >= 0")
	fs.Float64Var(&c.Low, "low", 0, "Darcy coefficient where the field is < 0")
	fs.Float64Var(&c.Tol, "tol", 1e-10, "relative residual tolerance of the linear solves (positive)")
	fs.IntVar(&c.Dim, "dim", 0, "clouds: coordinates per point (0: 2)")
	fs.BoolVar(&c.Bilinear, "bilinear", false, "ns2d: bilinear downsampling by --sub (Spectral-Refiner's data) instead of every sub-th point")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fs.Usage()
			return flag.ErrHelp
		}
		return usageErr("generate needs a DATASET first: %s", datasetNames())
	}
	name := args[0]
	allowed, ok := datasetFlags[name]
	if !ok {
		return usageErr("unknown DATASET %q: want one of %s", name, datasetNames())
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	var bad error
	recipeFlag := map[string]bool{}
	for _, f := range []string{"n", "sub", "frames", "nu", "dt", "t-start", "t-end", "alpha", "tau", "sigma", "k", "high", "low", "tol", "bilinear", "dim"} {
		recipeFlag[f] = true
	}
	fs.Visit(func(f *flag.Flag) {
		if recipeFlag[f.Name] && !contains(allowed, f.Name) && bad == nil {
			bad = usageErr("--%s does not apply to %s (its flags: --%s)", f.Name, name, strings.Join(allowed, ", --"))
		}
	})
	if bad != nil {
		return bad
	}
	splits, err := parseSplit(c.Split)
	if err != nil {
		return err
	}
	if splits != nil {
		total := 0
		for _, sp := range splits {
			total += sp.n
		}
		samplesSet := false
		fs.Visit(func(f *flag.Flag) { samplesSet = samplesSet || f.Name == "samples" })
		if samplesSet && c.Samples != total {
			return usageErr("--samples %d but --split %s adds up to %d", c.Samples, c.Split, total)
		}
		if c.Shard != "" {
			return usageErr("--split and --shard both divide the samples: choose one")
		}
		if c.Out != "" && !strings.Contains(c.Out, "{split}") {
			return usageErr("--out %s with --split needs {split} in the name (each part is its own file)", c.Out)
		}
		c.Samples = total
	}
	if c.Samples < 1 {
		return usageErr("--samples %d, want >= 1", c.Samples)
	}
	if !(c.Tol > 0) {
		return usageErr("--tol %g must be positive", c.Tol)
	}
	var ds pde.Dataset
	switch name {
	case "darcy":
		d := &pde.DarcyData{N: c.N, Sub: c.Sub, Alpha: c.Alpha, Tau: c.Tau, High: c.High, Low: c.Low, Tol: c.Tol, Seed: c.Seed}
		d.Defaults()
		ds = d
	case "ns2d":
		d := &pde.NSData{N: c.N, Sub: c.Sub, Nu: c.Nu, Dt: c.Dt, Start: c.Start, End: c.End, Frames: c.Frames,
			Alpha: c.Alpha, Tau: c.Tau, Sigma: c.Sigma, Bilinear: c.Bilinear, Seed: c.Seed}
		d.Defaults()
		ds = d
	case "burgers":
		d := &pde.BurgersData{N: c.N, Sub: c.Sub, Nu: c.Nu, Dt: c.Dt, End: c.End, Frames: c.Frames,
			Alpha: c.Alpha, Tau: c.Tau, Sigma: c.Sigma, Seed: c.Seed}
		d.Defaults()
		ds = d
	case "poisson", "helmholtz":
		d := &pde.EllipticData{N: c.N, Sub: c.Sub, K: c.K, Alpha: c.Alpha, Tau: c.Tau, Tol: c.Tol, Seed: c.Seed}
		d.Defaults()
		if name == "helmholtz" && d.K == 0 {
			d.K = 15 // k^2 = 225 between the Laplacian's eigenvalues 20 pi^2 and 25 pi^2
		}
		ds = d
	case "clouds":
		d := &cloudsData{Dim: c.Dim, Seed: c.Seed}
		d.defaults()
		ds = d
	case "heat":
		d := &pde.HeatData{N: c.N, Sub: c.Sub, Dt: c.Dt, End: c.End, Frames: c.Frames, Alpha: c.Alpha, Tau: c.Tau, Tol: c.Tol, Seed: c.Seed}
		d.Defaults()
		ds = d
	}
	if err := ds.Check(); err != nil {
		return usageErr("%s: %v", name, strings.TrimPrefix(err.Error(), "pde: "))
	}
	if splits != nil {
		return generateSplits(&c.common, name, ds, c.Samples, c.Out, splits, stdout, stderr)
	}
	shard, shards, err := parseShard(c.Shard)
	if err != nil {
		return err
	}
	out := c.Out
	if out == "" {
		out = name + ".h5"
		if shards > 1 {
			out = name + "-{i}.h5"
		}
	}
	out = strings.ReplaceAll(out, "{i}", strconv.Itoa(shard))
	first, last := shard*c.Samples/shards, (shard+1)*c.Samples/shards
	cfg := newGenConfig(name, c.Samples, ds)
	cfgJSON, _ := json.Marshal(cfg)
	st, err := c.common.begin("generate", cfg, stdout, stderr)
	if err != nil {
		return err
	}
	defer st.end()
	sum := st.summary().set("dataset", name, "out", out, "shard", fmt.Sprintf("%d/%d", shard, shards),
		"first_sample", first, "samples", last-first, "threads", c.Threads)
	if _, err := os.Stat(out); err == nil && !c.Force {
		// Idempotent reruns: a file under the final name is complete
		// (writes are atomic); skip it if it is this very shard.
		same, why := sameShard(out, string(cfgJSON), shard, shards)
		if !same {
			return usageErr("%s exists but %s (use --force to overwrite)", out, why)
		}
		sum.set("skipped", true)
		fmt.Fprintf(stderr, "%s is already complete; skipped\n", out)
		return st.report(sum)
	}
	if err := writeShard(st, out, ds, shard, shards, first, last); err != nil {
		return st.fail(err)
	}
	return st.report(sum)
}

// split is one named part of --split.
type split struct {
	name string
	n    int
}

// parseSplit parses --split name:count,... (nil for "").
func parseSplit(s string) ([]split, error) {
	if s == "" {
		return nil, nil
	}
	var out []split
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		nm, cnt, ok := strings.Cut(part, ":")
		n, err := strconv.Atoi(cnt)
		if !ok || err != nil || n < 1 || nm == "" || strings.ContainsAny(nm, "/\\") || seen[nm] {
			return nil, usageErr("--split %q: want name:count,... with distinct names and counts >= 1 (e.g. train:1000,test:100)", s)
		}
		seen[nm] = true
		out = append(out, split{nm, n})
	}
	return out, nil
}

// generateSplits writes each part of --split as its own file: part k
// holds the samples after those of the parts before it, so the parts are
// disjoint pieces of one data set (its configuration in every file; merge
// joins them back).
func generateSplits(cm *common, name string, ds pde.Dataset, samples int, out string, splits []split, stdout, stderr io.Writer) error {
	if out == "" {
		out = name + "-{split}.h5"
	}
	cfg := newGenConfig(name, samples, ds)
	var paths []string
	for _, sp := range splits {
		paths = append(paths, strings.ReplaceAll(out, "{split}", sp.name))
	}
	st, err := cm.begin("generate", cfg, stdout, stderr, paths...)
	if err != nil {
		return err
	}
	defer st.end()
	parts := map[string]any{}
	first := 0
	for k, sp := range splits {
		if err := writeShard(st, paths[k], ds, k, len(splits), first, first+sp.n); err != nil {
			return st.fail(err)
		}
		parts[sp.name] = map[string]any{"out": paths[k], "first_sample": first, "samples": sp.n}
		first += sp.n
	}
	return st.report(st.summary().set("dataset", name, "samples", samples, "splits", parts, "threads", cm.Threads))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// parseShard parses --shard i/n, defaulting to Slurm's array variables and
// then to 0/1.
func parseShard(s string) (int, int, error) {
	if s == "" {
		id, count := os.Getenv("SLURM_ARRAY_TASK_ID"), os.Getenv("SLURM_ARRAY_TASK_COUNT")
		if id == "" || count == "" {
			return 0, 1, nil
		}
		i, err1 := strconv.Atoi(id)
		n, err2 := strconv.Atoi(count)
		lo := 0
		if m := os.Getenv("SLURM_ARRAY_TASK_MIN"); m != "" {
			lo, _ = strconv.Atoi(m)
		}
		if err1 != nil || err2 != nil || i-lo < 0 || i-lo >= n {
			return 0, 0, usageErr("SLURM_ARRAY_TASK_ID=%q, _MIN=%q, _COUNT=%q do not give a shard: pass --shard i/n", id, os.Getenv("SLURM_ARRAY_TASK_MIN"), count)
		}
		return i - lo, n, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, usageErr("--shard %q: want i/n with 0 <= i < n", s)
	}
	return i, n, nil
}

// sameShard reports whether the file at path is the shard i/n of the data
// set with configuration cfg, and if not, why.
func sameShard(path, cfg string, i, n int) (bool, string) {
	f, err := openInput(path)
	if err != nil {
		return false, "it is not a readable HDF5 file"
	}
	defer f.Close()
	got, err := f.AttrString("/", "config")
	if err != nil {
		return false, "it has no data set configuration"
	}
	if got != cfg {
		return false, "its configuration differs"
	}
	if s, err := f.AttrString("/", "shard"); err != nil || s != fmt.Sprintf("%d/%d", i, n) {
		return false, fmt.Sprintf("it is shard %s, not %d/%d", s, i, n)
	}
	return true, ""
}

// writeShard generates samples [first, last) on all threads and writes
// them to path atomically.
func writeShard(st *stage, path string, ds pde.Dataset, shard, shards, first, last int) error {
	count := last - first
	f, err := st.createH5(path)
	if err != nil {
		return usageErr("%v", err)
	}
	defer f.Abort()
	fields := ds.Fields()
	opt := &h5.Options{Deflate: 4}
	for _, fd := range fields {
		if err := h5.CreateDataset[float32](f, fd.Name, append([]int{count}, fd.Shape...), opt); err != nil {
			return err
		}
	}
	for _, co := range ds.Coordinates() {
		x := make([]float32, len(co.Values))
		for i, v := range co.Values {
			x[i] = float32(v)
		}
		if err := h5.Write(f, co.Name, []int{len(x)}, x, nil); err != nil {
			return err
		}
	}
	index := make([]int64, count)
	for i := range index {
		index[i] = int64(first + i)
	}
	if err := h5.Write(f, "sample-index", []int{count}, index, nil); err != nil {
		return err
	}
	for _, a := range []struct {
		k string
		v any
	}{{"shard", fmt.Sprintf("%d/%d", shard, shards)}, {"first-sample", first}} {
		if err := f.SetAttr("/", a.k, a.v); err != nil {
			return err
		}
	}
	if count == 0 {
		return st.closeH5(f, path)
	}
	// An interrupt (Ctrl-C, a scheduler's SIGTERM) stops the workers;
	// closeH5 then removes the temporary file.
	ctx, cancel := context.WithCancel(st.ctx)
	defer cancel()
	workers := min(runtime.GOMAXPROCS(0), count)
	type result struct {
		i   int
		out [][]float32
		err error
	}
	jobs := make(chan int)
	results := make(chan result, workers)
	free := make(chan [][]float32, 2*workers)
	for k := 0; k < 2*workers; k++ {
		buf := make([][]float32, len(fields))
		for j, fd := range fields {
			buf[j] = make([]float32, fd.Len())
		}
		free <- buf
	}
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		w, err := ds.NewWorker()
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A worker holds a buffer before it takes a job, so the job
			// the writer waits for (the lowest index not written) always
			// has one: the results held back never starve it.
			for {
				buf := <-free
				i, ok := <-jobs
				if !ok {
					free <- buf
					return
				}
				err := w.Sample(ctx, i, buf)
				results <- result{i, buf, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := first; i < last; i++ {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	prog := newProgress(st.stderr, "generate", count)
	var firstErr error
	// Samples are written in index order whatever order the workers finish
	// in, so that the chunks lie in the file in the same order for any
	// thread count: the same seed gives the same bytes.
	pending := map[int]result{}
	next := first
	for r := range results {
		pending[r.i] = r
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if r.err == nil && firstErr == nil {
				for j, fd := range fields {
					offset := make([]int, len(fd.Shape)+1)
					offset[0] = r.i - first
					cnt := append([]int{1}, fd.Shape...)
					if err := h5.WriteSlab(f, fd.Name, offset, cnt, r.out[j]); err != nil {
						r.err = err
						break
					}
				}
			}
			if r.err != nil && firstErr == nil {
				firstErr = r.err
				cancel()
			}
			free <- r.out
			prog.add(1)
		}
	}
	for _, r := range pending { // after a cancellation: results past a gap
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
	}
	prog.done()
	if ie := st.interruption(); ie != nil {
		return ie
	}
	if firstErr != nil {
		return firstErr
	}
	return st.closeH5(f, path)
}

func cmdMerge(args []string, stdout, stderr io.Writer) error {
	var cm common
	fs := newFlags("merge OUT SHARD...", `Join the shards of a data set made by 'simulate generate --shard' into one file with
the same layout, samples in index order. The shards must agree on the configuration and
together hold every sample index 0..samples-1 exactly once; merge names the shard or the
sample index otherwise. Flags may come anywhere.`,
		"simulate generate darcy --samples 8 --n 65 --shard 0/2 --out darcy-{i}.h5\n  simulate generate darcy --samples 8 --n 65 --shard 1/2 --out darcy-{i}.h5\n  simulate merge darcy.h5 darcy-0.h5 darcy-1.h5", stderr)
	cm.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usageErr("merge needs OUT and at least one SHARD")
	}
	out, shards := pos[0], pos[1:]
	for _, s := range shards {
		if s == out {
			return usageErr("OUT %s is also given as a shard", out)
		}
	}
	st, err := cm.begin("merge", nil, stdout, stderr)
	if err != nil {
		return err
	}
	defer st.end()
	n, err := mergeShards(st, out, shards)
	if err != nil {
		return st.fail(err)
	}
	return st.report(st.summary().set("out", out, "shards", len(shards), "samples", n))
}

// shardInfo is what merge reads from a shard before copying.
type shardInfo struct {
	path  string
	f     *h5.File
	index []int64
}

// mergeShards checks the shards and copies their samples into out, whose
// configuration is the shards' own.
func mergeShards(st *stage, out string, paths []string) (int, error) {
	var infos []*shardInfo
	defer func() {
		for _, s := range infos {
			s.f.Close()
		}
	}()
	var cfg string
	var gc struct {
		Dataset string `json:"dataset"`
		Samples int    `json:"samples"`
	}
	var fieldNames []string
	fieldInfo := map[string]h5.Info{}
	owner := map[int64]string{}
	for k, p := range paths {
		f, err := openInput(p)
		if err != nil {
			return 0, usageErr("shard %s: %v", p, err)
		}
		s := &shardInfo{path: p, f: f}
		infos = append(infos, s)
		c, err := f.AttrString("/", "config")
		if err != nil {
			return 0, usageErr("shard %s: no data set configuration (not made by simulate generate?): %v", p, err)
		}
		if k == 0 {
			cfg = c
			if err := json.Unmarshal([]byte(c), &gc); err != nil || gc.Samples < 1 {
				return 0, usageErr("shard %s: unreadable configuration %q", p, c)
			}
			names, err := f.List("/")
			if err != nil {
				return 0, usageErr("shard %s: %v", p, err)
			}
			for _, nm := range names {
				info, err := f.Stat(nm)
				if err != nil || nm == "sample-index" || strings.HasSuffix(nm, "-coordinate") {
					continue
				}
				fieldNames = append(fieldNames, nm)
				fieldInfo[nm] = info
			}
		} else if c != cfg {
			return 0, usageErr("shard %s: configuration differs from shard %s:\n  %s\n  %s", p, paths[0], c, cfg)
		}
		idx, _, err := h5.Read[int64](f, "sample-index")
		if err != nil {
			return 0, usageErr("shard %s: %v", p, err)
		}
		s.index = idx
		for _, nm := range fieldNames {
			info, err := f.Stat(nm)
			want := fieldInfo[nm]
			if err != nil {
				return 0, usageErr("shard %s: dataset %s: %v", p, nm, err)
			}
			if info.Type != want.Type || len(info.Dims) != len(want.Dims) || info.Dims[0] != len(idx) {
				return 0, usageErr("shard %s: dataset %s is %s %v, want %s with %d samples", p, nm, info.Type, info.Dims, want.Type, len(idx))
			}
			for d := 1; d < len(want.Dims); d++ {
				if info.Dims[d] != want.Dims[d] {
					return 0, usageErr("shard %s: dataset %s has sample shape %v, shard %s %v", p, nm, info.Dims[1:], paths[0], want.Dims[1:])
				}
			}
		}
		for _, i := range idx {
			if i < 0 || int(i) >= gc.Samples {
				return 0, usageErr("shard %s: sample index %d outside 0..%d", p, i, gc.Samples-1)
			}
			if o, dup := owner[i]; dup {
				return 0, usageErr("sample %d is in both %s and %s", i, o, p)
			}
			owner[i] = p
		}
	}
	var missing []string
	for i := 0; i < gc.Samples; i++ {
		if _, ok := owner[int64(i)]; !ok {
			j := i
			for j+1 < gc.Samples {
				if _, ok := owner[int64(j+1)]; ok {
					break
				}
				j++
			}
			if j == i {
				missing = append(missing, strconv.Itoa(i))
			} else {
				missing = append(missing, fmt.Sprintf("%d-%d", i, j))
			}
			i = j
		}
	}
	if len(missing) > 0 {
		return 0, usageErr("samples missing from the shards (of %d): %s", gc.Samples, strings.Join(missing, ", "))
	}

	st.config = json.RawMessage(cfg)
	f, err := st.createH5(out)
	if err != nil {
		return 0, usageErr("%v", err)
	}
	defer f.Abort()
	opt := &h5.Options{Deflate: 4}
	for _, nm := range fieldNames {
		dims := append([]int{gc.Samples}, fieldInfo[nm].Dims[1:]...)
		if err := h5.CreateDataset[float32](f, nm, dims, opt); err != nil {
			return 0, err
		}
	}
	names, _ := infos[0].f.List("/")
	for _, nm := range names {
		if strings.HasSuffix(nm, "-coordinate") {
			x, dims, err := h5.Read[float32](infos[0].f, nm)
			if err != nil {
				return 0, usageErr("shard %s: %s: %v", paths[0], nm, err)
			}
			if err := h5.Write(f, nm, dims, x, nil); err != nil {
				return 0, err
			}
		}
	}
	index := make([]int64, gc.Samples)
	for i := range index {
		index[i] = int64(i)
	}
	if err := h5.Write(f, "sample-index", []int{gc.Samples}, index, nil); err != nil {
		return 0, err
	}
	if err := f.SetAttr("/", "shard", "0/1"); err != nil {
		return 0, err
	}
	if err := f.SetAttr("/", "first-sample", 0); err != nil {
		return 0, err
	}
	prog := newProgress(st.stderr, "merge", gc.Samples)
	for _, s := range infos {
		for k, i := range s.index {
			if st.ctx.Err() != nil {
				return 0, st.fail(st.ctx.Err())
			}
			for _, nm := range fieldNames {
				shape := fieldInfo[nm].Dims[1:]
				src := make([]int, len(shape)+1)
				src[0] = k
				cnt := append([]int{1}, shape...)
				x, err := h5.ReadSlab[float32](s.f, nm, src, cnt, nil)
				if err != nil {
					return 0, usageErr("shard %s: %s sample %d: %v", s.path, nm, i, err)
				}
				dst := make([]int, len(shape)+1)
				dst[0] = int(i)
				if err := h5.WriteSlab(f, nm, dst, cnt, x); err != nil {
					return 0, err
				}
			}
			prog.add(1)
		}
	}
	prog.done()
	return gc.Samples, st.closeH5(f, out)
}
