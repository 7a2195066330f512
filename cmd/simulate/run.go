package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"

	"github.com/pdekit/pdekit/fft"
	"github.com/pdekit/pdekit/internal/openblas"
	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/io/mtx"
)

//go:embed default.json
var defaultConfig []byte

//go:embed solve.json
var solveConfigJSON []byte

// runConfig is the configuration of `simulate run`: the job and its
// parameters.
type runConfig struct {
	// Job is darcy-mgno (the default: make Darcy data by the classical
	// solver, train MgNO on it, compare the two) or solve (solve one named
	// problem).
	Job string `json:"job"`
	// solve's parameters.
	Problem string  `json:"problem,omitempty"`
	Eps     float64 `json:"eps,omitempty"`
	Peclet  float64 `json:"peclet,omitempty"`
	K       float64 `json:"k,omitempty"`
	Method  string  `json:"method,omitempty"`
	PC      string  `json:"pc,omitempty"`
	RTol    float64 `json:"rtol,omitempty"`
	// darcy-mgno's parameters.
	TrainSamples int     `json:"train_samples,omitempty"`
	TestSamples  int     `json:"test_samples,omitempty"`
	Seed         *uint64 `json:"seed,omitempty"` // nil: 0
	Epochs       int     `json:"epochs,omitempty"`
	Batch        int     `json:"batch,omitempty"`
	LR           float64 `json:"lr,omitempty"`
	Channels     int     `json:"channels,omitempty"`
	Layers       int     `json:"layers,omitempty"`
	Levels       int     `json:"levels,omitempty"`
	Summary      string  `json:"summary,omitempty"`
	// Both: the grid and the output files.
	N       int    `json:"n"`
	Out     string `json:"out"`
	Picture string `json:"picture"`
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	var cm common
	var cfgPath, outDir string
	fs := newFlags("run", `The toolkit's main job, on the embedded default configuration (or --config FILE).
The default (job "darcy-mgno") makes a small Darcy flow data set with the classical solver
(random coefficients, multigrid-preconditioned CG), trains an MgNO neural operator on it,
evaluates it on unseen samples and writes the checkpoint, a PNG comparing the learned and
the classical solutions, and a JSON summary. Job "solve" (--print-config solve) solves one
named problem and draws its solution.`,
		"simulate run --out out", stderr)
	cm.register(fs)
	cm.registerConvergence(fs)
	fs.StringVar(&cfgPath, "config", "", "JSON configuration file (default: the embedded one; see --print-config)")
	fs.StringVar(&outDir, "out", ".", "folder for the output files (made if missing)")
	printCfg := fs.Bool("print-config", false, "print the embedded default configuration (with the argument solve: the solve job's) and exit")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *printCfg {
		if len(rest) == 1 && rest[0] == "solve" {
			stdout.Write(solveConfigJSON)
			return nil
		}
		stdout.Write(defaultConfig)
		return nil
	}
	if len(rest) > 0 {
		return usageErr("unexpected argument %q", rest[0])
	}
	var cfg runConfig
	if err := json.Unmarshal(defaultConfig, &cfg); err != nil {
		return fmt.Errorf("embedded configuration: %v", err)
	}
	if cfgPath != "" {
		b, err := os.ReadFile(cfgPath)
		if err != nil {
			return usageErr("%v", err)
		}
		cfg = runConfig{}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return usageErr("%s: %v", cfgPath, err)
		}
		if cfg.Job == "" {
			cfg.Job = "solve" // configurations written before the jobs were
		}
	}
	if fi, err := os.Stat(outDir); err == nil && !fi.IsDir() {
		return usageErr("--out %s is a file, not a folder", outDir)
	} else if err != nil {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return usageErr("--out: %v", err)
		}
	}
	switch cfg.Job {
	case "solve":
		return runSolve(&cm, &cfg, outDir, cfgPath, stdout, stderr)
	case "darcy-mgno":
		return runDarcy(&cm, &cfg, outDir, stdout, stderr)
	}
	return usageErr("%s: unknown job %q (darcy-mgno or solve)", cfgPath, cfg.Job)
}

