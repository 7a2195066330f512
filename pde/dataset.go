package pde

import (
	"context"
	"fmt"
	"math"
)

// Field is one array a data set stores per sample, in float32.
type Field struct {
	// Name is the dataset name in the file (PDEBench's: "tensor" for the
	// solution, "nu" for a coefficient).
	Name string
	// Shape is the shape of one sample.
	Shape []int
}

// Len returns the number of values of one sample.
func (f Field) Len() int {
	n := 1
	for _, s := range f.Shape {
		n *= s
	}
	return n
}

// Coordinate is a grid coordinate stored beside the fields
// ("x-coordinate", "t-coordinate", ...).
type Coordinate struct {
	Name   string
	Values []float64
}

// Dataset is a recipe for a PDE data set. Sample i is a function of the
// recipe alone and i: its random source is SampleRand(Seed, i). So shards of
// a data set can be made on any machines, in any split, and merged.
type Dataset interface {
	// Check validates the recipe (after defaults are filled in) and
	// returns an error naming the bad field.
	Check() error
	// Fields are the arrays of one sample.
	Fields() []Field
	// Coordinates are the grid coordinates of the fields.
	Coordinates() []Coordinate
	// NewWorker returns a worker; use one per goroutine.
	NewWorker() (Worker, error)
}

// Worker makes samples.
type Worker interface {
	// Sample writes sample i into out, one slice per field of
	// Dataset.Fields, each of the field's length.
	Sample(ctx context.Context, i int, out [][]float32) error
}

// nodeOut returns the output size of an n-node grid subsampled by stride
// sub ([::sub], boundary kept): (n-1)/sub + 1, and an error unless n >= 3
// and sub divides n-1.
func nodeOut(n, sub int) (int, error) {
	if n < 3 {
		return 0, fmt.Errorf("pde: N %d nodes per side, want >= 3", n)
	}
	if sub < 1 || (n-1)%sub != 0 {
		return 0, fmt.Errorf("pde: Sub %d must divide N-1 = %d so that the boundary nodes are kept", sub, n-1)
	}
	return (n-1)/sub + 1, nil
}

// periodicOut returns n/sub and an error unless n is even, >= 4, and sub
// divides it.
func periodicOut(n, sub int) (int, error) {
	if n < 4 || n%2 != 0 {
		return 0, fmt.Errorf("pde: N %d points per side, want even and >= 4", n)
	}
	if sub < 1 || n%sub != 0 {
		return 0, fmt.Errorf("pde: Sub %d must divide N = %d", sub, n)
	}
	return n / sub, nil
}

// stride2 copies src (n x n, row-major) subsampled by sub into dst as float32.
func stride2(dst []float32, src []float64, n, sub int) {
	m := 0
	for i := 0; i < n; i += sub {
		for j := 0; j < n; j += sub {
			dst[m] = float32(src[i*n+j])
			m++
		}
	}
}

// bilinear2 copies src (n x n, row-major) downsampled by the integer factor
// sub into dst as float32 the way PyTorch's F.interpolate(mode="bilinear",
// align_corners=False) does: output point i samples the input at
// sub*i + (sub-1)/2, halfway between two input points when sub is even
// (the 2 x 2 average) and on one when it is odd.
func bilinear2(dst []float32, src []float64, n, sub int) {
	lo, hi := (sub-1)/2, sub/2
	m := 0
	for i := 0; i < n/sub; i++ {
		r0, r1 := sub*i+lo, sub*i+hi
		for j := 0; j < n/sub; j++ {
			c0, c1 := sub*j+lo, sub*j+hi
			dst[m] = float32(0.25 * (src[r0*n+c0] + src[r0*n+c1] + src[r1*n+c0] + src[r1*n+c1]))
			m++
		}
	}
}

// frameSteps returns the number of steps between frames, and an error
// unless the frame spacing is a whole number of steps.
func frameSteps(start, end float64, frames int, dt float64) (int, error) {
	if !(end > start) || start < 0 {
		return 0, fmt.Errorf("pde: time window [%v, %v] is empty or starts before 0", start, end)
	}
	if frames < 1 {
		return 0, fmt.Errorf("pde: Frames %d, want >= 1", frames)
	}
	if !(dt > 0) {
		return 0, fmt.Errorf("pde: Dt %v, want positive", dt)
	}
	k := (end - start) / float64(frames) / dt
	r := math.Round(k)
	if r < 1 || math.Abs(k-r) > 1e-9*r {
		return 0, fmt.Errorf("pde: frame spacing (End-Start)/Frames = %v is not a whole number of steps Dt = %v", (end-start)/float64(frames), dt)
	}
	if s := start / dt; math.Abs(s-math.Round(s)) > 1e-9*math.Max(1, s) {
		return 0, fmt.Errorf("pde: Start %v is not a whole number of steps Dt = %v", start, dt)
	}
	return int(r), nil
}

