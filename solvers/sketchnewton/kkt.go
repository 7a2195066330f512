package sketchnewton

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/pdekit/pdekit/solvers/direct"
	"github.com/pdekit/pdekit/sparse"
)

// kkt is K = [[B, G^T], [G, 0]], symmetric, of size N = n + m, in CSR with
// its squared row norms and Frobenius norm.
type kkt struct {
	k        *sparse.CSR
	n, m     int
	rowNorm2 []float64
	fro      float64
	tmp      []float64
}

// forEach calls f(i, j, v) for the nonzeros of a dense or CSR matrix.
func forEach(a mat.Matrix, f func(i, j int, v float64)) {
	if c, ok := a.(*sparse.CSR); ok {
		indptr, indices, data := c.RawCSR()
		r, _ := c.Dims()
		for i := 0; i < r; i++ {
			for p := indptr[i]; p < indptr[i+1]; p++ {
				if data[p] != 0 {
					f(i, indices[p], data[p])
				}
			}
		}
		return
	}
	r, cc := a.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < cc; j++ {
			if v := a.At(i, j); v != 0 {
				f(i, j, v)
			}
		}
	}
}

// newKKT assembles K from B = H + shift I and G.
func newKKT(h, g mat.Matrix, shift float64) *kkt {
	n, _ := h.Dims()
	m, _ := g.Dims()
	coo := sparse.NewCOO(n+m, n+m)
	forEach(h, func(i, j int, v float64) { coo.Add(i, j, v) })
	if shift != 0 {
		for i := 0; i < n; i++ {
			coo.Add(i, i, shift)
		}
	}
	forEach(g, func(i, j int, v float64) {
		coo.Add(n+i, j, v)
		coo.Add(j, n+i, v)
	})
	k := &kkt{k: coo.ToCSR(), n: n, m: m, rowNorm2: make([]float64, n+m), tmp: make([]float64, n+m)}
	indptr, _, data := k.k.RawCSR()
	var ss float64
	for i := range k.rowNorm2 {
		var s float64
		for _, v := range data[indptr[i]:indptr[i+1]] {
			s += v * v
		}
		k.rowNorm2[i] = s
		ss += s
	}
	k.fro = math.Sqrt(ss)
	return k
}

// residual sets r = K z - rhs and returns ||r||.
func (k *kkt) residual(r, z, rhs []float64) float64 {
	k.k.MulVecTo(r, z)
	floats.Sub(r, rhs)
	return floats.Norm(r, 2)
}

// InnerSolver solves the KKT system K z = rhs inexactly, from the given z
// and its residual r = K z - rhs, until ||r|| <= tol or its step cap. The
// implementations are Kaczmarz, Sketch and Exact.
type InnerSolver interface {
	// solve returns the final ||r|| and whether it stopped at its step
	// cap short of tol.
	solve(ctx context.Context, k *kkt, z, r, rhs []float64, tol float64, rnd *rand.Rand, st *Stats) (float64, bool, error)
}

// defaultInnerCap is the paper code's cap on sketch steps per solve.
const defaultInnerCap = 100000

// Kaczmarz is the randomized Kaczmarz method on the KKT system: pick a row
// i, project z onto the hyperplane K_i z = rhs_i. Rows are drawn uniformly,
// as in the paper's code, or, with Weighted, with probability proportional
// to the squared distance r_i^2 / ||K_i||^2 to each row's hyperplane.
type Kaczmarz struct {
	Weighted bool
	// MaxSteps caps the steps per solve; zero means 1e5.
	MaxSteps int
}

func (s Kaczmarz) solve(ctx context.Context, k *kkt, z, r, rhs []float64, tol float64, rnd *rand.Rand, st *Stats) (float64, bool, error) {
	limit := s.MaxSteps
	if limit == 0 {
		limit = defaultInnerCap
	}
	nn := len(z)
	indptr, indices, data := k.k.RawCSR()
	rn := floats.Norm(r, 2)
	var w []float64
	if s.Weighted {
		w = k.tmp
	}
	for t := 0; t < limit && rn > tol; t++ {
		var i int
		if s.Weighted {
			var total float64
			for j := range w {
				if k.rowNorm2[j] > 0 {
					total += r[j] * r[j] / k.rowNorm2[j]
				}
				w[j] = total
			}
			u := rnd.Float64() * total
			i = sortSearch(w, u)
			st.Flops += 4 * int64(nn)
		} else {
			i = rnd.IntN(nn)
		}
		if k.rowNorm2[i] == 0 {
			continue
		}
		a := r[i] / k.rowNorm2[i]
		// z -= a K_i^T, and r = K z - rhs changes by -a K K_i^T; K is
		// symmetric, so column j of K is row j.
		for p := indptr[i]; p < indptr[i+1]; p++ {
			j, v := indices[p], data[p]
			z[j] -= a * v
			c := a * v
			for q := indptr[j]; q < indptr[j+1]; q++ {
				r[indices[q]] -= c * data[q]
			}
			st.Flops += 2 + 2*int64(indptr[j+1]-indptr[j])
		}
		rn = floats.Norm(r, 2)
		st.Flops += 2 * int64(nn)
		st.InnerSteps++
		if t%nn == nn-1 {
			// Refresh the recurred residual against drift.
			rn = k.residual(r, z, rhs)
			st.Flops += 2 * int64(k.k.NNZ())
			if err := ctx.Err(); err != nil {
				return rn, false, err
			}
		}
	}
	rn = k.residual(r, z, rhs)
	return rn, rn > tol, nil
}

