package relax

import (
	"fmt"
	"math"
)

// State is a policy's learned state as plain data, so that a long
// simulation can stop and resume without losing what was learned:
// Snapshot takes it, Restore rebuilds the policy, and io/h5's WriteState
// and ReadState store it as an HDF5 group (State satisfies h5.State).
// Restoring and continuing gives the same choices, bit for bit, as never
// having stopped.
type State struct {
	// Kind names the policy: fixed, tsallis-inf, tsallis-inf-cb, chebcb
	// or oracle.
	Kind    string
	Scalars map[string]float64
	Vectors map[string][]float64
	// RNG is the random stream's state (nil for deterministic policies).
	RNG []byte
}

// StateFields returns the state's fields, for storage (io/h5.State).
func (s *State) StateFields() (kind string, scalars map[string]float64, vectors map[string][]float64, blob []byte) {
	return s.Kind, s.Scalars, s.Vectors, s.RNG
}

// SetStateFields sets the state's fields, from storage (io/h5.State).
func (s *State) SetStateFields(kind string, scalars map[string]float64, vectors map[string][]float64, blob []byte) {
	s.Kind, s.Scalars, s.Vectors, s.RNG = kind, scalars, vectors, blob
}

// Snapshot returns the state of p, which must be one of this package's
// policies and between rounds (not chosen and awaiting Update).
func Snapshot(p Policy) (*State, error) {
	s := &State{Scalars: map[string]float64{}, Vectors: map[string][]float64{}}
	var err error
	switch p := p.(type) {
	case Fixed:
		s.Kind = "fixed"
		s.Scalars["omega"] = float64(p)
	case *Oracle:
		s.Kind = "oracle"
		s.Scalars["mode"] = float64(p.Mode)
		s.Scalars["points"] = float64(p.Points)
		s.Scalars["omega"] = p.omega
		if p.Grid != nil {
			s.Vectors["grid"] = clone(p.Grid)
		}
	case *TsallisINF:
		if p.last >= 0 {
			return nil, fmt.Errorf("relax: snapshot of Tsallis-INF between Choose and Update")
		}
		s.Kind = "tsallis-inf"
		s.Vectors["grid"] = clone(p.grid)
		s.Vectors["k"] = clone(p.k)
		s.Scalars["t"] = float64(p.t)
		s.Scalars["sum"] = p.sum
		s.Scalars["count"] = float64(p.count)
		s.RNG, err = p.src.pcg.MarshalBinary()
	case *TsallisINFCB:
		if p.last >= 0 {
			return nil, fmt.Errorf("relax: snapshot of Tsallis-INF-CB between Choose and Update")
		}
		s.Kind = "tsallis-inf-cb"
		s.Scalars["lo"], s.Scalars["hi"] = p.lo, p.hi
		s.Vectors["grid"] = clone(p.bins[0].grid)
		var k, t, sum, count []float64
		for _, b := range p.bins {
			k = append(k, b.k...)
			t = append(t, float64(b.t))
			sum = append(sum, b.sum)
			count = append(count, float64(b.count))
		}
		s.Vectors["k"], s.Vectors["t"], s.Vectors["sum"], s.Vectors["count"] = k, t, sum, count
		s.RNG, err = p.src.pcg.MarshalBinary()
	case *ChebCB:
		if p.last >= 0 {
			return nil, fmt.Errorf("relax: snapshot of ChebCB between Choose and Update")
		}
		s.Kind = "chebcb"
		for name, v := range map[string]float64{"m": float64(p.m), "lo": p.lo, "hi": p.hi, "t": float64(p.t),
			"eta": p.eta, "scale": p.scale, "kmax": p.kmax, "kmin": p.kmin, "spp": p.spp, "spl": p.spl, "sll": p.sll} {
			s.Scalars[name] = v
		}
		s.Vectors["grid"] = clone(p.grid)
		s.Vectors["theta"] = clone(p.theta)
		var r, qty, rss0, rows []float64
		for _, f := range p.fits {
			r = append(r, f.r...)
			qty = append(qty, f.qty...)
			rss0 = append(rss0, f.rss0)
			rows = append(rows, float64(f.rows))
		}
		s.Vectors["r"], s.Vectors["qty"], s.Vectors["rss0"], s.Vectors["rows"] = r, qty, rss0, rows
		s.RNG, err = p.src.pcg.MarshalBinary()
	default:
		return nil, fmt.Errorf("relax: cannot snapshot a policy of type %T", p)
	}
	if err != nil {
		return nil, fmt.Errorf("relax: saving the random stream: %w", err)
	}
	return s, nil
}

func clone(v []float64) []float64 { return append([]float64(nil), v...) }

