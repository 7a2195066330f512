package ode

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pdekit/pdekit/nn"
)

// Field is the right-hand side of a neural ODE dy/dt = f(y, t), recorded
// on a tape. y has any shape (a batch of states is one state: the batch
// shares the steps, as in the papers), t is
// a scalar (shape []) that depends on the step sizes and so on the parameters; Eval returns a
// tensor of y's shape.
type Field[T nn.Float] interface {
	Eval(tp *nn.Tape[T], y, t *nn.Tensor[T]) *nn.Tensor[T]
}

// TapeSolution is a neural ODE's solve recorded on a tape.
type TapeSolution[T nn.Float] struct {
	// Y holds the state at each of the requested times after the first.
	Y []*nn.Tensor[T]
	// ErrorReg is the mean over the accepted steps of EEst dt, the
	// global error regulariser of "Opening the Blackbox" (ERNODE, as its
	// code computes it); StiffReg is the maximum over the accepted steps
	// of the eigenvalue estimate over the method's stability size
	// (SRNODE); BothReg is the mean of EEst dt + 0.1 eig/stability, the
	// code's combined quantity. Scalars (shape []) on the tape; zero
	// for a method without an error estimate or a stability size.
	ErrorReg, StiffReg, BothReg *nn.Tensor[T]
	// KineticReg and JacobianReg are Finlay et al.'s integrals when
	// TapeOptions.Kinetic asked for them (nil otherwise).
	KineticReg, JacobianReg *nn.Tensor[T]
	// Steps describes every accepted step (values), and States holds
	// the state at the end of each (on the tape; nil for SolveAdjoint,
	// whose states are not): the points the biased local regulariser
	// samples.
	Steps  []StepInfo
	States []*nn.Tensor[T]
	// Stats counts the work: FEvals is the number of evaluations of the
	// field (NFE), first-step selection included.
	Stats Stats

	backErr error
}

// BackwardErr reports a failure of the backward pass of SolveAdjoint
// (its adjoint integration), whose gradients are then NaN: check it after
// Backward. It is nil for SolveTape.
func (s *TapeSolution[T]) BackwardErr() error { return s.backErr }

// JVPField is a Field that also gives its Jacobian-vector product
// (df/dy) v on the tape, for the Jacobian regulariser.
type JVPField[T nn.Float] interface {
	Field[T]
	EvalJVP(tp *nn.Tape[T], y, t, v *nn.Tensor[T]) (f, jv *nn.Tensor[T])
}

// TapeOptions are SolveTapeWith's choices beyond the integration's.
type TapeOptions struct {
	// Kinetic also records the regularisers of Finlay et al., "How to
	// train your neural ODE" (ICML 2020): the kinetic energy, the
	// integral of ||f||^2, and the Jacobian's Frobenius norm, the
	// integral of ||(df/dy) e||^2 with one Gaussian e per solve
	// (Hutchinson's estimator; the field must be a JVPField), both
	// averaged over the first axis (the batch). The integrals are the
	// method's quadrature over the accepted steps (sum of h b_i q(k_i)),
	// not components of the state, so they do not steer the steps.
	Kinetic bool
	// Noise draws e; nil means a source seeded with 1.
	Noise *rand.Rand
}

// SolveTape integrates the neural ODE dy/dt = f(y, t) from y0 at ts[0]
// to the last of the times ts (monotone; the state at each later one is
// returned) with an explicit tableau and the settings of Solve, recording
// every operation on tp: a backward pass from any function of the
// returned states and regularisers is the discrete adjoint (discretise,
// then optimise). The integrator is the one of Explicit: the same
// tableau, error norm, PI (or I) controller and first-step choice. The
// states at intermediate times come from the method's own interpolant on
// the tape, as Solve's (and OrdinaryDiffEq's saveat): they do not change
// the steps (Tsit5 has one; other methods take two times only). Everything the controller computes from the stages is
// differentiated: the error estimates, the step sizes they choose (also
// after rejected attempts, whose stages stay on the tape), and the times
// the field sees, so the gradient is that of the whole adaptive solve;
// only the accept/reject decisions and the bounds that clamp a step are
// constants, as is the first step (Settings.Dt, or Hairer's choice
// computed from values). The context is checked between steps.
//
// SolveTape returns an error for bad input and for an integration that
// fails (a non-finite state, a step underflow, MaxIterations attempts):
// no gradient exists then.
func SolveTape[T nn.Float](ctx context.Context, tp *nn.Tape[T], tab *Tableau, f Field[T], y0 *nn.Tensor[T], ts []float64, s *Settings) (*TapeSolution[T], error) {
	return SolveTapeWith(ctx, tp, tab, f, y0, ts, s, nil)
}

