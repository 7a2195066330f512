package transport

import (
	"context"
	"fmt"
	"math"

	"github.com/pdekit/pdekit/iterate"
)

// EMD solves the exact (unregularised) optimal transport problem
// min <P, C> over plans P >= 0 with P1 = a, P^T 1 = b by the primal network
// simplex method on the complete bipartite graph: an artificial root with
// big-M arcs gives the starting basis, entering arcs are chosen by block
// search (the most negative reduced cost within blocks of about sqrt(nm)
// arcs), leaving arcs by Cunningham's rule so that every basis is strongly
// feasible and degenerate pivots cannot cycle. The basis tree keeps parent,
// depth and child links; a pivot re-hangs one subtree and updates its
// potentials. It returns an error for bad marginals or a bad cost matrix.
//
// The result's Reason is Completed at the optimum. MaxIterations caps the
// pivots (zero means 10 000 000); reaching it gives IterationLimit, and as
// the search starts from artificial arcs such a plan may also miss the
// marginals: MarginalError (also the Outcome's Residual) says by how much.
// The callback sees the start and the end, not every pivot; the context
// is checked every 1024 pivots. The tolerances are not used.
func EMD(ctx context.Context, a, b, c []float64, s *Settings) (*Result, error) {
	n, m := len(a), len(b)
	set, err := s.prepare(a, b, c, 10000000)
	if err != nil {
		return nil, err
	}
	maxC := 0.0
	for _, v := range c {
		maxC = math.Max(maxC, math.Abs(v))
	}
	res := &Result{Plan: make([]float64, n*m), F: make([]float64, n), G: make([]float64, m)}
	ctl := set.Control
	ctl.MaxIterations = 0 // the simplex counts its pivots itself
	mon := ctl.Start(ctx, mass(a), &res.Outcome)
	if mon.Observe(0, mass(a)+mass(b), nil) != 0 {
		return res, nil
	}
	ns := newSimplex(a, b, c, maxC)
	iters, why, err := ns.run(set.MaxIterations, mon)
	if err != nil {
		return nil, err
	}
	for x := 0; x < ns.root; x++ {
		if e := ns.pred[x]; e < n*m && ns.flow[x] > 0 {
			res.Plan[e] = ns.flow[x]
			res.Cost += ns.flow[x] * c[e]
		}
	}
	res.MarginalError = marginalError(res.Plan, a, b)
	// Reduced cost c_ij + pi_i - pi_j >= 0: F = -pi on sources, G = pi on
	// sinks.
	for i := range res.F {
		res.F[i] = -ns.pot[i]
	}
	for j := range res.G {
		res.G[j] = ns.pot[n+j]
	}
	if why == iterate.Cancelled {
		mon.Stop(why, ctx.Err())
		return res, nil
	}
	if mon.Observe(iters, res.MarginalError, nil) == 0 {
		mon.Stop(why, nil)
	}
	return res, nil
}

// simplex is the network simplex state. Nodes 0..n-1 are the sources,
// n..n+m-1 the sinks, n+m the root. Arc e < n m goes from source e/m to
// sink n + e%m; arc n m + x is the artificial arc between node x and the
// root.
type simplex struct {
	n, m, root int
	c          []float64
	bigM, eps  float64
	// Basis tree: the arc to the parent, whether it points child ->
	// parent, and its flow.
	parent, depth          []int32
	pred                   []int
	up                     []bool
	flow, pot              []float64
	first, next, prev      []int32 // child lists
	stack                  []int32
	cursor, block, numArcs int
}

func newSimplex(a, b, c []float64, maxC float64) *simplex {
	n, m := len(a), len(b)
	nn := n + m + 1
	s := &simplex{n: n, m: m, root: n + m, c: c, numArcs: n * m,
		parent: make([]int32, nn), depth: make([]int32, nn), pred: make([]int, nn), up: make([]bool, nn),
		flow: make([]float64, nn), pot: make([]float64, nn),
		first: make([]int32, nn), next: make([]int32, nn), prev: make([]int32, nn), stack: make([]int32, 0, nn)}
	s.bigM = (maxC + 1) * float64(nn)
	s.eps = 1e-12 * math.Max(maxC, 1e-300)
	s.block = max(int(math.Sqrt(float64(n*m))), 10)
	for x := range s.first {
		s.first[x], s.next[x], s.prev[x] = -1, -1, -1
	}
	s.parent[s.root] = -1
	for x := 0; x < s.root; x++ {
		s.parent[x] = int32(s.root)
		s.depth[x] = 1
		s.pred[x] = n*m + x
		s.addChild(int32(s.root), int32(x))
		if x < n {
			// Source: arc x -> root carrying a_x, or root -> x when
			// a_x = 0 (a zero-flow arc must point away from the root).
			s.flow[x] = a[x]
			s.up[x] = a[x] > 0
		} else {
			s.flow[x] = b[x-n]
			s.up[x] = false
		}
		if s.up[x] {
			s.pot[x] = -s.bigM
		} else {
			s.pot[x] = s.bigM
		}
	}
	return s
}

func (s *simplex) addChild(p, x int32) {
	s.prev[x] = -1
	s.next[x] = s.first[p]
	if s.first[p] >= 0 {
		s.prev[s.first[p]] = x
	}
	s.first[p] = x
}

func (s *simplex) removeChild(p, x int32) {
	if s.prev[x] >= 0 {
		s.next[s.prev[x]] = s.next[x]
	} else {
		s.first[p] = s.next[x]
	}
	if s.next[x] >= 0 {
		s.prev[s.next[x]] = s.prev[x]
	}
	s.next[x], s.prev[x] = -1, -1
}

