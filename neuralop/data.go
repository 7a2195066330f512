package neuralop

import (
	"fmt"
	"math"

	"github.com/pdekit/pdekit/io/h5"
)

// DataSpec says where a data set's fields are in an HDF5 file. Its zero
// value reads all of PDEBench's Darcy layout: input "nu" [N, H, W],
// output "tensor" [N, 1, H, W].
type DataSpec struct {
	// Input and Output name the datasets; empty means "nu" and "tensor".
	// Each is [N, H, W] (one channel) or [N, C, H, W].
	Input, Output string
	// From and To select the samples [From, To); To zero means to the end.
	From, To int
	// NoOutput reads the input alone (for prediction).
	NoOutput bool
	// InFrames, when positive, reads a time-dependent set: the Output
	// dataset holds trajectories [N, T, H, W] (ns2d's "tensor"), the
	// inputs are the InFrames frames from FirstFrame and the outputs the
	// OutFrames frames after them (SFNO's 10 in, 40 out), frames as
	// channels. Input is then not read; with NoOutput only the input
	// frames need to exist.
	InFrames, OutFrames, FirstFrame int
	// Windows, with InFrames, also keeps every trajectory's frames from
	// FirstFrame to its end (Data.Traj), from which Train draws each
	// sample's window of InFrames+OutFrames frames at random every epoch
	// (Spectral-Refiner's training items); X and Y hold the first window.
	Windows bool
}

// Data is a set of input and output fields in memory, float32:
// X [N, In, H, W] and Y [N, Out, H, W] (Y nil without outputs). The whole
// set is held in memory: 1000 Darcy samples at 85 x 85 take 58 MB, at
// 421 x 421 1.4 GB; larger sets are read in sample ranges.
type Data struct {
	X, Y             []float32
	N, In, Out, H, W int
	// Converted names the element type of datasets stored as float64 and
	// converted to float32 on reading (empty when none was).
	Converted string
	// Traj, when not nil (DataSpec.Windows), holds the trajectories
	// [N, Frames, H, W] whose first In+Out frames are X and Y; Train draws
	// its windows from them.
	Traj   []float32
	Frames int
}

// window copies sample i's frames [k, k+In) into x and [k+In, k+In+Out)
// into y (either may be nil) from Traj.
func (d *Data) window(x, y []float32, i, k int) {
	np := d.H * d.W
	t := d.Traj[(i*d.Frames+k)*np:]
	if x != nil {
		copy(x[:d.In*np], t)
	}
	if y != nil {
		copy(y[:d.Out*np], t[d.In*np:])
	}
}

// block returns the samples [lo, hi) as a Data sharing d's arrays.
func (d *Data) block(lo, hi int) *Data {
	px, py := d.In*d.H*d.W, d.Out*d.H*d.W
	b := *d
	b.N = hi - lo
	b.X = d.X[lo*px : hi*px]
	if d.Y != nil {
		b.Y = d.Y[lo*py : hi*py]
	}
	if d.Traj != nil {
		pt := d.Frames * d.H * d.W
		b.Traj = d.Traj[lo*pt : hi*pt]
	}
	return &b
}

// Sample returns sample i's input and output fields.
func (d *Data) Sample(i int) (x, y []float32) {
	px, py := d.In*d.H*d.W, d.Out*d.H*d.W
	x = d.X[i*px : (i+1)*px]
	if d.Y != nil {
		y = d.Y[i*py : (i+1)*py]
	}
	return x, y
}