func linspace(n int, h float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i) * h
	}
	return x
}

// DarcyData is FNO's Darcy flow data set: the coefficient a is a Neumann
// random field (Alpha, Tau) thresholded to High where it is >= 0 and Low
// elsewhere, the solution solves -div(a grad u) = 1 with u = 0 on the
// boundary on the N x N node grid, and both are stored subsampled by Sub
// (421 with Sub 5, 3, 2 gives the published 85, 141, 211). Fields: "nu"
// [s, s] (the coefficient, PDEBench's name) and "tensor" [1, s, s].
// Zero fields take the published values: N 421, Sub 1, Alpha 2, Tau 3,
// High 12, Low 3, Tol 1e-10. Where the recipe differs from FNO's
// published one, PublishedDifference says how and by how much.
type DarcyData struct {
	N, Sub     int
	Alpha, Tau float64
	High, Low  float64
	Tol        float64
	Seed       uint64
}

// PublishedDifference says how the recipe differs from FNO's published
// one (its MATLAB generator), and by how much; generate stores it in the
// file's configuration.
func (d *DarcyData) PublishedDifference() string {
	return "FNO's MATLAB solver spline-interpolates the cell-centred coefficient to the nodes and back; here the thresholded field is taken at the nodes directly: the solutions differ by 0.2-1.7% (relative L2) from that solver's for the same coefficient"
}

// Defaults fills in the zero fields.
func (d *DarcyData) Defaults() {
	setInt(&d.N, 421)
	setInt(&d.Sub, 1)
	setFloat(&d.Alpha, 2)
	setFloat(&d.Tau, 3)
	setFloat(&d.High, 12)
	setFloat(&d.Low, 3)
	setFloat(&d.Tol, 1e-10)
}

func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func setFloat(p *float64, v float64) {
	if *p == 0 {
		*p = v
	}
}

// Check implements Dataset.
func (d *DarcyData) Check() error {
	if _, err := nodeOut(d.N, d.Sub); err != nil {
		return err
	}
	if !(d.High > 0) || !(d.Low > 0) {
		return fmt.Errorf("pde: Darcy High %v and Low %v must be positive", d.High, d.Low)
	}
	return checkGRF(d.Alpha, d.Tau, 1, []int{d.N})
}

// Fields implements Dataset.
func (d *DarcyData) Fields() []Field { return nodeFields(d.N, d.Sub, "nu", 1) }

// Coordinates implements Dataset.
func (d *DarcyData) Coordinates() []Coordinate { return nodeCoordinates(d.N, d.Sub) }

// nodeFields returns the fields of a node-grid data set: the input field
// [s, s] and the solution "tensor" [frames, s, s].
func nodeFields(n, sub int, input string, frames int) []Field {
	s, _ := nodeOut(n, sub)
	return []Field{{input, []int{s, s}}, {"tensor", []int{frames, s, s}}}
}

// nodeCoordinates returns the x- and y-coordinates of a subsampled node grid.
func nodeCoordinates(n, sub int) []Coordinate {
	s, _ := nodeOut(n, sub)
	x := linspace(s, 1/float64(s-1))
	return []Coordinate{{"x-coordinate", x}, {"y-coordinate", x}}
}

// NewWorker implements Dataset.
func (d *DarcyData) NewWorker() (Worker, error) {
	g, err := NewNeumannGRF(d.Alpha, d.Tau, d.N, d.N)
	if err != nil {
		return nil, err
	}
	e, err := NewElliptic(d.N, 0, d.Tol)
	if err != nil {
		return nil, err
	}
	nn := d.N * d.N
	return &darcyWorker{d: d, grf: g, e: e, field: make([]float64, nn), a: make([]float64, nn),
		u: make([]float64, nn), work: make([]float64, nn)}, nil
}

type darcyWorker struct {
	d                 *DarcyData
	grf               *NeumannGRF
	e                 *Elliptic
	field, a, u, work []float64
}

