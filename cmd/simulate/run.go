package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/pdekit/pdekit/fft"
	"github.com/pdekit/pdekit/internal/openblas"
	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/io/mtx"
)

//go:embed default.json
var defaultConfig []byte

// runConfig is the configuration of `simulate run`.
type runConfig struct {
	Problem string  `json:"problem"`
	N       int     `json:"n"`
	Eps     float64 `json:"eps"`
	Peclet  float64 `json:"peclet"`
	K       float64 `json:"k"`
	Method  string  `json:"method"`
	PC      string  `json:"pc"`
	RTol    float64 `json:"rtol"`
	Out     string  `json:"out"`
	Picture string  `json:"picture"`
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	var cm common
	var cfgPath, outDir string
	fs := newFlags("run", "Solve the problem of the embedded default configuration (or --config FILE), write the\nsolution to HDF5 and a PNG picture of it, and print a summary.",
		"simulate run --out out", stderr)
	cm.register(fs)
	fs.StringVar(&cfgPath, "config", "", "JSON configuration file (default: the embedded one; see --print-config)")
	fs.StringVar(&outDir, "out", ".", "folder for the output files")
	printCfg := fs.Bool("print-config", false, "print the embedded default configuration and exit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *printCfg {
		stdout.Write(defaultConfig)
		return nil
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
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return usageErr("%s: %v", cfgPath, err)
		}
	}
	if fi, err := os.Stat(outDir); err != nil || !fi.IsDir() {
		return usageErr("--out %s is not an existing folder", outDir)
	}
	sc := &solveConfig{
		problemFlags: problemFlags{Problem: cfg.Problem, N: cfg.N, Eps: cfg.Eps, Peclet: cfg.Peclet, K: cfg.K},
		common:       cm, RTol: cfg.RTol,
		methodFlags: methodFlags{Method: cfg.Method, PC: cfg.PC, Omega: 1, Restart: 30, Cycle: "V", Smoother: "gs", Coarse: "galerkin", Interp: "auto", PreSmooth: 1},
		Out:         filepath.Join(outDir, cfg.Out),
	}
	sc.JSON = cm.JSON
	pic := filepath.Join(outDir, cfg.Picture)
	if err := checkOut(pic, cm.Force); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := solve(sc, &buf, stderr); err != nil {
		return err
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
	if err := heatMap(pic, cm.Force, u, dims[0], dims[1], fmt.Sprintf("%s, n = %d", cfg.Problem, cfg.N)); err != nil {
		return err
	}
	var summary map[string]any
	if cm.JSON {
		json.Unmarshal(buf.Bytes(), &summary)
		summary["command"] = "run"
		summary["picture"] = pic
		summary["max_u"] = maxOf(u)
		report(stdout, true, summary)
		return nil
	}
	stdout.Write(buf.Bytes())
	fmt.Fprintf(stdout, "%-16s %.6g\n%-16s %s\n", "max u", maxOf(u), "picture", pic)
	return nil
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// field is a grid function for plotter.HeatMap on the unit square.
type field struct {
	u      []float64
	ny, nx int
}

func (f field) Dims() (c, r int)   { return f.nx, f.ny }
func (f field) Z(c, r int) float64 { return f.u[r*f.nx+c] }
func (f field) X(c int) float64    { return float64(c+1) / float64(f.nx+1) }
func (f field) Y(r int) float64    { return float64(r+1) / float64(f.ny+1) }

// heatMap writes a PNG picture of u atomically.
func heatMap(path string, force bool, u []float64, ny, nx int, title string) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "x"
	p.Y.Label.Text = "y"
	hm := plotter.NewHeatMap(field{u, ny, nx}, moreland.SmoothBlueRed().Palette(255))
	hm.NaN = color.Black
	p.Add(hm)
	w, err := p.WriterTo(5*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return err
	}
	return atomicWrite(path, force, func(out io.Writer) error {
		_, err := w.WriteTo(out)
		return err
	})
}

func cmdVersion(args []string, stdout, stderr io.Writer) error {
	var asJSON bool
	fs := newFlags("version", "Print the versions of the toolkit, Go and the native libraries.", "simulate version --json", stderr)
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	v := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	core := openblas.Core()
	out := map[string]any{
		"pdekit": v, "go": runtime.Version(), "hdf5": h5.LibVersion(),
		"cpus": runtime.NumCPU(), "gomaxprocs": runtime.GOMAXPROCS(0), "os_arch": runtime.GOOS + "/" + runtime.GOARCH,
		"openblas": openblas.Config(), "openblas_core": core, "openblas_threads": openblas.Threads(),
		"openblas_coretype_env": os.Getenv("OPENBLAS_CORETYPE"), "fftw": fft.Version(),
	}
	if rec := openblas.Recommended(core, openblas.CPUFlags()); rec != "" {
		out["openblas_core_recommended"] = rec
	}
	report(stdout, asJSON, out)
	return nil
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
	for _, f := range []string{out, rhs} {
		if err := checkOut(f, cm.Force); err != nil {
			return err
		}
	}
	if err := cm.apply(); err != nil {
		return err
	}
	start := time.Now()
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
		if err := atomicWrite(out, cm.Force, func(w io.Writer) error { return mtx.WriteCSR(w, a, sym) }); err != nil {
			return err
		}
		if rhs != "" {
			b := prob.rhs
			if err := atomicWrite(rhs, cm.Force, func(w io.Writer) error { return mtx.WriteDense(w, column(b)) }); err != nil {
				return err
			}
		}
	case "h5":
		f, err := h5.Create(out, cm.Force)
		if err != nil {
			return err
		}
		defer f.Abort()
		if err := h5.WriteCSR(f, "A", a); err != nil {
			return err
		}
		if err := h5.Write(f, "b", []int{len(prob.rhs)}, prob.rhs, nil); err != nil {
			return err
		}
		if err := f.SetConfig("/", p); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	r, _ := a.Dims()
	summary := map[string]any{"command": "export", "problem": p.Problem, "n": r, "nnz": a.NNZ(), "out": out, "seconds": time.Since(start).Seconds()}
	if rhs != "" {
		summary["rhs"] = rhs
	}
	report(stdout, cm.JSON, summary)
	return nil
}

// atomicWrite writes a file through a temporary file renamed at the end.
func atomicWrite(path string, force bool, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %v", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	os.Chmod(tmp.Name(), 0o644)
	if !force {
		if _, err := os.Stat(path); err == nil {
			return usageErr("%s already exists (use --force to overwrite)", path)
		}
	}
	return os.Rename(tmp.Name(), path)
}
