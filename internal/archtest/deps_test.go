package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/pdekit/pdekit/"

// allowed lists, for every library package, the toolkit packages it may
// import directly (internal/parallel and internal/openblas are allowed
// everywhere). The directions are those of the design: files and grids at
// the bottom, solvers on sparse and mesh, learned methods on nn, the
// command on top of all.
var allowed = map[string][]string{
	"iterate":              {},
	"sparse":               {},
	"fft":                  {},
	"mesh":                 {"sparse"},
	"io/h5":                {"sparse", "mesh"},
	"io/mtx":               {"sparse", "mesh"},
	"io/idx":               {},
	"io/msh":               {"sparse", "mesh"},
	"io/matfile":           {},
	"io/npy":               {},
	"mpi":                  {},
	"dist":                 {"iterate", "sparse", "mesh", "solvers", "solvers/direct", "mpi"},
	"solvers":              {"iterate", "sparse"},
	"solvers/mg":           {"iterate", "sparse", "mesh", "solvers"},
	"solvers/amg":          {"iterate", "sparse", "mesh", "solvers", "solvers/direct"},
	"solvers/direct":       {"iterate", "sparse", "solvers"},
	"solvers/relax":        {"iterate", "sparse", "mesh", "solvers"},
	"solvers/halpern":      {"iterate", "sparse", "mesh", "solvers"},
	"solvers/sketchnewton": {"iterate", "sparse", "mesh", "solvers", "solvers/direct"},
	"solvers/dcdm":         {"iterate", "sparse", "mesh", "solvers", "nn", "nn/train", "io/h5"},
	"transport":            {"iterate"},
	"nn":                   {"iterate", "fft", "io/h5"},
	"nn/train":             {"iterate", "nn", "io/h5"},
	"neuralop":             {"iterate", "nn", "nn/train", "io/h5"},
	"pinn":                 {"iterate", "nn", "nn/train", "io/h5"},
	"ode":                  {"iterate", "sparse", "solvers", "solvers/direct", "nn"},
	"pde":                  {"iterate", "sparse", "mesh", "fft", "solvers", "solvers/mg"},
}

func TestImportDirections(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		pkg = strings.TrimPrefix(pkg, module)
		if strings.HasPrefix(pkg, "cmd/") || strings.HasPrefix(pkg, "internal/") {
			continue
		}
		ok, known := allowed[pkg]
		if !known {
			t.Errorf("package %s is not in the table of allowed imports: add it with the directions the design gives it", pkg)
			continue
		}
		seen++
		for _, imp := range strings.Fields(imports) {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(imp, module)
			if strings.HasPrefix(dep, "internal/parallel") || strings.HasPrefix(dep, "internal/openblas") {
				continue
			}
			if !contains(ok, dep) {
				t.Errorf("%s imports %s, which the design does not allow", pkg, dep)
			}
		}
	}
	if seen < len(allowed) {
		t.Errorf("go list showed %d of the %d packages in the table", seen, len(allowed))
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