// ReadData reads a data set from an HDF5 file written by any tool (no
// attributes of this toolkit are needed). An error names the file, the
// dataset and the problem: a missing dataset, a shape that is not
// [N, (C,) H, W], inputs and outputs on different grids or of different
// counts, a range outside the samples, a NaN or infinity (with its
// sample).
func ReadData(path string, s DataSpec) (*Data, error) {
	if s.Input == "" {
		s.Input = "nu"
	}
	if s.Output == "" {
		s.Output = "tensor"
	}
	if s.InFrames > 0 && (s.OutFrames < 0 || s.FirstFrame < 0 || (s.OutFrames == 0 && !s.NoOutput)) {
		return nil, fmt.Errorf("neuralop: %s: %d input frames from frame %d and %d output frames", path, s.InFrames, s.FirstFrame, s.OutFrames)
	}
	f, err := h5.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := &Data{}
	var n int
	if s.InFrames > 0 {
		// Both from the trajectories, in one read.
		nf := s.InFrames + s.OutFrames
		if s.NoOutput {
			nf = s.InFrames
		} else if s.Windows {
			if info, err := f.Stat(s.Output); err == nil && len(info.Dims) == 4 && info.Dims[1]-s.FirstFrame > nf {
				nf = info.Dims[1] - s.FirstFrame
			}
		}
		if d.X, n, d.In, d.H, d.W, err = readFields(f, s.Output, s.From, s.To, s.FirstFrame, nf, &d.Converted); err != nil {
			return nil, err
		}
		d.N = n
		if s.NoOutput {
			return d, nil
		}
		all := d.X
		d.X = frameRange(all, n, nf, d.H*d.W, 0, s.InFrames)
		d.Y = frameRange(all, n, nf, d.H*d.W, s.InFrames, s.OutFrames)
		d.N, d.In, d.Out = n, s.InFrames, s.OutFrames
		if s.Windows {
			d.Traj, d.Frames = all, nf
		}
		return d, nil
	}
	if d.X, n, d.In, d.H, d.W, err = readFields(f, s.Input, s.From, s.To, 0, 0, &d.Converted); err != nil {
		return nil, err
	}
	d.N = n
	if s.NoOutput {
		return d, nil
	}
	var m, h, w int
	if d.Y, m, d.Out, h, w, err = readFields(f, s.Output, s.From, s.To, 0, 0, &d.Converted); err != nil {
		return nil, err
	}
	if m != n || h != d.H || w != d.W {
		return nil, fmt.Errorf("neuralop: %s: input %q has %d samples of %d x %d, output %q %d of %d x %d",
			path, s.Input, n, d.H, d.W, s.Output, m, h, w)
	}
	return d, nil
}

// frameRange copies frames [k0, k0+nk) of each of n samples of nf frames
// of np points.
func frameRange(x []float32, n, nf, np, k0, nk int) []float32 {
	out := make([]float32, n*nk*np)
	for i := 0; i < n; i++ {
		copy(out[i*nk*np:(i+1)*nk*np], x[(i*nf+k0)*np:])
	}
	return out
}

// readFields reads samples [from, to) of a [N, H, W] or [N, C, H, W]
// dataset as float32: all channels, or nc of them from c0 when nc > 0.
func readFields(f *h5.File, name string, from, to, c0, nc int, converted *string) (data []float32, n, c, h, w int, err error) {
	info, err := f.Stat(name)
	if err != nil {
		return nil, 0, 0, 0, 0, fmt.Errorf("neuralop: %s: no dataset %q", f.Path(), name)
	}
	dims := info.Dims
	switch len(dims) {
	case 3:
		c, h, w = 1, dims[1], dims[2]
	case 4:
		c, h, w = dims[1], dims[2], dims[3]
	default:
		return nil, 0, 0, 0, 0, fmt.Errorf("neuralop: %s: dataset %q is %v, want [N, H, W] or [N, C, H, W]", f.Path(), name, dims)
	}
	if to == 0 {
		to = dims[0]
	}
	if from < 0 || to > dims[0] || from >= to {
		return nil, 0, 0, 0, 0, fmt.Errorf("neuralop: %s: samples %d:%d of dataset %q, which has %d", f.Path(), from, to, name, dims[0])
	}
	off := make([]int, len(dims))
	cnt := append([]int{to - from}, dims[1:]...)
	off[0] = from
	if nc > 0 {
		if len(dims) != 4 || c0+nc > c {
			return nil, 0, 0, 0, 0, fmt.Errorf("neuralop: %s: frames %d:%d of dataset %q %v, which has %d", f.Path(), c0, c0+nc, name, dims, c)
		}
		off[1], cnt[1], c = c0, nc, nc
	}
	switch info.Type {
	case "float32":
		data, err = h5.ReadSlab[float32](f, name, off, cnt, nil)
	case "float64":
		var d64 []float64
		if d64, err = h5.ReadSlab[float64](f, name, off, cnt, nil); err == nil {
			data = make([]float32, len(d64))
			for i, v := range d64 {
				data[i] = float32(v)
			}
			*converted = "float64"
		}
	default:
		return nil, 0, 0, 0, 0, fmt.Errorf("neuralop: %s: dataset %q holds %s, want float32 or float64", f.Path(), name, info.Type)
	}
	if err != nil {
		return nil, 0, 0, 0, 0, err
	}
	per := c * h * w
	for i, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, 0, 0, 0, 0, fmt.Errorf("neuralop: %s: dataset %q has %v in sample %d", f.Path(), name, v, from+i/per)
		}
	}
	return data, to - from, c, h, w, nil
}

