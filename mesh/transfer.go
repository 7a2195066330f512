package mesh

import (
	"fmt"

	"github.com/pdekit/pdekit/sparse"
)

// Transfer moves grid functions between a grid and its coarsening (see
// Grid.Coarsen), as geometric multigrid needs:
//
//   - Dirichlet: linear interpolation and its adjoint (full weighting when
//     the grids are nested, 2^k-1 interior points; an even count coarsens
//     to half as many points that are not nested, still linear);
//   - periodic (2^k points): linear interpolation with wrap-around;
//   - Neumann (2^k cells): cell-centred linear interpolation (weights 3/4,
//     1/4, reflecting at the walls) and its adjoint.
//
// In every case the restriction is the scaled adjoint R = P^T / 2^d, so the
// Galerkin coarse operator R A P of a symmetric A is symmetric. Multi-
// dimensional transfers are tensor products of the one-dimensional ones.
type Transfer struct {
	fine, coarse *Grid
}

// NewTransfer returns the transfer between fine and fine.Coarsen().
func NewTransfer(fine *Grid) (*Transfer, error) {
	c, err := fine.Coarsen()
	if err != nil {
		return nil, err
	}
	return &Transfer{fine: fine, coarse: c}, nil
}

// Fine returns the fine grid.
func (t *Transfer) Fine() *Grid { return t.fine }

// Coarse returns the coarse grid.
func (t *Transfer) Coarse() *Grid { return t.coarse }

// weight is one coarse point's share in a fine point.
type weight struct {
	c int
	w float64
}

// weights1D returns the coarse points and weights that interpolate fine point
// i along an axis with boundary bc; n is the number of coarse points, nf of
// fine ones.
func weights1D(bc Boundary, i, n, nf int) (ws [2]weight, m int) {
	add := func(c int, w float64) {
		for q := 0; q < m; q++ {
			if ws[q].c == c {
				ws[q].w += w
				return
			}
		}
		ws[m] = weight{c, w}
		m++
	}
	switch bc {
	case Dirichlet:
		// Linear interpolation from the coarse points (c+1)/(n+1) to the
		// fine point (i+1)/(nf+1), the boundary values zero. For nf =
		// 2n+1 fine 2c+1 sits on coarse c and fine 2c halfway between
		// coarse c-1 and c; for nf = 2n the grids are not nested.
		num := (i+1)*(n+1) - (nf + 1) // position in coarse index units, times nf+1
		c := num / (nf + 1)
		if num < 0 {
			c = -1
		}
		frac := float64(num-c*(nf+1)) / float64(nf+1)
		if c >= 0 && c < n && frac < 1 {
			add(c, 1-frac)
		}
		if c+1 < n && frac > 0 {
			add(c+1, frac)
		}
	case Periodic:
		if i%2 == 0 {
			add(i/2, 1)
		} else {
			add(i/2, 0.5)
			add((i/2+1)%n, 0.5)
		}
	case Neumann:
		c := i / 2
		other := c - 1
		if i%2 == 1 {
			other = c + 1
		}
		other = max(0, min(n-1, other))
		add(c, 0.75)
		add(other, 0.25)
	}
	return ws, m
}

// forEach calls fn(fine, coarse, weight) for every nonzero of P.
func (t *Transfer) forEach(fn func(f, c int, w float64)) {
	g, cg := t.fine, t.coarse
	f := 0
	// A missing axis contributes the single weight 1 at index 0.
	axis := func(a, i int) ([2]weight, int) {
		if a >= g.dim {
			return [2]weight{{0, 1}}, 1
		}
		return weights1D(g.bc[a], i, cg.n[a], g.n[a])
	}
	for k := 0; k < g.n[2]; k++ {
		wks, mk := axis(2, k)
		for j := 0; j < g.n[1]; j++ {
			wjs, mj := axis(1, j)
			for i := 0; i < g.n[0]; i++ {
				wis, mi := weights1D(g.bc[0], i, cg.n[0], g.n[0])
				for a := 0; a < mk; a++ {
					for b := 0; b < mj; b++ {
						for c := 0; c < mi; c++ {
							ci := wis[c].c + cg.n[0]*(wjs[b].c+cg.n[1]*wks[a].c)
							fn(f, ci, wis[c].w*wjs[b].w*wks[a].w)
						}
					}
				}
				f++
			}
		}
	}
}

// Prolong computes dst = P src, dst on the fine grid, src on the coarse.
func (t *Transfer) Prolong(dst, src []float64) {
	if len(dst) != t.fine.Len() || len(src) != t.coarse.Len() {
		panic(fmt.Sprintf("mesh: Prolong lengths %d, %d, want %d, %d", len(dst), len(src), t.fine.Len(), t.coarse.Len()))
	}
	clear(dst)
	t.forEach(func(f, c int, w float64) { dst[f] += w * src[c] })
}

// Restrict computes dst = P^T src / 2^d, dst on the coarse grid, src on the
// fine.
func (t *Transfer) Restrict(dst, src []float64) {
	if len(dst) != t.coarse.Len() || len(src) != t.fine.Len() {
		panic(fmt.Sprintf("mesh: Restrict lengths %d, %d, want %d, %d", len(dst), len(src), t.coarse.Len(), t.fine.Len()))
	}
	clear(dst)
	s := t.scale()
	t.forEach(func(f, c int, w float64) { dst[c] += s * w * src[f] })
}

func (t *Transfer) scale() float64 { return 1 / float64(int(1)<<t.fine.dim) }

// ProlongationCSR returns P assembled.
func (t *Transfer) ProlongationCSR() *sparse.CSR {
	b := sparse.NewCOO(t.fine.Len(), t.coarse.Len())
	t.forEach(func(f, c int, w float64) { b.Add(f, c, w) })
	return b.ToCSR()
}

// RestrictionCSR returns R = P^T / 2^d assembled.
func (t *Transfer) RestrictionCSR() *sparse.CSR {
	b := sparse.NewCOO(t.coarse.Len(), t.fine.Len())
	s := t.scale()
	t.forEach(func(f, c int, w float64) { b.Add(c, f, s*w) })
	return b.ToCSR()
}
