package mg

import (
	"fmt"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/mesh"
	"github.com/pdekit/pdekit/solvers"
	"github.com/pdekit/pdekit/sparse"
)

// Cycle is the recursion pattern of a multigrid cycle.
type Cycle int

const (
	// V visits each coarser level once per cycle.
	V Cycle = iota
	// W visits each coarser level twice (two coarse iterations per level).
	W
	// F does an F-cycle then a V-cycle on each coarser level.
	F
)

// String returns "V", "W" or "F".
func (c Cycle) String() string {
	switch c {
	case V:
		return "V"
	case W:
		return "W"
	case F:
		return "F"
	}
	return fmt.Sprintf("Cycle(%d)", int(c))
}

// Smoother is the relaxation applied before and after each coarse-grid
// correction.
type Smoother int

const (
	// GaussSeidel sweeps lexicographically: forward before the
	// correction, backward after, so the cycle is symmetric.
	GaussSeidel Smoother = iota
	// RedBlack is Gauss-Seidel in red-black order (points with even, then
	// odd, index sum; the reverse order after the correction, so the cycle
	// is symmetric). For a 5- or 7-point operator the points of one colour are
	// independent.
	RedBlack
	// WeightedJacobi is x += w D^{-1} (b - A x) with Settings.JacobiWeight.
	WeightedJacobi
)

// String returns the smoother's name.
func (s Smoother) String() string {
	switch s {
	case GaussSeidel:
		return "gauss-seidel"
	case RedBlack:
		return "red-black"
	case WeightedJacobi:
		return "weighted-jacobi"
	}
	return fmt.Sprintf("Smoother(%d)", int(s))
}

// Interpolation selects the prolongation P; the restriction is always
// R = P^T / 2^d.
type Interpolation int

const (
	// Auto is OperatorDependent on 1-D and 2-D Dirichlet grids with
	// Galerkin coarse operators, Geometric otherwise.
	Auto Interpolation = iota
	// Geometric is the (bi/tri)linear interpolation of mesh.Transfer.
	Geometric
	// OperatorDependent builds P from the stencil of each level's
	// operator (Alcouffe, Brandt, Dendy and Painter 1981), so that
	// interpolation follows the flux across coefficient jumps. It needs
	// a 1-D or 2-D grid with Dirichlet boundaries.
	OperatorDependent
)

// Settings configures a multigrid hierarchy. The zero value is a V(1,1)
// cycle with lexicographic Gauss-Seidel and Galerkin coarse operators.
type Settings struct {
	// Cycle is the cycle type; zero is V.
	Cycle Cycle
	// Smoother is the relaxation; zero is Gauss-Seidel.
	Smoother Smoother
	// PreSmooth and PostSmooth are the sweeps before and after the
	// coarse-grid correction; zero means 1.
	PreSmooth, PostSmooth int
	// JacobiWeight is the weight of WeightedJacobi; zero means
	// 2d/(2d+1) in d dimensions (2/3, 4/5, 6/7), the weight that best
	// damps high frequencies of the Laplacian.
	JacobiWeight float64
	// Coarse, if set, rediscretizes the problem on a coarser grid and
	// returns its matrix; nil means Galerkin coarse operators
	// A_c = R A P, which need no knowledge of the problem and keep
	// multigrid robust for variable and jumping coefficients.
	Coarse func(g *mesh.Grid) (*sparse.CSR, error)
	// Interpolation is the prolongation; zero is Auto.
	Interpolation Interpolation
	// CoarsestSize stops coarsening once a grid has at most this many
	// unknowns; that grid is solved directly (dense LU). Zero means 100.
	CoarsestSize int
}

func dirichletUpTo2D(g *mesh.Grid) bool {
	if g.Dim() > 2 {
		return false
	}
	for a := 0; a < g.Dim(); a++ {
		if g.Boundary(a) != mesh.Dirichlet {
			return false
		}
	}
	return true
}

// maxDirect is the largest coarsest grid solved by dense LU.
const maxDirect = 2000

