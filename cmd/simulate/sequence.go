package main

import (
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/iterate"
	"github.com/pdekit/pdekit/solvers/relax"
)

type sequenceConfig struct {
	common
	Workload     *choice[string] `json:"workload"`
	File         string          `json:"file,omitempty"`
	Instances    int             `json:"instances"`
	Side         int             `json:"side"`
	NX           int             `json:"nx"`
	Dt           float64         `json:"dt"`
	Base         *choice[int]    `json:"base"`
	Policies     string          `json:"policies"`
	ContextRange string          `json:"context_range"`
	Bins         int             `json:"bins"`
	Features     int             `json:"features"`
	Trials       int             `json:"trials"`
	Seed         uint64          `json:"seed"`
	WarmStart    *choice[int]    `json:"warm_start"`
	Tol          float64         `json:"tol"`
	MaxIter      int             `json:"maxiter"`
	Out          string          `json:"out,omitempty"`
	Plot         string          `json:"plot,omitempty"`
	SaveState    string          `json:"save_state,omitempty"`
	LoadState    string          `json:"load_state,omitempty"`
}

var workloadNames = []option[string]{{"shifted-high", "shifted-high"}, {"shifted-low", "shifted-low"}, {"heat2d", "heat2d"}, {"file", "file"}}

// auto is the value of "auto" in the tri-state choices: the workload
// decides (on for heat2d).
const auto = -1