// SolveTapeWith is SolveTape with options (nil: none).
func SolveTapeWith[T nn.Float](ctx context.Context, tp *nn.Tape[T], tab *Tableau, f Field[T], y0 *nn.Tensor[T], ts []float64, s *Settings, o *TapeOptions) (*TapeSolution[T], error) {
	var set Settings
	if s != nil {
		set = *s
	}
	if len(set.Events) > 0 {
		return nil, fmt.Errorf("ode: SolveTape does not locate events")
	}
	dir, err := checkTapeInput(y0, ts)
	if err != nil {
		return nil, err
	}
	fixed, err := set.prepare(tab, ts[0], ts[len(ts)-1])
	if err != nil {
		return nil, err
	}
	if len(ts) > 2 && tab.interpD == nil {
		return nil, fmt.Errorf("ode: SolveTape saves at intermediate times with the method's interpolant, which %s lacks here (use Tsit5, or solve interval by interval)", tab.Name)
	}
	sv := &tapeSolve[T]{tp: tp, tab: tab, f: f, set: &set, dir: dir, fixed: fixed, ctl: newController(tab, set.Controller)}
	if o != nil && o.Kinetic {
		jf, ok := f.(JVPField[T])
		if !ok {
			return nil, fmt.Errorf("ode: the kinetic regularisers need a field with a Jacobian-vector product (JVPField)")
		}
		rnd := o.Noise
		if rnd == nil {
			rnd = rand.New(rand.NewPCG(1, 1))
		}
		sv.jf = jf
		sv.noise = nn.Zeros[T](y0.Shape...)
		for i := range sv.noise.Data {
			sv.noise.Data[i] = T(rnd.NormFloat64())
		}
	}
	return sv.run(ctx, y0, ts)
}

// checkTapeInput checks the times (at least two, strictly monotone) and
// the initial state (finite) of a neural ODE's solve and returns the
// direction of time.
func checkTapeInput[T nn.Float](y0 *nn.Tensor[T], ts []float64) (float64, error) {
	if len(ts) < 2 {
		return 0, fmt.Errorf("ode: a neural ODE's solve needs at least two times, got %d", len(ts))
	}
	dir := math.Copysign(1, ts[len(ts)-1]-ts[0])
	for i := 1; i < len(ts); i++ {
		if !((ts[i]-ts[i-1])*dir > 0) {
			return 0, fmt.Errorf("ode: times %g and %g are not strictly monotone", ts[i-1], ts[i])
		}
	}
	if err := y0.Check(); err != nil {
		return 0, fmt.Errorf("ode: y0: %w", err)
	}
	return dir, nil
}

// tapeSolve is the state of one SolveTape.
type tapeSolve[T nn.Float] struct {
	tp    *nn.Tape[T]
	tab   *Tableau
	f     Field[T]
	set   *Settings
	dir   float64
	fixed bool
	ctl   controller
	stats Stats

	jf    JVPField[T]   // set for the kinetic regularisers
	noise *nn.Tensor[T] // their Hutchinson vector
}

// stage evaluates f at a stage and, with the kinetic regularisers, the
// batch means of ||f||^2 and ||(df/dy) e||^2 (nil otherwise).
func (sv *tapeSolve[T]) stage(y, t *nn.Tensor[T]) (k, qk, qj *nn.Tensor[T], err error) {
	if sv.jf == nil {
		k, err = sv.eval(y, t)
		return k, nil, nil, err
	}
	k, jv := sv.jf.EvalJVP(sv.tp, y, t, sv.noise)
	sv.stats.FEvals++
	if k, err = sv.check(k, y, t); err != nil {
		return nil, nil, nil, err
	}
	b := T(1)
	if len(y.Shape) > 1 {
		b = T(y.Shape[0])
	}
	tp := sv.tp
	return k, tp.Scale(tp.Sum(tp.Square(k)), 1/b), tp.Scale(tp.Sum(tp.Square(jv)), 1/b), nil
}

func (sv *tapeSolve[T]) scalar(v float64) *nn.Tensor[T] { return nn.New([]T{T(v)}) }

func (sv *tapeSolve[T]) eval(y, t *nn.Tensor[T]) (*nn.Tensor[T], error) {
	k := sv.f.Eval(sv.tp, y, t)
	sv.stats.FEvals++
	return sv.check(k, y, t)
}

// check reports a field value of the wrong size or not finite (the sum
// of the elements times 0 is 0 exactly when every element is finite; the
// bad one is sought only then).
func (sv *tapeSolve[T]) check(k, y, t *nn.Tensor[T]) (*nn.Tensor[T], error) {
	if len(k.Data) != len(y.Data) {
		return nil, fmt.Errorf("ode: the field returned %d values for a state of %d", len(k.Data), len(y.Data))
	}
	var s0, s1 float64
	d := k.Data
	i := 0
	for ; i+1 < len(d); i += 2 {
		s0 += float64(d[i]) * 0
		s1 += float64(d[i+1]) * 0
	}
	if i < len(d) {
		s0 += float64(d[i]) * 0
	}
	if s0+s1 == 0 {
		return k, nil
	}
	for i, v := range d {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, &Error{T: float64(t.Data[0]), Kind: NonFinite, Msg: fmt.Sprintf("the field returned %g in component %d", v, i)}
		}
	}
	return k, nil
}

// firstStep is Hairer's choice from values: the second evaluation runs
// without recording.
func (sv *tapeSolve[T]) firstStep(y, k0 *nn.Tensor[T], t0 float64) (float64, error) {
	atol, rtol := sv.set.AbsTolerance, sv.set.Tolerance
	return hairerStep(sv.tab.Order, sv.set.DtMax, scaledRMS(y.Data, y.Data, y.Data, atol, rtol), scaledRMS(k0.Data, y.Data, y.Data, atol, rtol),
		func(h0 float64) (float64, error) {
			noGrad := sv.tp.NoGrad()
			sv.tp.SetNoGrad(true)
			defer sv.tp.SetNoGrad(noGrad)
			g := nn.Zeros[T](y.Shape...)
			for i := range g.Data {
				g.Data[i] = y.Data[i] + T(sv.dir*h0)*k0.Data[i]
			}
			k1, err := sv.eval(g, sv.scalar(t0+sv.dir*h0))
			if err != nil {
				return 0, err
			}
			d := make([]T, len(k1.Data))
			for i := range d {
				d[i] = k1.Data[i] - k0.Data[i]
			}
			return scaledRMS(d, y.Data, y.Data, atol, rtol) / h0, nil
		})
}

