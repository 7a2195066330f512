package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pdekit/pdekit/io/h5"
	"github.com/pdekit/pdekit/io/matfile"
	"github.com/pdekit/pdekit/io/npy"
)

// convertConfig is the configuration of `simulate convert`.
type convertConfig struct {
	In  string `json:"in"`
	Out string `json:"out"`
	To  string `json:"to"`
}

// array is a dataset read for conversion: values in float64, single
// telling whether the source held float32 (and the output will).
type array struct {
	shape  []int
	data   []float64
	single bool
}

// fieldSet is a data set in the toolkit's layout (PDEBench's flat one):
// an optional input field [N, spatial...] ("nu" or "source"), the
// solution "tensor" [N, frames, spatial...] and the coordinates.
type fieldSet struct {
	dataset   string // the generator's name, from the config attribute ("" for a foreign file)
	inputName string
	input     *array
	tensor    *array
	coords    map[string]*array // "x", "y", "t"
}

// samples returns the number of samples, spatial the spatial shape and
// frames the number of frames of the solution.
func (s *fieldSet) samples() int     { return s.tensor.shape[0] }
func (s *fieldSet) frames() int      { return s.tensor.shape[1] }
func (s *fieldSet) spatial() []int   { return s.tensor.shape[2:] }
func (s *fieldSet) timeSeries() bool { return s.frames() > 1 }

func readArray(f *h5.File, name string) (*array, error) {
	info, err := f.Stat(name)
	if err != nil {
		return nil, err
	}
	a := &array{}
	switch info.Type {
	case "float32":
		v, dims, err := h5.Read[float32](f, name)
		if err != nil {
			return nil, err
		}
		a.shape, a.single, a.data = dims, true, make([]float64, len(v))
		for i, x := range v {
			a.data[i] = float64(x)
		}
	case "float64":
		v, dims, err := h5.Read[float64](f, name)
		if err != nil {
			return nil, err
		}
		a.shape, a.data = dims, v
	default:
		return nil, fmt.Errorf("dataset %q holds %s, want float32 or float64", name, info.Type)
	}
	return a, nil
}

// readFieldSet reads a data set file: ours, or one in PDEBench's flat
// layout written by another tool.
func readFieldSet(path string) (*fieldSet, error) {
	f, err := openInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := &fieldSet{coords: map[string]*array{}}
	if cfg, err := f.AttrString("/", "config"); err == nil {
		var c struct {
			Dataset string `json:"dataset"`
		}
		if json.Unmarshal([]byte(cfg), &c) == nil {
			s.dataset = c.Dataset
		}
	}
	names, err := f.List("/")
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	if !has["tensor"] {
		return nil, fmt.Errorf("%s has no dataset \"tensor\" (the solution, [samples, frames, ...]); it holds %s", path, strings.Join(names, ", "))
	}
	if s.tensor, err = readArray(f, "tensor"); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(s.tensor.shape) < 3 || len(s.tensor.shape) > 5 {
		return nil, fmt.Errorf("%s: tensor of shape %v, want [samples, frames, x] up to [samples, frames, x, y, z]", path, s.tensor.shape)
	}
	for _, in := range []string{"nu", "source"} {
		if has[in] {
			if s.input, err = readArray(f, in); err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
			s.inputName = in
			want := append([]int{s.samples()}, s.spatial()...)
			if fmt.Sprint(s.input.shape) != fmt.Sprint(want) {
				return nil, fmt.Errorf("%s: %s of shape %v, want %v to go with tensor %v", path, in, s.input.shape, want, s.tensor.shape)
			}
			break
		}
	}
	for _, c := range []string{"x", "y", "t"} {
		if has[c+"-coordinate"] {
			if s.coords[c], err = readArray(f, c+"-coordinate"); err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
		}
	}
	return s, nil
}

// frame returns frames [from, to) of the solution as [N, to-from,
// spatial...], or with timeLast as [N, spatial..., to-from].
func (s *fieldSet) frameRange(from, to int, timeLast bool) *array {
	n, t := s.samples(), s.frames()
	sp := 1
	for _, d := range s.spatial() {
		sp *= d
	}
	k := to - from
	out := &array{single: s.tensor.single, data: make([]float64, n*k*sp)}
	for i := 0; i < n; i++ {
		for f := from; f < to; f++ {
			src := s.tensor.data[(i*t+f)*sp : (i*t+f+1)*sp]
			for p, v := range src {
				if timeLast {
					out.data[(i*sp+p)*k+f-from] = v
				} else {
					out.data[(i*k+f-from)*sp+p] = v
				}
			}
		}
	}
	if timeLast {
		out.shape = append(append([]int{n}, s.spatial()...), k)
	} else {
		out.shape = append([]int{n, k}, s.spatial()...)
	}
	return out
}