func cmdSequence(args []string, stdout, stderr io.Writer) error {
	c := sequenceConfig{Workload: newChoice("workload", "shifted-high", workloadNames...),
		Base:      newChoice("base", "auto", option[int]{"auto", auto}, option[int]{"sor", int(relax.SOR)}, option[int]{"ssor-cg", int(relax.SSORCG)}),
		WarmStart: newChoice("warm-start", "auto", option[int]{"auto", auto}, option[int]{"on", 1}, option[int]{"off", 0})}
	fs := newFlags("sequence", `Solve a sequence of related systems with SOR (or SSOR-preconditioned CG) whose omega
is chosen per system by each policy, and compare the policies' total iterations.
Workloads: the paper's shifted Laplacian (high or low shift variance), the 2-D heat
equation with Crank-Nicolson steps, or a file with one HDF5 group per instance
(datasets matrix (CSR group), rhs, optional context), taken in name order.
Policies: gs (omega 1), a number (fixed omega), best-fixed (in hindsight; solves every
grid omega), tsallis, tsallis-cb, chebcb, oracle, oracle-golden, oracle-formula.`,
		"simulate sequence --workload shifted-high --instances 1000 --trials 2 --out seq.h5 --plot seq.png", stderr)
	c.common.register(fs)
	fs.Var(c.Workload, "workload", "sequence: "+c.Workload.Names())
	fs.StringVar(&c.File, "file", "", "HDF5 file of instances for --workload file")
	fs.IntVar(&c.Instances, "instances", 5000, "number of instances (time steps for heat2d; 0 with file: all)")
	fs.IntVar(&c.Side, "side", 10, "shifted Laplacian: interior points per side (n = side^2)")
	fs.IntVar(&c.NX, "nx", 50, "heat2d: mesh intervals per side (n = (nx-1)^2)")
	fs.Float64Var(&c.Dt, "dt", 1e-3, "heat2d: time step")
	fs.Var(c.Base, "base", "base solver: sor, ssor-cg (auto: ssor-cg for heat2d, else sor)")
	fs.StringVar(&c.Policies, "policies", "gs,best-fixed,tsallis,tsallis-cb,chebcb,oracle", "comma-separated policies")
	fs.StringVar(&c.ContextRange, "context-range", "auto", "context interval lo,hi of the contextual policies (auto: the workload's)")
	fs.IntVar(&c.Bins, "bins", 0, "tsallis-cb bins (0: 5, or 6 for heat2d, as the paper)")
	fs.IntVar(&c.Features, "features", 6, "chebcb Chebyshev features")
	fs.IntVar(&c.Trials, "trials", 1, "independent repetitions (seeds seed, seed+1, ...)")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed")
	fs.Var(c.WarmStart, "warm-start", "start each solve from the instance's previous state: on, off, auto (on for heat2d)")
	fs.Float64Var(&c.Tol, "tol", 1e-8, "relative residual tolerance of each solve")
	fs.IntVar(&c.MaxIter, "maxiter", 10000, "iteration cap of each solve (a capped solve costs the cap)")
	fs.StringVar(&c.Out, "out", "", "write per-instance iterations, omegas and seconds to this HDF5 file")
	fs.StringVar(&c.Plot, "plot", "", "write a PNG of cumulative iterations per policy")
	fs.StringVar(&c.SaveState, "save-state", "", "save the learned policies' state to this HDF5 file at the end (one trial)")
	fs.StringVar(&c.LoadState, "load-state", "", "resume the learned policies from a --save-state file")
	c.common.registerConvergence(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	return runSequence(&c, stdout, stderr)
}

// policySpec is one parsed --policies entry.
type policySpec struct {
	name  string
	kind  string // fixed, best-fixed, tsallis, tsallis-cb, chebcb, oracle
	omega float64
	mode  relax.Mode
}

func parsePolicies(s string) ([]policySpec, error) {
	var out []policySpec
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		var p policySpec
		switch f {
		case "gs":
			p = policySpec{name: "omega=1", kind: "fixed", omega: 1}
		case "best-fixed", "tsallis", "tsallis-cb", "chebcb":
			p = policySpec{name: f, kind: f}
		case "oracle":
			p = policySpec{name: f, kind: "oracle", mode: relax.GridSearch}
		case "oracle-golden":
			p = policySpec{name: f, kind: "oracle", mode: relax.GoldenSection}
		case "oracle-formula":
			p = policySpec{name: f, kind: "oracle", mode: relax.Formula}
		default:
			w, err := strconv.ParseFloat(strings.TrimPrefix(f, "fixed:"), 64)
			if err != nil || !(w > 0 && w < 2) {
				return nil, usageErr("--policies: %q is not a policy (gs, a fixed omega in (0, 2), best-fixed, tsallis, tsallis-cb, chebcb, oracle, oracle-golden, oracle-formula)", f)
			}
			p = policySpec{name: "omega=" + strconv.FormatFloat(w, 'g', -1, 64), kind: "fixed", omega: w}
		}
		if seen[p.name] {
			return nil, usageErr("--policies: %q given twice", f)
		}
		seen[p.name] = true
		out = append(out, p)
	}
	return out, nil
}

// sequenceSetup is the validated configuration of a run.
type sequenceSetup struct {
	cfg      *sequenceConfig
	base     relax.Base
	warm     bool
	specs    []policySpec
	lo, hi   float64
	bins     int
	grid     bool // solve the whole grid (best-fixed asked for)
	files    []string
	contexts bool
}

// workload returns the --workload name.
func (c *sequenceConfig) workload() string { return c.Workload.Get() }