func (sv *tapeSolve[T]) run(ctx context.Context, y0 *nn.Tensor[T], ts []float64) (*TapeSolution[T], error) {
	// Without gradients (prediction) the solve runs on a tape of its own,
	// emptied after every accepted step once what the next step needs is
	// copied out: memory is one step's, not the whole solve's, and the
	// arithmetic is the same.
	lean := sv.tp.NoGrad() && sv.jf == nil
	if lean {
		sv.tp = nn.NewTape[T]()
		sv.tp.SetNoGrad(true)
	}
	tp, tab := sv.tp, sv.tab
	st := tab.Stages()
	sol := &TapeSolution[T]{}
	y, tv := y0, ts[0]
	tT := sv.scalar(tv)
	k0, qk0, qj0, err := sv.stage(y, tT)
	if err != nil {
		return nil, err
	}
	hv := sv.set.Dt
	if !sv.fixed && hv == 0 {
		if hv, err = sv.firstStep(y, k0, tv); err != nil {
			return nil, err
		}
	}
	hT := sv.scalar(sv.dir * hv)       // the signed step, on the tape
	errOld := sv.scalar(sv.ctl.errOld) // the last accepted EEst (floored)
	var errTerms, stiffTerms, kinTerms, jacTerms []*nn.Tensor[T]
	bw := coefs[T](tab.B) // the kinetic integrals' quadrature weights
	ks := make([]*nn.Tensor[T], st)
	qks, qjs := make([]*nn.Tensor[T], st), make([]*nn.Tensor[T], st)
	t1, next := ts[len(ts)-1], 1
	saved := 0 // the saves already copied off a lean solve's tape
	for tv != t1 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, last, err := nextStep(sv.stats, sv.set, tv, t1, sv.dir, hv)
		if err != nil {
			return nil, err
		}
		switch {
		case last:
			hT = sv.sub(sv.scalar(t1), tT)
		case h != hv:
			hT = sv.scalar(sv.dir * h) // capped by DtMax: a constant
		}
		hs := sv.dir * h
		ks[0], qks[0], qjs[0] = k0, qk0, qj0
		var g, gPrev *nn.Tensor[T]
		for i := 1; i < st; i++ {
			gPrev = g
			g = sv.stageSum(y, hT, tab.A[i], ks[:i])
			ti := tp.LinComb([]T{1, T(tab.C[i])}, tT, hT)
			if ks[i], qks[i], qjs[i], err = sv.stage(g, ti); err != nil {
				return nil, err
			}
		}
		y1 := g
		if !tab.FSAL {
			y1 = sv.stageSum(y, hT, tab.B, ks)
		}
		var eest *nn.Tensor[T]
		if !sv.fixed {
			errv := sv.stageSum(nil, hT, tab.E, ks)
			eest = sv.errorNorm(errv, y, y1)
			ev := float64(eest.Data[0])
			if math.IsNaN(ev) {
				return nil, &Error{T: tv, Kind: NonFinite, Msg: "the error estimate is NaN"}
			}
			if ev > 1 {
				sv.stats.Rejected++
				hT = sv.rejected(hT, eest)
				hv = math.Abs(float64(hT.Data[0]))
				continue
			}
		}
		for i, v := range y1.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, &Error{T: tv, Kind: NonFinite, Msg: fmt.Sprintf("the state became %g in component %d", v, i)}
			}
		}
		info := StepInfo{T0: tv}
		if eest != nil {
			info.ErrorEstimate = float64(eest.Data[0])
			errTerms = append(errTerms, tp.Scale(tp.ScaleBy(eest, hT), T(sv.dir)))
			if tab.Stability > 0 && st >= 2 && gPrev != nil {
				eig := sv.eigen(ks[st-1], ks[st-2], g, gPrev)
				info.EigenEstimate = float64(eig.Data[0])
				info.StiffnessRatio = h * info.EigenEstimate / tab.Stability
				stiffTerms = append(stiffTerms, tp.Scale(eig, T(1/tab.Stability)))
			}
		}
		yPrev, tPrev := y, tT
		y = y1
		if last {
			tv, tT = t1, sv.scalar(t1)
		} else {
			tv += hs
			tT = tp.Add(tT, hT)
		}
		info.T1 = tv
		sol.Steps = append(sol.Steps, info)
		sol.States = append(sol.States, y)
		// The saved times in this step: its end, or the interpolant.
		for next < len(ts) && (ts[next]-tv)*sv.dir <= 0 {
			if ts[next] == tv {
				sol.Y = append(sol.Y, y)
			} else {
				sol.Y = append(sol.Y, sv.interpolate(yPrev, tPrev, hT, ks, ts[next]))
			}
			next++
		}
		sv.stats.Accepted++
		if sv.jf != nil {
			// The quadrature of the kinetic integrals over the step.
			kinTerms = append(kinTerms, tp.Scale(tp.ScaleBy(tp.LinComb(bw, qks...), hT), T(sv.dir)))
			jacTerms = append(jacTerms, tp.Scale(tp.ScaleBy(tp.LinComb(bw, qjs...), hT), T(sv.dir)))
		}
		if tab.FSAL {
			k0, qk0, qj0 = ks[st-1], qks[st-1], qjs[st-1]
		} else if k0, qk0, qj0, err = sv.stage(y, tT); err != nil {
			return nil, err
		}
		if !sv.fixed {
			hT, errOld = sv.accepted(hT, eest, errOld)
			hv = math.Abs(float64(hT.Data[0]))
		}
		if lean {
			y, tT, hT, errOld, k0 = keep(y), keep(tT), keep(hT), keep(errOld), keep(k0)
			sol.States[len(sol.States)-1] = y
			for i := saved; i < len(sol.Y); i++ {
				sol.Y[i] = keep(sol.Y[i])
			}
			for _, terms := range [][]*nn.Tensor[T]{errTerms, stiffTerms} {
				if len(terms) > 0 {
					terms[len(terms)-1] = keep(terms[len(terms)-1])
				}
			}
			tp.Reset()
		}
		saved = len(sol.Y)
	}
	sol.Stats = sv.stats
	sol.ErrorReg, sol.StiffReg, sol.BothReg = sv.scalar(0), sv.scalar(0), sv.scalar(0)
	if n := len(errTerms); n > 0 {
		sol.ErrorReg = tp.LinComb(fill[T](n, 1/float64(n)), errTerms...)
		both := append(append([]*nn.Tensor[T](nil), errTerms...), stiffTerms...)
		sol.BothReg = tp.LinComb(append(fill[T](n, 1/float64(n)), fill[T](len(stiffTerms), 0.1/float64(n))...), both...)
	}
	if len(stiffTerms) > 0 {
		sol.StiffReg = maxOf(tp, stiffTerms)
	}
	if sv.jf != nil {
		sol.KineticReg = tp.LinComb(fill[T](len(kinTerms), 1), kinTerms...)
		sol.JacobianReg = tp.LinComb(fill[T](len(jacTerms), 1), jacTerms...)
	}
	return sol, nil
}