func (w *darcyWorker) Sample(ctx context.Context, i int, out [][]float32) error {
	w.coefficient(i)
	if err := w.e.SetCoefficient(w.a); err != nil {
		return err
	}
	return solveAndStore(ctx, w.e, i, out, w.u, w.a, nil, w.d.N, w.d.Sub)
}

func (w *darcyWorker) coefficient(i int) {
	w.grf.Sample(w.field, SampleRand(w.d.Seed, i), w.work)
	Threshold(w.a, w.field, w.d.High, w.d.Low)
}

// Coefficient returns the coefficient a of sample i on the N x N nodes,
// row-major (the "nu" field of the data set before subsampling): the
// system of that sample without solving it. Call Defaults first.
func (d *DarcyData) Coefficient(i int) ([]float64, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	w, err := d.NewWorker()
	if err != nil {
		return nil, err
	}
	dw := w.(*darcyWorker)
	dw.coefficient(i)
	return dw.a, nil
}

// solveAndStore solves the elliptic problem with source f (nil: 1) from a
// zero guess into u and stores the input field and u, subsampled, in out.
func solveAndStore(ctx context.Context, e *Elliptic, i int, out [][]float32, u, input, f []float64, n, sub int) error {
	clear(u)
	if err := e.Solve(ctx, u, f); err != nil {
		return fmt.Errorf("sample %d: %w", i, err)
	}
	stride2(out[0], input, n, sub)
	stride2(out[1], u, n, sub)
	return nil
}

// NSData is the 2-D Navier-Stokes vorticity data set of FNO: the initial
// vorticity is a periodic random field (Alpha, Tau, Sigma), the forcing
// 0.1 (sin 2 pi (x+y) + cos 2 pi (x+y)), the viscosity Nu; NS2D integrates on
// the N x N grid with step Dt and Frames+1 snapshots at Start + j
// (End-Start)/Frames, j = 0..Frames, are stored subsampled by Sub: every
// Sub-th point (FNO's published files), or with Bilinear the bilinear
// downsampling of Spectral-Refiner's data (PyTorch's F.interpolate,
// align_corners=False). Field: "tensor" [Frames+1, s, s]. Zero fields take
// FNO's values for the viscosity 1e-3 set: N 256, Sub 4 (64), Nu 1e-3, Dt
// 1e-3, Start 0, End 50, Frames 50, Alpha 2.5, Tau 7, Sigma 7^1.5
// (Spectral-Refiner: Start 30, End 50, Frames 100, Bilinear). Where the
// recipe differs from FNO's published one, PublishedDifference says how
// and by how much.
type NSData struct {
	N, Sub            int
	Nu, Dt            float64
	Start, End        float64
	Frames            int
	Alpha, Tau, Sigma float64
	Bilinear          bool
	Seed              uint64
}

// PublishedDifference says how the recipe differs from FNO's published
// one (ns_2d.py), and by how much; generate stores it in the file's
// configuration.
func (d *NSData) PublishedDifference() string {
	return "time stepping: Heun's method for the advection with Crank-Nicolson diffusion at Dt (1e-3 by default); FNO's ns_2d.py takes one Euler/Crank-Nicolson stage at dt 1e-4: the trajectories differ from that scheme's by 3-5e-5 (relative)"
}

// Defaults fills in the zero fields.
func (d *NSData) Defaults() {
	setInt(&d.N, 256)
	setInt(&d.Sub, 4)
	setFloat(&d.Nu, 1e-3)
	setFloat(&d.Dt, 1e-3)
	setFloat(&d.End, 50)
	setInt(&d.Frames, 50)
	setFloat(&d.Alpha, 2.5)
	setFloat(&d.Tau, 7)
	setFloat(&d.Sigma, math.Pow(7, 1.5))
}

// Check implements Dataset.
func (d *NSData) Check() error {
	if _, err := periodicOut(d.N, d.Sub); err != nil {
		return err
	}
	if !(d.Nu >= 0) {
		return fmt.Errorf("pde: Navier-Stokes Nu %v, want >= 0", d.Nu)
	}
	if _, err := frameSteps(d.Start, d.End, d.Frames, d.Dt); err != nil {
		return err
	}
	return checkGRF(d.Alpha, d.Tau, d.Sigma, []int{d.N})
}

// Fields implements Dataset.
func (d *NSData) Fields() []Field {
	s, _ := periodicOut(d.N, d.Sub)
	return []Field{{"tensor", []int{d.Frames + 1, s, s}}}
}

