package amg

import (
	"sort"

	"github.com/pdekit/pdekit/internal/parallel"
	"github.com/pdekit/pdekit/sparse"
)

// classicalStrength returns the strong dependencies of each row in the
// classical sense of Ruge and Stueben, as a pattern in CSR form: j != i
// with -a_ij >= theta max_k(-a_ik) (a row's positive couplings are never
// strong, and a row without negative couplings has no strong ones).
func classicalStrength(a *sparse.CSR, theta float64) pattern {
	ip, ind, val := a.RawCSR()
	n := len(ip) - 1
	sp := make([]int, n+1)
	si := make([]int32, 0, len(ind))
	for i := 0; i < n; i++ {
		var big float64 // a plain comparison: math.Max's NaN and -0 cases cost a tenth of the pass
		for k := ip[i]; k < ip[i+1]; k++ {
			if ind[k] != i && -val[k] > big {
				big = -val[k]
			}
		}
		if big > 0 {
			for k := ip[i]; k < ip[i+1]; k++ {
				if j := ind[k]; j != i && -val[k] >= theta*big {
					si = append(si, int32(j))
				}
			}
		}
		sp[i+1] = len(si)
	}
	return pattern{ptr: sp, ind: si}
}

// The states of a point in the C/F splitting.
const (
	undecided = iota
	coarse
	fine
)

// splitCF returns the Ruge-Stueben C/F splitting of the strength pattern
// s: the first pass picks, among the undecided points, one that most
// undecided points depend on (weighted twice for those already fine) as a
// C point and makes the points that depend on it F points; the second
// pass makes a strong F neighbour j of an F point i a C point when the
// two share no C point that i depends on, so that classical interpolation
// has what it needs. Points without strong couplings either way become F
// points that interpolate from nothing.
func splitCF(s pattern) []int8 {
	sp, si := s.ptr, s.ind
	n := len(sp) - 1
	st := s.transpose() // row i: the points that depend on i
	tp, ti := st.ptr, st.ind
	// Each undecided point sits in the bucket of its lambda, a doubly
	// linked list: points added at the tail and taken from the head, so
	// that among equals the one waiting longest (the lowest index at
	// first) is chosen. The picks move along two diagonal fronts of a
	// grid, far apart in memory, so a point's state, lambda, links and the
	// ranges of its two rows of the pattern share one 32-byte node: read
	// from five arrays they cost five cache misses, and the pass took 1.25
	// times as long (poisson2d 1023). New checks that the pattern's
	// entries fit in 32 bits.
	type node struct {
		tlo, thi, slo, shi int32 // the points that depend on it, those it depends on
		prev, next, lambda int32
		state              int32
	}
	nodes := make([]node, n)
	top := 0
	for i := range nodes {
		l := tp[i+1] - tp[i]
		nd := &nodes[i]
		nd.tlo, nd.thi, nd.slo, nd.shi = int32(tp[i]), int32(tp[i+1]), int32(sp[i]), int32(sp[i+1])
		nd.lambda = int32(l)
		if l == 0 && sp[i] == sp[i+1] {
			nd.state = fine
		}
		top = max(top, 2*l)
	}
	type bucket struct{ head, tail int32 }
	buckets := make([]bucket, top+2)
	for b := range buckets {
		buckets[b] = bucket{-1, -1}
	}
	insert := func(i int32) {
		nd := &nodes[i]
		bk := &buckets[nd.lambda]
		nd.prev, nd.next = bk.tail, -1
		if bk.tail >= 0 {
			nodes[bk.tail].next = i
		} else {
			bk.head = i
		}
		bk.tail = i
	}
	remove := func(i int32) {
		nd := &nodes[i]
		bk := &buckets[nd.lambda]
		if nd.prev >= 0 {
			nodes[nd.prev].next = nd.next
		} else {
			bk.head = nd.next
		}
		if nd.next >= 0 {
			nodes[nd.next].prev = nd.prev
		} else {
			bk.tail = nd.prev
		}
	}
	for i := range nodes {
		if nodes[i].state == undecided {
			insert(int32(i))
		}
	}
	best := top
	for {
		for best >= 0 && buckets[best].head < 0 {
			best--
		}
		if best < 0 {
			break
		}
		i := buckets[best].head
		remove(i)
		ni := &nodes[i]
		ni.state = coarse
		for _, j := range ti[ni.tlo:ni.thi] {
			nj := &nodes[j]
			if nj.state != undecided {
				continue
			}
			remove(j)
			nj.state = fine
			for _, k := range si[nj.slo:nj.shi] {
				if nk := &nodes[k]; nk.state == undecided {
					remove(k)
					nk.lambda++
					insert(k)
					best = max(best, int(nk.lambda))
				}
			}
		}
		for _, j := range si[ni.slo:ni.shi] {
			if nj := &nodes[j]; nj.state == undecided && nj.lambda > 0 {
				remove(j)
				nj.lambda--
				insert(j)
			}
		}
	}
	state := make([]int8, n)
	for i := range state {
		state[i] = int8(nodes[i].state)
	}
	// Second pass (Ruge and Stueben's): an F point i whose strong F
	// neighbour j shares no C point with it makes j a C point tentatively;
	// a second such neighbour makes i itself the C point instead.
	mark := make([]int, n)
	for i := range mark {
		mark[i] = -1
	}
	for i := 0; i < n; i++ {
		if state[i] != fine {
			continue
		}
		for _, j := range si[sp[i]:sp[i+1]] {
			if state[j] == coarse {
				mark[j] = i
			}
		}
		tentative := -1
		for _, j32 := range si[sp[i]:sp[i+1]] {
			j := int(j32)
			if state[j] != fine || j == tentative {
				continue
			}
			shared := false
			for _, k := range si[sp[j]:sp[j+1]] {
				if mark[k] == i {
					shared = true
					break
				}
			}
			if shared {
				continue
			}
			if tentative < 0 {
				tentative = j
				mark[j] = i
				continue
			}
			// A second violation: i becomes the C point, j stays fine.
			mark[tentative] = -1
			tentative = -1
			state[i] = coarse
			break
		}
		if tentative >= 0 {
			state[tentative] = coarse
		}
	}
	return state
}

