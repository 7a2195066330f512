package amg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/solvers/direct"
	"github.com/pdekit/pdekit/sparse"
)

// Smoother is the relaxation of every level but the coarsest.
type Smoother int

const (
	// SymmetricGS is a forward Gauss-Seidel sweep before the coarse
	// correction and a backward one after it, so that the cycle is
	// symmetric. On a classical level the forward sweep takes the C
	// points, then the F points (hypre's C/F relaxation). It sweeps a
	// copy of the level's rows laid out in its order, 12 bytes an entry
	// beside the level's matrix.
	SymmetricGS Smoother = iota
	// Jacobi is x += (4 / (3 rho)) D^-1 (b - A x), rho the estimated
	// spectral radius of D^-1 A.
	Jacobi
	// Chebyshev is a Chebyshev polynomial in D^-1 A of degree
	// Settings.Sweeps+1 that damps the upper part [rho/30, 1.1 rho] of its
	// spectrum (Adams, Brezina, Hu and Tuminaro 2003): one matrix-vector
	// product per degree, no sweep order, so it runs in parallel.
	Chebyshev
)

// String returns the smoother's name.
func (s Smoother) String() string {
	switch s {
	case SymmetricGS:
		return "symmetric-gs"
	case Jacobi:
		return "jacobi"
	case Chebyshev:
		return "chebyshev"
	}
	return fmt.Sprintf("Smoother(%d)", int(s))
}

// Coarsening is the way each level chooses its coarse unknowns and the
// prolongation from them.
type Coarsening int

const (
	// SmoothedAggregation groups the unknowns into aggregates along their
	// strong couplings; each aggregate is one coarse unknown (per
	// near-null vector), and the piecewise prolongator that carries the
	// near-null space is smoothed by one damped-Jacobi step.
	SmoothedAggregation Coarsening = iota
	// RugeStueben is classical AMG: a C/F splitting of the unknowns by
	// the strong negative couplings (Ruge and Stueben 1987, both passes),
	// the C points being the coarse unknowns, and classical
	// interpolation to the F points.
	RugeStueben
)

// String returns the coarsening's name.
func (c Coarsening) String() string {
	switch c {
	case SmoothedAggregation:
		return "sa"
	case RugeStueben:
		return "rs"
	}
	return fmt.Sprintf("Coarsening(%d)", int(c))
}

// Settings configure the hierarchy. The zero value is smoothed aggregation
// with strength threshold 0.08, the constant near-null space, V(1,1)
// cycles with symmetric Gauss-Seidel, and a direct solve once at most 300
// unknowns remain.
type Settings struct {
	// Coarsening is the method; zero is SmoothedAggregation.
	Coarsening Coarsening
	// Strength is the threshold theta of the strength of connection. For
	// SmoothedAggregation the off-diagonal a_ij is strong when |a_ij| >=
	// theta_l sqrt(|a_ii a_jj|) on level l, theta_l = theta 2^-l (the
	// coarse operators' couplings spread over more neighbours), and zero
	// means 0.08 (Vanek, Mandel and Brezina); for RugeStueben it is strong when -a_ij >= theta max_k
	// (-a_ik), and zero means 0.25 (Ruge and Stueben; hypre's default). A
	// negative value means 0, every coupling strong.
	Strength float64
	// NearNull holds the near-null-space vectors of SmoothedAggregation
	// (the kernel of the operator without boundary conditions: the
	// constant for a scalar diffusion problem, the rigid-body modes for
	// elasticity), each of the operator's length; nil means the constant
	// vector. RugeStueben, a scalar method, does not use them.
	NearNull [][]float64
	// SmoothWeight is omega of the prolongation smoother P = (I - omega /
	// rho D^-1 A_F) T; zero means 4/3.
	SmoothWeight float64
	// Smoother is the relaxation; zero is SymmetricGS.
	Smoother Smoother
	// Sweeps is the number of pre- and of post-smoothing steps (for
	// Chebyshev, the degree is Sweeps+1); zero means 1.
	Sweeps int
	// CoarsestSize stops the coarsening once a level has at most this many
	// unknowns; zero means 300. The coarsest level is solved directly: by
	// a dense inverse up to 500 unknowns, by a sparse factorisation
	// (CHOLMOD's Cholesky, or UMFPACK's LU, package direct) above.
	CoarsestSize int
	// MaxLevels bounds the number of levels; zero means 25.
	MaxLevels int
	// Reorder chooses the ordering the hierarchy is built in; zero is
	// ReorderAuto.
	Reorder Reordering
}

