// Package h5 reads and writes HDF5 files through gonum.org/v1/hdf5, adding
// what a pipeline stage needs and the binding lacks:
//
//   - typed reads that check the stored datatype first: a float32 dataset is
//     never silently read into a float64 slice (the binding would return
//     garbage with a nil error);
//   - atomic writes: Create writes to a temporary file in the target folder
//     and Close renames it, so an interrupted run leaves no file under the
//     final name;
//   - chunking, deflate and hyperslab reads and writes for streaming;
//   - attributes of numbers, number slices and strings, the run
//     configuration as a JSON string attribute;
//   - sparse matrices as CSR groups (indptr, indices, data, shape) the way
//     SciPy users lay them out;
//   - one lock around every libhdf5 call (Debian's libhdf5 is not
//     thread-safe), with libhdf5's own error printing off during the
//     package's calls only: importing the package changes nothing for the
//     rest of the process;
//   - WriteState and ReadState for the resumable state of a long
//     computation (a learned policy), through the small State interface.
//
// Typical use:
//
//	f, err := h5.Create("out.h5", false) // false: refuse to overwrite
//	if err != nil { ... }
//	defer f.Abort()                       // removes the temp file unless Closed
//	err = h5.Write(f, "solution/u", []int{ny, nx}, u, nil)
//	err = f.SetAttr("/", "config", cfgJSON)
//	err = f.Close()                       // renames into place
//
//	g, err := h5.Open("out.h5")
//	u, dims, err := h5.Read[float64](g, "solution/u")
//
// Corrupt files: shapes, member counts and attribute sizes are checked
// against the file's size and MaxRead before anything is allocated, so a
// corrupt header is an error, not a panic or an out-of-memory abort. But
// libhdf5 itself can crash (SIGSEGV in H5Dread) or spin forever (H5Aread)
// on some corruptions, which no check in the process can prevent; a
// program that reads files it does not trust reads them first in a child
// process under a deadline, as the simulate command does.
package h5