func (c *sequenceConfig) setup() (*sequenceSetup, error) {
	s := &sequenceSetup{cfg: c}
	heat := c.workload() == "heat2d"
	s.base, s.warm = relax.Base(c.Base.Get()), c.WarmStart.Get() == 1
	if c.Base.Get() == auto {
		s.base = relax.SOR
		if heat {
			s.base = relax.SSORCG
		}
	}
	if c.WarmStart.Get() == auto {
		s.warm = heat
	}
	var err error
	if s.specs, err = parsePolicies(c.Policies); err != nil {
		return nil, err
	}
	switch {
	case c.Instances < 0 || (c.Instances == 0 && c.workload() != "file"):
		return nil, usageErr("--instances must be at least 1, got %d", c.Instances)
	case c.Trials < 1:
		return nil, usageErr("--trials must be at least 1, got %d", c.Trials)
	case c.Side < 1:
		return nil, usageErr("--side must be at least 1, got %d", c.Side)
	case c.NX < 2:
		return nil, usageErr("--nx must be at least 2, got %d", c.NX)
	case !(c.Dt > 0):
		return nil, usageErr("--dt must be positive, got %v", c.Dt)
	case !(c.Tol > 0):
		return nil, usageErr("--tol must be positive, got %v", c.Tol)
	case c.MaxIter < 1:
		return nil, usageErr("--maxiter must be at least 1, got %d", c.MaxIter)
	case c.Features < 1:
		return nil, usageErr("--features must be at least 1, got %d", c.Features)
	case c.Bins < 0:
		return nil, usageErr("--bins must be at least 1, got %d", c.Bins)
	case (c.SaveState != "" || c.LoadState != "") && c.Trials != 1:
		return nil, usageErr("--save-state and --load-state need --trials 1")
	case c.workload() == "file" && c.File == "":
		return nil, usageErr("--workload file needs --file")
	case c.workload() != "file" && c.File != "":
		return nil, usageErr("--file is for --workload file")
	}
	s.bins = c.Bins
	if s.bins == 0 {
		s.bins = 5
		if heat {
			s.bins = 6
		}
	}
	for _, p := range s.specs {
		s.grid = s.grid || p.kind == "best-fixed"
	}
	switch c.workload() {
	case "shifted-high", "shifted-low":
		s.lo, s.hi = relax.ShiftContextLo, relax.ShiftContextHi
	case "heat2d":
		s.lo, s.hi = 0, 10 // kappa(t) = max(0.1 sin 2 pi t, -10 sin 2 pi t)
	case "file":
		if err := s.scanFile(); err != nil {
			return nil, err
		}
	}
	if c.ContextRange != "auto" {
		parts := strings.Split(c.ContextRange, ",")
		var lo, hi float64
		var e1, e2 error
		if len(parts) == 2 {
			lo, e1 = strconv.ParseFloat(strings.TrimSpace(parts[0]), 64)
			hi, e2 = strconv.ParseFloat(strings.TrimSpace(parts[1]), 64)
		}
		if len(parts) != 2 || e1 != nil || e2 != nil || !(hi > lo) {
			return nil, usageErr("--context-range must be lo,hi with lo < hi, got %q", c.ContextRange)
		}
		s.lo, s.hi = lo, hi
	}
	return s, nil
}