// Reordering is the ordering of the unknowns the hierarchy is built in.
// The cycle is the same up to the coarsening's ties, but its products
// and sweeps keep their vectors in cache only if each row's entries lie
// near the diagonal: a mesher's numbering often scatters them.
type Reordering int

const (
	// ReorderAuto reorders by reverse Cuthill-McKee when the matrix's
	// entries lie far from the diagonal (a mean |i - j| above n/50) and
	// the ordering brings them at least 4 times nearer. On the L-shaped
	// finite-element matrix (249k unknowns, gmsh's numbering, mean
	// |i - j| 47,000 against 270) it nearly halves the set-up (0.60 ->
	// 0.32 s, the reordering included) and cuts the solve by a third (9
	// -> 8 iterations, 0.33 -> 0.20 s); a grid's natural numbering is
	// kept.
	ReorderAuto Reordering = iota
	// ReorderNone keeps the matrix's numbering.
	ReorderNone
	// ReorderRCM always reorders by reverse Cuthill-McKee.
	ReorderRCM
)

// maxDense is the largest coarsest level inverted densely; a larger one
// is factored sparse. maxDirect is the largest a singular coarsest level
// may be (its pseudo-inverse is dense): a coarsening that stalls above it
// on a matrix the sparse factorisations refuse is an error.
const (
	maxDense  = 500
	maxDirect = 4000
)

// Stats describe a hierarchy.
type Stats struct {
	// Rows and NNZ are each level's unknowns and stored entries, the
	// finest first.
	Rows, NNZ []int
	// Coarsest names the coarsest level's solve: "dense" (an inverse or
	// pseudo-inverse) or the sparse factorisation's method.
	Coarsest string
	// OperatorComplexity is the entries of all levels over the finest's,
	// GridComplexity the unknowns of all levels over the finest's: the
	// memory and the work per cycle relative to the matrix.
	OperatorComplexity, GridComplexity float64
	// Reordered says whether the hierarchy is built in the reverse
	// Cuthill-McKee ordering (Settings.Reorder).
	Reordered bool
}

// AMG is a smoothed-aggregation algebraic multigrid hierarchy (Vanek,
// Mandel and Brezina 1996) built from the entries of a matrix alone: no
// grid. It is a solvers.Preconditioner (one V-cycle from a zero initial
// guess), so it preconditions CG (its cycle is symmetric with the
// symmetric smoothers), GMRES and BiCGSTAB; with solvers.Richardson it is
// the multigrid iteration itself.
//
// An AMG holds per-level work vectors: one value serves one solve at a
// time.
type AMG struct {
	s      Settings
	perm   []int // the hierarchy's ordering: its unknown k is the matrix's perm[k]; nil for the matrix's own
	rp, zp []float64
	levels []*level
	inv    []float64            // the coarsest level's dense (pseudo-)inverse, row-major
	fact   direct.Factorization // or its sparse factorisation
}

type level struct {
	a       *sparse.CSR
	diag    []float64
	p, r    *sparse.CSR // prolongation from and restriction to the next level
	x, b, t []float64
	u       []float64 // Chebyshev's direction
	rho     float64   // estimated spectral radius of D^-1 A (Jacobi, Chebyshev)
	// sw is the Gauss-Seidel smoother's copy of a (every level but the
	// coarsest, with SymmetricGS): on a classical level in C/F order, its
	// C points then its F points (the reverse after the coarse
	// correction), otherwise in index order. The residual is taken from
	// it too.
	sw *sweep
}