// keep returns a copy of t off any tape.
func keep[T nn.Float](t *nn.Tensor[T]) *nn.Tensor[T] {
	if t == nil {
		return nil
	}
	return nn.New(append([]T(nil), t.Data...), t.Shape...)
}

// stageSum records y + sum_j (h c_j) k_j (y nil: zero), summed in the
// order and with the rounding of Explicit's steps.
func (sv *tapeSolve[T]) stageSum(y, h *nn.Tensor[T], c []float64, ks []*nn.Tensor[T]) *nn.Tensor[T] {
	in := []*nn.Tensor[T]{h}
	if y != nil {
		in = append(in, y)
	}
	in = append(in, ks...)
	ks = in[len(in)-len(ks):] // the caller reuses its slice
	ref := ks[0]
	hv := h.Data[0]
	return sv.tp.Op(ref.Shape, in, func(out []T) {
		if y != nil {
			copy(out, y.Data)
		}
		for j, a := range c {
			if a != 0 {
				axpyT(hv*T(a), ks[j].Data, out)
			}
		}
	}, func(g []T, gin [][]T) {
		off := 1
		if y != nil {
			if gin[1] != nil {
				axpyT(1, g, gin[1])
			}
			off = 2
		}
		var dh float64
		for j, a := range c {
			if a == 0 {
				continue
			}
			if gk := gin[off+j]; gk != nil {
				axpyT(hv*T(a), g, gk)
			}
			if gin[0] != nil {
				var d float64
				for i, v := range ks[j].Data {
					d += float64(v) * float64(g[i])
				}
				dh += a * d
			}
		}
		if gin[0] != nil {
			gin[0][0] += T(dh)
		}
	})
}

func axpyT[T nn.Float](a T, x, y []T) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}

func coefs[T nn.Float](c []float64) []T {
	out := make([]T, len(c))
	for i, v := range c {
		out[i] = T(v)
	}
	return out
}

func fill[T nn.Float](n int, v float64) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = T(v)
	}
	return out
}

// interpolate records the method's dense output at time s inside the
// step of size h from (t, y) with stages ks: y + h sum_i w_i(theta) k_i,
// theta = (s - t) / h, differentiated in y, the stages, h and t.
func (sv *tapeSolve[T]) interpolate(y, t, h *nn.Tensor[T], ks []*nn.Tensor[T], s float64) *nn.Tensor[T] {
	tab := sv.tab
	st := tab.Stages()
	hv, tv := float64(h.Data[0]), float64(t.Data[0])
	th := (s - tv) / hv
	w, dw := make([]float64, st), make([]float64, st)
	tab.interp(w, th)
	tab.interpD(dw, th)
	ks = append([]*nn.Tensor[T](nil), ks...)
	in := append([]*nn.Tensor[T]{y, t, h}, ks...)
	return sv.tp.Op(y.Shape, in, func(out []T) {
		copy(out, y.Data)
		for i, k := range ks {
			if w[i] != 0 {
				axpyT(T(hv*w[i]), k.Data, out)
			}
		}
	}, func(g []T, gin [][]T) {
		if gin[0] != nil {
			axpyT(1, g, gin[0])
		}
		var gt, gh float64
		for i, k := range ks {
			if gk := gin[3+i]; gk != nil && w[i] != 0 {
				axpyT(T(hv*w[i]), g, gk)
			}
			if gin[1] == nil && gin[2] == nil {
				continue
			}
			var d float64
			for j, v := range k.Data {
				d += float64(v) * float64(g[j])
			}
			gh += (w[i] - th*dw[i]) * d
			gt -= dw[i] * d
		}
		if gin[1] != nil {
			gin[1][0] += T(gt)
		}
		if gin[2] != nil {
			gin[2][0] += T(gh)
		}
	})
}