// squeezed returns a with its last axis dropped when it has length 1.
func squeezed(a *array) *array {
	if len(a.shape) > 2 && a.shape[len(a.shape)-1] == 1 {
		return &array{shape: a.shape[:len(a.shape)-1], data: a.data, single: a.single}
	}
	return a
}

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// named is an output array under its name.
type named struct {
	name string
	a    *array
}

// inputOutput returns the pair a learner maps (input -> output) in the
// converted layouts: a steady problem's input field and its solution, or
// a trajectory's first frame and the frames after it (time-last when
// timeLast, as FNO's MATLAB files store them).
func (s *fieldSet) inputOutput(timeLast bool) (in, out *array, err error) {
	if !s.timeSeries() {
		if s.input == nil {
			return nil, nil, usageErr("the data set has one frame and no input field (nu or source): nothing maps to it")
		}
		return s.input, s.frameRange(0, 1, false).withShape(append([]int{s.samples()}, s.spatial()...)), nil
	}
	return s.frameRange(0, 1, false).withShape(append([]int{s.samples()}, s.spatial()...)), s.frameRange(1, s.frames(), timeLast), nil
}

func (a *array) withShape(shape []int) *array {
	return &array{shape: shape, data: a.data, single: a.single}
}

func cmdConvert(args []string, stdout, stderr io.Writer) error {
	var cm common
	c := &convertConfig{}
	fs := newFlags("convert IN OUT", `Write a data set (a file of 'simulate generate', or one in PDEBench's flat layout) in
the layout another tool loads:
  pdebench  PDEBench's: a steady problem (darcy, poisson, helmholtz) or a 1-D trajectory set
            (burgers) in the flat layout (nu [N,x,y], tensor [N,1,x,y] or [N,t,x],
            x-/y-/t-coordinate; the input is named nu whatever the generator called it) in a
            file whose name does not end in "h5" (.hdf5), as FNODatasetSingle routes by name;
            2-D trajectories (ns2d) group per sample (0000/data [t,x,y,1], 0000/grid/x, /y,
            /t) in a .h5 file. PDEBench's loader takes the grid of sample 0023: fewer than 24
            samples load elsewhere but not there.
  mat       MATLAB level-5 .mat with FNO's and MgNO's names and axis orders: coeff and sol
            [N,x,y] for a steady problem; a [N,x,...] (the first frame), u [N,x,...,t] (the
            frames after it, time last) and t [1,t] for trajectories (FNO's NS and Burgers).
  npz       NumPy .npz for loaders of x/y pairs: x the input field or first frame [N,x,...],
            y the solution [N,x,...] or the frames after the first [N,t,x,...].
The format follows OUT's extension (.hdf5/.h5, .mat, .npz) unless --to says.`,
		"simulate generate darcy --samples 4 --n 33 --out d.h5\n  simulate convert d.h5 d.mat\n  simulate convert d.h5 d.hdf5 --to pdebench", stderr)
	cm.register(fs)
	fs.StringVar(&c.To, "to", "", "pdebench, mat or npz (default: from OUT's extension)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErr("convert needs IN and OUT, got %d arguments", len(pos))
	}
	c.In, c.Out = pos[0], pos[1]
	if c.To == "" {
		switch strings.ToLower(filepath.Ext(c.Out)) {
		case ".hdf5", ".h5":
			c.To = "pdebench"
		case ".mat":
			c.To = "mat"
		case ".npz":
			c.To = "npz"
		default:
			return usageErr("OUT %s: say --to pdebench, mat or npz (or use the extension .hdf5, .h5, .mat or .npz)", c.Out)
		}
	}
	if c.To != "pdebench" && c.To != "mat" && c.To != "npz" {
		return usageErr("unknown --to %q (available: pdebench, mat, npz)", c.To)
	}
	if filepath.Clean(c.In) == filepath.Clean(c.Out) {
		return usageErr("OUT %s is IN", c.Out)
	}
	st, err := cm.begin("convert", c, stdout, stderr, c.Out)
	if err != nil {
		return err
	}
	defer st.end()
	s, err := readFieldSet(c.In)
	if err != nil {
		return st.fail(usageErr("%v", err))
	}
	var arrays []named
	switch c.To {
	case "pdebench":
		arrays, err = writePDEBench(st, c.Out, s)
	case "mat":
		arrays, err = writeMAT(st, c.Out, s)
	case "npz":
		arrays, err = writeNPZ(st, c.Out, s)
	}
	if err != nil {
		return st.fail(err)
	}
	shapes := map[string][]int{}
	for _, a := range arrays {
		shapes[a.name] = a.a.shape
	}
	return st.report(st.summary().set("in", c.In, "out", c.Out, "to", c.To, "samples", s.samples(), "arrays", shapes))
}