// New builds the hierarchy of the square matrix op (a *sparse.CSR, a mesh
// stencil or any solvers.RowAccessor). Each level takes the strength
// graph of its operator, aggregates it greedily (Vanek's three phases:
// root points with their whole strong neighbourhoods, the rest joined to
// a neighbouring aggregate, the remainder grouped), builds the tentative
// prolongator T whose columns restrict the near-null space to one
// aggregate each (orthonormalised per aggregate, so T B_c = B), smooths it
// by one damped-Jacobi step with the filtered operator (weak couplings
// lumped onto the diagonal) and forms the Galerkin product R A P, R =
// P^T. Unknowns without a strong coupling (a Dirichlet row, say) join no
// aggregate: the smoother alone treats them. It returns an error for a
// non-square or non-finite matrix, a zero diagonal, near-null vectors of
// the wrong length, or a coarsening that stalls above the size of the
// direct solve.
func New(op solvers.Operator, s *Settings) (*AMG, error) {
	a, err := solvers.AsCSR(op, "amg")
	if err != nil {
		return nil, err
	}
	m := &AMG{}
	if s != nil {
		m.s = *s
	}
	if err := m.s.defaults(); err != nil {
		return nil, err
	}
	n, c := a.Dims()
	if n != c || n == 0 {
		return nil, fmt.Errorf("amg: matrix is %d x %d: %w", n, c, solvers.ErrShape)
	}
	if err := a.CheckFinite(); err != nil {
		return nil, fmt.Errorf("amg: %w", err)
	}
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("amg: %d unknowns: the strength graph numbers points in 32 bits: %w", n, solvers.ErrShape)
	}
	// The finest level's diagonal is checked here, before any reordering,
	// so that an error names the matrix's own row.
	diag := a.Diagonal(nil)
	for i, d := range diag {
		if d == 0 {
			return nil, fmt.Errorf("amg: level 0 (%d unknowns): zero diagonal in row %d: %w", n, i, solvers.ErrSingular)
		}
	}
	if m.perm, a, err = ordering(a, m.s.Reorder); err != nil {
		return nil, err
	}
	if m.perm != nil {
		m.rp, m.zp = make([]float64, n), make([]float64, n)
		diag = nil // newLevel takes the reordered matrix's
	}
	b := m.s.NearNull
	if b == nil {
		one := make([]float64, n)
		for i := range one {
			one[i] = 1
		}
		b = [][]float64{one}
	}
	for k, v := range b {
		if len(v) != n {
			return nil, fmt.Errorf("amg: near-null vector %d has length %d, the matrix %d rows: %w", k, len(v), n, solvers.ErrShape)
		}
	}
	if m.perm != nil && m.s.NearNull != nil {
		pb := make([][]float64, len(b))
		for k, v := range b {
			pb[k] = make([]float64, n)
			for q, i := range m.perm {
				pb[k][q] = v[i]
			}
		}
		b = pb
	}
	for {
		lv, err := newLevel(a, diag, len(m.levels), m.s.Smoother)
		diag = nil
		if err != nil {
			return nil, err
		}
		m.levels = append(m.levels, lv)
		if n <= m.s.CoarsestSize || len(m.levels) == m.s.MaxLevels {
			break
		}
		var nc int
		var order []int
		var strong pattern
		if m.s.Coarsening == RugeStueben {
			if a.NNZ() > math.MaxInt32 {
				return nil, fmt.Errorf("amg: level %d has %d nonzeros: the splitting numbers the strength graph's entries in 32 bits: %w", len(m.levels)-1, a.NNZ(), solvers.ErrShape)
			}
			strong = classicalStrength(a, m.s.Strength)
			state := splitCF(strong)
			lv.p, nc = classicalP(a, lv.diag, strong, state)
			order = cfOrder(state)
		} else {
			strong = strength(a, lv.diag, m.s.Strength*math.Pow(0.5, float64(len(m.levels)-1)))
			agg, nagg := aggregate(strong)
			nc = nagg * len(b)
			if nagg > 0 && float64(nc) <= 0.9*float64(n) {
				var t *sparse.CSR
				t, b = tentative(agg, nagg, b)
				if lv.p, err = smoothP(a, strong, t, m.s.SmoothWeight); err != nil {
					return nil, fmt.Errorf("amg: level %d: %w", len(m.levels)-1, err)
				}
			}
		}
		if nc == 0 || float64(nc) > 0.9*float64(n) {
			lv.p = nil
			break // nothing left to coarsen: this level is the coarsest
		}
		lv.r = lv.p.Transpose()
		ap, err := sparse.Mul(a, lv.p)
		if err != nil {
			return nil, err
		}
		if a, err = sparse.Mul(lv.r, ap); err != nil {
			return nil, err
		}
		if m.s.Smoother == SymmetricGS {
			// The smoother's copy takes the memory of the strength graph
			// and of A P, garbage now, where it can: fresh pages cost
			// about 0.4 ms a megabyte to fault in. On the anisotropic
			// 511^2 hierarchy (operator complexity 2.8) the copy in fresh
			// pages added a fifth to the set-up; here it adds less (set-up
			// 0.165 -> 0.157 s).
			_, _, apv := ap.RawCSR()
			lv.sw = newSweep(lv.a, lv.diag, order, apv[:0], strong.ind[:0])
		}
		n, _ = a.Dims()
	}
	last := m.levels[len(m.levels)-1]
	if n > maxDense {
		f, ferr := direct.New(last.a)
		if ferr == nil {
			m.fact = f
			return m, nil
		}
		if n > maxDirect {
			return nil, fmt.Errorf("amg: the coarsening stalled at level %d with %d unknowns and its sparse factorisation failed (%w); a dense pseudo-inverse takes at most %d: a smaller Strength or a matrix with stronger off-diagonal couplings coarsens further", len(m.levels)-1, n, ferr, maxDirect)
		}
	}
	if m.inv, err = inverse(last.a); err != nil {
		return nil, err
	}
	return m, nil
}

