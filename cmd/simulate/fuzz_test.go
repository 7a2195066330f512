package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzInputFiles: the commands that read files (ot --in, solve --matrix
// in Matrix Market and HDF5, train/eval --data, merge) answer any bytes
// with an exit status and a message, never a panic.
func FuzzInputFiles(f *testing.F) {
	dir := f.TempDir()
	writeClouds(f, filepath.Join(dir, "clouds.h5"), 6)
	tr, _ := darcySets(f, dir)
	model := filepath.Join(dir, "m.h5")
	code, _, errs := sim(f, append([]string{"train", "mgno", "--train", tr, "--test", tr, "--epochs", "1", "--out", model}, smallMgNO...)...)
	require.Equal(f, 0, code, errs)
	code, _, errs = sim(f, "export", "--n", "4", "--out", filepath.Join(dir, "A.h5"))
	require.Equal(f, 0, code, errs)
	for i, name := range []string{"clouds.h5", "tr.h5", "A.h5"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(f, err)
		f.Add(uint8(i), b)
	}
	f.Add(uint8(3), []byte("%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 2\n2 2 3\n1 2 -1\n"))
	f.Fuzz(func(t *testing.T, kind uint8, b []byte) {
		in := filepath.Join(t.TempDir(), "in.h5")
		if kind%5 == 3 {
			in = filepath.Join(filepath.Dir(in), "in.mtx")
		}
		require.NoError(t, os.WriteFile(in, b, 0o644))
		out := filepath.Join(filepath.Dir(in), "out.h5")
		var args []string
		switch kind % 5 {
		case 0:
			args = []string{"ot", "--in", in, "--method", "emd", "--allow-unconverged"}
		case 1:
			args = []string{"eval", "--model", model, "--data", in}
		case 2, 3:
			args = []string{"solve", "--matrix", in, "--maxiter", "50", "--allow-unconverged"}
		case 4:
			args = []string{"merge", out, in}
		}
		code, _, _ := sim(t, args...)
		if code == 0 {
			return
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v failed (exit %d) and left %s", args, code, out)
		}
	})
}
