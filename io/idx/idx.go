package idx

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxDims is the largest number of dimensions read.
const MaxDims = 8

// MaxBytes caps the data of one file (1 GiB; Fashion-MNIST's largest is
// 47 MB).
const MaxBytes = 1 << 30

// Data is an IDX array: its dimensions (the first is the sample count)
// and its bytes, the last dimension fastest.
type Data struct {
	Dims  []int
	Bytes []uint8
}

// Read reads the IDX file at path, gunzipping it when it starts with the
// gzip magic.
func Read(path string) (*Data, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := ReadFrom(f)
	if err != nil {
		return nil, fmt.Errorf("idx: %s: %w", path, err)
	}
	return d, nil
}

// ReadFrom reads an IDX array from r, gunzipping it when it starts with
// the gzip magic.
func ReadFrom(r io.Reader) (*Data, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		return read(bufio.NewReader(z))
	}
	return read(br)
}

func read(r *bufio.Reader) (*Data, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("not an IDX file (header % x)", head)
	}
	if head[2] != 0x08 {
		return nil, fmt.Errorf("data type 0x%02x: only unsigned bytes (0x08) are read", head[2])
	}
	nd := int(head[3])
	if nd < 1 || nd > MaxDims {
		return nil, fmt.Errorf("%d dimensions: want 1 to %d", nd, MaxDims)
	}
	d := &Data{Dims: make([]int, nd)}
	n := 1
	for i := range d.Dims {
		var v uint32
		if err := binary.Read(r, binary.BigEndian, &v); err != nil {
			return nil, fmt.Errorf("reading dimension %d: %w", i, err)
		}
		if v == 0 || uint64(n)*uint64(v) > MaxBytes {
			return nil, fmt.Errorf("dimensions %v...: want positive sizes of at most %d bytes in all", append(d.Dims[:i:i], int(v)), MaxBytes)
		}
		d.Dims[i] = int(v)
		n *= int(v)
	}
	// Grow as the data arrive rather than trusting the declared size.
	var buf []uint8
	chunk := make([]uint8, 1<<16)
	for len(buf) < n {
		k, err := io.ReadFull(r, chunk[:min(len(chunk), n-len(buf))])
		buf = append(buf, chunk[:k]...)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("the data end after %d of the %d bytes the dimensions %v declare", len(buf), n, d.Dims)
			}
			return nil, err
		}
	}
	if _, err := r.ReadByte(); err == nil {
		return nil, fmt.Errorf("more data than the dimensions %v declare", d.Dims)
	} else if !errors.Is(err, io.EOF) {
		return nil, err
	}
	d.Bytes = buf
	return d, nil
}
