package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/iterate"
)

// common are the flags of the frame every working subcommand runs in.
type common struct {
	JSON    bool `json:"-"`
	Threads int  `json:"threads"`
	Force   bool `json:"-"`
	// AllowUnconverged is registered by the commands whose work can fail
	// to converge (registerConvergence).
	AllowUnconverged bool `json:"allow_unconverged,omitempty"`
}

func (c *common) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.JSON, "json", false, "print one JSON object on stdout at the end")
	fs.IntVar(&c.Threads, "threads", 0, "cap on parallelism (0: all cores)")
	fs.BoolVar(&c.Force, "force", false, "overwrite existing output files")
}

// registerConvergence adds --allow-unconverged, the one switch of the
// non-convergence rule (see stage.report).
func (c *common) registerConvergence(fs *flag.FlagSet) {
	fs.BoolVar(&c.AllowUnconverged, "allow-unconverged", false, "exit 0 even if the work did not converge (the summary still says so)")
}

// stage is one run of a command: its context, cancelled by SIGINT or
// SIGTERM, its clock, the configuration its output files record, and the
// outputs it wrote. Every command begins one, does its work under st.ctx,
// writes its files through createH5 or writeFile and ends with report.
type stage struct {
	name           string
	ctx            context.Context
	stdout, stderr io.Writer
	flags          *common
	// config is what every HDF5 file of the command records as its
	// "config" attribute: all that decides the results.
	config   any
	start    time.Time
	outputs  []string
	reported bool // the work completed and report was reached
	kept     int  // outputs[:kept] are never removed (checkpoints)
	// checkpoint is the file a training loop writes (and keeps on an
	// interrupt), named in the interruption's message.
	checkpoint string
	lines      []any // a line-printing stage's measurements under --json

	mu     sync.Mutex
	sig    os.Signal // the signal that interrupted the run, if any
	cancel context.CancelFunc
	quit   chan struct{}
}

// begin applies the common flags, refuses existing outputs without
// --force (before any work), and starts a stage whose context is cancelled
// by SIGINT or SIGTERM. The caller defers st.end().
func (c *common) begin(name string, config any, stdout, stderr io.Writer, outputs ...string) (*stage, error) {
	if c.Threads < 0 {
		return nil, usageErr("--threads must be >= 0, got %d", c.Threads)
	}
	for _, p := range outputs {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil && !c.Force {
			return nil, usageErr("%s already exists (use --force to overwrite)", p)
		}
		if err := writableFolder(p); err != nil {
			return nil, usageErr("cannot write %s: %v", p, err)
		}
		removeStale(p, stderr)
	}
	if c.Threads > 0 {
		runtime.GOMAXPROCS(c.Threads)
	}
	c.Threads = runtime.GOMAXPROCS(0)
	ctx, cancel := context.WithCancel(context.Background())
	st := &stage{name: name, ctx: ctx, cancel: cancel, stdout: stdout, stderr: stderr, flags: c, config: config,
		start: time.Now(), quit: make(chan struct{})}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(sigs)
		select {
		case s := <-sigs:
			st.mu.Lock()
			st.sig = s
			st.mu.Unlock()
			cancel()
		case <-st.quit:
		}
	}()
	return st, nil
}

// end releases the signal handler. A stage that did not reach its report
// (it failed or was interrupted after writing some outputs) removes them:
// a failing later step leaves nothing behind.
func (st *stage) end() {
	close(st.quit)
	st.cancel()
	if !st.reported {
		for _, p := range st.outputs[st.kept:] {
			os.Remove(p)
		}
	}
}

// keepOutput records a checkpoint as an output that stays even if a later
// step fails: it holds training a user paid for, and --resume continues
// from it.
func (st *stage) keepOutput(path string) {
	if i := slices.Index(st.outputs[st.kept:], path); i >= 0 {
		st.outputs = slices.Delete(st.outputs, st.kept+i, st.kept+i+1) // recorded by scratch
	}
	st.outputs = slices.Insert(st.outputs, st.kept, path)
	st.kept++
}

// scratch records a file the work writes by itself, outside createH5 and
// writeFile (a training loop's checkpoint in a job that cannot resume
// from it): removed with the other outputs unless the run reports, or
// kept by keepOutput.
func (st *stage) scratch(path string) { st.outputs = append(st.outputs, path) }