// classicalP returns the classical (Ruge-Stueben) interpolation of the
// splitting state with strength pattern s (adiag is a's diagonal): a C
// point takes its coarse value; an F point i interpolates from the C
// points C_i it depends on with w_ij = -(a_ij + sum_k a_ik a_kj / sum_{m
// in C_i} a_km) / (a_ii + sum of its weak couplings), k over its strong F
// neighbours (distributed to C_i in proportion to their own couplings; a
// neighbour coupled to none of C_i is lumped onto the diagonal like a
// weak one). It returns the number of C points too. The rows are counted
// first, then filled in parallel in place: the result does not depend on
// the number of threads.
func classicalP(a *sparse.CSR, adiag []float64, s pattern, state []int8) (*sparse.CSR, int) {
	n, _ := a.Dims()
	sp, si := s.ptr, s.ind
	cidx := make([]int32, n)
	nc := 0
	for i, st := range state {
		cidx[i] = -1
		if st == coarse {
			cidx[i] = int32(nc)
			nc++
		}
	}
	// Row i's entries: 1 for a C point, its strong C neighbours for an F
	// point.
	pp := make([]int, n+1)
	for i, st := range state {
		c := 1
		if st != coarse {
			c = 0
			for _, j := range si[sp[i]:sp[i+1]] {
				if state[j] == coarse {
					c++
				}
			}
		}
		pp[i+1] = pp[i] + c
	}
	t := &interpTask{a: a, adiag: adiag, s: s, state: state, cidx: cidx, pp: pp,
		pi: make([]int, pp[n]), pv: make([]float64, pp[n])}
	parallel.Run(parallel.Parts(len(si), interpGrain), t)
	p, _ := sparse.NewCSR(n, nc, pp, t.pi, t.pv)
	return p, nc
}

// interpGrain is the number of strong couplings of a part of classicalP's
// rows.
const interpGrain = 1 << 16

// interpTask fills the rows of classical interpolation, a part of them
// per call, each part with its own scratch.
type interpTask struct {
	a      *sparse.CSR
	adiag  []float64
	s      pattern
	state  []int8
	cidx   []int32
	pp, pi []int
	pv     []float64
}

// Do fills the rows of part p: those whose strong couplings fall in its
// share of the pattern.
func (t *interpTask) Do(part, parts int) {
	ip, ind, val := t.a.RawCSR()
	sp, si := t.s.ptr, t.s.ind
	state, cidx, adiag := t.state, t.cidx, t.adiag
	n := len(ip) - 1
	lo := sort.SearchInts(sp[:n], len(si)*part/parts)
	hi := n
	if part+1 < parts {
		hi = sort.SearchInts(sp[:n], len(si)*(part+1)/parts)
	}
	pos := make([]int32, n) // a point of row i's C_i -> its place there; -1 for any other
	for i := range pos {
		pos[i] = -1
	}
	strongMark := make([]int32, n)
	for i := range strongMark {
		strongMark[i] = -1
	}
	var cw []coupling
	for i := lo; i < hi; i++ {
		ci := t.pi[t.pp[i]:t.pp[i+1]]
		w := t.pv[t.pp[i]:t.pp[i+1]]
		if state[i] == coarse {
			ci[0], w[0] = int(cidx[i]), 1
			continue
		}
		m := 0
		for _, j := range si[sp[i]:sp[i+1]] {
			strongMark[j] = int32(i)
			if state[j] == coarse {
				pos[j] = int32(m)
				ci[m] = int(cidx[j])
				m++
			}
		}
		if len(ci) == 0 {
			continue
		}
		var diag float64
		for k := ip[i]; k < ip[i+1]; k++ {
			j, v := ind[k], val[k]
			switch {
			case j == i:
				diag += v
			case strongMark[j] == int32(i) && state[j] == coarse:
				w[pos[j]] += v
			case strongMark[j] == int32(i) && state[j] == fine:
				// Distribute a_ij over C_i by row j's couplings to it:
				// one scan of row j, the couplings kept in cw.
				cw = cw[:0]
				var sum float64
				// Modified classical interpolation (hypre's default): only
				// couplings of the sign opposite to row j's diagonal take part.
				dj := adiag[j]
				for q := ip[j]; q < ip[j+1]; q++ {
					if at := pos[ind[q]]; at >= 0 && val[q]*dj < 0 {
						sum += val[q]
						cw = append(cw, coupling{int(at), val[q]})
					}
				}
				if sum == 0 {
					diag += v
					continue
				}
				f := v / sum
				for _, c := range cw {
					w[c.at] += f * c.v
				}
			default:
				diag += v
			}
		}
		for q := range w {
			w[q] = -w[q] / diag
		}
		for _, j := range si[sp[i]:sp[i+1]] {
			pos[j] = -1
		}
	}
}

// coupling is an entry of a row: its place in the interpolation row and
// its value.
type coupling struct {
	at int
	v  float64
}

// cfOrder returns the C points, then the others: the C/F-ordered
// Gauss-Seidel sweep of classical AMG (hypre's default), whose reverse is
// its adjoint.
func cfOrder(state []int8) []int {
	order := make([]int, 0, len(state))
	for _, want := range []int8{coarse, fine} {
		for i, st := range state {
			if st == want || want == fine && st != coarse {
				order = append(order, i)
			}
		}
	}
	return order
}
