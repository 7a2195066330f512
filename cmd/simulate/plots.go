package main

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pdekit/pdekit/neuralop"
)

// field is a grid function for plotter.HeatMap on the unit square: node
// grids (boundary included, x = c/(n-1)) or interior points
// (x = (c+1)/(n+1)).
type field struct {
	u      []float64
	ny, nx int
	nodes  bool
	// box, if not zero, maps the unit square onto [x0, x1] x [y0, y1].
	box [4]float64
}

func (f field) Dims() (c, r int)   { return f.nx, f.ny }
func (f field) Z(c, r int) float64 { return f.u[r*f.nx+c] }
func (f field) X(c int) float64    { return f.scale(f.coord(c, f.nx), 0) }
func (f field) Y(r int) float64    { return f.scale(f.coord(r, f.ny), 2) }

// scale maps t in [0, 1] onto the box's side from index k.
func (f field) scale(t float64, k int) float64 {
	if f.box == [4]float64{} {
		return t
	}
	return f.box[k] + (f.box[k+1]-f.box[k])*t
}

func (f field) coord(i, n int) float64 {
	if f.nodes {
		return linspaceAt(i, n)
	}
	return float64(i+1) / float64(n+1)
}

func linspaceAt(i, n int) float64 {
	if n == 1 {
		return 0
	}
	return float64(i) / float64(n-1)
}

// panel is one heat map with a title and a colour bar, or, with points,
// a scatter plot of them over the box of f.
type panel struct {
	title  string
	f      field
	points plotter.XYs
	// xlabel and ylabel name the axes (empty: "y" across, "x" down, the
	// operators' fields).
	xlabel, ylabel string
}

// writePanels writes rows x cols panels as one PNG, each a heat map with
// axes, title and its own colour bar.
func (st *stage) writePanels(path string, rows, cols int, panels []panel) error {
	const cellW, cellH = 4 * vg.Inch, 3.4 * vg.Inch
	// A margin on the right for the last colour bar's labels.
	img := vgimg.New(vg.Length(cols)*cellW+0.5*vg.Inch, vg.Length(rows)*cellH)
	dc := draw.New(img)
	for k, pn := range panels {
		r, c := k/cols, k%cols
		x0, y0 := vg.Length(c)*cellW, vg.Length(rows-1-r)*cellH
		p := plot.New()
		p.Title.Text = pn.title
		p.X.Label.Text, p.Y.Label.Text = "y", "x"
		if pn.xlabel != "" {
			p.X.Label.Text, p.Y.Label.Text = pn.xlabel, pn.ylabel
		}
		if pn.points != nil {
			sc, err := plotter.NewScatter(pn.points)
			if err != nil {
				return err
			}
			sc.GlyphStyle.Radius = vg.Points(1)
			p.Add(sc)
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = pn.f.box[0], pn.f.box[1], pn.f.box[2], pn.f.box[3]
			p.Draw(draw.Canvas{Canvas: dc, Rectangle: vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x0 + cellW*0.8, Y: y0 + cellH}}})
			continue
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range pn.f.u {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if lo == hi {
			hi = lo + 1
		}
		cmap := moreland.SmoothBlueRed()
		cmap.SetMin(lo)
		cmap.SetMax(hi)
		hm := plotter.NewHeatMap(pn.f, cmap.Palette(255))
		hm.Min, hm.Max = lo, hi
		hm.Rasterized = true // no seams between cells
		hm.NaN = color.Black
		p.Add(hm)
		bar := plot.New()
		bar.HideX()
		bar.Y.Padding = 0
		bar.Title.Text = " "
		bar.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})
		split := x0 + cellW*0.8
		p.Draw(draw.Canvas{Canvas: dc, Rectangle: vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: split, Y: y0 + cellH}}})
		bar.Draw(draw.Canvas{Canvas: dc, Rectangle: vg.Rectangle{Min: vg.Point{X: split, Y: y0 + cellH*0.08}, Max: vg.Point{X: x0 + cellW, Y: y0 + cellH*0.92}}})
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return err
	}
	return st.writeFile(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

// plotFields writes a PNG of the first n samples of d: input, truth,
// prediction and error per row.
func plotFields(st *stage, path string, d *neuralop.Data, pred []float32, n int, relL2 []float64) error {
	var panels []panel
	p := d.H * d.W
	to64 := func(v []float32) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	for i := 0; i < n; i++ {
		x, y := d.Sample(i)
		yp := pred[i*d.Out*p : i*d.Out*p+p]
		e := make([]float64, p)
		for k := range e {
			e[k] = float64(yp[k] - y[k])
		}
		mk := func(title string, u []float64) panel {
			return panel{title: title, f: field{u: u, ny: d.H, nx: d.W, nodes: true}}
		}
		panels = append(panels, mk(fmt.Sprintf("sample %d: input", i), to64(x[:p])), mk("truth", to64(y[:p])),
			mk("prediction", to64(yp)), mk(fmt.Sprintf("error (rel. L2 %.3g)", relL2[i]), e))
	}
	return st.writePanels(path, n, 4, panels)
}