// Multigrid is a geometric multigrid hierarchy on a mesh.Grid. It is a
// solvers.Preconditioner (one cycle from a zero initial guess), so it
// preconditions CG, GMRES and BiCGSTAB, and with solvers.Richardson it is
// the multigrid iteration itself. V and W cycles with the default
// smoothers are symmetric, so they precondition CG.
//
// A Multigrid holds per-level work vectors: one value serves one solve at
// a time.
type Multigrid struct {
	s      Settings
	levels []*level
}

type level struct {
	g        *mesh.Grid
	a        *sparse.CSR
	diag     []float64
	p, r     *sparse.CSR // prolongation from and restriction to the next level
	x, b, t  []float64
	order    []int     // red then black points, then the reverse
	inv      []float64 // coarsest level: dense inverse, row-major
	omega    float64
	smoother Smoother
}

// New builds the hierarchy for the matrix a of a problem discretized on
// grid g (a has g.Len() rows). Grids are coarsened by mesh.Grid.Coarsen
// until at most Settings.CoarsestSize unknowns remain. It returns an error
// if a does not match g, if the grid cannot be coarsened to a size that a
// direct solve affords (Dirichlet axes coarsen from any count >= 3, nested
// when odd; Neumann and periodic axes need 2^k m cells or points with m
// small), if a diagonal entry is zero, or if
// the coarsest operator is singular (a pure Neumann or periodic problem
// without a shift). a is a *sparse.CSR, a mesh stencil (assembled through
// its ToCSR) or any operator that gives its rows (solvers.RowAccessor).
func New(g *mesh.Grid, op solvers.Operator, s *Settings) (*Multigrid, error) {
	a, err := solvers.AsCSR(op, "multigrid")
	if err != nil {
		return nil, err
	}
	m := &Multigrid{}
	if s != nil {
		m.s = *s
	}
	if m.s.Cycle < V || m.s.Cycle > F {
		return nil, fmt.Errorf("mg: unknown cycle %d", m.s.Cycle)
	}
	if m.s.Smoother < GaussSeidel || m.s.Smoother > WeightedJacobi {
		return nil, fmt.Errorf("mg: unknown smoother %d", m.s.Smoother)
	}
	opDep := false
	switch m.s.Interpolation {
	case Auto:
		opDep = m.s.Coarse == nil && dirichletUpTo2D(g)
	case Geometric:
	case OperatorDependent:
		if !dirichletUpTo2D(g) {
			return nil, fmt.Errorf("mg: operator-dependent interpolation needs a 1-D or 2-D grid with Dirichlet boundaries")
		}
		opDep = true
	default:
		return nil, fmt.Errorf("mg: unknown interpolation %d", m.s.Interpolation)
	}
	if m.s.PreSmooth < 0 || m.s.PostSmooth < 0 || m.s.CoarsestSize < 0 || m.s.JacobiWeight < 0 {
		return nil, fmt.Errorf("mg: negative sweeps, weight or coarsest size in settings")
	}
	if m.s.PreSmooth == 0 {
		m.s.PreSmooth = 1
	}
	if m.s.PostSmooth == 0 {
		m.s.PostSmooth = 1
	}
	if m.s.CoarsestSize == 0 {
		m.s.CoarsestSize = 100
	}
	if m.s.JacobiWeight == 0 {
		d := float64(g.Dim())
		m.s.JacobiWeight = 2 * d / (2*d + 1)
	}
	if r, c := a.Dims(); r != g.Len() || c != g.Len() {
		return nil, fmt.Errorf("mg: matrix is %d x %d, grid has %d points", r, c, g.Len())
	}
	if err := a.CheckFinite(); err != nil {
		return nil, fmt.Errorf("mg: %w", err)
	}
	for {
		lv, err := m.newLevel(g, a)
		if err != nil {
			return nil, err
		}
		m.levels = append(m.levels, lv)
		if g.Len() <= m.s.CoarsestSize {
			break
		}
		t, err := mesh.NewTransfer(g)
		if err != nil {
			if g.Len() > maxDirect {
				return nil, fmt.Errorf("mg: grid with %d points cannot be coarsened further and is too large for the direct solve (%d): %w", g.Len(), maxDirect, err)
			}
			break
		}
		// Operator-dependent interpolation needs nested grids; a level
		// with an even Dirichlet count interpolates linearly.
		if opDep && nested(g) {
			lv.p = operatorP(g, a)
			lv.r = lv.p.Transpose()
			_, _, rv := lv.r.RawCSR()
			floats.Scale(1/float64(int(1)<<g.Dim()), rv)
		} else {
			lv.p, lv.r = t.ProlongationCSR(), t.RestrictionCSR()
		}
		g = t.Coarse()
		if m.s.Coarse != nil {
			a, err = m.s.Coarse(g)
			if err != nil {
				return nil, fmt.Errorf("mg: coarse operator on level %d: %w", len(m.levels), err)
			}
			if r, c := a.Dims(); r != g.Len() || c != g.Len() {
				return nil, fmt.Errorf("mg: coarse operator on level %d is %d x %d, grid has %d points", len(m.levels), r, c, g.Len())
			}
		} else {
			ap, err := sparse.Mul(a, lv.p)
			if err != nil {
				return nil, err
			}
			if a, err = sparse.Mul(lv.r, ap); err != nil {
				return nil, err
			}
		}
	}
	return m, m.factorCoarsest()
}