// sub returns a - b of one-element tensors.
func (sv *tapeSolve[T]) sub(a, b *nn.Tensor[T]) *nn.Tensor[T] {
	return sv.tp.LinComb([]T{1, -1}, a, b)
}

// errorNorm records EEst = RMS(err / (atol + rtol max(|y0|, |y1|))).
func (sv *tapeSolve[T]) errorNorm(errv, y0, y1 *nn.Tensor[T]) *nn.Tensor[T] {
	atol, rtol := sv.set.AbsTolerance, sv.set.Tolerance
	var e float64
	return sv.tp.Op(nil, []*nn.Tensor[T]{errv, y0, y1}, func(out []T) {
		e = scaledRMS(errv.Data, y0.Data, y1.Data, atol, rtol)
		out[0] = T(e)
	}, func(gout []T, gin [][]T) {
		if e == 0 {
			return
		}
		n := float64(len(errv.Data))
		c := float64(gout[0]) / (n * e)
		for i, x := range errv.Data {
			a, b := float64(y0.Data[i]), float64(y1.Data[i])
			sc := atol + rtol*math.Max(math.Abs(a), math.Abs(b))
			r := float64(x) / sc
			if gin[0] != nil {
				gin[0][i] += T(c * r / sc)
			}
			// d r / d sc = -r / sc; sc depends on the larger of |a|, |b|.
			ds := -c * r * r / sc * rtol
			if math.Abs(a) >= math.Abs(b) {
				if gin[1] != nil {
					gin[1][i] += T(ds * sign(a))
				}
			} else if gin[2] != nil {
				gin[2][i] += T(ds * sign(b))
			}
		}
	})
}

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// eigen records ||ka - kb|| / ||ga - gb||, the Jacobian's dominant
// eigenvalue estimate from the last two stages.
func (sv *tapeSolve[T]) eigen(ka, kb, ga, gb *nn.Tensor[T]) *nn.Tensor[T] {
	var nk, ng float64
	return sv.tp.Op(nil, []*nn.Tensor[T]{ka, kb, ga, gb}, func(out []T) {
		for i := range ka.Data {
			a := float64(ka.Data[i] - kb.Data[i])
			b := float64(ga.Data[i] - gb.Data[i])
			nk += a * a
			ng += b * b
		}
		nk, ng = math.Sqrt(nk), math.Sqrt(ng)
		if ng > 0 {
			out[0] = T(nk / ng)
		}
	}, func(gout []T, gin [][]T) {
		if ng == 0 || nk == 0 {
			return
		}
		r := nk / ng
		ck := float64(gout[0]) / (ng * nk) // d r / d ka = (ka - kb) / (ng nk)
		cg := -float64(gout[0]) * r / (ng * ng)
		for i := range ka.Data {
			a := float64(ka.Data[i] - kb.Data[i])
			b := float64(ga.Data[i] - gb.Data[i])
			addSym(gin[0], gin[1], i, ck*a)
			addSym(gin[2], gin[3], i, cg*b)
		}
	})
}

func addSym[T nn.Float](ga, gb []T, i int, v float64) {
	if ga != nil {
		ga[i] += T(v)
	}
	if gb != nil {
		gb[i] -= T(v)
	}
}

// accepted records the controller's next step after an accepted one,
// h / q with q = EEst^beta1 / errOld^beta2 / 0.9 (clamped: a constant
// ratio), and the new errOld = max(EEst, 1e-4).
func (sv *tapeSolve[T]) accepted(h, eest, errOld *nn.Tensor[T]) (hNew, errNew *nn.Tensor[T]) {
	ev := float64(eest.Data[0])
	q, clamped, expE, expOld := sv.ctl.acceptQ(ev)
	sv.ctl.errOld = math.Max(ev, 1e-4)
	errNew = sv.scalar(sv.ctl.errOld)
	if ev > 1e-4 {
		errNew = eest
	}
	hv := float64(h.Data[0])
	hNew = sv.tp.Op(nil, []*nn.Tensor[T]{h, eest, errOld}, func(out []T) { out[0] = T(hv / q) }, func(gout []T, gin [][]T) {
		g := float64(gout[0])
		if gin[0] != nil {
			gin[0][0] += T(g / q)
		}
		if clamped {
			return
		}
		hn := hv / q
		if gin[1] != nil {
			gin[1][0] += T(-g * expE * hn / ev)
		}
		if gin[2] != nil {
			gin[2][0] += T(g * expOld * hn / float64(errOld.Data[0]))
		}
	})
	return hNew, errNew
}

// rejected records the retry step h / q after a rejected attempt.
func (sv *tapeSolve[T]) rejected(h, eest *nn.Tensor[T]) *nn.Tensor[T] {
	ev := float64(eest.Data[0])
	q, clamped, exp := sv.ctl.rejectQ(ev)
	hv := float64(h.Data[0])
	return sv.tp.Op(nil, []*nn.Tensor[T]{h, eest}, func(out []T) { out[0] = T(hv / q) }, func(gout []T, gin [][]T) {
		g := float64(gout[0])
		if gin[0] != nil {
			gin[0][0] += T(g / q)
		}
		if !clamped && gin[1] != nil {
			gin[1][0] += T(-g * exp * hv / q / ev)
		}
	})
}

