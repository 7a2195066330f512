package h5

import (
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// record is a State as a caller's package would define it.
type record struct {
	kind    string
	scalars map[string]float64
	vectors map[string][]float64
	blob    []byte
}

func (r *record) StateFields() (string, map[string]float64, map[string][]float64, []byte) {
	return r.kind, r.scalars, r.vectors, r.blob
}

func (r *record) SetStateFields(kind string, s map[string]float64, v map[string][]float64, blob []byte) {
	r.kind, r.scalars, r.vectors, r.blob = kind, s, v, blob
}

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.h5")
	f, err := Create(path, false)
	require.NoError(t, err)
	in := []*record{
		{"bandit", map[string]float64{"t": 17, "eta": 0.25}, map[string][]float64{"k": {1, 2, 3}, "grid": {1.1}}, []byte{0, 1, 254, 255}},
		{"fixed", map[string]float64{"omega": 1.5}, nil, nil},
	}
	for i, r := range in {
		require.NoError(t, WriteState(f, "s/"+string(rune('a'+i)), r))
	}
	require.NoError(t, f.Close())
	g, err := Open(path)
	require.NoError(t, err)
	defer g.Close()
	for i, want := range in {
		var got record
		require.NoError(t, ReadState(g, "s/"+string(rune('a'+i)), &got))
		if got.kind != want.kind || !maps.Equal(got.scalars, want.scalars) || !slices.Equal(got.blob, want.blob) || len(got.vectors) != len(want.vectors) {
			t.Errorf("state %d: read %+v, wrote %+v", i, got, want)
		}
		for k, v := range want.vectors {
			if !slices.Equal(got.vectors[k], v) {
				t.Errorf("state %d: vector %q read %v, wrote %v", i, k, got.vectors[k], v)
			}
		}
	}
	if err := ReadState(g, "nothing", &record{}); err == nil {
		t.Error("reading a missing group succeeded")
	}
}
