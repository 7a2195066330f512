package msh

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/pdekit/pdekit/mesh"
)

// ReadFile reads the gmsh file at path.
func ReadFile(path string) (*mesh.Triangulation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// reader splits the file into whitespace-separated words and counts
// lines for the error messages.
type reader struct {
	s    *bufio.Scanner
	line int
	buf  []string
}

// word returns the next word.
func (r *reader) word() (string, error) {
	for len(r.buf) == 0 {
		if !r.s.Scan() {
			if err := r.s.Err(); err != nil {
				return "", err
			}
			return "", fmt.Errorf("msh: unexpected end of file after line %d", r.line)
		}
		r.line++
		r.buf = strings.Fields(r.s.Text())
	}
	w := r.buf[0]
	r.buf = r.buf[1:]
	return w, nil
}

// restOfLine drops the words left on the current line.
func (r *reader) restOfLine() { r.buf = nil }

func (r *reader) int() (int, error) {
	w, err := r.word()
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(w)
	if err != nil {
		return 0, fmt.Errorf("msh: line %d: %q is not an integer", r.line, w)
	}
	return v, nil
}

func (r *reader) float() (float64, error) {
	w, err := r.word()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(w, 64)
	if err != nil {
		return 0, fmt.Errorf("msh: line %d: %q is not a number", r.line, w)
	}
	return v, nil
}

// skipSection drops every line up to the end marker of section name.
func (r *reader) skipSection(name string) error {
	r.restOfLine()
	for r.s.Scan() {
		r.line++
		if strings.TrimSpace(r.s.Text()) == "$End"+name {
			return nil
		}
	}
	if err := r.s.Err(); err != nil {
		return err
	}
	return fmt.Errorf("msh: section $%s has no $End%s", name, name)
}

// Read reads a gmsh ASCII mesh (format 4.1 or 2.2) and returns its nodes
// and triangles. It returns an error naming the line for a binary file,
// another version, a malformed number, a triangle that names a node the
// file does not have, or a file without triangles.
func Read(in io.Reader) (*mesh.Triangulation, error) {
	s := bufio.NewScanner(in)
	s.Buffer(make([]byte, 64<<10), 16<<20)
	r := &reader{s: s}
	version := ""
	t := &mesh.Triangulation{}
	index := map[int]int{} // node tag -> position
	for {
		w, err := r.word()
		if err != nil {
			if version == "" {
				return nil, fmt.Errorf("msh: no $MeshFormat section: not a gmsh file")
			}
			break
		}
		switch w {
		case "$MeshFormat":
			if version, err = r.word(); err != nil {
				return nil, err
			}
			ft, err := r.int()
			if err != nil {
				return nil, err
			}
			if ft != 0 {
				return nil, fmt.Errorf("msh: line %d: a binary file (file-type %d); write ASCII (gmsh -format msh41 or msh22 without -bin)", r.line, ft)
			}
			if version != "4.1" && version != "2.2" {
				return nil, fmt.Errorf("msh: line %d: format version %s; this reader takes 4.1 and 2.2", r.line, version)
			}
			if err := r.skipSection("MeshFormat"); err != nil {
				return nil, err
			}
		case "$Nodes":
			if version == "" {
				return nil, fmt.Errorf("msh: line %d: $Nodes before $MeshFormat", r.line)
			}
			if version == "4.1" {
				err = r.nodes41(t, index)
			} else {
				err = r.nodes22(t, index)
			}
			if err != nil {
				return nil, err
			}
			if err := r.skipSection("Nodes"); err != nil {
				return nil, err
			}
		case "$Elements":
			if version == "4.1" {
				err = r.elements41(t, index)
			} else {
				err = r.elements22(t, index)
			}
			if err != nil {
				return nil, err
			}
			if err := r.skipSection("Elements"); err != nil {
				return nil, err
			}
		default:
			if strings.HasPrefix(w, "$") && !strings.HasPrefix(w, "$End") {
				if err := r.skipSection(w[1:]); err != nil {
					return nil, err
				}
			}
		}
	}
	if len(t.Triangles) == 0 {
		return nil, fmt.Errorf("msh: no triangles (element type 2) in the file: a 2-D triangle mesh is needed")
	}
	return t, nil
}

func (r *reader) addNode(t *mesh.Triangulation, index map[int]int, tag int, x, y float64) error {
	if _, dup := index[tag]; dup {
		return fmt.Errorf("msh: line %d: node %d defined twice", r.line, tag)
	}
	index[tag] = len(t.X)
	t.X = append(t.X, x)
	t.Y = append(t.Y, y)
	return nil
}

// nodes41 reads the blocks of a 4.1 $Nodes section: numEntityBlocks
// numNodes minTag maxTag, then per block entityDim entityTag parametric
// numNodesInBlock, the block's tags, then its coordinates (x y z, and the
// parametric coordinates if any).
func (r *reader) nodes41(t *mesh.Triangulation, index map[int]int) error {
	blocks, err := r.int()
	if err != nil {
		return err
	}
	r.restOfLine()
	for b := 0; b < blocks; b++ {
		for k := 0; k < 2; k++ { // entityDim entityTag
			if _, err := r.int(); err != nil {
				return err
			}
		}
		param, err := r.int()
		if err != nil {
			return err
		}
		n, err := r.int()
		if err != nil {
			return err
		}
		if n < 0 {
			return fmt.Errorf("msh: line %d: %d nodes in a block", r.line, n)
		}
		tags := make([]int, n)
		for i := range tags {
			if tags[i], err = r.int(); err != nil {
				return err
			}
		}
		for _, tag := range tags {
			var xyz [3]float64
			for c := range xyz {
				if xyz[c], err = r.float(); err != nil {
					return err
				}
			}
			if param == 1 {
				r.restOfLine() // the parametric coordinates
			}
			if err := r.addNode(t, index, tag, xyz[0], xyz[1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// nodes22 reads a 2.2 $Nodes section: the count, then tag x y z per line.
func (r *reader) nodes22(t *mesh.Triangulation, index map[int]int) error {
	n, err := r.int()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		tag, err := r.int()
		if err != nil {
			return err
		}
		var xyz [3]float64
		for c := range xyz {
			if xyz[c], err = r.float(); err != nil {
				return err
			}
		}
		if err := r.addNode(t, index, tag, xyz[0], xyz[1]); err != nil {
			return err
		}
	}
	return nil
}

// nodesPerElement gives the node count of gmsh's element types 1-15
// (linear and quadratic lines, triangles, quadrangles, tetrahedra,
// hexahedra, prisms, pyramids, and points), enough to skip them.
var nodesPerElement = map[int]int{1: 2, 2: 3, 3: 4, 4: 4, 5: 8, 6: 6, 7: 5, 8: 3, 9: 6, 10: 9, 11: 10, 12: 27, 13: 18, 14: 14, 15: 1}

// triangle reads a triangle's three node tags and adds it.
func (r *reader) triangle(t *mesh.Triangulation, index map[int]int) error {
	var tri [3]int
	for v := range tri {
		tag, err := r.int()
		if err != nil {
			return err
		}
		p, ok := index[tag]
		if !ok {
			return fmt.Errorf("msh: line %d: a triangle names node %d, which the file does not define", r.line, tag)
		}
		tri[v] = p
	}
	t.Triangles = append(t.Triangles, tri)
	return nil
}

// elements41 reads a 4.1 $Elements section: numEntityBlocks numElements
// minTag maxTag, then per block entityDim entityTag elementType
// numElementsInBlock and one line per element: its tag and node tags.
func (r *reader) elements41(t *mesh.Triangulation, index map[int]int) error {
	blocks, err := r.int()
	if err != nil {
		return err
	}
	r.restOfLine()
	for b := 0; b < blocks; b++ {
		var head [4]int
		for i := range head {
			if head[i], err = r.int(); err != nil {
				return err
			}
		}
		typ, n := head[2], head[3]
		for e := 0; e < n; e++ {
			if _, err := r.int(); err != nil { // element tag
				return err
			}
			if typ != 2 {
				r.restOfLine()
				continue
			}
			if err := r.triangle(t, index); err != nil {
				return err
			}
		}
	}
	return nil
}

// elements22 reads a 2.2 $Elements section: the count, then per line the
// element's tag, type, number of tags, the tags and the node tags.
func (r *reader) elements22(t *mesh.Triangulation, index map[int]int) error {
	n, err := r.int()
	if err != nil {
		return err
	}
	for e := 0; e < n; e++ {
		if _, err := r.int(); err != nil {
			return err
		}
		typ, err := r.int()
		if err != nil {
			return err
		}
		ntags, err := r.int()
		if err != nil {
			return err
		}
		if _, known := nodesPerElement[typ]; !known {
			return fmt.Errorf("msh: line %d: element type %d", r.line, typ)
		}
		for k := 0; k < ntags; k++ {
			if _, err := r.int(); err != nil {
				return err
			}
		}
		if typ != 2 {
			r.restOfLine()
			continue
		}
		if err := r.triangle(t, index); err != nil {
			return err
		}
	}
	return nil
}