func (m *Multigrid) newLevel(g *mesh.Grid, a *sparse.CSR) (*level, error) {
	n := g.Len()
	lv := &level{g: g, a: a, x: make([]float64, n), b: make([]float64, n), t: make([]float64, n),
		omega: m.s.JacobiWeight, smoother: m.s.Smoother}
	lv.diag = a.Diagonal(nil)
	for i, d := range lv.diag {
		if d == 0 {
			return nil, fmt.Errorf("mg: level %d (%d points): zero diagonal in row %d", len(m.levels), n, i)
		}
	}
	if lv.smoother == RedBlack {
		lv.order = make([]int, 0, 2*n)
		for pass := 0; pass < 2; pass++ {
			for p := 0; p < n; p++ {
				i := p % g.N(0)
				j := p / g.N(0) % g.N(1)
				k := p / (g.N(0) * g.N(1))
				if (i+j+k)%2 == pass {
					lv.order = append(lv.order, p)
				}
			}
		}
		for p := n - 1; p >= 0; p-- {
			lv.order = append(lv.order, lv.order[p])
		}
	}
	return lv, nil
}

// factorCoarsest inverts the coarsest operator densely.
func (m *Multigrid) factorCoarsest() error {
	lv := m.levels[len(m.levels)-1]
	n := lv.g.Len()
	var lu mat.LU
	lu.Factorize(lv.a.ToDense())
	inv := mat.NewDense(n, n, nil)
	if err := lu.SolveTo(inv, false, eye(n)); err != nil {
		return fmt.Errorf("mg: the coarsest operator (%d points) is singular or nearly so: %v", n, err)
	}
	lv.inv = inv.RawMatrix().Data
	return nil
}

func eye(n int) *mat.Dense {
	d := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		d.Set(i, i, 1)
	}
	return d
}

// Levels returns the number of grids in the hierarchy, the finest first.
func (m *Multigrid) Levels() int { return len(m.levels) }

// Grid returns the grid of level l, 0 being the finest.
func (m *Multigrid) Grid(l int) *mesh.Grid { return m.levels[l].g }

// Operator returns the matrix of level l.
func (m *Multigrid) Operator(l int) *sparse.CSR { return m.levels[l].a }

// PreconSolve sets dst to the result of one cycle on A dst = r from a zero
// initial guess.
func (m *Multigrid) PreconSolve(dst, r []float64) {
	top := m.levels[0]
	if len(dst) != len(top.x) || len(r) != len(top.x) {
		panic(fmt.Sprintf("mg: PreconSolve lengths %d, %d for %d points", len(dst), len(r), len(top.x)))
	}
	x, b := top.x, top.b
	top.x, top.b = dst, r
	clear(dst)
	m.cycle(0, m.s.Cycle)
	top.x, top.b = x, b
}