// maxOf records the largest of one-element tensors (the gradient goes to
// the first largest).
func maxOf[T nn.Float](tp *nn.Tape[T], xs []*nn.Tensor[T]) *nn.Tensor[T] {
	arg := 0
	for i, x := range xs {
		if x.Data[0] > xs[arg].Data[0] {
			arg = i
		}
	}
	return tp.Op(nil, xs, func(out []T) { out[0] = xs[arg].Data[0] }, func(gout []T, gin [][]T) {
		if gin[arg] != nil {
			gin[arg][0] += gout[0]
		}
	})
}

// TimeMLP is the dynamics network of the regularized neural-ODE papers:
// a multilayer perceptron whose every layer takes the time as one more
// input (concatenated), tanh between layers and, with OutTanh, after the
// last one too (the global paper's MNIST dynamics). States are [batch,
// sizes[0]].
type TimeMLP[T nn.Float] struct {
	// W[l] is [sizes[l+1], sizes[l]+1] (the last column multiplies t);
	// B[l] is [sizes[l+1]].
	W, B    []*nn.Tensor[T]
	OutTanh bool
}

// NewTimeMLP returns a TimeMLP with PyTorch's default initialisation of
// its linear layers (uniform in +-1/sqrt(fan in), the time included),
// drawn from rnd.
func NewTimeMLP[T nn.Float](rnd *rand.Rand, outTanh bool, sizes ...int) *TimeMLP[T] {
	if len(sizes) < 2 {
		panic(fmt.Sprintf("ode: TimeMLP with sizes %v; want at least input and output", sizes))
	}
	m := &TimeMLP[T]{OutTanh: outTanh}
	for l := 0; l+1 < len(sizes); l++ {
		in, out := sizes[l]+1, sizes[l+1]
		bound := 1 / math.Sqrt(float64(in))
		w, b := make([]T, out*in), make([]T, out)
		for i := range w {
			w[i] = T((2*rnd.Float64() - 1) * bound)
		}
		for i := range b {
			b[i] = T((2*rnd.Float64() - 1) * bound)
		}
		m.W, m.B = append(m.W, nn.Param(w, out, in)), append(m.B, nn.Param(b, out))
	}
	return m
}

// Params returns the weights and biases, layer by layer.
func (m *TimeMLP[T]) Params() []*nn.Tensor[T] {
	var ps []*nn.Tensor[T]
	for l := range m.W {
		ps = append(ps, m.W[l], m.B[l])
	}
	return ps
}

// Eval returns f(y, t) for y [batch, n].
func (m *TimeMLP[T]) Eval(tp *nn.Tape[T], y, t *nn.Tensor[T]) *nn.Tensor[T] {
	if len(y.Shape) != 2 {
		panic(fmt.Sprintf("ode: TimeMLP of a state of shape %v, want [batch, n]", y.Shape))
	}
	col := m.timeColumn(tp, t, y.Shape[0])
	h := y
	for l := range m.W {
		h = tp.Linear(tp.Concat(1, h, col), m.W[l], m.B[l])
		if l+1 < len(m.W) || m.OutTanh {
			h = tp.Tanh(h)
		}
	}
	return h
}

// LocalStep takes one step of the adaptive tableau tab from (t, y)
// towards tEnd, its size the first step a fresh integrator would choose
// there (Hairer's, from values: a constant), and records on tp the
// step's EEst dt and its eigenvalue estimate over the stability size: the
// local regularisers of Pal, Edelman and Rackauckas, "Locally Regularized
// Neural Differential Equations" (ICML 2023), whose code takes this one
// Tsit5 step by hand at a random time. The step is not tested for
// acceptance. nfe counts its evaluations of f (the first-step choice's
// included).
func LocalStep[T nn.Float](ctx context.Context, tp *nn.Tape[T], tab *Tableau, f Field[T], y *nn.Tensor[T], t, tEnd float64, s *Settings) (errReg, stiffReg *nn.Tensor[T], nfe int, err error) {
	var set Settings
	if s != nil {
		set = *s
	}
	if !tab.Adaptive() || tab.Stages() < 2 {
		return nil, nil, 0, fmt.Errorf("ode: LocalStep needs an adaptive pair, not %s", tab.Name)
	}
	if _, err := set.prepare(tab, t, tEnd); err != nil {
		return nil, nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, 0, err
	}
	sv := &tapeSolve[T]{tp: tp, tab: tab, f: f, set: &set, dir: math.Copysign(1, tEnd-t), ctl: newController(tab, set.Controller)}
	tT := sv.scalar(t)
	k0, err := sv.eval(y, tT)
	if err != nil {
		return nil, nil, 0, err
	}
	h, err := sv.firstStep(y, k0, t)
	if err != nil {
		return nil, nil, 0, err
	}
	h = math.Min(h, math.Abs(tEnd-t))
	hT := sv.scalar(sv.dir * h)
	st := tab.Stages()
	ks := make([]*nn.Tensor[T], st)
	ks[0] = k0
	var g, gPrev *nn.Tensor[T]
	for i := 1; i < st; i++ {
		gPrev = g
		g = sv.stageSum(y, hT, tab.A[i], ks[:i])
		if ks[i], err = sv.eval(g, sv.scalar(t+tab.C[i]*sv.dir*h)); err != nil {
			return nil, nil, 0, err
		}
	}
	y1 := g
	if !tab.FSAL {
		y1 = sv.stageSum(y, hT, tab.B, ks)
	}
	eest := sv.errorNorm(sv.stageSum(nil, hT, tab.E, ks), y, y1)
	errReg = tp.Scale(eest, T(h))
	stiffReg = sv.scalar(0)
	if tab.Stability > 0 && gPrev != nil {
		stiffReg = tp.Scale(sv.eigen(ks[st-1], ks[st-2], g, gPrev), T(1/tab.Stability))
	}
	return errReg, stiffReg, sv.stats.FEvals, nil
}

