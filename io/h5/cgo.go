package h5

// #cgo pkg-config: hdf5
// #include <hdf5.h>
// #include <stdlib.h>
//
// // The automatic error printing is saved and switched off around the
// // package's own calls only (its errors are return codes), then restored.
// static H5E_auto2_t pdekit_saved_func;
// static void *pdekit_saved_data;
// static void pdekit_silence(void) {
// 	H5Eget_auto2(H5E_DEFAULT, &pdekit_saved_func, &pdekit_saved_data);
// 	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
// }
// static void pdekit_restore(void) { H5Eset_auto2(H5E_DEFAULT, pdekit_saved_func, pdekit_saved_data); }
// // The library's default: print the stack to stderr.
// static void pdekit_default_printing(void) { H5Eset_auto2(H5E_DEFAULT, (H5E_auto2_t)H5Eprint2, stderr); }
// static int pdekit_printing(void) {
// 	H5E_auto2_t f; void *d;
// 	H5Eget_auto2(H5E_DEFAULT, &f, &d);
// 	return f != NULL;
// }
//
// // type_info describes a datatype: class, size in bytes, signedness.
// static void pdekit_type_info(hid_t t, int *cls, size_t *size, int *sgn) {
// 	*cls = (int)H5Tget_class(t);
// 	*size = H5Tget_size(t);
// 	*sgn = *cls == H5T_INTEGER ? (H5Tget_sign(t) == H5T_SGN_2) : 1;
// }
//
// // attr_info describes an attribute's datatype and its number of elements.
// static int pdekit_attr_info(hid_t a, int *cls, size_t *size, int *sgn, int *vlen, long long *n) {
// 	hid_t t = H5Aget_type(a);
// 	if (t < 0) return -1;
// 	pdekit_type_info(t, cls, size, sgn);
// 	*vlen = *cls == H5T_STRING ? H5Tis_variable_str(t) : 0;
// 	H5Tclose(t);
// 	hid_t s = H5Aget_space(a);
// 	if (s < 0) return -1;
// 	*n = (long long)H5Sget_simple_extent_npoints(s);
// 	H5Sclose(s);
// 	return 0;
// }
//
// static int pdekit_dataset_type(hid_t d, int *cls, size_t *size, int *sgn) {
// 	hid_t t = H5Dget_type(d);
// 	if (t < 0) return -1;
// 	pdekit_type_info(t, cls, size, sgn);
// 	H5Tclose(t);
// 	return 0;
// }
//
// static herr_t pdekit_awrite(hid_t a, hid_t mem, const void *buf) { return H5Awrite(a, mem, buf); }
// static herr_t pdekit_aread(hid_t a, hid_t mem, void *buf) { return H5Aread(a, mem, buf); }
//
// static int pdekit_attr_exists(hid_t obj, const char *name) { return H5Aexists(obj, name); }
//
// // Objects record no access, modification or creation times, so that
// // the same contents give the same file bytes.
// static herr_t pdekit_untimed(hid_t ocpl) { return H5Pset_obj_track_times(ocpl, 0); }
// static herr_t pdekit_create_group(hid_t loc, const char *name) {
// 	hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
// 	if (gcpl < 0) return -1;
// 	H5Pset_obj_track_times(gcpl, 0);
// 	hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
// 	H5Pclose(gcpl);
// 	if (g < 0) return -1;
// 	return H5Gclose(g);
// }
// static herr_t pdekit_attr_delete(hid_t obj, const char *name) { return H5Adelete(obj, name); }
import "C"

import (
	"runtime"
	"unsafe"
)

// untimed switches time tracking off in an object creation property list.
func untimed(ocpl int64) bool { return C.pdekit_untimed(C.hid_t(ocpl)) >= 0 }

// createGroup creates the group name under loc without time stamps.
func createGroup(loc int64, name string) bool {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return C.pdekit_create_group(C.hid_t(loc), cs) >= 0
}

func init() {
	// gonum.org/v1/hdf5 switches libhdf5's error printing off for the
	// whole process when it loads; give the process the library's default
	// back. This package silences the printing around its own calls only.
	C.pdekit_default_printing()
}

// lock takes the one libhdf5 lock, pins the goroutine to its OS thread (a
// thread-safe libhdf5 keeps the error printing per thread) and silences
// the error stack printing until unlock restores it.
func lock() {
	mu.Lock()
	runtime.LockOSThread()
	C.pdekit_silence()
}

// unlock restores the error printing and releases the lock.
func unlock() {
	C.pdekit_restore()
	runtime.UnlockOSThread()
	mu.Unlock()
}

// errorPrinting reports whether libhdf5 prints its error stack
// automatically on this thread (for tests).
func errorPrinting() bool { return C.pdekit_printing() != 0 }

const (
	classInteger = int(C.H5T_INTEGER)
	classFloat   = int(C.H5T_FLOAT)
	classString  = int(C.H5T_STRING)
)

type typeInfo struct {
	class  int
	size   int
	signed bool
}

func datasetType(id int64) (typeInfo, bool) {
	var cls, sgn C.int
	var size C.size_t
	if C.pdekit_dataset_type(C.hid_t(id), &cls, &size, &sgn) < 0 {
		return typeInfo{}, false
	}
	return typeInfo{int(cls), int(size), sgn != 0}, true
}

func attrInfo(id int64) (ti typeInfo, vlen bool, n int, ok bool) {
	var cls, sgn, vl C.int
	var size C.size_t
	var cn C.longlong
	if C.pdekit_attr_info(C.hid_t(id), &cls, &size, &sgn, &vl, &cn) < 0 {
		return ti, false, 0, false
	}
	return typeInfo{int(cls), int(size), sgn != 0}, vl != 0, int(cn), true
}

// attrWrite writes n elements at p (memory type mem) to attribute a. p must
// point to Go memory free of Go pointers (a numeric slice).
func attrWrite(a, mem int64, p unsafe.Pointer) bool {
	return C.pdekit_awrite(C.hid_t(a), C.hid_t(mem), p) >= 0
}

func attrRead(a, mem int64, p unsafe.Pointer) bool {
	return C.pdekit_aread(C.hid_t(a), C.hid_t(mem), p) >= 0
}

func attrExists(obj int64, name string) bool {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return C.pdekit_attr_exists(C.hid_t(obj), cs) > 0
}

func attrDelete(obj int64, name string) bool {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return C.pdekit_attr_delete(C.hid_t(obj), cs) >= 0
}