func (m *Multigrid) cycle(l int, kind Cycle) {
	lv := m.levels[l]
	if l == len(m.levels)-1 {
		lv.solveDirect()
		return
	}
	for s := 0; s < m.s.PreSmooth; s++ {
		lv.smooth(true)
	}
	next := m.levels[l+1]
	lv.residual(lv.t)
	lv.r.MulVecTo(next.b, lv.t)
	clear(next.x)
	switch kind {
	case V:
		m.cycle(l+1, V)
	case W:
		m.cycle(l+1, W)
		if l+1 < len(m.levels)-1 {
			m.cycle(l+1, W)
		}
	case F:
		m.cycle(l+1, F)
		if l+1 < len(m.levels)-1 {
			m.cycle(l+1, V)
		}
	}
	lv.p.MulVecTo(lv.t, next.x)
	x, t := lv.x, lv.t[:len(lv.x)]
	for i := range x {
		x[i] += t[i]
	}
	for s := 0; s < m.s.PostSmooth; s++ {
		lv.smooth(false)
	}
}

// residual sets dst = b - A x.
func (lv *level) residual(dst []float64) {
	lv.a.MulVecTo(dst, lv.x)
	b := lv.b[:len(dst)]
	for i := range dst {
		dst[i] = b[i] - dst[i]
	}
}

// smooth applies one sweep; pre selects the ordering used before the
// coarse correction, the reverse of the one after it.
func (lv *level) smooth(pre bool) {
	switch lv.smoother {
	case GaussSeidel:
		if pre {
			lv.a.SORForward(lv.x, lv.b, lv.diag, 1)
		} else {
			lv.a.SORBackward(lv.x, lv.b, lv.diag, 1)
		}
	case RedBlack:
		// After the correction the reverse order (black then red, each
		// reversed), the adjoint sweep, so that the cycle stays symmetric
		// when one colour's points are coupled (Galerkin coarse operators).
		n := len(lv.x)
		if pre {
			lv.a.SORRows(lv.x, lv.b, lv.diag, 1, lv.order[:n])
		} else {
			lv.a.SORRows(lv.x, lv.b, lv.diag, 1, lv.order[n:])
		}
	case WeightedJacobi:
		lv.residual(lv.t)
		x, t, d := lv.x, lv.t[:len(lv.x)], lv.diag[:len(lv.x)]
		for i := range x {
			x[i] += lv.omega * t[i] / d[i]
		}
	}
}

// solveDirect sets x = A^{-1} b with the dense inverse.
func (lv *level) solveDirect() {
	n := len(lv.x)
	for i := 0; i < n; i++ {
		row := lv.inv[i*n : (i+1)*n]
		var s float64
		for j, v := range row {
			s += v * lv.b[j]
		}
		lv.x[i] = s
	}
}

// operatorP returns the operator-dependent prolongation of Alcouffe,
// Brandt, Dendy and Painter (1981) from the coarsening of the Dirichlet
// grid g (1-D or 2-D, n = 2m+1 per axis; fine 2c+1 sits on coarse c):
// coarse points are injected; a fine point between two coarse points on a
// grid line takes weights from the stencil of A collapsed across that
// line; a fine point between four coarse points solves its own row of
// A e = 0 for the values around it. Across a jump in the coefficient the
// weights follow the flux, not the geometry, which keeps the cycle count
// independent of the grid for discontinuous coefficients.
// nested reports whether every axis of the Dirichlet grid g has an odd
// number of points, so that its coarsening is nested and operator-dependent
// interpolation applies; other levels interpolate linearly.
func nested(g *mesh.Grid) bool {
	for a := 0; a < g.Dim(); a++ {
		if g.N(a)%2 == 0 {
			return false
		}
	}
	return true
}