// scanFile lists the instance groups of --file in natural name order and
// the range of their contexts.
func (s *sequenceSetup) scanFile() error {
	f, err := openInput(s.cfg.File)
	if err != nil {
		return usageErr("--file: %v", err)
	}
	defer f.Close()
	names, err := f.List("/")
	if err != nil {
		return usageErr("--file: %v", err)
	}
	sort.Slice(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
	s.lo, s.hi = math.Inf(1), math.Inf(-1)
	for _, n := range names {
		if _, err := f.Stat(n + "/rhs"); err != nil {
			continue // not an instance group
		}
		s.files = append(s.files, n)
		if _, err := f.Stat(n + "/context"); err == nil {
			v, _, err := h5.Read[float64](f, n+"/context")
			if err != nil || len(v) != 1 {
				return usageErr("--file %s: %s/context must hold one float64 value", s.cfg.File, n)
			}
			s.contexts = true
			s.lo, s.hi = math.Min(s.lo, v[0]), math.Max(s.hi, v[0])
		}
	}
	if len(s.files) == 0 {
		return usageErr("--file %s: no instance groups (a group with datasets matrix and rhs)", s.cfg.File)
	}
	if s.cfg.Instances > 0 && s.cfg.Instances < len(s.files) {
		s.files = s.files[:s.cfg.Instances]
	}
	if !(s.hi > s.lo) { // no or constant contexts
		s.lo, s.hi = s.lo-1, s.lo+1
		if !s.contexts {
			s.lo, s.hi = -1, 1
		}
	}
	return nil
}

// naturalLess orders names with digit runs compared as numbers: 2 < 10.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// fileSource reads the instances of --file one at a time.
type fileSource struct {
	f     *h5.File
	names []string
	i     int
}

func (s *fileSource) Next([]float64) (*relax.Instance, error) {
	if s.i == len(s.names) {
		return nil, io.EOF
	}
	n := s.names[s.i]
	s.i++
	a, err := h5.ReadCSR(s.f, n+"/matrix")
	if err != nil {
		return nil, usageErr("instance %s: %v", n, err)
	}
	b, _, err := h5.Read[float64](s.f, n+"/rhs")
	if err != nil {
		return nil, usageErr("instance %s: %v", n, err)
	}
	if r, c := a.Dims(); r != c || len(b) != r {
		return nil, usageErr("instance %s: matrix is %d x %d and rhs has %d entries", n, r, c, len(b))
	}
	if err := a.CheckFinite(); err != nil {
		return nil, usageErr("instance %s: matrix: %v", n, err)
	}
	for i, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, usageErr("instance %s: rhs[%d] = %v", n, i, v)
		}
	}
	in := &relax.Instance{A: a, B: b}
	if _, err := s.f.Stat(n + "/context"); err == nil {
		v, _, err := h5.Read[float64](s.f, n+"/context")
		if err != nil {
			return nil, usageErr("instance %s: %v", n, err)
		}
		in.Context = v[0]
	}
	return in, nil
}

// source returns trial's sequence; close releases it.
func (s *sequenceSetup) source(trial int) (src relax.Source, close func(), err error) {
	c := s.cfg
	seed := c.Seed + uint64(trial)
	switch c.workload() {
	case "shifted-high", "shifted-low":
		v := relax.High
		if c.workload() == "shifted-low" {
			v = relax.Low
		}
		src, err = relax.NewShiftedLaplacian(v, c.Side, c.Instances, seed)
	case "heat2d":
		src, err = relax.NewHeat(c.NX, c.Instances, c.Dt)
	case "file":
		f, err := openInput(c.File)
		if err != nil {
			return nil, nil, usageErr("--file: %v", err)
		}
		return &fileSource{f: f, names: s.files}, func() { f.Close() }, nil
	}
	return src, func() {}, err
}

// policies builds trial's policies; learned ones get seeds derived from the
// trial's seed and the policy's name, so trial i of a policy is the same
// however many trials run and whatever other policies run beside it.
func (s *sequenceSetup) policies(trial int, loaded map[string]relax.Policy) ([]relax.Entry, error) {
	var out []relax.Entry
	for _, p := range s.specs {
		var pol relax.Policy
		var err error
		h := fnv.New64a()
		h.Write([]byte(p.name))
		ps := (s.cfg.Seed+uint64(trial))*0x9e3779b97f4a7c15 ^ h.Sum64()
		switch p.kind {
		case "best-fixed":
			continue // read off the grid table afterwards
		case "fixed":
			pol = relax.Fixed(p.omega)
		case "tsallis":
			pol = relax.NewTsallisINF(nil, ps)
		case "tsallis-cb":
			pol, err = relax.NewTsallisINFCB(nil, s.bins, s.lo, s.hi, ps)
		case "chebcb":
			pol, err = relax.NewChebCB(nil, s.cfg.Features, s.lo, s.hi, ps)
		case "oracle":
			pol = &relax.Oracle{Mode: p.mode}
		}
		if err != nil {
			return nil, usageErr("policy %s: %v", p.name, err)
		}
		if l, ok := loaded[p.name]; ok {
			pol = l
		}
		out = append(out, relax.Entry{Name: p.name, Policy: pol})
	}
	return out, nil
}

