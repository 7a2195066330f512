package h5

import (
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/pdekit/pdekit/solvers/relax"
)

// WritePolicyState stores a bandit policy's learned state (relax.Snapshot)
// as the group name: attribute kind, attribute rng (hex) when the policy
// is randomized, one one-element dataset per scalar under scalars/ and one
// dataset per vector under vectors/. ReadPolicyState reads it back, and
// relax.Restore continues the policy where it stopped.
func WritePolicyState(f *File, name string, s *relax.State) error {
	if err := f.CreateGroup(name); err != nil {
		return err
	}
	if err := f.SetAttr(name, "kind", s.Kind); err != nil {
		return err
	}
	if s.RNG != nil {
		if err := f.SetAttr(name, "rng", hex.EncodeToString(s.RNG)); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(s.Scalars) {
		if err := Write(f, name+"/scalars/"+k, []int{1}, []float64{s.Scalars[k]}, nil); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(s.Vectors) {
		v := s.Vectors[k]
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

// ReadPolicyState reads a group written by WritePolicyState.
func ReadPolicyState(f *File, name string) (*relax.State, error) {
	kind, err := f.AttrString(name, "kind")
	if err != nil {
		return nil, fmt.Errorf("h5: policy state %q: %w", name, err)
	}
	s := &relax.State{Kind: kind, Scalars: map[string]float64{}, Vectors: map[string][]float64{}}
	if rng, err := f.AttrString(name, "rng"); err == nil {
		if s.RNG, err = hex.DecodeString(rng); err != nil {
			return nil, fmt.Errorf("h5: policy state %q: attribute rng is not hex: %v", name, err)
		}
	}
	for _, part := range []string{"scalars", "vectors"} {
		names, err := f.List(name + "/" + part)
		if err != nil {
			continue // a policy may have no scalars or no vectors
		}
		for _, k := range names {
			v, _, err := Read[float64](f, name+"/"+part+"/"+k)
			if err != nil {
				return nil, err
			}
			if part == "vectors" {
				s.Vectors[k] = v
				continue
			}
			if len(v) != 1 {
				return nil, fmt.Errorf("h5: policy state %q: scalar %q has %d values", name, k, len(v))
			}
			s.Scalars[k] = v[0]
		}
	}
	return s, nil
}
