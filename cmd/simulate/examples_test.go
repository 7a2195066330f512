package main

import (
	"bytes"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helpExamples returns the example lines of a command's --help.
func helpExamples(t *testing.T, args ...string) [][]string {
	t.Helper()
	code, _, errs := sim(t, append(args, "--help")...)
	if code != 0 {
		t.Fatalf("%v --help: exit %d", args, code)
	}
	_, ex, ok := strings.Cut(errs, "\nexample:\n")
	if !ok {
		t.Fatalf("%v --help has no example: %q", args, errs)
	}
	ex, _, _ = strings.Cut(ex, "\n\n")
	var lines [][]string
	for _, l := range strings.Split(ex, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != "simulate" {
			t.Fatalf("%v --help: example line %q does not start with simulate", args, l)
		}
		lines = append(lines, f[1:])
	}
	return lines
}

// Every command's --help prints its flags without a panic (the flag
// package renders each flag's zero value to decide whether to show a
// default).
func TestHelpNoPanic(t *testing.T) {
	cmds := [][]string{{"bench", "linsys"}, {"train", "fno"}, {"train", "dcdm"}, {"train", "sfno"}}
	for k := range commands {
		cmds = append(cmds, []string{k})
	}
	for _, c := range cmds {
		code, _, errs := sim(t, append(c, "--help")...)
		if code != 0 || strings.Contains(errs, "panic") {
			t.Errorf("%v --help: exit %d\n%s", c, code, errs)
		}
	}
}

// TestHelpExamplesRun runs the example of every command's --help, as
// shown, in a fresh folder with the built binary: every line must finish
// with exit 0, or, if it is still working after a few seconds, stop
// cleanly on SIGTERM (exit 143). A line that fails for want of an input or
// a folder is a broken example.
func TestHelpExamplesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary on every --help example: skipped under -short")
	}
	bin := binary(t)
	cmds := [][]string{{"bench", "spmv"}, {"bench", "linsys"}, {"bench", "nn"}, {"bench", "pde"}, {"bench", "ode"}}
	var names []string
	for k := range commands {
		if k != "bench" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		cmds = append(cmds, []string{k})
	}
	for _, c := range cmds {
		t.Run(strings.Join(c, "-"), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, args := range helpExamples(t, c...) {
				cmd := exec.Command(bin, args...)
				cmd.Dir = dir
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan struct{})
				go func() { cmd.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(4 * time.Second):
					cmd.Process.Signal(syscall.SIGTERM)
					<-done
				}
				if code := cmd.ProcessState.ExitCode(); code != 0 && code != 143 {
					t.Errorf("simulate %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
				}
			}
		})
	}
}