// policyRow is one policy's figures over all trials.
type policyRow struct {
	name       string
	iterations [][]int     // [trial][instance]
	omega      [][]float64 // [trial][instance]
	seconds    [][]float64
}

func runSequence(c *sequenceConfig, stdout, stderr io.Writer) error {
	s, err := c.setup()
	if err != nil {
		return err
	}
	loaded := map[string]relax.Policy{}
	if c.LoadState != "" {
		if loaded, err = loadStates(c.LoadState, s.specs); err != nil {
			return err
		}
	}
	if err := checkPNG(c.Plot); err != nil {
		return err
	}
	st, err := c.common.begin("sequence", c, stdout, stderr, c.Out, c.Plot, c.SaveState)
	if err != nil {
		return err
	}
	defer st.end()
	comps := make([]*relax.Comparison, c.Trials)
	entries := make([][]relax.Entry, c.Trials)
	prog := newProgress(stderr, "sequence", c.Trials*c.Instances)
	var wg sync.WaitGroup
	errs := make([]error, c.Trials)
	sem := make(chan struct{}, max(1, min(c.Threads, c.Trials)))
	for trial := 0; trial < c.Trials; trial++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			src, closeSrc, err := s.source(trial)
			if err != nil {
				errs[trial] = err
				return
			}
			defer closeSrc()
			if entries[trial], err = s.policies(trial, loaded); err != nil {
				errs[trial] = err
				return
			}
			set := &relax.CompareSettings{Control: iterate.Control{Tolerance: c.Tol, MaxIterations: c.MaxIter}, WarmStart: s.warm, Progress: func(int) { prog.add(1) }}
			if s.grid {
				set.Grid = relax.DefaultGrid()
			}
			comps[trial], errs[trial] = relax.Compare(st.ctx, src, s.base, entries[trial], set)
		}()
	}
	wg.Wait()
	prog.done()
	for _, err := range errs {
		switch {
		case err == nil:
		case st.interruption() != nil:
			return st.interruption()
		default:
			// A solve fails only on bad input (NaN, a zero diagonal, sizes):
			// non-convergence is a cost, not an error.
			return usageErr("%v", err)
		}
	}
	rows, bestOmega := collect(s, comps)
	unconverged, diverged := 0, 0
	for _, cm := range comps {
		unconverged += cm.Unconverged()
		diverged += cm.Diverged()
	}
	if c.Out != "" {
		if err := writeSequence(st, c, s, comps, rows); err != nil {
			return st.fail(err)
		}
	}
	if c.Plot != "" {
		if err := plotSequence(st, c, rows); err != nil {
			return st.fail(err)
		}
	}
	if c.SaveState != "" {
		if err := saveStates(st, c.SaveState, entries[0]); err != nil {
			return st.fail(err)
		}
	}
	sum := sequenceSummary(st, c, s, rows, bestOmega, comps).set("unconverged_solves", unconverged, "diverged_solves", diverged)
	if unconverged > 0 {
		sum.notConverged("%d solves stopped before --tol (%d diverged, the others capped at --maxiter %d or stagnated); each is charged the cap", unconverged, diverged, c.MaxIter)
	}
	sum.text = func(w io.Writer) { printSequence(w, c, s, rows, bestOmega, comps, unconverged, diverged) }
	return st.report(sum)
}

// collect turns the comparisons into one row per policy in --policies
// order, best-fixed read off each trial's grid table.
func collect(s *sequenceSetup, comps []*relax.Comparison) ([]policyRow, []float64) {
	var rows []policyRow
	var bestOmega []float64
	for _, p := range s.specs {
		r := policyRow{name: p.name}
		for _, cm := range comps {
			if p.kind == "best-fixed" {
				w, _, g, _ := cm.BestFixed()
				its := make([]int, len(cm.GridIterations))
				om := make([]float64, len(its))
				secs := make([]float64, len(its))
				for t := range its {
					its[t], om[t], secs[t] = cm.GridIterations[t][g], w, cm.GridSeconds[t][g]
				}
				r.iterations, r.omega, r.seconds = append(r.iterations, its), append(r.omega, om), append(r.seconds, secs)
				bestOmega = append(bestOmega, w)
				continue
			}
			k := indexOf(cm.Names, p.name)
			r.iterations = append(r.iterations, cm.Iterations[k])
			r.omega = append(r.omega, cm.Omega[k])
			r.seconds = append(r.seconds, cm.Seconds[k])
		}
		rows = append(rows, r)
	}
	return rows, bestOmega
}