// ordering returns the hierarchy's ordering for the setting, nil for the
// matrix's own, and the matrix in it.
func ordering(a *sparse.CSR, r Reordering) ([]int, *sparse.CSR, error) {
	n, _ := a.Dims()
	switch r {
	case ReorderNone:
		return nil, a, nil
	case ReorderRCM, ReorderAuto:
		gap := sparse.MeanGap(a)
		if r == ReorderAuto && gap <= float64(n)/50 {
			return nil, a, nil
		}
		perm, err := sparse.RCM(a)
		if err != nil {
			return nil, nil, err
		}
		b, err := sparse.PermuteSym(a, perm)
		if err != nil {
			return nil, nil, err
		}
		if r == ReorderAuto && 4*sparse.MeanGap(b) > gap {
			return nil, a, nil
		}
		return perm, b, nil
	}
	return nil, nil, fmt.Errorf("amg: unknown Reorder %d", r)
}

func (s *Settings) defaults() error {
	if s.Smoother < SymmetricGS || s.Smoother > Chebyshev {
		return fmt.Errorf("amg: unknown smoother %d", s.Smoother)
	}
	if s.Coarsening < SmoothedAggregation || s.Coarsening > RugeStueben {
		return fmt.Errorf("amg: unknown coarsening %d", s.Coarsening)
	}
	if s.Reorder < ReorderAuto || s.Reorder > ReorderRCM {
		return fmt.Errorf("amg: unknown Reorder %d", s.Reorder)
	}
	if s.Sweeps < 0 || s.CoarsestSize < 0 || s.MaxLevels < 0 || s.SmoothWeight < 0 || math.IsNaN(s.Strength) {
		return fmt.Errorf("amg: negative sweeps, coarsest size, levels or weight, or a NaN strength, in settings %+v", *s)
	}
	switch {
	case s.Strength == 0 && s.Coarsening == RugeStueben:
		s.Strength = 0.25
	case s.Strength == 0:
		s.Strength = 0.08
	case s.Strength < 0:
		s.Strength = 0
	}
	if s.SmoothWeight == 0 {
		s.SmoothWeight = 4.0 / 3
	}
	if s.Sweeps == 0 {
		s.Sweeps = 1
	}
	if s.CoarsestSize == 0 {
		s.CoarsestSize = 300
	}
	if s.MaxLevels == 0 {
		s.MaxLevels = 25
	}
	return nil
}

// newLevel returns level l of operator a, its diagonal diag (nil: taken
// from a) checked for zeros, with what the smoother sm needs.
func newLevel(a *sparse.CSR, diag []float64, l int, sm Smoother) (*level, error) {
	n, _ := a.Dims()
	lv := &level{a: a, x: make([]float64, n), b: make([]float64, n), t: make([]float64, n), diag: diag}
	if lv.diag == nil {
		lv.diag = a.Diagonal(nil)
	}
	for i, d := range lv.diag {
		if d == 0 {
			return nil, fmt.Errorf("amg: level %d (%d unknowns): zero diagonal in row %d: %w", l, n, i, solvers.ErrSingular)
		}
	}
	if sm != SymmetricGS {
		lv.rho = spectralRadius(a, lv.diag)
	}
	if sm == Chebyshev {
		lv.u = make([]float64, n)
	}
	return lv, nil
}

// pattern is a sparsity pattern in CSR form, without values: a strength
// graph. It is built in order, so needs no validation.
type pattern struct {
	ptr []int
	ind []int32 // 32-bit: the splitting and the interpolation are bound by memory traffic
}

