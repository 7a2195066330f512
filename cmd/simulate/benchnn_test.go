package main

import (
	"encoding/json"
	"testing"
)

func TestBenchNN(t *testing.T) {
	code, stdout, errs := sim(t, "bench", "nn", "--reps", "1", "--threads", "1", "--only", "pinn")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var line struct {
		Case    string  `json:"case"`
		Seconds float64 `json:"seconds"`
		Params  int     `json:"params"`
	}
	if err := json.Unmarshal([]byte(stdout), &line); err != nil {
		t.Fatalf("not a JSON line: %q", stdout)
	}
	// The peer's model has 2*64+64 + 3*(64*64+64) + 64+1 = 12737 parameters.
	if line.Case != "pinn-mlp-2x64x4-n2000-laplace" || line.Params != 12737 || !(line.Seconds > 0) {
		t.Errorf("line %+v", line)
	}
}