// Restore rebuilds the policy a State describes. It returns an error
// naming the first missing or inconsistent field.
func Restore(s *State) (Policy, error) {
	r := restorer{s: s}
	switch s.Kind {
	case "fixed":
		w := r.scalar("omega")
		if r.err == nil && !(w > 0 && w < 2) {
			return nil, fmt.Errorf("relax: state: fixed omega %v not in (0, 2)", w)
		}
		return Fixed(w), r.err
	case "oracle":
		o := &Oracle{Mode: Mode(r.integer("mode")), Points: r.integer("points"), omega: r.scalar("omega"), Grid: s.Vectors["grid"]}
		if o.Grid != nil {
			r.grid("grid")
		}
		return o, r.err
	case "tsallis-inf":
		grid := r.grid("grid")
		src := r.source()
		if r.err != nil {
			return nil, r.err
		}
		b := newTsallisINF(grid, src)
		b.k = r.vector("k", len(grid))
		b.t, b.sum, b.count = r.integer("t"), r.scalar("sum"), r.integer("count")
		if r.err == nil && b.t < 1 {
			r.fail("t = %d, want >= 1", b.t)
		}
		return b, r.err
	case "tsallis-inf-cb":
		grid := r.grid("grid")
		lo, hi := r.scalar("lo"), r.scalar("hi")
		t := s.Vectors["t"]
		src := r.source()
		if r.err != nil {
			return nil, r.err
		}
		m, d := len(t), len(grid)
		if m == 0 {
			return nil, fmt.Errorf("relax: state: tsallis-inf-cb has no bins")
		}
		b, err := NewTsallisINFCB(grid, m, lo, hi, 0)
		if err != nil {
			return nil, fmt.Errorf("relax: state: %w", err)
		}
		b.src = src
		k, sum, count := r.vector("k", m*d), r.vector("sum", m), r.vector("count", m)
		if r.err != nil {
			return nil, r.err
		}
		for i, bin := range b.bins {
			bin.src = src
			copy(bin.k, k[i*d:(i+1)*d])
			bin.t, bin.sum, bin.count = int(t[i]), sum[i], int(count[i])
		}
		return b, nil
	case "chebcb":
		grid := r.grid("grid")
		m := r.integer("m")
		lo, hi := r.scalar("lo"), r.scalar("hi")
		src := r.source()
		if r.err != nil {
			return nil, r.err
		}
		b, err := NewChebCB(grid, m, lo, hi, 0)
		if err != nil {
			return nil, fmt.Errorf("relax: state: %w", err)
		}
		b.src = src
		d := len(grid)
		b.t = r.integer("t")
		b.eta, b.scale, b.kmax, b.kmin = r.scalar("eta"), r.scalar("scale"), r.scalar("kmax"), r.scalar("kmin")
		b.spp, b.spl, b.sll = r.scalar("spp"), r.scalar("spl"), r.scalar("sll")
		copy(b.theta, r.vector("theta", d*m))
		rr, qty, rss0, rows := r.vector("r", d*m*m), r.vector("qty", d*m), r.vector("rss0", d), r.vector("rows", d)
		if r.err != nil {
			return nil, r.err
		}
		for i, f := range b.fits {
			copy(f.r, rr[i*m*m:(i+1)*m*m])
			copy(f.qty, qty[i*m:(i+1)*m])
			f.rss0, f.rows = rss0[i], int(rows[i])
		}
		return b, nil
	}
	return nil, fmt.Errorf("relax: state: unknown policy kind %q", s.Kind)
}

// restorer reads State fields, keeping the first error.
type restorer struct {
	s   *State
	err error
}

func (r *restorer) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("relax: state of %s: "+format, append([]any{r.s.Kind}, args...)...)
	}
}

func (r *restorer) scalar(name string) float64 {
	v, ok := r.s.Scalars[name]
	if !ok {
		r.fail("missing scalar %q", name)
	}
	return v
}

func (r *restorer) integer(name string) int {
	v := r.scalar(name)
	if v != math.Trunc(v) || math.Abs(v) > 1<<52 {
		r.fail("scalar %q = %v is not an integer", name, v)
	}
	return int(v)
}

func (r *restorer) vector(name string, n int) []float64 {
	v, ok := r.s.Vectors[name]
	if !ok {
		r.fail("missing vector %q", name)
		return make([]float64, n)
	}
	if len(v) != n {
		r.fail("vector %q has length %d, want %d", name, len(v), n)
		return make([]float64, n)
	}
	return clone(v)
}

func (r *restorer) grid(name string) []float64 {
	g, ok := r.s.Vectors[name]
	if !ok || len(g) == 0 {
		r.fail("missing or empty omega grid %q", name)
		return nil
	}
	for _, w := range g {
		if !(w > 0 && w < 2) {
			r.fail("grid omega %v not in (0, 2)", w)
			return nil
		}
	}
	return clone(g)
}

func (r *restorer) source() *source {
	src := newSource(0)
	if err := src.pcg.UnmarshalBinary(r.s.RNG); err != nil {
		r.fail("random stream: %v", err)
	}
	return src
}