// Coordinates implements Dataset.
func (d *NSData) Coordinates() []Coordinate {
	s, _ := periodicOut(d.N, d.Sub)
	x := linspace(s, 1/float64(s))
	t := linspace(d.Frames+1, (d.End-d.Start)/float64(d.Frames))
	for i := range t {
		t[i] += d.Start
	}
	return []Coordinate{{"x-coordinate", x}, {"y-coordinate", x}, {"t-coordinate", t}}
}

// NewWorker implements Dataset.
func (d *NSData) NewWorker() (Worker, error) {
	g, err := NewPeriodicGRF(d.Alpha, d.Tau, d.Sigma, d.N, d.N)
	if err != nil {
		return nil, err
	}
	s, err := NewNS2D(d.N, d.Nu, d.Dt, FNOForcing(d.N))
	if err != nil {
		return nil, err
	}
	every, err := frameSteps(d.Start, d.End, d.Frames, d.Dt)
	if err != nil {
		return nil, err
	}
	return &nsWorker{d: d, grf: g, ns: s, every: every, w: make([]float64, d.N*d.N)}, nil
}

type nsWorker struct {
	d     *NSData
	grf   *PeriodicGRF
	ns    *NS2D
	every int
	w     []float64
}

func (w *nsWorker) Sample(ctx context.Context, i int, out [][]float32) error {
	d := w.d
	w.grf.Sample(w.w, SampleRand(d.Seed, i), nil)
	if err := w.ns.SetVorticity(w.w, 0); err != nil {
		return err
	}
	if warm := int(math.Round(d.Start / d.Dt)); warm > 0 {
		if err := w.ns.Advance(warm); err != nil {
			return fmt.Errorf("sample %d: %w", i, err)
		}
	}
	s, _ := periodicOut(d.N, d.Sub)
	down := stride2
	if d.Bilinear {
		down = bilinear2
	}
	return recordFrames(ctx, i, d.Frames, func() error { return w.ns.Advance(w.every) }, func(f int) {
		w.ns.Vorticity(w.w)
		down(out[0][f*s*s:(f+1)*s*s], w.w, d.N, d.Sub)
	})
}

// recordFrames stores frame 0, then advances and stores frames 1..frames,
// stopping on cancellation or a failed advance (sample i's error).
func recordFrames(ctx context.Context, i, frames int, advance func() error, store func(f int)) error {
	for f := 0; f <= frames; f++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f > 0 {
			if err := advance(); err != nil {
				return fmt.Errorf("sample %d: %w", i, err)
			}
		}
		store(f)
	}
	return nil
}

// BurgersData is the 1-D viscous Burgers data set of FNO's generator: the
// initial condition is a periodic random field (Alpha, Tau, Sigma), Burgers
// integrates on N points with step Dt, and Frames+1 snapshots on [0, End]
// are stored subsampled by Sub. Field: "tensor" [Frames+1, s] (PDEBench's
// 1-D layout). Zero fields take the values of gen_burgers1.m: N 1024,
// Sub 1, Nu 1e-3, Dt 1e-4, End 1, Frames 200, Alpha 2.5, Tau 7, Sigma 49.
// Where the recipe differs from FNO's published one, PublishedDifference
// says how and by how much.
type BurgersData struct {
	N, Sub            int
	Nu, Dt, End       float64
	Frames            int
	Alpha, Tau, Sigma float64
	Seed              uint64
}

// PublishedDifference says how the recipe differs from FNO's published
// one (gen_burgers1.m with GRF1.m), and by how much; generate stores it in
// the file's configuration.
func (d *BurgersData) PublishedDifference() string {
	return "the initial random field has twice the variance of GRF1.m's at the same Sigma (sqrt 2 times its amplitude): Sigma/sqrt(2) gives GRF1.m's field"
}

// Defaults fills in the zero fields.
func (d *BurgersData) Defaults() {
	setInt(&d.N, 1024)
	setInt(&d.Sub, 1)
	setFloat(&d.Nu, 1e-3)
	setFloat(&d.Dt, 1e-4)
	setFloat(&d.End, 1)
	setInt(&d.Frames, 200)
	setFloat(&d.Alpha, 2.5)
	setFloat(&d.Tau, 7)
	setFloat(&d.Sigma, 49)
}

