package h5

import (
	"encoding/hex"
	"fmt"
	"sort"
)

// State is named numeric state that a long computation saves to resume
// later, such as a bandit policy's (solvers/relax.State): a kind, named
// scalars and vectors, and an opaque blob (a random stream's state).
// StateFields gives the fields to WriteState; SetStateFields takes them
// from ReadState. This file package knows nothing else of the algorithm.
type State interface {
	StateFields() (kind string, scalars map[string]float64, vectors map[string][]float64, blob []byte)
	SetStateFields(kind string, scalars map[string]float64, vectors map[string][]float64, blob []byte)
}

// WriteState stores s as the group name: attribute kind, attribute blob
// (hex) when there is one, one one-element dataset per scalar under
// scalars/ and one dataset per vector under vectors/.
func WriteState(f *File, name string, s State) error {
	kind, scalars, vectors, blob := s.StateFields()
	if err := f.CreateGroup(name); err != nil {
		return err
	}
	if err := f.SetAttr(name, "kind", kind); err != nil {
		return err
	}
	if blob != nil {
		if err := f.SetAttr(name, "blob", hex.EncodeToString(blob)); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(scalars) {
		if err := Write(f, name+"/scalars/"+k, []int{1}, []float64{scalars[k]}, nil); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(vectors) {
		v := vectors[k]
		if err := Write(f, name+"/vectors/"+k, []int{len(v)}, v, nil); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ReadState reads a group written by WriteState into dst.
func ReadState(f *File, name string, dst State) error {
	kind, err := f.AttrString(name, "kind")
	if err != nil {
		return fmt.Errorf("h5: state %q: %w", name, err)
	}
	var blob []byte
	// Files written before WriteState named the blob "rng".
	for _, attr := range []string{"blob", "rng"} {
		if s, err := f.AttrString(name, attr); err == nil {
			if blob, err = hex.DecodeString(s); err != nil {
				return fmt.Errorf("h5: state %q: attribute %s is not hex: %v", name, attr, err)
			}
			break
		}
	}
	scalars, vectors := map[string]float64{}, map[string][]float64{}
	for _, part := range []string{"scalars", "vectors"} {
		names, err := f.List(name + "/" + part)
		if err != nil {
			continue // a state may have no scalars or no vectors
		}
		for _, k := range names {
			v, _, err := Read[float64](f, name+"/"+part+"/"+k)
			if err != nil {
				return err
			}
			if part == "vectors" {
				vectors[k] = v
				continue
			}
			if len(v) != 1 {
				return fmt.Errorf("h5: state %q: scalar %q has %d values", name, k, len(v))
			}
			scalars[k] = v[0]
		}
	}
	dst.SetStateFields(kind, scalars, vectors, blob)
	return nil
}
