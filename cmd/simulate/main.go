// Command simulate is the toolkit's command line: it solves, exports and
// benchmarks linear systems from named PDE problems or files, with HDF5 in
// and out. See docs/cli.md for the contract every subcommand keeps.
//
// Exit status: 0 success, 1 the work failed (including work that did not
// converge, unless --allow-unconverged), 2 bad usage or bad input, 130 or
// 143 interrupted by SIGINT or SIGTERM (no output is left behind).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/pdekit/pdekit/internal/openblas"
	"github.com/pdekit/pdekit/mpi"
)

type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"run":      {"the main job on the embedded default configuration", cmdRun},
		"solve":    {"solve one linear system (named problem or file)", cmdSolve},
		"export":   {"write a generated system to Matrix Market or HDF5", cmdExport},
		"generate": {"PDE data sets to HDF5 (PDEBench layout, sharded)", cmdGenerate},
		"merge":    {"join the shards of a generated data set into one file", cmdMerge},
		"convert":  {"a data set in the layout another tool loads: PDEBench HDF5, MATLAB .mat (FNO), NumPy .npz", cmdConvert},
		"minmax":   {"min-max problems by (variance-reduced) Halpern methods, residual vs epochs", cmdMinmax},
		"ode":      {"integrate an ODE test problem (the problems of odes.py)", cmdODE},
		"ot":       {"optimal transport between two clouds or densities from HDF5", cmdOT},
		"nlp":      {"equality-constrained optimization by sketched inexact Newton", cmdNLP},
		"sequence": {"a sequence of related systems with omega tuned online per policy", cmdSequence},
		"bench":    {"JSON-lines benchmark figures (suites: spmv, linsys, nn, pde, ode)", cmdBench},
		"train":    {"train a neural operator (fno, mgno, sfno) on fields from HDF5, or the dcdm network; resumable", cmdTrain},
		"eval":     {"errors of a trained operator on a data set (any grid), with plots", cmdEval},
		"finetune": {"fine-tune a trained sfno on each trajectory against the Navier-Stokes equation", cmdFinetune},
		"node":     {"train a neural ODE through its solver (fmnist, spiral), regularised by the solver's heuristics", cmdNode},
		"pinn":     {"train a physics-informed network with adaptive collocation (uniform, rar, rad, das, aas)", cmdPINN},
		"predict":  {"apply a trained operator: input fields HDF5 in, predictions HDF5 out", cmdPredict},
		"version":  {"versions of the toolkit and its native libraries", cmdVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: simulate COMMAND [flags]\n\ncommands:\n")
	var names []string
	for k := range commands {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(w, "  %-8s %s\n", k, commands[k].summary)
	}
	fmt.Fprintf(w, "\nRun 'simulate COMMAND --help' for a command's flags and an example.\n")
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == vetCommand {
		os.Exit(vetMain(os.Args[2:]))
	}
	// OpenBLAS chose its kernels when it loaded; restart with the CPU's
	// widest if it chose narrower ones.
	openblas.Reexec()
	// The process-wide choices, made here and nowhere in the packages:
	// gonum (mat, transport's products) calls OpenBLAS, and OpenBLAS runs
	// one thread per call, since nn and the solvers parallelise across
	// calls themselves.
	openblas.Use()
	openblas.SetThreads(1)
	// Under mpirun (a build with the tag mpi) every rank runs the command;
	// without the tag this is one process of rank 0.
	if err := mpi.Init(); err != nil {
		fmt.Fprintf(os.Stderr, "simulate: %v\n", err)
		os.Exit(1)
	}
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	mpi.Finalize()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if mpi.Size() > 1 {
		if args[0] != "solve" && args[0] != "train" {
			fmt.Fprintf(stderr, "simulate: %s runs on one process; on %d ranks only solve and train run so far\n", args[0], mpi.Size())
			return 2
		}
		if mpi.Rank() > 0 { // rank 0 speaks for all
			stdout, stderr = io.Discard, io.Discard
		}
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "simulate: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	err := c.run(args[1:], stdout, stderr)
	code := exitStatus(err)
	if code != 0 {
		fmt.Fprintf(stderr, "simulate %s: %v\n", args[0], err)
	}
	return code
}

// newFlags returns a flag set whose usage shows the summary and an example.
func newFlags(name, summary, example string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: simulate %s [flags]\n\n%s\n\nexample:\n  %s\n\nflags:\n", name, summary, example)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags that may come anywhere among positional
// arguments (a flag's value included: --threads 2) and returns the
// positional ones in order.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageErr("%v", err)
		}
		if fs.NArg() == 0 {
			return pos, finiteFlags(fs)
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parse parses flags, turning errors into usage errors and rejecting stray
// arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErr("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	return finiteFlags(fs)
}

// finiteFlags refuses a number flag the user set to NaN or an infinity
// (Go's flag package accepts "nan" and "inf"): no setting of a command
// means either, and a NaN slips through the usual range checks.
func finiteFlags(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if !ok || err != nil {
			return
		}
		if v, ok := g.Get().(float64); ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			err = usageErr("--%s %v: want a finite number", f.Name, v)
		}
	})
	return err
}