// cost returns the cost of arc e.
func (s *simplex) cost(e int) float64 {
	if e < s.numArcs {
		return s.c[e]
	}
	return s.bigM
}

// ends returns the tail and head of arc e (artificial arcs by their
// orientation in the tree).
func (s *simplex) ends(e int) (int, int) {
	if e < s.numArcs {
		return e / s.m, s.n + e%s.m
	}
	x := e - s.numArcs
	if s.up[x] {
		return x, s.root
	}
	return s.root, x
}

// entering returns the real arc with the most negative reduced cost in
// the first block that has one, or -1 if none has.
func (s *simplex) entering() int {
	best, bestRC := -1, -s.eps
	scanned := 0
	e := s.cursor
	m, n := s.m, s.n
	for scanned < s.numArcs {
		end := min(e+s.block, s.numArcs)
		i := e / m
		j := e % m
		pi := s.pot[i]
		for ; e < end; e++ {
			rc := s.c[e] + pi - s.pot[n+j]
			if rc < bestRC {
				best, bestRC = e, rc
			}
			j++
			if j == m {
				j = 0
				i++
				if i < s.n {
					pi = s.pot[i]
				}
			}
		}
		scanned += end - s.cursor
		if e == s.numArcs {
			e = 0
		}
		s.cursor = e
		if best >= 0 {
			return best
		}
	}
	return -1
}

// run pivots until optimal or maxIter pivots.
// run pivots until optimal (Completed), maxIter pivots (IterationLimit) or
// the monitor's context is done (Cancelled, checked every 1024 pivots).
func (s *simplex) run(maxIter int, mon *iterate.Monitor) (int, iterate.Reason, error) {
	for it := 0; it < maxIter; it++ {
		if it%1024 == 1023 && mon.Done() {
			return it, iterate.Cancelled, nil
		}
		e := s.entering()
		if e < 0 {
			for x := 0; x < s.root; x++ {
				if s.pred[x] >= s.numArcs && s.flow[x] > 1e-12 {
					return it, 0, fmt.Errorf("transport: exact OT is infeasible: artificial flow %g at node %d", s.flow[x], x)
				}
			}
			return it, iterate.Completed, nil
		}
		if err := s.pivot(e); err != nil {
			return it, 0, err
		}
	}
	return maxIter, iterate.IterationLimit, nil
}

// pivot brings arc e into the basis.
func (s *simplex) pivot(e int) error {
	u, v := s.ends(e)
	// Apex: walk the deeper endpoint up until they meet.
	x, y := int32(u), int32(v)
	for x != y {
		if s.depth[x] >= s.depth[y] {
			x = s.parent[x]
		} else {
			y = s.parent[y]
		}
	}
	apex := x
	// The flow goes u -> v, up from v to the apex, down from the apex to
	// u. Blocking arcs are those whose flow decreases. Cunningham's rule:
	// the last blocking arc met going around the cycle from the apex.
	delta := math.Inf(1)
	leave := int32(-1)
	onV := false
	for x := int32(u); x != apex; x = s.parent[x] {
		if s.up[x] && s.flow[x] < delta { // down the u side against an up arc
			delta, leave = s.flow[x], x
		}
	}
	for x := int32(v); x != apex; x = s.parent[x] {
		if !s.up[x] && s.flow[x] <= delta {
			delta, leave, onV = s.flow[x], x, true
		}
	}
	if leave < 0 {
		return fmt.Errorf("transport: network simplex found an unbounded cycle (costs must be finite)")
	}
	delta = math.Max(delta, 0)
	if delta > 0 {
		for x := int32(u); x != apex; x = s.parent[x] {
			if s.up[x] {
				s.flow[x] -= delta
			} else {
				s.flow[x] += delta
			}
		}
		for x := int32(v); x != apex; x = s.parent[x] {
			if s.up[x] {
				s.flow[x] += delta
			} else {
				s.flow[x] -= delta
			}
		}
	}
	// Re-hang the subtree cut off by the leaving arc at the endpoint of e
	// inside it.
	in, out := int32(u), int32(v)
	inUp := true // e points from u (child) to v (parent)
	if onV {
		in, out, inUp = int32(v), int32(u), false
	}
	prevNode, prevArc, prevUp, prevFlow := out, e, inUp, delta
	for x := in; ; {
		nextX, arc, up, fl := s.parent[x], s.pred[x], s.up[x], s.flow[x]
		s.removeChild(nextX, x)
		s.parent[x], s.pred[x], s.up[x], s.flow[x] = prevNode, prevArc, prevUp, prevFlow
		s.addChild(prevNode, x)
		if x == leave {
			break
		}
		prevNode, prevArc, prevUp, prevFlow = x, arc, !up, fl
		x = nextX
	}
	// Potentials and depths of the re-hung subtree.
	var newPot float64
	if inUp {
		newPot = s.pot[out] - s.cost(e) // e = in -> out: pot[out] = pot[in] + c
	} else {
		newPot = s.pot[out] + s.cost(e)
	}
	shift := newPot - s.pot[in]
	st := append(s.stack[:0], in)
	for len(st) > 0 {
		x := st[len(st)-1]
		st = st[:len(st)-1]
		s.pot[x] += shift
		s.depth[x] = s.depth[s.parent[x]] + 1
		for ch := s.first[x]; ch >= 0; ch = s.next[ch] {
			st = append(st, ch)
		}
	}
	s.stack = st
	return nil
}