// transpose returns the pattern of the transpose (rows visited in order,
// so each row of the result is sorted).
func (s pattern) transpose() pattern {
	n := len(s.ptr) - 1
	t := pattern{ptr: make([]int, n+1), ind: make([]int32, len(s.ind))}
	for _, j := range s.ind {
		t.ptr[j+1]++
	}
	for j := 0; j < n; j++ {
		t.ptr[j+1] += t.ptr[j]
	}
	next := make([]int, n)
	copy(next, t.ptr[:n])
	for i := 0; i < n; i++ {
		for _, j := range s.ind[s.ptr[i]:s.ptr[i+1]] {
			t.ind[next[j]] = int32(i)
			next[j]++
		}
	}
	return t
}

// strength returns the strong couplings of each row: j != i with |a_ij|
// >= theta sqrt(|a_ii a_jj|).
func strength(a *sparse.CSR, diag []float64, theta float64) pattern {
	ip, ind, val := a.RawCSR()
	n := len(diag)
	sp := make([]int, n+1)
	si := make([]int32, 0, len(ind))
	for i := 0; i < n; i++ {
		di := math.Abs(diag[i])
		for k := ip[i]; k < ip[i+1]; k++ {
			j := ind[k]
			if j != i && val[k] != 0 && math.Abs(val[k]) >= theta*math.Sqrt(di*math.Abs(diag[j])) {
				si = append(si, int32(j))
			}
		}
		sp[i+1] = len(si)
	}
	return pattern{ptr: sp, ind: si}
}

// aggregate groups the unknowns by their strong couplings s (Vanek,
// Mandel and Brezina's greedy scheme) and returns each unknown's aggregate
// (-1 for an unknown without strong couplings) and the number of
// aggregates.
func aggregate(s pattern) ([]int, int) {
	ip, ind := s.ptr, s.ind
	n := len(ip) - 1
	agg := make([]int, n)
	for i := range agg {
		agg[i] = -1
	}
	nagg := 0
	// Phase 1: a point whose strong neighbours are all free roots an
	// aggregate of its whole neighbourhood.
	for i := 0; i < n; i++ {
		if agg[i] >= 0 || ip[i] == ip[i+1] {
			continue
		}
		free := true
		for _, j := range ind[ip[i]:ip[i+1]] {
			if agg[j] >= 0 {
				free = false
				break
			}
		}
		if !free {
			continue
		}
		agg[i] = nagg
		for _, j := range ind[ip[i]:ip[i+1]] {
			agg[j] = nagg
		}
		nagg++
	}
	// Phase 2: a free point joins an aggregate of phase 1 that one of its
	// strong neighbours is in (the first; phase-2 joins do not chain).
	phase1 := make([]int, n)
	copy(phase1, agg)
	for i := 0; i < n; i++ {
		if agg[i] >= 0 {
			continue
		}
		for _, j := range ind[ip[i]:ip[i+1]] {
			if phase1[j] >= 0 {
				agg[i] = phase1[j]
				break
			}
		}
	}
	// Phase 3: what is left forms aggregates with its free neighbours.
	for i := 0; i < n; i++ {
		if agg[i] >= 0 || ip[i] == ip[i+1] {
			continue
		}
		agg[i] = nagg
		for _, j := range ind[ip[i]:ip[i+1]] {
			if agg[j] < 0 {
				agg[j] = nagg
			}
		}
		nagg++
	}
	return agg, nagg
}