// Check implements Dataset.
func (d *BurgersData) Check() error {
	if _, err := periodicOut(d.N, d.Sub); err != nil {
		return err
	}
	if !(d.Nu > 0) {
		return fmt.Errorf("pde: Burgers Nu %v, want positive", d.Nu)
	}
	if _, err := frameSteps(0, d.End, d.Frames, d.Dt); err != nil {
		return err
	}
	return checkGRF(d.Alpha, d.Tau, d.Sigma, []int{d.N})
}

// Fields implements Dataset.
func (d *BurgersData) Fields() []Field {
	s, _ := periodicOut(d.N, d.Sub)
	return []Field{{"tensor", []int{d.Frames + 1, s}}}
}

// Coordinates implements Dataset.
func (d *BurgersData) Coordinates() []Coordinate {
	s, _ := periodicOut(d.N, d.Sub)
	return []Coordinate{{"x-coordinate", linspace(s, 1/float64(s))}, {"t-coordinate", linspace(d.Frames+1, d.End/float64(d.Frames))}}
}

// NewWorker implements Dataset.
func (d *BurgersData) NewWorker() (Worker, error) {
	g, err := NewPeriodicGRF(d.Alpha, d.Tau, d.Sigma, d.N)
	if err != nil {
		return nil, err
	}
	b, err := NewBurgers(d.N, d.Nu, d.Dt)
	if err != nil {
		return nil, err
	}
	every, err := frameSteps(0, d.End, d.Frames, d.Dt)
	if err != nil {
		return nil, err
	}
	return &burgersWorker{d: d, grf: g, b: b, every: every, u: make([]float64, d.N)}, nil
}

type burgersWorker struct {
	d     *BurgersData
	grf   *PeriodicGRF
	b     *Burgers
	every int
	u     []float64
}

func (w *burgersWorker) Sample(ctx context.Context, i int, out [][]float32) error {
	d := w.d
	w.grf.Sample(w.u, SampleRand(d.Seed, i), nil)
	if err := w.b.Set(w.u, 0); err != nil {
		return err
	}
	s, _ := periodicOut(d.N, d.Sub)
	return recordFrames(ctx, i, d.Frames, func() error { return w.b.Advance(w.every) }, func(f int) {
		w.b.State(w.u)
		for j := 0; j < s; j++ {
			out[0][f*s+j] = float32(w.u[j*d.Sub])
		}
	})
}

// EllipticData is the Poisson (K = 0) or Helmholtz (K > 0) data set:
// -Laplacian u - K^2 u = f on the unit square, u = 0 on the boundary, f a
// Neumann random field (Alpha, Tau) on the N x N node grid; stored
// subsampled by Sub. Fields: "source" [s, s] and "tensor" [1, s, s]. Zero
// fields mean N 129, Sub 1, Alpha 2, Tau 3, Tol 1e-10.
type EllipticData struct {
	N, Sub     int
	K          float64
	Alpha, Tau float64
	Tol        float64
	Seed       uint64
}

// Defaults fills in the zero fields.
func (d *EllipticData) Defaults() {
	setInt(&d.N, 129)
	setInt(&d.Sub, 1)
	setFloat(&d.Alpha, 2)
	setFloat(&d.Tau, 3)
	setFloat(&d.Tol, 1e-10)
}

// Check implements Dataset.
func (d *EllipticData) Check() error {
	if _, err := nodeOut(d.N, d.Sub); err != nil {
		return err
	}
	if !(d.K >= 0) || math.IsInf(d.K, 1) {
		return fmt.Errorf("pde: wavenumber K %v, want >= 0 and finite", d.K)
	}
	return checkGRF(d.Alpha, d.Tau, 1, []int{d.N})
}

// Fields implements Dataset.
func (d *EllipticData) Fields() []Field { return nodeFields(d.N, d.Sub, "source", 1) }

// Coordinates implements Dataset.
func (d *EllipticData) Coordinates() []Coordinate { return nodeCoordinates(d.N, d.Sub) }

// NewWorker implements Dataset.
func (d *EllipticData) NewWorker() (Worker, error) {
	g, err := NewNeumannGRF(d.Alpha, d.Tau, d.N, d.N)
	if err != nil {
		return nil, err
	}
	e, err := NewElliptic(d.N, -d.K*d.K, d.Tol)
	if err != nil {
		return nil, err
	}
	if err := e.SetCoefficient(nil); err != nil {
		return nil, err
	}
	nn := d.N * d.N
	return &ellipticWorker{d: d, grf: g, e: e, f: make([]float64, nn), u: make([]float64, nn), work: make([]float64, nn)}, nil
}

