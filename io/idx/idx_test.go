package idx

import (
	"bytes"
	"compress/gzip"
	"os"
	"strings"
	"testing"
)

func file(dims []uint32, data []byte) []byte {
	b := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		b = append(b, byte(d>>24), byte(d>>16), byte(d>>8), byte(d))
	}
	return append(b, data...)
}

// TestRead: raw and gzipped files give the declared dimensions and
// bytes; bad headers, short and long data and huge declarations are
// errors that say what is wrong.
func TestRead(t *testing.T) {
	raw := file([]uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(raw)
	w.Close()
	for _, in := range [][]byte{raw, z.Bytes()} {
		d, err := ReadFrom(bytes.NewReader(in))
		if err != nil || len(d.Dims) != 2 || d.Dims[0] != 2 || d.Dims[1] != 3 || !bytes.Equal(d.Bytes, []byte{1, 2, 3, 4, 5, 6}) {
			t.Errorf("%v %+v", err, d)
		}
	}
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{[]byte{1, 2, 3}, "header"},
		{[]byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0}, "only unsigned bytes"},
		{file([]uint32{2, 3}, []byte{1, 2}), "end after 2 of the 6"},
		{file([]uint32{2}, []byte{1, 2, 3}), "more data"},
		{file([]uint32{1 << 20, 1 << 20}, nil), "at most"},
		{file([]uint32{0}, nil), "positive"},
	} {
		if _, err := ReadFrom(bytes.NewReader(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("% x: %v, want %q", c.in, err, c.want)
		}
	}
}

// TestFashionMNIST reads the Debian package's test labels when installed:
// 10,000 labels, 1,000 of each class.
func TestFashionMNIST(t *testing.T) {
	const path = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"
	if _, err := os.Stat(path); err != nil {
		t.Skip("dataset-fashion-mnist is not installed (make test installs it; a bare go test may run where it is not)")
	}
	d, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	var count [10]int
	for _, l := range d.Bytes {
		count[l]++
	}
	if len(d.Dims) != 1 || d.Dims[0] != 10000 || count != [10]int{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000} {
		t.Errorf("dims %v, class counts %v", d.Dims, count)
	}
}

// FuzzReadFrom: no input panics or allocates beyond what it holds.
func FuzzReadFrom(f *testing.F) {
	f.Add(file([]uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6}))
	f.Add(file([]uint32{1 << 20, 1 << 20}, nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := ReadFrom(bytes.NewReader(in))
		if err == nil && len(d.Bytes) > len(in)*1100 {
			t.Errorf("%d bytes from %d", len(d.Bytes), len(in))
		}
	})
}