func indexOf(names []string, n string) int {
	for i, v := range names {
		if v == n {
			return i
		}
	}
	return -1
}

// perInstance returns the mean over trials of the iterations per instance
// and their standard deviation over trials.
func (r *policyRow) perInstance() (mean, sd float64) {
	var per []float64
	for _, its := range r.iterations {
		var s int
		for _, v := range its {
			s += v
		}
		per = append(per, float64(s)/float64(max(1, len(its))))
	}
	mean = stat.Mean(per, nil)
	if len(per) > 1 {
		sd = stat.StdDev(per, nil)
	}
	return mean, sd
}

func (r *policyRow) totalSeconds() float64 {
	var s float64
	for _, secs := range r.seconds {
		for _, v := range secs {
			s += v
		}
	}
	return s / float64(len(r.seconds))
}

func sequenceSummary(st *stage, c *sequenceConfig, s *sequenceSetup, rows []policyRow, bestOmega []float64, comps []*relax.Comparison) *summary {
	pols := map[string]any{}
	for _, r := range rows {
		m, sd := r.perInstance()
		pols[r.name] = map[string]any{"iterations_per_instance": m, "sd_over_trials": sd, "seconds": r.totalSeconds()}
	}
	sum := st.summary().set("workload", c.workload(), "base", s.base.String(),
		"instances", len(comps[0].Context), "trials", c.Trials, "seed", c.Seed, "warm_start", s.warm,
		"policies", pols)
	if len(bestOmega) > 0 {
		sum.set("best_fixed_omega", bestOmega)
	}
	return sum
}

func printSequence(w io.Writer, c *sequenceConfig, s *sequenceSetup, rows []policyRow, bestOmega []float64, comps []*relax.Comparison, unconverged, diverged int) {
	fmt.Fprintf(w, "%s: %d instances x %d trials, base %s, warm start %v\n", c.workload(), len(comps[0].Context), c.Trials, s.base, s.warm)
	var ref float64
	for _, r := range rows {
		if r.name == "omega=1" {
			ref, _ = r.perInstance()
		}
	}
	fmt.Fprintf(w, "%-16s %12s %9s %10s %9s\n", "policy", "iters/inst", "sd", "seconds", "vs omega=1")
	for _, r := range rows {
		m, sd := r.perInstance()
		ratio := "-"
		if ref > 0 {
			ratio = fmt.Sprintf("%.2fx", ref/m)
		}
		fmt.Fprintf(w, "%-16s %12.1f %9.1f %10.3f %9s\n", r.name, m, sd, r.totalSeconds(), ratio)
	}
	if len(bestOmega) > 0 {
		fmt.Fprintf(w, "best fixed omega per trial:")
		for _, o := range bestOmega {
			fmt.Fprintf(w, " %.4g", o)
		}
		fmt.Fprintln(w)
	}
	if unconverged > 0 {
		fmt.Fprintf(w, "solves that did not converge, each charged --maxiter: %d (%d diverged)\n", unconverged, diverged)
	}
	for _, p := range []string{c.Out, c.Plot, c.SaveState} {
		if p != "" {
			fmt.Fprintf(w, "wrote %s\n", p)
		}
	}
}