// tentative returns the tentative prolongator T (n x nagg*k for k
// near-null vectors b) and the coarse near-null vectors: for each
// aggregate, the rows of b on its unknowns are factored B_a = Q_a R_a
// (modified Gram-Schmidt); Q_a fills T's block and R_a the coarse vectors'
// rows, so that T B_c = B on every aggregated unknown. A column that is
// linearly dependent on the previous ones within an aggregate (an
// aggregate smaller than k) is left zero.
func tentative(agg []int, nagg int, b [][]float64) (*sparse.CSR, [][]float64) {
	n, k := len(agg), len(b)
	members := make([][]int, nagg)
	for i, g := range agg {
		if g >= 0 {
			members[g] = append(members[g], i)
		}
	}
	// Each aggregated row i has k entries, in columns agg[i]*k + 0..k-1.
	ip := make([]int, n+1)
	for i, g := range agg {
		ip[i+1] = ip[i]
		if g >= 0 {
			ip[i+1] += k
		}
	}
	ind := make([]int, ip[n])
	val := make([]float64, ip[n])
	bc := make([][]float64, k)
	for c := range bc {
		bc[c] = make([]float64, nagg*k)
	}
	q := make([]float64, 0, 64)
	for g, mem := range members {
		q = q[:0]
		for c := 0; c < k; c++ {
			// Column c of B_a, orthogonalised against the previous columns.
			col := len(q)
			for _, i := range mem {
				q = append(q, b[c][i])
			}
			v := q[col:]
			var orig float64
			for _, x := range v {
				orig += x * x
			}
			for pc := 0; pc < c; pc++ {
				prev := q[pc*len(mem) : (pc+1)*len(mem)]
				d := floats.Dot(prev, v)
				bc[c][g*k+pc] = d
				floats.AddScaled(v, -d, prev)
			}
			nrm := floats.Norm(v, 2)
			if nrm <= 1e-10*math.Sqrt(orig) || nrm == 0 {
				clear(v)
				continue
			}
			floats.Scale(1/nrm, v)
			bc[c][g*k+c] = nrm
		}
		for r, i := range mem {
			for c := 0; c < k; c++ {
				ind[ip[i]+c] = g*k + c
				val[ip[i]+c] = q[c*len(mem)+r]
			}
		}
	}
	t, _ := sparse.NewCSR(n, nagg*k, ip, ind, val)
	return t, bc
}

// smoothP returns P = (I - omega/rho D_F^-1 A_F) T, A_F the filtered
// operator: a's diagonal and strong couplings, each weak coupling added to
// the diagonal instead (so that A_F keeps a's row sums, and with them the
// constant near-null vector's image), rho the spectral radius of
// D_F^-1 A_F.
func smoothP(a *sparse.CSR, strong pattern, t *sparse.CSR, omega float64) (*sparse.CSR, error) {
	ip, ind, val := a.RawCSR()
	sp, si := strong.ptr, strong.ind
	n := len(ip) - 1
	fp := make([]int, n+1)
	fi := make([]int, 0, len(si)+n)
	fv := make([]float64, 0, len(si)+n)
	for i := 0; i < n; i++ {
		s := si[sp[i]:sp[i+1]] // ascending, a subset of row i's columns
		var lumped float64
		dpos := -1
		for k := ip[i]; k < ip[i+1]; k++ {
			j := ind[k]
			switch {
			case j == i:
				dpos = len(fi)
				fi = append(fi, j)
				fv = append(fv, val[k])
			case len(s) > 0 && int(s[0]) == j:
				s = s[1:]
				fi = append(fi, j)
				fv = append(fv, val[k])
			default:
				lumped += val[k]
			}
		}
		fv[dpos] += lumped
		// A lumped diagonal that vanishes or changes sign (positive weak
		// couplings) would make the Jacobi step meaningless: keep a's.
		if d := val[ip[i]+searchCol(ind[ip[i]:ip[i+1]], i)]; fv[dpos]*d <= 0 || math.Abs(fv[dpos]) < 1e-8*math.Abs(d) {
			fv[dpos] = d
		}
		fp[i+1] = len(fi)
	}
	af, err := sparse.NewCSR(n, n, fp, fi, fv)
	if err != nil {
		return nil, err
	}
	df := af.Diagonal(nil)
	scale := omega / spectralRadius(af, df)
	p, err := sparse.Mul(af, t)
	if err != nil {
		return nil, err
	}
	pp, pi, pv := p.RawCSR()
	tp, ti, tv := t.RawCSR()
	for i := 0; i < n; i++ {
		f := -scale / df[i]
		for k := pp[i]; k < pp[i+1]; k++ {
			pv[k] *= f
		}
		// T's pattern lies in A_F T's: A_F has every diagonal entry.
		cols := pi[pp[i]:pp[i+1]]
		for k := tp[i]; k < tp[i+1]; k++ {
			pv[pp[i]+searchCol(cols, ti[k])] += tv[k]
		}
	}
	return p, nil
}

// searchCol returns the position of column j in the ascending cols, which
// must hold it.
func searchCol(cols []int, j int) int {
	k := sort.SearchInts(cols, j)
	if k == len(cols) || cols[k] != j {
		panic(fmt.Sprintf("amg: column %d missing from a row", j))
	}
	return k
}

