package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/pdekit/pdekit/io/h5"
)

// vetCommand is the hidden command that reads an HDF5 file completely in
// a child process. libhdf5 can crash (SIGSEGV in H5Dread) or spin forever
// (H5Aread) on a corrupt file, and neither can be recovered inside the
// process; so every HDF5 file a user gives is first read by a child,
// under a deadline, before it is trusted in-process.
const vetCommand = "__vet-h5"

// vetDeadline is the child's time for a small file (a second per 20 MB
// is added).
var vetDeadline = 10 * time.Second

// vetAttrs are the attributes the toolkit's readers look at.
var vetAttrs = []string{"config", "seed", "version", "command", "shard", "first-sample", "shape", "x_eps", "y_eps", "rng"}

// vetted holds the files (path, size, modification time) vetInput passed
// in this run, so that a file read twice is vetted once.
var vetted sync.Map

// vetInput reads path in a child process and returns a usage error if the
// HDF5 library crashed or did not finish by the deadline (10 s plus a
// second per 20 MB). Errors the library reports cleanly are left to the
// caller's own reading, which names them.
func vetInput(path string) (verr error) {
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() {
		return nil // the caller's open names the problem
	}
	key := fmt.Sprintf("%s\x00%d\x00%d", path, fi.Size(), fi.ModTime().UnixNano())
	if _, ok := vetted.Load(key); ok {
		return nil // this run read the same file already
	}
	defer func() {
		if verr == nil {
			vetted.Store(key, true)
		}
	}()
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	limit := vetDeadline + time.Duration(fi.Size()/(20<<20))*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, vetCommand, path)
	err = cmd.Run()
	if ctx.Err() != nil {
		return usageErr("%s: the HDF5 library did not finish reading it in %v: the file is corrupt", path, limit)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() != vetLibraryError {
		// Go's runtime ends a process whose C code faulted with exit
		// status 2 after its trace; a signal can also end it outright.
		why := fmt.Sprintf("exit status %d", ee.ExitCode())
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			why = ws.Signal().String()
		}
		return usageErr("%s: the HDF5 library crashed reading it (%s): the file is corrupt", path, why)
	}
	return nil
}

// vetLibraryError is the child's exit status when the library reported an
// error cleanly (the caller's own reading will name it).
const vetLibraryError = 3

// vetMain is the child's side: it opens path and reads every dataset
// (one leading index at a time) and the toolkit's attributes of every
// group and dataset. Exit 0 when all was read, vetLibraryError when the
// library reported an error.
func vetMain(args []string) int {
	if len(args) != 1 {
		return vetLibraryError
	}
	f, err := h5.Open(args[0])
	if err != nil {
		return vetLibraryError
	}
	defer f.Close()
	err = f.Walk("/", func(path string, info *h5.Info) error {
		vetAttributes(f, path)
		if info == nil {
			return nil
		}
		return vetDataset(f, path, *info)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return vetLibraryError
	}
	return 0
}

func vetAttributes(f *h5.File, obj string) {
	for _, a := range vetAttrs {
		if _, err := f.AttrString(obj, a); err == nil {
			continue
		}
		if _, err := f.AttrInt64s(obj, a); err == nil {
			continue
		}
		f.AttrFloat64s(obj, a)
	}
}

// vetDataset reads a dataset in slabs of leading indices of about 2^20
// values, so that the child's memory stays one slab.
func vetDataset(f *h5.File, name string, info h5.Info) error {
	if len(info.Dims) == 0 {
		return nil
	}
	row := 1
	for _, d := range info.Dims[1:] {
		row *= max(d, 1)
	}
	step := max(1, (1<<20)/row)
	count := append([]int{0}, info.Dims[1:]...)
	off := make([]int, len(info.Dims))
	for i := 0; i < info.Dims[0]; i += step {
		off[0], count[0] = i, min(step, info.Dims[0]-i)
		var err error
		switch info.Type {
		case "float32":
			_, err = h5.ReadSlab[float32](f, name, off, count, nil)
		case "float64":
			_, err = h5.ReadSlab[float64](f, name, off, count, nil)
		case "int64":
			_, err = h5.ReadSlab[int64](f, name, off, count, nil)
		case "int32":
			_, err = h5.ReadSlab[int32](f, name, off, count, nil)
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// openInput opens an HDF5 file a user gave, after vetInput.
func openInput(path string) (*h5.File, error) {
	if err := vetInput(path); err != nil {
		return nil, err
	}
	return h5.Open(path)
}