func writeSequence(st *stage, c *sequenceConfig, s *sequenceSetup, comps []*relax.Comparison, rows []policyRow) error {
	f, err := st.createH5(c.Out)
	if err != nil {
		return err
	}
	defer f.Abort()
	trials, n := len(comps), len(comps[0].Context)
	dims := []int{trials, n}
	ctxs := make([]float64, 0, trials*n)
	for _, cm := range comps {
		ctxs = append(ctxs, cm.Context...)
	}
	if err := h5.Write(f, "context", dims, ctxs, nil); err != nil {
		return err
	}
	for _, r := range rows {
		its := make([]int64, 0, trials*n)
		var om, secs []float64
		for t := range r.iterations {
			for _, v := range r.iterations[t] {
				its = append(its, int64(v))
			}
			om = append(om, r.omega[t]...)
			secs = append(secs, r.seconds[t]...)
		}
		g := "policies/" + r.name
		if err := h5.Write(f, g+"/iterations", dims, its, nil); err != nil {
			return err
		}
		if err := h5.Write(f, g+"/omega", dims, om, nil); err != nil {
			return err
		}
		if err := h5.Write(f, g+"/seconds", dims, secs, nil); err != nil {
			return err
		}
	}
	if s.grid {
		grid := comps[0].Grid
		var tab []int64
		for _, cm := range comps {
			for _, row := range cm.GridIterations {
				for _, v := range row {
					tab = append(tab, int64(v))
				}
			}
		}
		if err := h5.Write(f, "grid", []int{len(grid)}, grid, nil); err != nil {
			return err
		}
		if err := h5.Write(f, "grid_iterations", []int{trials, n, len(grid)}, tab, nil); err != nil {
			return err
		}
	}
	return st.closeH5(f, c.Out)
}

func plotSequence(st *stage, c *sequenceConfig, rows []policyRow) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: cumulative iterations (mean of %d trials)", c.workload(), len(rows[0].iterations))
	p.X.Label.Text = "instance"
	p.Y.Label.Text = "total iterations"
	p.Legend.Top = true
	p.Legend.Left = true
	for i, r := range rows {
		n := len(r.iterations[0])
		pts := make(plotter.XYs, n)
		var cum float64
		for t := 0; t < n; t++ {
			var s float64
			for _, its := range r.iterations {
				s += float64(its[t])
			}
			cum += s / float64(len(r.iterations))
			pts[t] = plotter.XY{X: float64(t + 1), Y: cum}
		}
		if err := addLine(p, r.name, pts, i); err != nil {
			return err
		}
	}
	return st.writePlot(c.Plot, p, 7*vg.Inch, 5*vg.Inch)
}

// learned reports whether a policy kind has state worth saving.
func learned(kind string) bool { return kind == "tsallis" || kind == "tsallis-cb" || kind == "chebcb" }

func saveStates(st *stage, path string, entries []relax.Entry) error {
	f, err := st.createH5(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	for _, e := range entries {
		s, err := relax.Snapshot(e.Policy)
		if err != nil {
			return err
		}
		if err := h5.WriteState(f, "policies/"+e.Name, s); err != nil {
			return err
		}
	}
	return st.closeH5(f, path)
}

// loadStates restores the learned policies named in specs from a
// --save-state file; a learned policy missing from the file is an error.
func loadStates(path string, specs []policySpec) (map[string]relax.Policy, error) {
	f, err := openInput(path)
	if err != nil {
		return nil, usageErr("--load-state: %v", err)
	}
	defer f.Close()
	out := map[string]relax.Policy{}
	for _, p := range specs {
		if !learned(p.kind) {
			continue
		}
		s := &relax.State{}
		if err := h5.ReadState(f, "policies/"+p.name, s); err != nil {
			return nil, usageErr("--load-state %s: policy %s: %v", path, p.name, err)
		}
		pol, err := relax.Restore(s)
		if err != nil {
			return nil, usageErr("--load-state %s: policy %s: %v", path, p.name, err)
		}
		out[p.name] = pol
	}
	return out, nil
}