// complete ends a stage that reports by lines (the bench suites) rather
// than a summary: the interruption if there was one; otherwise the work
// is done and its outputs stay.
func (st *stage) complete() error {
	if ie := st.interruption(); ie != nil {
		return ie
	}
	st.reported = true
	if st.flags.JSON {
		// --json: one object, as for every command, the lines inside it.
		sum := st.summary().set("measurements", st.lines)
		if st.lines == nil {
			sum.set("measurements", []any{})
		}
		sum.Seconds = time.Since(st.start).Seconds()
		sum.Outputs = st.outputs
		b, err := json.Marshal(sum)
		if err != nil {
			return err
		}
		fmt.Fprintln(st.stdout, string(b))
	}
	return nil
}

// writableFolder checks, before any work, that an output can be created
// in the folder of path: it exists, is a folder, and takes a new file.
func writableFolder(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("folder %s does not exist", dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	f, err := os.CreateTemp(dir, ".simulate-probe-*")
	if err != nil {
		return fmt.Errorf("folder %s is not writable", dir)
	}
	f.Close()
	return os.Remove(f.Name())
}

// removeStale removes the temporary files an earlier run writing path
// left when it was killed (SIGKILL: a scheduler's memory limit), saying
// so on stderr.
func removeStale(path string, stderr io.Writer) {
	old, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*"))
	for _, t := range old {
		if os.Remove(t) == nil {
			fmt.Fprintf(stderr, "removed %s, the temporary file of an earlier run that was killed\n", t)
		}
	}
}

// interrupted is the error of a run stopped by a signal: the exit status is
// 128 plus the signal's number, as a shell reports it (130 for SIGINT, 143
// for SIGTERM).
type interrupted struct {
	sig        syscall.Signal
	checkpoint string // the checkpoint the run wrote, if any
}

func (e interrupted) Error() string {
	if e.checkpoint != "" {
		return fmt.Sprintf("interrupted by %v: the checkpoint %s holds the run (--resume %s continues it)", e.sig, e.checkpoint, e.checkpoint)
	}
	return fmt.Sprintf("interrupted by %v: no output was written", e.sig)
}

func (e interrupted) status() int { return 128 + int(e.sig) }

// interruption returns the interrupted error when a signal stopped the
// run, or nil.
func (st *stage) interruption() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s, ok := st.sig.(syscall.Signal); ok {
		return interrupted{s, st.checkpoint}
	}
	return nil
}

// fail returns err, or the interruption that caused it.
func (st *stage) fail(err error) error {
	if ie := st.interruption(); ie != nil {
		return ie
	}
	return err
}

// version is the toolkit's version as the build records it.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// createH5 opens path for an atomic HDF5 write (refusing an existing file
// without --force) and stores the stage's configuration, its seed and the
// toolkit's version as attributes of the root group. Close it with
// closeH5.
func (st *stage) createH5(path string) (*h5.File, error) {
	f, err := h5.Create(path, st.flags.Force)
	if err != nil {
		if _, serr := os.Stat(path); serr == nil && !st.flags.Force {
			return nil, usageErr("%s already exists (use --force to overwrite)", path)
		}
		return nil, err
	}
	if err := st.stamp(f); err != nil {
		f.Abort()
		return nil, err
	}
	return f, nil
}

// stamp stores the configuration, seed, command and version attributes.
func (st *stage) stamp(f *h5.File) error {
	if st.config != nil {
		if err := f.SetConfig("/", st.config); err != nil {
			return err
		}
		if seed, ok := seedOf(st.config); ok {
			if err := f.SetAttr("/", "seed", seed); err != nil {
				return err
			}
		}
	}
	for _, a := range [][2]string{{"command", "simulate " + st.name}, {"version", version()}} {
		if err := f.SetAttr("/", a[0], a[1]); err != nil {
			return err
		}
	}
	return nil
}

// seedOf returns the "seed" field of a configuration, or of an object in
// it (a data set's recipe), if it has one: an int64, or its decimal string
// when it does not fit one.
func seedOf(config any) (any, bool) {
	b, err := json.Marshal(config)
	if err != nil {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil, false
	}
	seedIn := func(m map[string]json.RawMessage) json.RawMessage {
		for k, v := range m {
			if strings.EqualFold(k, "seed") {
				return v
			}
		}
		return nil
	}
	raw := seedIn(m)
	for _, v := range m {
		var inner map[string]json.RawMessage
		if raw == nil && json.Unmarshal(v, &inner) == nil {
			raw = seedIn(inner)
		}
	}
	var seed uint64
	if raw == nil || json.Unmarshal(raw, &seed) != nil {
		return nil, false
	}
	if seed > math.MaxInt64 {
		return strconv.FormatUint(seed, 10), true
	}
	return int64(seed), true
}