// sortSearch returns the first index with cum[i] > u (cum nondecreasing).
func sortSearch(cum []float64, u float64) int {
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] > u {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// SketchKind selects the random sketch of a Sketch solver.
type SketchKind int

const (
	// Gaussian sketches have i.i.d. standard normal entries.
	Gaussian SketchKind = iota
	// CountSketch hashes each row of the system to one of Block columns
	// with a random sign: one nonzero per row, so S^T r and K S cost one
	// pass over the data.
	CountSketch
)

// Sketch is block sketch-and-project on the KKT system (Gower and
// Richtarik 2015): with a random N x q sketch S and Y = K^T S = K S,
//
//	z <- z - Y (Y^T Y)^+ S^T (K z - rhs),
//
// the projection of z onto the solutions of S^T K z = S^T rhs. Block 1
// with Gaussian is the paper's GV solver.
type Sketch struct {
	Kind SketchKind
	// Block is q; zero means 1.
	Block int
	// MaxSteps caps the steps per solve; zero means 1e5.
	MaxSteps int
}

func (s Sketch) solve(ctx context.Context, k *kkt, z, r, rhs []float64, tol float64, rnd *rand.Rand, st *Stats) (float64, bool, error) {
	limit := s.MaxSteps
	if limit == 0 {
		limit = defaultInnerCap
	}
	q := s.Block
	if q == 0 {
		q = 1
	}
	nn := len(z)
	if q > nn {
		q = nn
	}
	nnz := int64(k.k.NNZ())
	sk := mat.NewDense(nn, q, nil)
	y := mat.NewDense(nn, q, nil)
	col := make([]float64, nn)
	kcol := make([]float64, nn)
	bucket := make([]int, nn)
	sign := make([]float64, nn)
	var gram mat.SymDense
	gram.ReuseAsSym(q)
	str := mat.NewVecDense(q, nil)
	var w mat.VecDense
	var chol mat.Cholesky
	rn := floats.Norm(r, 2)
	for t := 0; t < limit && rn > tol; t++ {
		switch s.Kind {
		case CountSketch:
			sk.Zero()
			for i := 0; i < nn; i++ {
				bucket[i] = rnd.IntN(q)
				sign[i] = 1
				if rnd.IntN(2) == 0 {
					sign[i] = -1
				}
				sk.Set(i, bucket[i], sign[i])
			}
		default:
			for i := 0; i < nn; i++ {
				for c := 0; c < q; c++ {
					sk.Set(i, c, rnd.NormFloat64())
				}
			}
		}
		for c := 0; c < q; c++ {
			mat.Col(col, c, sk)
			k.k.MulVecTo(kcol, col)
			y.SetCol(c, kcol)
			var v float64
			for i := range r {
				v += col[i] * r[i]
			}
			str.SetVec(c, v)
		}
		if s.Kind == CountSketch {
			st.Flops += 2*nnz + 2*int64(nn)
		} else {
			st.Flops += int64(q) * (2*nnz + 2*int64(nn))
		}
		gram.SymOuterK(1, y.T())
		st.Flops += int64(q*q) * int64(nn)
		if ok := chol.Factorize(&gram); !ok {
			// A rank-deficient sketch: draw another.
			continue
		}
		if err := chol.SolveVecTo(&w, str); err != nil {
			continue
		}
		for i := 0; i < nn; i++ {
			var v float64
			for c := 0; c < q; c++ {
				v += y.At(i, c) * w.AtVec(c)
			}
			z[i] -= v
		}
		rn = k.residual(r, z, rhs)
		st.Flops += 2*nnz + 2*int64(nn*q)
		st.InnerSteps++
		if t%64 == 63 {
			if err := ctx.Err(); err != nil {
				return rn, false, err
			}
		}
	}
	return rn, rn > tol, nil
}

// Exact solves the KKT system exactly by a sparse LU factorisation
// (UMFPACK with its iterative refinement, package direct): the
// deterministic baseline. Its flop count is UMFPACK's for the
// factorisation plus 4 per factor entry for the solve.
type Exact struct{}

func (Exact) solve(_ context.Context, k *kkt, z, r, rhs []float64, _ float64, _ *rand.Rand, st *Stats) (float64, bool, error) {
	lu, err := direct.NewLU(k.k)
	if err != nil {
		return math.Inf(1), false, fmt.Errorf("sketchnewton: the KKT matrix: %w", err)
	}
	defer lu.Close()
	if err := lu.SolveTo(z, rhs); err != nil {
		return math.Inf(1), false, err
	}
	fs := lu.Stats()
	st.Flops += int64(fs.Flops + 4*fs.NNZ)
	st.InnerSteps++
	// A direct solve is exact up to rounding, whatever tol asks.
	return k.residual(r, z, rhs), false, nil
}