// ParamField is a Field with trainable parameters, as the continuous
// adjoint needs them.
type ParamField[T nn.Float] interface {
	Field[T]
	Params() []*nn.Tensor[T]
}

// SolveAdjoint integrates dy/dt = f(y, t) like SolveTape (the same steps
// in float64: the forward solve is Explicit's on values, f evaluated on a
// scratch tape, so it keeps only the states at the accepted steps) but
// records the whole solve as one operation on tp whose
// backward pass is the continuous adjoint (optimise, then discretise):
// the adjoint a' = -a df/dy and the parameter gradient g' = -a df/dtheta
// are integrated backwards with the state, by the same tableau and
// tolerances, one accepted forward step at a time from the state saved at
// its end (a backsolve adjoint with a checkpoint per step, which keeps
// its error from growing over the interval), the loss's gradients added
// to a at the saved times. Memory is the states at the
// accepted steps, not the stages and activations the discrete adjoint
// keeps; the gradient agrees with the discrete one to the tolerances.
// The regularisers of the solution are zero: the global ones need the
// discrete adjoint (use LocalStep with this solver). The vector-Jacobian
// products come from f on a fresh tape; time gradients are not formed
// (t does not depend on the parameters in this solver).
func SolveAdjoint[T nn.Float](ctx context.Context, tp *nn.Tape[T], tab *Tableau, f ParamField[T], y0 *nn.Tensor[T], ts []float64, s *Settings) (*TapeSolution[T], error) {
	fwd, ckpt, err := adjointForward(ctx, tab, f, y0, ts, s)
	if err != nil {
		return nil, err
	}
	var set Settings
	if s != nil {
		set = *s
	}
	set.Dt = 0
	n := len(y0.Data)
	save := make([]int, len(ts)-1) // the step holding each saved time
	for j, k := 1, 0; j < len(ts); j++ {
		for (fwd.Steps[k].T1-ts[j])*math.Copysign(1, ts[len(ts)-1]-ts[0]) < 0 {
			k++
		}
		save[j-1] = k
	}
	out := make([]T, 0, n*len(fwd.Y))
	for _, y := range fwd.Y {
		out = append(out, y.Data...)
	}
	params := f.Params()
	in := append([]*nn.Tensor[T]{y0}, params...)
	sol := &TapeSolution[T]{Steps: fwd.Steps, Stats: fwd.Stats}
	shape := append([]int{len(fwd.Y)}, y0.Shape...)
	all := tp.Op(shape, in, func(o []T) { copy(o, out) }, func(gout []T, gin [][]T) {
		g, err := adjointBackward(ctx, tab, f, params, y0, ts, fwd.Steps, ckpt, save, gout, &set)
		if err != nil {
			sol.backErr = fmt.Errorf("ode: the adjoint solve failed: %w", err)
			for i := range g {
				g[i] = math.NaN()
			}
		}
		off := 0
		for i, x := range in {
			if gin[i] != nil {
				for j := range x.Data {
					gin[i][j] += T(g[off+j])
				}
			}
			off += len(x.Data)
		}
	})
	zero := nn.New([]T{0})
	sol.ErrorReg, sol.StiffReg, sol.BothReg = zero, zero, zero
	for j := range fwd.Y {
		sol.Y = append(sol.Y, tp.Op(y0.Shape, []*nn.Tensor[T]{all}, func(o []T) { copy(o, all.Data[j*n:(j+1)*n]) }, func(g []T, gin [][]T) {
			for i, v := range g {
				gin[0][j*n+i] += v
			}
		}))
	}
	return sol, nil
}

// adjointForward integrates with Explicit on values (float64), f
// evaluated on a scratch tape that records nothing and is reset every
// time, keeping the states at the saved times (the dense output), the
// steps and the state at every accepted step's end (the checkpoints):
// memory O(steps x state). In float64 its steps are SolveTape's.
func adjointForward[T nn.Float](ctx context.Context, tab *Tableau, f Field[T], y0 *nn.Tensor[T], ts []float64, s *Settings) (*TapeSolution[T], [][]float64, error) {
	var set Settings
	if s != nil {
		set = *s
	}
	dir, err := checkTapeInput(y0, ts)
	if err != nil {
		return nil, nil, err
	}
	n := len(y0.Data)
	tp := nn.NewTape[T]()
	tp.SetNoGrad(true)
	yv, tv := nn.Zeros[T](y0.Shape...), nn.New([]T{0})
	fv := func(dy []float64, t float64, y []float64) {
		tp.Reset()
		for i, v := range y {
			yv.Data[i] = T(v)
		}
		tv.Data[0] = T(t)
		k := f.Eval(tp, yv, tv)
		for i, v := range k.Data {
			dy[i] = float64(v)
		}
	}
	start := make([]float64, n)
	for i, v := range y0.Data {
		start[i] = float64(v)
	}
	e := NewExplicit(tab, fv, &set)
	if err := e.Init(ts[0], start, ts[len(ts)-1]); err != nil {
		return nil, nil, err
	}
	sol := &TapeSolution[T]{}
	var ckpt [][]float64
	dense := make([]float64, n)
	next := 1
	for !e.Done() {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		info, err := e.Step()
		if err != nil {
			return nil, nil, err
		}
		t, y := e.State()
		sol.Steps = append(sol.Steps, info)
		ckpt = append(ckpt, append([]float64(nil), y...))
		for next < len(ts) && (ts[next]-t)*dir <= 0 {
			src := y
			if ts[next] != t {
				if err := e.Dense(dense, ts[next]); err != nil {
					return nil, nil, err
				}
				src = dense
			}
			out := nn.Zeros[T](y0.Shape...)
			for i, v := range src {
				out.Data[i] = T(v)
			}
			sol.Y = append(sol.Y, out)
			next++
		}
	}
	sol.Stats = e.Stats()
	return sol, ckpt, nil
}

