package pde

import (
	"encoding/binary"
	"math/rand/v2"
)

// SampleRand returns the random source of sample i of a data set with the
// given seed: a ChaCha8 stream keyed by both, so that sample i is the same
// whichever shard makes it and streams of neighbouring samples are
// independent.
func SampleRand(seed uint64, i int) *rand.Rand {
	var key [32]byte
	x := seed
	for w := 0; w < 4; w++ {
		x = splitmix(x ^ uint64(i)*0x9e3779b97f4a7c15 ^ uint64(w))
		binary.LittleEndian.PutUint64(key[8*w:], x)
	}
	return rand.New(rand.NewChaCha8(key))
}

// splitmix is the finaliser of SplitMix64, a bijective bit mixer.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
