package relax

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/sparse"
)

// Mode is how the Oracle finds an instance's best omega.
type Mode int

const (
	// GridSearch solves at every omega of the grid and takes the cheapest
	// (the first of equals).
	GridSearch Mode = iota
	// GoldenSection searches [grid[0], grid[last]] by golden-section
	// search on the iteration count with Points solves and takes the
	// cheapest omega evaluated, as the paper's heat-equation script finds
	// its instance-optimal omega.
	GoldenSection
	// Formula takes Young's optimal SOR factor from the spectral radius of
	// the Jacobi iteration matrix (OptimalOmega), without solving; exact
	// for consistently ordered matrices such as the 5-point Laplacian.
	Formula
)

// String returns the mode's name as the command line spells it.
func (m Mode) String() string {
	switch m {
	case GridSearch:
		return "grid"
	case GoldenSection:
		return "golden"
	case Formula:
		return "formula"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Oracle is the instance-optimal policy, for evaluation only: it chooses
// each instance's omega by solving the instance (or, with Formula, by an
// eigenvalue computation), so its cost is a lower bound no learner can
// beat. The zero value is a grid search over DefaultGrid.
type Oracle struct {
	Mode Mode
	// Grid holds the candidates of GridSearch and, by its ends, the
	// interval of GoldenSection; nil means DefaultGrid.
	Grid []float64
	// Points is the number of solves of GoldenSection; zero means 12.
	Points int

	omega float64
}

// Choose implements Policy: it returns the omega of the latest Search
// (1 before the first), since the oracle cannot choose from a context.
func (o *Oracle) Choose(float64) float64 {
	if o.omega == 0 {
		return 1
	}
	return o.omega
}

// Update implements Policy; the oracle does not learn.
func (o *Oracle) Update(float64) {}

// Search implements Searcher.
func (o *Oracle) Search(in *Instance, cost func(omega float64) (float64, error)) (float64, error) {
	grid := o.Grid
	if grid == nil {
		grid = DefaultGrid()
	}
	best, bestCost := math.NaN(), math.Inf(1)
	try := func(w float64) (float64, error) {
		c, err := cost(w)
		if err == nil && c < bestCost {
			best, bestCost = w, c
		}
		return c, err
	}
	switch o.Mode {
	case GridSearch:
		for _, w := range grid {
			if _, err := try(w); err != nil {
				return 0, err
			}
		}
	case GoldenSection:
		pts := o.Points
		if pts == 0 {
			pts = 12
		}
		if pts < 2 {
			return 0, fmt.Errorf("relax: golden-section search needs at least 2 points, got %d", pts)
		}
		phi := (math.Sqrt(5) - 1) / 2
		a, b := grid[0], grid[len(grid)-1]
		c, d := b-phi*(b-a), a+phi*(b-a)
		fc, err := try(c)
		if err != nil {
			return 0, err
		}
		fd, err := try(d)
		if err != nil {
			return 0, err
		}
		for n := 2; n < pts; n++ {
			if fc <= fd {
				b, d, fd = d, c, fc
				c = b - phi*(b-a)
				if fc, err = try(c); err != nil {
					return 0, err
				}
			} else {
				a, c, fc = c, d, fd
				d = a + phi*(b-a)
				if fd, err = try(d); err != nil {
					return 0, err
				}
			}
		}
	case Formula:
		w, err := OptimalOmega(in.A)
		if err != nil {
			return 0, err
		}
		best = w
	default:
		return 0, fmt.Errorf("relax: unknown oracle mode %d", int(o.Mode))
	}
	o.omega = best
	return best, nil
}

// maxDenseEigen caps the size OptimalOmega factors densely.
const maxDenseEigen = 4096

// OptimalOmega returns Young's optimal SOR relaxation factor
//
//	omega* = 1 + (beta / (1 + sqrt(1 - beta^2)))^2,  beta = rho(I - D^{-1} A),
//
// for a symmetric matrix with a positive diagonal whose Jacobi iteration
// converges (beta < 1). beta comes from the eigenvalues of the symmetric
// D^{-1/2} A D^{-1/2}, computed densely, so a is limited to 4096 rows.
func OptimalOmega(a *sparse.CSR) (float64, error) {
	n, c := a.Dims()
	if n != c {
		return 0, fmt.Errorf("relax: optimal omega of a %d x %d matrix", n, c)
	}
	if n > maxDenseEigen {
		return 0, fmt.Errorf("relax: optimal omega by dense eigenvalues is limited to %d rows, matrix has %d", maxDenseEigen, n)
	}
	d := a.Diagonal(nil)
	for i, v := range d {
		if !(v > 0) {
			return 0, fmt.Errorf("relax: optimal omega needs a positive diagonal, A[%d,%d] = %v", i, i, v)
		}
		d[i] = 1 / math.Sqrt(v)
	}
	s := mat.NewSymDense(n, nil)
	indptr, indices, data := a.RawCSR()
	for i := 0; i < n; i++ {
		for k := indptr[i]; k < indptr[i+1]; k++ {
			j := indices[k]
			if j < i {
				continue
			}
			s.SetSym(i, j, s.At(i, j)+d[i]*data[k]*d[j])
		}
	}
	// Check symmetry against the lower triangle.
	for i := 0; i < n; i++ {
		for k := indptr[i]; k < indptr[i+1]; k++ {
			j := indices[k]
			if j < i && math.Abs(d[i]*data[k]*d[j]-s.At(i, j)) > 1e-12*(1+math.Abs(s.At(i, j))) {
				return 0, fmt.Errorf("relax: optimal omega needs a symmetric matrix, A[%d,%d] != A[%d,%d]", i, j, j, i)
			}
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(s, false) {
		return 0, fmt.Errorf("relax: eigenvalue computation did not converge")
	}
	ev := eig.Values(nil)
	beta := math.Max(math.Abs(1-ev[0]), math.Abs(1-ev[n-1]))
	if !(beta < 1) {
		return 0, fmt.Errorf("relax: Jacobi spectral radius %v >= 1; Young's formula does not apply", beta)
	}
	r := beta / (1 + math.Sqrt(1-beta*beta))
	return 1 + r*r, nil
}