// spectralRadius estimates the spectral radius of D^-1 A by 15 steps of
// the power method from a seeded random vector, with the Rayleigh quotient
// x^T A x / x^T D x (exact in the limit for a symmetric A with a positive
// diagonal; an estimate otherwise).
func spectralRadius(a *sparse.CSR, diag []float64) float64 {
	n := len(diag)
	rnd := rand.New(rand.NewPCG(uint64(n), 0xa3a))
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = rnd.Float64() - 0.5
	}
	var rho float64
	for it := 0; it < 15; it++ {
		a.MulVecTo(y, x)
		var num, den float64
		for i := range x {
			num += x[i] * y[i]
			den += x[i] * x[i] * diag[i]
		}
		if den != 0 {
			rho = math.Max(rho, math.Abs(num/den))
		}
		for i := range y {
			y[i] /= diag[i]
		}
		nrm := floats.Norm(y, 2)
		if !(nrm > 0) || math.IsInf(nrm, 0) {
			break
		}
		floats.ScaleTo(x, 1/nrm, y)
	}
	if !(rho > 0) {
		rho = 1
	}
	return rho
}

// inverse returns the dense inverse of the coarsest operator, or for a
// symmetric singular one (a pure Neumann problem) its pseudo-inverse, so
// that a consistent system is still solved.
func inverse(a *sparse.CSR) ([]float64, error) {
	n, _ := a.Dims()
	d := a.ToDense()
	var lu mat.LU
	lu.Factorize(d)
	if lu.Cond() < 1e12 {
		inv := mat.NewDense(n, n, nil)
		if err := lu.SolveTo(inv, false, eye(n)); err == nil {
			return inv.RawMatrix().Data, nil
		}
	}
	if !symmetricTo(d, 1e-12) {
		return nil, fmt.Errorf("amg: the coarsest operator (%d unknowns) is singular and not symmetric: %w", n, solvers.ErrSingular)
	}
	sym := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, 0.5*(d.At(i, j)+d.At(j, i)))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, true) {
		return nil, fmt.Errorf("amg: the coarsest operator's (%d unknowns) eigendecomposition failed", n)
	}
	vals := eig.Values(nil)
	var v mat.Dense
	eig.VectorsTo(&v)
	big := math.Max(math.Abs(vals[0]), math.Abs(vals[n-1]))
	inv := make([]float64, n*n)
	for k, lam := range vals {
		if math.Abs(lam) <= 1e-10*big {
			continue
		}
		for i := 0; i < n; i++ {
			vi := v.At(i, k) / lam
			row := inv[i*n : (i+1)*n]
			for j := range row {
				row[j] += vi * v.At(j, k)
			}
		}
	}
	return inv, nil
}

func symmetricTo(d *mat.Dense, tol float64) bool {
	n, _ := d.Dims()
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			x, y := d.At(i, j), d.At(j, i)
			if math.Abs(x-y) > tol*(math.Abs(x)+math.Abs(y)) {
				return false
			}
		}
	}
	return true
}

func eye(n int) *mat.Dense {
	d := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		d.Set(i, i, 1)
	}
	return d
}

// Levels returns the number of levels, the finest included.
func (m *AMG) Levels() int { return len(m.levels) }

// Operator returns the matrix of level l, 0 being the finest, in the
// hierarchy's ordering (the matrix's own unless Stats says Reordered).
func (m *AMG) Operator(l int) *sparse.CSR { return m.levels[l].a }

// Prolongation returns the prolongation from level l+1 to level l, in the
// hierarchy's ordering.
func (m *AMG) Prolongation(l int) *sparse.CSR { return m.levels[l].p }

// Stats returns the hierarchy's sizes and complexities.
func (m *AMG) Stats() Stats {
	var s Stats
	var rows, nnz float64
	for _, lv := range m.levels {
		r, _ := lv.a.Dims()
		s.Rows = append(s.Rows, r)
		s.NNZ = append(s.NNZ, lv.a.NNZ())
		rows += float64(r)
		nnz += float64(lv.a.NNZ())
	}
	s.OperatorComplexity = nnz / float64(s.NNZ[0])
	s.GridComplexity = rows / float64(s.Rows[0])
	s.Reordered = m.perm != nil
	s.Coarsest = "dense"
	if m.fact != nil {
		s.Coarsest = m.fact.Stats().Method
	}
	return s
}