// runSolve is the solve job: one named problem, its solution and picture.
func runSolve(cm *common, cfg *runConfig, outDir, cfgPath string, stdout, stderr io.Writer) error {
	mf := defaultMethodFlags("cg", "none")
	if err := mf.Method.Set(cfg.Method); err != nil {
		return usageErr("%s: %v", cfgPath, err)
	}
	if err := mf.PC.Set(cfg.PC); err != nil {
		return usageErr("%s: %v", cfgPath, err)
	}
	sc := &solveConfig{
		problemFlags: problemFlags{Problem: cfg.Problem, N: cfg.N, Eps: cfg.Eps, Peclet: cfg.Peclet, K: cfg.K},
		common:       *cm, RTol: cfg.RTol, methodFlags: mf,
		Out: filepath.Join(outDir, cfg.Out),
	}
	pic := filepath.Join(outDir, cfg.Picture)
	st, err := sc.common.begin("run", cfg, stdout, stderr, sc.Out, pic)
	if err != nil {
		return err
	}
	defer st.end()
	sum, _, err := solve(st, sc)
	if err != nil {
		return st.fail(err)
	}
	// Read the solution back from the file just written: the picture shows
	// what a user of the file sees.
	f, err := h5.Open(sc.Out)
	if err != nil {
		return err
	}
	u, dims, err := h5.Read[float64](f, "x")
	f.Close()
	if err != nil {
		return err
	}
	if len(dims) != 2 {
		return usageErr("run draws 2-D problems; %s is %d-D", cfg.Problem, len(dims))
	}
	if err := heatMap(st, pic, u, dims[0], dims[1], fmt.Sprintf("%s, n = %d", cfg.Problem, cfg.N)); err != nil {
		return st.fail(err)
	}
	sum.set("job", "solve", "max_u", maxOf(u))
	return st.report(sum)
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// heatMap writes a PNG picture of u (interior points) atomically.
func heatMap(st *stage, path string, u []float64, ny, nx int, title string) error {
	return st.writePanels(path, 1, 1, []panel{{title: title, f: field{u: u, ny: ny, nx: nx}}})
}

func cmdVersion(args []string, stdout, stderr io.Writer) error {
	var cm common
	fs := newFlags("version", "Print the versions of the toolkit, Go and the native libraries.", "simulate version --json", stderr)
	fs.BoolVar(&cm.JSON, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := cm.begin("version", nil, stdout, stderr)
	if err != nil {
		return err
	}
	defer st.end()
	core := openblas.Core()
	sum := st.summary().set("pdekit", version(), "go", runtime.Version(), "hdf5", h5.LibVersion(),
		"cpus", runtime.NumCPU(), "gomaxprocs", runtime.GOMAXPROCS(0), "os_arch", runtime.GOOS+"/"+runtime.GOARCH,
		"openblas", openblas.Config(), "openblas_core", core, "openblas_threads", openblas.Threads(),
		"openblas_coretype_env", os.Getenv("OPENBLAS_CORETYPE"), "fftw", fft.Version())
	if rec := openblas.Recommended(core, openblas.CPUFlags()); rec != "" {
		sum.set("openblas_core_recommended", rec)
	}
	return st.report(sum)
}

func cmdExport(args []string, stdout, stderr io.Writer) error {
	var p problemFlags
	var cm common
	var out, rhs, format string
	fs := newFlags("export", "Write the matrix (and optionally the right-hand side) of a named problem to a file,\nso that another tool can solve the identical system.",
		"simulate export --problem poisson2d --n 256 --out A.mtx --rhs b.mtx", stderr)
	p.register(fs)
	cm.register(fs)
	fs.StringVar(&out, "out", "", "output file: .mtx (Matrix Market) or .h5 (CSR group A, rhs b)")
	fs.StringVar(&rhs, "rhs", "", "with .mtx output: also write b to this Matrix Market file")
	fs.StringVar(&format, "format", "", "mtx or h5 (default: from the --out extension)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if out == "" {
		return usageErr("--out is required")
	}
	if format == "" {
		format = map[string]string{".mtx": "mtx", ".h5": "h5", ".hdf5": "h5"}[filepath.Ext(out)]
	}
	if format != "mtx" && format != "h5" {
		return usageErr("cannot tell the format of %q: use --format mtx or h5", out)
	}
	st, err := cm.begin("export", &p, stdout, stderr, out, rhs)
	if err != nil {
		return err
	}
	defer st.end()
	prob, err := p.build()
	if err != nil {
		return err
	}
	a := prob.op.ToCSR()
	switch format {
	case "mtx":
		sym := mtx.General
		if prob.symmetric {
			sym = mtx.Symmetric
		}
		if err := st.writeFile(out, func(w io.Writer) error { return mtx.WriteCSR(w, a, sym) }); err != nil {
			return st.fail(err)
		}
		if rhs != "" {
			b := prob.b()
			if err := st.writeFile(rhs, func(w io.Writer) error { return mtx.WriteDense(w, column(b)) }); err != nil {
				return st.fail(err)
			}
		}
	case "h5":
		f, err := st.createH5(out)
		if err != nil {
			return err
		}
		defer f.Abort()
		if err := h5.WriteCSR(f, "A", a); err != nil {
			return st.fail(err)
		}
		if err := h5.Write(f, "b", []int{len(prob.b())}, prob.b(), nil); err != nil {
			return st.fail(err)
		}
		if err := st.closeH5(f, out); err != nil {
			return err
		}
	}
	r, _ := a.Dims()
	return st.report(st.summary().set("problem", p.Problem, "n", r, "nnz", a.NNZ()))
}