type ellipticWorker struct {
	d          *EllipticData
	grf        *NeumannGRF
	e          *Elliptic
	f, u, work []float64
}

func (w *ellipticWorker) Sample(ctx context.Context, i int, out [][]float32) error {
	w.grf.Sample(w.f, SampleRand(w.d.Seed, i), w.work)
	return solveAndStore(ctx, w.e, i, out, w.u, w.f, w.f, w.d.N, w.d.Sub)
}

// HeatData is the heat equation with a random diffusivity: u_t = div(a
// grad u) on the unit square, u = 0 on the boundary, a = exp(g) for a
// Neumann random field g (Alpha, Tau), and u(0) = 16 x(1-x) y(1-y) h for an
// independent one h; Heat integrates on the N x N node grid with step Dt
// and Frames+1 snapshots on [0, End] are stored subsampled by Sub. Fields:
// "nu" [s, s] (the diffusivity) and "tensor" [Frames+1, s, s]. Zero fields
// mean N 65, Sub 1, Dt 1e-3, End 0.05, Frames 10, Alpha 2, Tau 3, Tol
// 1e-10.
type HeatData struct {
	N, Sub     int
	Dt, End    float64
	Frames     int
	Alpha, Tau float64
	Tol        float64
	Seed       uint64
}

// Defaults fills in the zero fields.
func (d *HeatData) Defaults() {
	setInt(&d.N, 65)
	setInt(&d.Sub, 1)
	setFloat(&d.Dt, 1e-3)
	setFloat(&d.End, 0.05)
	setInt(&d.Frames, 10)
	setFloat(&d.Alpha, 2)
	setFloat(&d.Tau, 3)
	setFloat(&d.Tol, 1e-10)
}

// Check implements Dataset.
func (d *HeatData) Check() error {
	if _, err := nodeOut(d.N, d.Sub); err != nil {
		return err
	}
	if _, err := frameSteps(0, d.End, d.Frames, d.Dt); err != nil {
		return err
	}
	return checkGRF(d.Alpha, d.Tau, 1, []int{d.N})
}

// Fields implements Dataset.
func (d *HeatData) Fields() []Field { return nodeFields(d.N, d.Sub, "nu", d.Frames+1) }

// Coordinates implements Dataset.
func (d *HeatData) Coordinates() []Coordinate {
	return append(nodeCoordinates(d.N, d.Sub), Coordinate{"t-coordinate", linspace(d.Frames+1, d.End/float64(d.Frames))})
}

// NewWorker implements Dataset.
func (d *HeatData) NewWorker() (Worker, error) {
	g, err := NewNeumannGRF(d.Alpha, d.Tau, d.N, d.N)
	if err != nil {
		return nil, err
	}
	every, err := frameSteps(0, d.End, d.Frames, d.Dt)
	if err != nil {
		return nil, err
	}
	nn := d.N * d.N
	return &heatWorker{d: d, grf: g, every: every, a: make([]float64, nn), u: make([]float64, nn), work: make([]float64, nn)}, nil
}

type heatWorker struct {
	d          *HeatData
	grf        *NeumannGRF
	every      int
	a, u, work []float64
}

func (w *heatWorker) Sample(ctx context.Context, i int, out [][]float32) error {
	d, n := w.d, w.d.N
	rng := SampleRand(d.Seed, i)
	w.grf.Sample(w.a, rng, w.work)
	for p, v := range w.a {
		w.a[p] = math.Exp(v)
	}
	w.grf.Sample(w.u, rng, w.work)
	h := 1 / float64(n-1)
	for r := 0; r < n; r++ {
		x := float64(r) * h
		for c := 0; c < n; c++ {
			y := float64(c) * h
			w.u[r*n+c] *= 16 * x * (1 - x) * y * (1 - y)
		}
	}
	heat, err := NewHeat(n, d.Dt, w.a, d.Tol)
	if err != nil {
		return err
	}
	s, _ := nodeOut(n, d.Sub)
	stride2(out[0], w.a, n, d.Sub)
	return recordFrames(ctx, i, d.Frames, func() error {
		for k := 0; k < w.every; k++ {
			if err := heat.Step(ctx, w.u); err != nil {
				return err
			}
		}
		return nil
	}, func(f int) { stride2(out[1][f*s*s:(f+1)*s*s], w.u, n, d.Sub) })
}