// closeH5 finishes an HDF5 output: renamed into place and recorded, unless
// the run was interrupted, when the temporary file is removed instead.
func (st *stage) closeH5(f *h5.File, path string) error {
	if ie := st.interruption(); ie != nil {
		f.Abort()
		return ie
	}
	if err := f.Close(); err != nil {
		return err
	}
	st.outputs = append(st.outputs, path)
	return nil
}

// writeFile writes a non-HDF5 output (a PNG, a Matrix Market file)
// through a temporary file renamed at the end, and records it; an
// interruption during the write leaves nothing.
func (st *stage) writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(ctxWriter{st.ctx, tmp}); err != nil {
		tmp.Close()
		if ie := st.interruption(); ie != nil {
			return ie
		}
		return fmt.Errorf("write %s: %v", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if ie := st.interruption(); ie != nil {
		return ie
	}
	os.Chmod(tmp.Name(), 0o644)
	if !st.flags.Force {
		if _, err := os.Stat(path); err == nil {
			return usageErr("%s already exists (use --force to overwrite)", path)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	st.outputs = append(st.outputs, path)
	return nil
}

// ctxWriter fails its writes once the context is done, so that a long
// write stops at an interruption.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// summary is what every command reports at the end: the shared keys
// (command, version, seconds, outputs, and reason and converged where the
// work iterates) and the command's own fields. report prints it as one
// JSON object (--json) or as aligned text.
type summary struct {
	Command string
	Version string
	// Seconds is the wall time of the stage, unless the command sets the
	// time of the work a peer script times the same way (a solve without
	// reading its input).
	Seconds   float64
	Reason    string
	Converged *bool
	Outputs   []string
	fields    map[string]any
	// unconverged collects why the work did not converge, for the rule;
	// diverged, the runs that diverged (exit 1 even with
	// --allow-unconverged: their answer is not a number).
	unconverged, diverged []string
	// text, if set, is the command's own text form (a table), printed
	// instead of the key-value lines when --json is not given.
	text func(io.Writer)
}

// summary starts the stage's summary.
func (st *stage) summary() *summary {
	return &summary{Command: st.name, Version: version(), fields: map[string]any{}}
}

// set adds the command's own fields, as key, value pairs.
func (s *summary) set(kv ...any) *summary {
	for i := 0; i+1 < len(kv); i += 2 {
		s.fields[kv[i].(string)] = kv[i+1]
	}
	return s
}

// outcome records how an iterative run ended: reason, converged, and for
// the non-convergence rule what failed (what names the run in the
// message; empty for the command's one run).
func (s *summary) outcome(what string, o *iterate.Outcome) *summary {
	s.Reason = o.Reason.String()
	ok := o.Reason.Converged()
	if s.Converged == nil || !ok {
		s.Converged = &ok
	}
	if !ok {
		msg := o.Err().Error()
		if what != "" {
			msg = what + ": " + msg
		}
		s.unconverged = append(s.unconverged, msg)
		if o.Reason == iterate.Diverged {
			s.diverged = append(s.diverged, msg)
		}
	}
	return s
}

// notConverged records a failure to converge that no single Outcome
// describes (a count of capped solves, say).
func (s *summary) notConverged(format string, args ...any) *summary {
	f := false
	s.Converged = &f
	s.unconverged = append(s.unconverged, fmt.Sprintf(format, args...))
	return s
}

// MarshalJSON writes the shared keys and the command's fields as one
// object.
func (s *summary) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	for k, v := range s.fields {
		m[k] = v
	}
	m["command"], m["version"], m["seconds"] = s.Command, s.Version, s.Seconds
	m["outputs"] = s.Outputs
	if s.Outputs == nil {
		m["outputs"] = []string{}
	}
	if s.Reason != "" {
		m["reason"] = s.Reason
	}
	if s.Converged != nil {
		m["converged"] = *s.Converged
	}
	return json.Marshal(jsonSafe(reflect.ValueOf(m)))
}

// jsonSafe returns v as plain JSON values (maps, slices, numbers, strings,
// booleans) with every NaN or infinite number replaced by null, which
// encoding/json refuses to write: a diverged run's residual is +Inf.
// Struct fields follow their json tags (name, "-", omitempty); embedded
// structs are flattened.
func jsonSafe(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.CanInterface() && v.Kind() != reflect.Pointer {
		if _, ok := v.Interface().(json.Marshaler); ok {
			return v.Interface()
		}
	}
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint()
	case reflect.String:
		return v.String()
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return jsonSafe(v.Elem())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		if v.Kind() == reflect.Float32 {
			return float32(f)
		}
		return f
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = jsonSafe(v.Index(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for it := v.MapRange(); it.Next(); {
			out[fmt.Sprint(it.Key().Interface())] = jsonSafe(it.Value())
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() && !(f.Anonymous && f.Type.Kind() == reflect.Struct) {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct {
				for k, x := range jsonSafe(v.Field(i)).(map[string]any) {
					out[k] = x // an embedded struct's fields, as encoding/json flattens them
				}
				continue
			}
			if name == "" {
				name = f.Name
			}
			if strings.Contains(opts, "omitempty") && v.Field(i).IsZero() {
				continue
			}
			out[name] = jsonSafe(v.Field(i))
		}
		return out
	}
	if v.CanInterface() {
		return v.Interface()
	}
	return nil
}

// report prints the summary and returns the command's exit error: an
// interruption first; then non-convergence, unless --allow-unconverged.
// One rule, one message, for every command.
func (st *stage) report(s *summary) error {
	if ie := st.interruption(); ie != nil {
		return ie
	}
	st.reported = true
	if s.Seconds == 0 {
		s.Seconds = time.Since(st.start).Seconds()
	}
	s.Outputs = st.outputs
	if st.flags.JSON {
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		fmt.Fprintln(st.stdout, string(b))
	} else if s.text != nil {
		s.text(st.stdout)
	} else {
		s.writeText(st.stdout)
	}
	if len(s.diverged) > 0 {
		return fmt.Errorf("%s (--allow-unconverged accepts an unconverged answer, not a diverged one)", strings.Join(s.diverged, "; "))
	}
	if len(s.unconverged) > 0 && !st.flags.AllowUnconverged {
		return fmt.Errorf("did not converge: %s (use --allow-unconverged to accept)", strings.Join(s.unconverged, "; "))
	}
	return nil
}

// writeText prints the summary as aligned key-value lines, the command's
// fields first in key order, the shared keys last.
func (s *summary) writeText(w io.Writer) {
	keys := make([]string, 0, len(s.fields))
	for k := range s.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	line := func(k string, v any) {
		if f, ok := v.(float64); ok {
			v = fmt.Sprintf("%.6g", f)
		}
		fmt.Fprintf(w, "%-16s %v\n", strings.ReplaceAll(k, "_", " "), v)
	}
	for _, k := range keys {
		if _, list := s.fields[k].([]float64); list {
			continue // histories belong in the files and the JSON
		}
		line(k, s.fields[k])
	}
	if s.Reason != "" {
		line("reason", s.Reason)
	}
	line("seconds", s.Seconds)
	for _, o := range s.Outputs {
		line("wrote", o)
	}
}

// exitStatus maps a command's error to the exit status of the contract:
// 0 success, 1 the work failed, 2 bad usage or input, 128+n a signal n.
func exitStatus(err error) int {
	var ie interrupted
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ie):
		return ie.status()
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

// parseBegin parses the flags and begins the stage: the frame of a command
// with nothing to check between the two (the bench suites).
func (c *common) parseBegin(fs *flag.FlagSet, args []string, name string, stdout, stderr io.Writer) (*stage, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	return c.begin(name, nil, stdout, stderr)
}

// checkPNG refuses a --plot path that does not end in .png before any
// work: every plot is written as a PNG, and a PNG under another name is a
// file the user's tools misread.
func checkPNG(path string) error {
	if path != "" && !strings.EqualFold(filepath.Ext(path), ".png") {
		return usageErr("--plot %s: the plot is a PNG: name it .png", path)
	}
	return nil
}

// writePlot writes a plot as a PNG of w x h through writeFile.
func (st *stage) writePlot(path string, p *plot.Plot, w, h vg.Length) error {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return err
	}
	return st.writeFile(path, func(out io.Writer) error {
		_, err := wt.WriteTo(out)
		return err
	})
}

// addLine adds the i-th line of a plot, in the i-th colour and dash
// pattern, with its legend entry.
func addLine(p *plot.Plot, name string, pts plotter.XYs, i int) error {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color = plotutil.Color(i)
	l.Dashes = plotutil.Dashes(i)
	l.Width = vg.Points(1.5)
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// line prints one JSON line of a benchmark suite (the output compare.py
// joins with the peer scripts' lines) and reports an interruption, so a
// suite stops between its measurements.
func (st *stage) line(v map[string]any) error {
	if ie := st.interruption(); ie != nil {
		return ie
	}
	safe := jsonSafe(reflect.ValueOf(v))
	if st.flags.JSON {
		st.lines = append(st.lines, safe)
		return nil
	}
	b, err := json.Marshal(safe)
	if err != nil {
		return err
	}
	fmt.Fprintln(st.stdout, string(b))
	return nil
}