// adjointBackward integrates the augmented system (y, a, g) backwards
// through the accepted steps and returns (dL/dy0, dL/dtheta...) flat.
func adjointBackward[T nn.Float](ctx context.Context, tab *Tableau, f ParamField[T], params []*nn.Tensor[T], y0 *nn.Tensor[T], ts []float64,
	steps []StepInfo, ckpt [][]float64, save []int, gout []T, set *Settings) ([]float64, error) {
	n := len(y0.Data)
	np := 0
	for _, p := range params {
		np += len(p.Data)
	}
	// Each parameter's gradient buffer is borrowed for the products and
	// restored: the outer backward pass accumulates into it.
	kept := make([][]T, len(params))
	for i, p := range params {
		kept[i] = append([]T(nil), p.Grad...)
	}
	defer func() {
		for i, p := range params {
			copy(p.Grad, kept[i])
		}
	}()
	tp := nn.NewTape[T]()
	yv := nn.Param(make([]T, n), y0.Shape...)
	av := nn.New(make([]T, n), y0.Shape...)
	aug := func(dz []float64, t float64, z []float64) {
		tp.Reset()
		for i := 0; i < n; i++ {
			yv.Data[i], av.Data[i] = T(z[i]), T(z[n+i])
		}
		yv.ZeroGrad()
		for _, p := range params {
			p.ZeroGrad()
		}
		fy := f.Eval(tp, yv, nn.New([]T{T(t)}))
		tp.Backward(tp.Sum(tp.Mul(fy, av)))
		for i := 0; i < n; i++ {
			dz[i] = float64(fy.Data[i])
			dz[n+i] = -float64(yv.Grad[i])
		}
		off := 2 * n
		for _, p := range params {
			for j, v := range p.Grad {
				dz[off+j] = -float64(v)
			}
			off += len(p.Data)
		}
	}
	z := make([]float64, 2*n+np)
	e := NewExplicit(tab, aug, set)
	fail := func(err error) ([]float64, error) { return make([]float64, n+np), err }
	integrate := func(from, to float64) error {
		if from == to {
			return nil
		}
		if err := e.Init(from, z, to); err != nil {
			return err
		}
		for !e.Done() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if _, err := e.Step(); err != nil {
				return err
			}
		}
		_, zt := e.State()
		copy(z, zt)
		return nil
	}
	next := len(save) - 1
	for k := len(steps) - 1; k >= 0; k-- {
		copy(z[:n], ckpt[k])
		t := steps[k].T1
		for ; next >= 0 && save[next] == k; next-- {
			if err := integrate(t, ts[next+1]); err != nil {
				return fail(err)
			}
			t = ts[next+1]
			for i := 0; i < n; i++ {
				z[n+i] += float64(gout[next*n+i])
			}
		}
		if err := integrate(t, steps[k].T0); err != nil {
			return fail(err)
		}
	}
	out := make([]float64, n+np)
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	copy(out, z[n:2*n])
	copy(out[n:], z[2*n:])
	return out, nil
}

// timeColumn records t as a [bs, 1] column.
func (m *TimeMLP[T]) timeColumn(tp *nn.Tape[T], t *nn.Tensor[T], bs int) *nn.Tensor[T] {
	return tp.Op([]int{bs, 1}, []*nn.Tensor[T]{t}, func(out []T) {
		for i := range out {
			out[i] = t.Data[0]
		}
	}, func(gout []T, gin [][]T) {
		var s T
		for _, g := range gout {
			s += g
		}
		gin[0][0] += s
	})
}

// EvalJVP returns f(y, t) and its Jacobian-vector product (df/dy) v by
// forward-mode propagation on the tape (exact, and differentiable).
func (m *TimeMLP[T]) EvalJVP(tp *nn.Tape[T], y, t, v *nn.Tensor[T]) (f, jv *nn.Tensor[T]) {
	bs := y.Shape[0]
	col := m.timeColumn(tp, t, bs)
	zero := nn.Zeros[T](bs, 1) // v has no time component
	h, dh := y, v
	for l := range m.W {
		z := tp.Linear(tp.Concat(1, h, col), m.W[l], m.B[l])
		dz := tp.Linear(tp.Concat(1, dh, zero), m.W[l], nil)
		if l+1 < len(m.W) || m.OutTanh {
			h = tp.Tanh(z)
			dh = tp.Mul(tp.AddScalar(tp.Scale(tp.Square(h), -1), 1), dz)
		} else {
			h, dh = z, dz
		}
	}
	return h, dh
}
