// Package msh reads the triangles of a gmsh mesh file (the MSH format of
// gmsh, https://gmsh.info/doc/texinfo/gmsh.html#MSH-file-format), ASCII
// versions 4.1 (gmsh's default since 4.0) and 2.2 (the older one many codes
// still write), into a mesh.Triangulation. Nodes keep their file order;
// 3-node triangles (element type 2) are read and other elements (points,
// lines, quadrangles) skipped, so a 2-D mesh's boundary lines need not be
// tagged: mesh.Triangulation finds the boundary from the triangles.
package msh
