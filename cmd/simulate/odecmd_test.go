package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdekit/pdekit/io/h5"
)

// TestODE integrates Lotka-Volterra with Tsit5 and checks the JSON line and
// the trajectory file: the end error within the tolerance's reach, and t
// running from 0 to 10.
func TestODE(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lv.h5")
	code, stdout, errs := sim(t, "ode", "--problem", "lotka-volterra", "--method", "tsit5", "--rtol", "1e-8", "--atol", "1e-10", "--json", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var line struct {
		Case    string  `json:"case"`
		NFev    int     `json:"nfev"`
		RelErr  float64 `json:"relerr_end"`
		Success bool    `json:"success"`
	}
	if err := json.Unmarshal([]byte(stdout), &line); err != nil {
		t.Fatalf("not JSON: %q", stdout)
	}
	if line.Case != "ode-lotka-volterra-rtol1e-08" || !line.Success || line.RelErr > 1e-5 || line.NFev == 0 {
		t.Errorf("line %+v", line)
	}
	f, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts, _, err := h5.Read[float64](f, "t")
	if err != nil || ts[0] != 0 || ts[len(ts)-1] != 10 {
		t.Errorf("t from %v to %v: %v", ts[0], ts[len(ts)-1], err)
	}
	_, dims, err := h5.Read[float64](f, "y")
	if err != nil || dims[0] != len(ts) || dims[1] != 2 {
		t.Errorf("y dims %v: %v", dims, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--problem", "robertson"}, "use --method rosenbrock23"},
		{[]string{"--problem", "kepler"}, `--problem "kepler"`},
		{[]string{"--method", "rk45"}, `--method "rk45"`},
		{[]string{"--method", "rk4"}, "needs Settings.Dt"},
	} {
		code, _, errs := sim(t, append([]string{"ode"}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, errs)
		}
	}
}

// TestODEBrusselator: the 2-D Brusselator (2048 unknowns, sparse
// Jacobian, sparse LU) by Radau5 and Rodas4 at rtol 1e-4 ends within 20
// times the tolerance of its reference, and an explicit method is refused.
func TestODEBrusselator(t *testing.T) {
	if testing.Short() {
		t.Skip("integrates the 2048-unknown Brusselator with two methods and their 6 s references (about 15 s): skipped under -short")
	}
	for _, m := range []string{"radau5", "rodas4"} {
		code, stdout, errs := sim(t, "ode", "--problem", "brusselator2d", "--method", m, "--rtol", "1e-4", "--atol", "1e-4", "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", m, code, errs)
		}
		var line struct {
			Case    string  `json:"case"`
			NFev    int     `json:"nfev"`
			NJev    int     `json:"njev"`
			RelErr  float64 `json:"relerr_end"`
			Success bool    `json:"success"`
		}
		if err := json.Unmarshal([]byte(stdout), &line); err != nil {
			t.Fatalf("not JSON: %q", stdout)
		}
		if line.Case != "ode-brusselator2d-rtol0.0001" || !line.Success || line.RelErr > 2e-3 || line.RelErr == 0 || line.NFev == 0 || line.NJev == 0 {
			t.Errorf("%s: line %+v", m, line)
		}
	}
	if code, _, errs := sim(t, "ode", "--problem", "brusselator2d", "--method", "tsit5"); code != 2 || !strings.Contains(errs, "is stiff") {
		t.Errorf("tsit5: exit %d, stderr %q", code, errs)
	}
}