func operatorP(g *mesh.Grid, a *sparse.CSR) *sparse.CSR {
	n0, n1 := g.N(0), g.N(1)
	m0, m1 := (n0-1)/2, max((n1-1)/2, 1)
	if g.Dim() == 1 {
		n1 = 1
	}
	ip, ind, val := a.RawCSR()
	// stencil returns the 3 x 3 stencil of A at fine point (i, j),
	// s[(dy+1)*3 + dx+1], from one scan of its row; couplings off the grid
	// or beyond the 3 x 3 neighbourhood are left out.
	// (A Dirichlet grid operator has no coupling that wraps around a row
	// of the grid, so the offset c - f identifies the neighbour.)
	stencil := func(i, j int) (s [9]float64) {
		f := i + n0*j
		for k := ip[f]; k < ip[f+1]; k++ {
			d := ind[k] - f
			dy := 0
			switch {
			case d >= n0-1:
				d, dy = d-n0, 1
			case d <= 1-n0:
				d, dy = d+n0, -1
			}
			if d >= -1 && d <= 1 {
				s[(dy+1)*3+d+1] = val[k]
			}
		}
		return s
	}
	// Each fine point interpolates from at most the 4 coarse points around it.
	type entry struct {
		c int
		w float64
	}
	type row struct {
		e [4]entry
		n int
	}
	add := func(r *row, c int, w float64) {
		for q := 0; q < r.n; q++ {
			if r.e[q].c == c {
				r.e[q].w += w
				return
			}
		}
		r.e[r.n] = entry{c, w}
		r.n++
	}
	rows := make([]row, n0*n1)
	coarse := func(i, j int) (int, bool) { // fine (i, j) -> coarse index
		if i < 0 || i >= n0 || j < 0 || j >= n1 || i%2 == 0 || (n1 > 1 && j%2 == 0) {
			return 0, false
		}
		cj := 0
		if n1 > 1 {
			cj = (j - 1) / 2
		}
		return (i-1)/2 + m0*cj, true
	}
	// Collapsed weight of the neighbour in direction (dx, dy) along a line.
	lineWeight := func(s *[9]float64, dx, dy int) float64 {
		var side, center float64
		for t := -1; t <= 1; t++ {
			if dx != 0 {
				side += s[(t+1)*3+dx+1]
				center += s[(t+1)*3+1]
			} else {
				side += s[(dy+1)*3+t+1]
				center += s[3+t+1]
			}
		}
		if center == 0 {
			return 0.5
		}
		return -side / center
	}
	// Pass 1: coarse points and points on coarse grid lines.
	for j := 0; j < n1; j++ {
		for i := 0; i < n0; i++ {
			r := &rows[i+n0*j]
			if c, ok := coarse(i, j); ok {
				add(r, c, 1)
				continue
			}
			if i%2 == 0 && (n1 == 1 || j%2 == 1) { // between west and east coarse points
				s := stencil(i, j)
				for _, dx := range []int{-1, 1} {
					if c, ok := coarse(i+dx, j); ok {
						add(r, c, lineWeight(&s, dx, 0))
					}
				}
			} else if i%2 == 1 && j%2 == 0 { // between south and north
				s := stencil(i, j)
				for _, dy := range []int{-1, 1} {
					if c, ok := coarse(i, j+dy); ok {
						add(r, c, lineWeight(&s, 0, dy))
					}
				}
			}
		}
	}
	// Pass 2: cell centres, from their own row of A.
	if n1 > 1 {
		for j := 0; j < n1; j += 2 {
			for i := 0; i < n0; i += 2 {
				r := &rows[i+n0*j]
				s := stencil(i, j)
				center := s[4]
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						ii, jj := i+dx, j+dy
						if dx == 0 && dy == 0 || ii < 0 || ii >= n0 || jj < 0 || jj >= n1 {
							continue
						}
						w := -s[(dy+1)*3+dx+1] / center
						nb := &rows[ii+n0*jj]
						for q := 0; q < nb.n; q++ {
							add(r, nb.e[q].c, w*nb.e[q].w)
						}
					}
				}
			}
		}
	}
	nnz := 0
	for f := range rows {
		nnz += rows[f].n
	}
	indptr := make([]int, len(rows)+1)
	indices := make([]int, 0, nnz)
	data := make([]float64, 0, nnz)
	for f := range rows {
		r := &rows[f]
		e := r.e[:r.n]
		slices.SortFunc(e, func(a, b entry) int { return a.c - b.c })
		for _, x := range e {
			indices = append(indices, x.c)
			data = append(data, x.w)
		}
		indptr[f+1] = len(indices)
	}
	p, err := sparse.NewCSR(n0*n1, m0*m1, indptr, indices, data)
	if err != nil {
		panic("mg: " + err.Error())
	}
	return p
}