// PreconSolve sets dst to one V-cycle on A dst = r from a zero initial
// guess.
func (m *AMG) PreconSolve(dst, r []float64) {
	top := m.levels[0]
	if len(dst) != len(top.x) || len(r) != len(top.x) {
		panic(fmt.Sprintf("amg: PreconSolve lengths %d, %d for %d unknowns", len(dst), len(r), len(top.x)))
	}
	if m.perm != nil {
		for k, i := range m.perm {
			m.rp[k] = r[i]
		}
		m.cycleFrom(m.zp, m.rp)
		for k, i := range m.perm {
			dst[i] = m.zp[k]
		}
		return
	}
	m.cycleFrom(dst, r)
}

// cycleFrom sets dst to one cycle from zero on r, in the hierarchy's
// ordering.
func (m *AMG) cycleFrom(dst, r []float64) {
	top := m.levels[0]
	x, b := top.x, top.b
	top.x, top.b = dst, r
	clear(dst)
	m.cycle(0)
	top.x, top.b = x, b
}

func (m *AMG) cycle(l int) {
	lv := m.levels[l]
	if l == len(m.levels)-1 {
		if m.fact != nil {
			if err := m.fact.SolveTo(lv.x, lv.b); err != nil {
				panic(fmt.Sprintf("amg: the coarsest level's solve: %v", err)) // lengths match by construction
			}
			return
		}
		n := len(lv.x)
		for i := 0; i < n; i++ {
			lv.x[i] = floats.Dot(m.inv[i*n:(i+1)*n], lv.b)
		}
		return
	}
	for s := 0; s < m.s.Sweeps; s++ {
		m.smooth(lv, true, s == 0)
	}
	next := m.levels[l+1]
	lv.residual(lv.t)
	lv.r.MulVecTo(next.b, lv.t)
	clear(next.x)
	m.cycle(l + 1)
	lv.p.MulVecTo(lv.t, next.x)
	floats.Add(lv.x, lv.t)
	for s := 0; s < m.s.Sweeps; s++ {
		m.smooth(lv, false, false)
	}
}

// residual sets dst = b - A x.
func (lv *level) residual(dst []float64) {
	if lv.sw != nil {
		lv.sw.residual(dst, lv.x, lv.b)
		return
	}
	lv.a.MulVecTo(dst, lv.x)
	floats.SubTo(dst, lv.b, dst)
}

// smooth applies one smoothing step; pre selects the sweep before the
// coarse correction, zero says that x is zero (the first pre-smoothing
// step of a cycle from a zero guess).
func (m *AMG) smooth(lv *level, pre, zero bool) {
	switch m.s.Smoother {
	case SymmetricGS:
		if pre {
			lv.sw.forward(lv.x, lv.b)
		} else {
			lv.sw.backward(lv.x, lv.b)
		}
	case Jacobi:
		w := 4 / (3 * lv.rho)
		if zero {
			for i, d := range lv.diag {
				lv.x[i] = w * lv.b[i] / d
			}
			return
		}
		lv.residual(lv.t)
		for i, d := range lv.diag {
			lv.x[i] += w * lv.t[i] / d
		}
	case Chebyshev:
		lv.chebyshev(m.s.Sweeps+1, zero)
	}
}

// chebyshev applies the Chebyshev polynomial of the given degree in D^-1
// A for the interval [rho/30, 1.1 rho] to x (Saad, Iterative Methods for
// Sparse Linear Systems, algorithm 12.1, with the Jacobi preconditioner).
func (lv *level) chebyshev(degree int, zero bool) {
	hi := 1.1 * lv.rho
	lo := hi / 30
	theta, delta := (hi+lo)/2, (hi-lo)/2
	sigma := theta / delta
	rho := 1 / sigma
	x, d, r := lv.x, lv.u, lv.t
	if zero {
		copy(r, lv.b)
	} else {
		lv.residual(r)
	}
	for i, di := range lv.diag {
		r[i] /= di
		d[i] = r[i] / theta
	}
	for k := 1; ; k++ {
		floats.Add(x, d)
		if k == degree {
			return
		}
		// r = D^-1 (b - A x): one product, as the update r -= D^-1 A d.
		lv.residual(r)
		for i, di := range lv.diag {
			r[i] /= di
		}
		rn := 1 / (2*sigma - rho)
		for i := range d {
			d[i] = rn*rho*d[i] + 2*rn/delta*r[i]
		}
		rho = rn
	}
}