// writePDEBench writes PDEBench's layouts (see cmdConvert).
func writePDEBench(st *stage, out string, s *fieldSet) ([]named, error) {
	grouped := s.timeSeries() && len(s.spatial()) >= 2
	endsH5 := strings.HasSuffix(out, "h5")
	if grouped && !endsH5 {
		return nil, usageErr("OUT %s: PDEBench reads 2-D trajectories group per sample from a file whose name ends in \"h5\" (.h5)", out)
	}
	if !grouped && endsH5 {
		return nil, usageErr("OUT %s: PDEBench's FNODatasetSingle reads any name ending in \"h5\" as a group-per-sample set; name a flat set .hdf5", out)
	}
	if grouped && s.coords["t"] == nil {
		return nil, usageErr("%s has no t-coordinate, which PDEBench's grid/t needs", out)
	}
	f, err := st.createH5(out)
	if err != nil {
		return nil, err
	}
	var arrays []named
	write := func(name string, a *array) error {
		arrays = append(arrays, named{name, a})
		if a.single {
			return h5.Write(f, name, a.shape, toFloat32(a.data), nil)
		}
		return h5.Write(f, name, a.shape, a.data, nil)
	}
	err = func() error {
		if !grouped {
			if s.input != nil {
				if err := write("nu", s.input); err != nil {
					return err
				}
			}
			if err := write("tensor", s.tensor); err != nil {
				return err
			}
			keys := make([]string, 0, len(s.coords))
			for k := range s.coords {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if err := write(k+"-coordinate", s.coords[k]); err != nil {
					return err
				}
			}
			return nil
		}
		if s.samples() < 24 {
			fmt.Fprintf(st.stderr, "convert: %d samples: PDEBench's FNODatasetSingle reads the grid of sample 0023 and will not load this file\n", s.samples())
		}
		n, t := s.samples(), s.frames()
		sp := 1
		for _, d := range s.spatial() {
			sp *= d
		}
		for i := 0; i < n; i++ {
			g := fmt.Sprintf("%04d", i)
			// data [t, x, y, 1]: the frames of sample i, a channel last.
			d := &array{shape: append(append([]int{t}, s.spatial()...), 1), data: s.tensor.data[i*t*sp : (i+1)*t*sp], single: s.tensor.single}
			if err := write(g+"/data", d); err != nil {
				return err
			}
			for _, k := range []string{"x", "y", "t"} {
				if s.coords[k] != nil {
					if err := write(g+"/grid/"+k, s.coords[k]); err != nil {
						return err
					}
				}
			}
			if err := st.ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		f.Abort()
		return nil, err
	}
	if len(arrays) > 6 {
		arrays = arrays[:4] // the summary shows the first sample's layout
	}
	return arrays, st.closeH5(f, out)
}

// writeMAT writes FNO's MATLAB names (see cmdConvert).
func writeMAT(st *stage, out string, s *fieldSet) ([]named, error) {
	in, sol, err := s.inputOutput(true)
	if err != nil {
		return nil, err
	}
	arrays := []named{{"coeff", in}, {"sol", sol}}
	if s.timeSeries() {
		arrays = []named{{"a", in}, {"u", squeezed(sol)}}
		if tc := s.coords["t"]; tc != nil {
			arrays = append(arrays, named{"t", &array{shape: []int{1, len(tc.data) - 1}, data: tc.data[1:], single: tc.single}})
		}
	}
	return arrays, st.writeFile(out, func(w io.Writer) error {
		mw, err := matfile.NewWriter(w, "written by pdekit simulate convert")
		if err != nil {
			return err
		}
		for _, a := range arrays {
			if a.a.single {
				err = mw.WriteFloat32(a.name, a.a.shape, toFloat32(a.a.data))
			} else {
				err = mw.WriteFloat64(a.name, a.a.shape, a.a.data)
			}
			if err != nil {
				return err
			}
		}
		return mw.Close()
	})
}

// writeNPZ writes x/y pairs (see cmdConvert).
func writeNPZ(st *stage, out string, s *fieldSet) ([]named, error) {
	in, sol, err := s.inputOutput(false)
	if err != nil {
		return nil, err
	}
	arrays := []named{{"x", in}, {"y", sol}}
	return arrays, st.writeFile(out, func(w io.Writer) error {
		z := npy.NewArchive(w)
		for _, a := range arrays {
			if a.a.single {
				err = npy.Add(z, a.name, a.a.shape, toFloat32(a.a.data))
			} else {
				err = npy.Add(z, a.name, a.a.shape, a.a.data)
			}
			if err != nil {
				return err
			}
		}
		return z.Close()
	})
}