// Normalizer maps fields to zero mean and unit variance and back:
// Encode computes (x - Mean) / (Std + Eps), Decode x (Std + Eps) + Mean.
// Mean and Std hold one value per grid point and channel (a UnitGaussian
// normaliser, FNO's and MgNO's) or one value for all (a Gaussian one).
type Normalizer struct {
	Mean, Std []float32
	Eps       float64
}

// FitUnitGaussian returns the point-wise normaliser of n samples of p
// values each in x: the mean and the standard deviation (with n-1, as
// torch.std) of every point over the samples, eps 1e-5, FNO's
// UnitGaussianNormalizer.
func FitUnitGaussian(x []float32, n int) Normalizer {
	p := len(x) / n
	z := Normalizer{Mean: make([]float32, p), Std: make([]float32, p), Eps: 1e-5}
	sum, sq := make([]float64, p), make([]float64, p)
	for k := 0; k < n; k++ {
		for i, v := range x[k*p : (k+1)*p] {
			sum[i] += float64(v)
		}
	}
	for i := range sum {
		sum[i] /= float64(n)
	}
	for k := 0; k < n; k++ {
		for i, v := range x[k*p : (k+1)*p] {
			d := float64(v) - sum[i]
			sq[i] += d * d
		}
	}
	for i := range sum {
		z.Mean[i] = float32(sum[i])
		z.Std[i] = float32(math.Sqrt(sq[i] / float64(max(n-1, 1))))
	}
	return z
}

// FitGaussian returns the scalar normaliser of all values of x (one mean
// and one standard deviation, with n-1), eps 1e-5, FNO's
// GaussianNormalizer.
func FitGaussian(x []float32) Normalizer {
	z := FitUnitGaussian(x, len(x))
	return z
}

// scale returns Std + Eps for point i.
func (z *Normalizer) at(i int) (mean, scale float32) {
	if len(z.Mean) == 1 {
		i = 0
	}
	return z.Mean[i], z.Std[i] + float32(z.Eps)
}

// Encode sets dst = (src - Mean) / (Std + Eps) for samples of len(Mean)
// values (one mean for all when the normaliser is Gaussian); dst and src
// may be the same slice.
func (z *Normalizer) Encode(dst, src []float32) {
	p := len(z.Mean)
	for k := range src {
		m, s := z.at(k % p)
		dst[k] = (src[k] - m) / s
	}
}

// Decode is the inverse of Encode.
func (z *Normalizer) Decode(dst, src []float32) {
	p := len(z.Mean)
	for k := range src {
		m, s := z.at(k % p)
		dst[k] = src[k]*s + m
	}
}

// affine returns the decoding's scale and shift per point of a p-value
// sample, for the tape's Affine.
func (z *Normalizer) affine(p int) (scale, shift []float32) {
	scale, shift = make([]float32, p), make([]float32, p)
	for i := range scale {
		shift[i], scale[i] = z.at(i)
	}
	return scale, shift
}
