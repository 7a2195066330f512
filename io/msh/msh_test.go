package msh

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The two formats of the same gmsh mesh (an L-shaped domain, [-1, 1]^2
// without its upper right quarter, with a round hole of radius 0.2 at
// (-0.5, -0.4); testdata/lshape.geo) give the same triangulation.
func TestReadFormats(t *testing.T) {
	a, err := ReadFile("testdata/lshape41.msh")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadFile("testdata/lshape22.msh")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	if len(a.X) != len(b.X) || len(a.Triangles) != len(b.Triangles) {
		t.Fatalf("4.1: %d nodes, %d triangles; 2.2: %d nodes, %d triangles", len(a.X), len(a.Triangles), len(b.X), len(b.Triangles))
	}
	key := func(x, y []float64) []string {
		var s []string
		for i := range x {
			s = append(s, strconv.FormatFloat(x[i], 'f', 9, 64)+" "+strconv.FormatFloat(y[i], 'f', 9, 64))
		}
		sort.Strings(s)
		return s
	}
	ka, kb := key(a.X, a.Y), key(b.X, b.Y)
	for i := range ka {
		if ka[i] != kb[i] {
			t.Fatalf("node sets differ: %s vs %s", ka[i], kb[i])
		}
	}
	var area float64
	for _, tri := range a.Triangles {
		p, q, r := tri[0], tri[1], tri[2]
		area += 0.5 * math.Abs((a.X[q]-a.X[p])*(a.Y[r]-a.Y[p])-(a.X[r]-a.X[p])*(a.Y[q]-a.Y[p]))
	}
	// The hole is a polygon inscribed in its circle (at least a square):
	// less area is missing than the circle's, more than the square's.
	if lo, hi := 3-math.Pi*0.04, 3-2*0.04; area <= lo || area >= hi {
		t.Errorf("area %.5f, want in (%.5f, %.5f)", area, lo, hi)
	}
	// Every boundary node lies on the outer polygon or on the hole's circle.
	onBoundary := 0
	for i, isB := range a.Boundary() {
		if !isB {
			continue
		}
		onBoundary++
		x, y := a.X[i], a.Y[i]
		outer := math.Abs(math.Abs(x)-1) < 1e-12 || math.Abs(math.Abs(y)-1) < 1e-12 ||
			math.Abs(x) < 1e-12 && y >= 0 || math.Abs(y) < 1e-12 && x >= 0
		hole := math.Abs(math.Hypot(x+0.5, y+0.4)-0.2) < 1e-9
		if !outer && !hole {
			t.Errorf("boundary node %d at (%g, %g) is on neither boundary", i, x, y)
		}
	}
	if onBoundary < 30 {
		t.Errorf("%d boundary nodes", onBoundary)
	}
}

func TestReadErrors(t *testing.T) {
	for _, c := range []struct{ name, text, msg string }{
		{"empty", "", "not a gmsh file"},
		{"binary", "$MeshFormat\n4.1 1 8\n$EndMeshFormat\n", "binary"},
		{"version", "$MeshFormat\n3.0 0 8\n$EndMeshFormat\n", "version 3.0"},
		{"no triangles", "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n1\n1 0 0 0\n$EndNodes\n", "no triangles"},
		{"missing node", "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n2\n1 0 0 0\n2 1 0 0\n$EndNodes\n$Elements\n1\n1 2 2 0 1 1 2 7\n$EndElements\n", "node 7"},
		{"bad number", "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n1\n1 0 x 0\n$EndNodes\n", `line 6: "x" is not a number`},
		{"truncated", "$MeshFormat\n4.1 0 8\n$EndMeshFormat\n$Nodes\n1 3 1 3\n2 1 0 3\n1\n2\n", "unexpected end of file"},
		{"unended", "$MeshFormat\n2.2 0 8\n", "no $EndMeshFormat"},
	} {
		_, err := Read(strings.NewReader(c.text))
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.msg)
		}
	}
}
