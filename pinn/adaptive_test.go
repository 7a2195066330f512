package pinn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdekit/pdekit/nn"
)

// zeroPINN returns a PINN of the 2-D Exp problem whose network is zero,
// so that its squared residual is f^2 = ((40 - 400 |x|^2) exp(-10 |x|^2))^2,
// concentrated at the origin: 96% of its mass lies within 0.3 of it,
// against 7% of the uniform distribution's.
func zeroPINN(t *testing.T) *PINN {
	t.Helper()
	m, err := New(Exp{D: 2}, 8, 2, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	for _, p := range m.Params() {
		clear(p.Tensor.Data)
	}
	return m
}

// nearOrigin returns the fraction of the points x [N, 2] within 0.3 of
// the origin.
func nearOrigin(x *nn.Tensor[float64]) float64 {
	var in int
	for i := 0; i < x.Shape[0]; i++ {
		if math.Hypot(x.Data[2*i], x.Data[2*i+1]) < 0.3 {
			in++
		}
	}
	return float64(in) / float64(x.Shape[0])
}

// TestDAS: the DAS flow fitted to the squared residual of a zero network
// draws at least 5 times the uniform fraction of its points within 0.3
// of the origin; DAS-G adds its points after the current ones, DAS-R
// replaces them.
func TestDAS(t *testing.T) {
	m := zeroPINN(t)
	cur := Uniform(2, 1000, rand.New(rand.NewPCG(2, 2)))
	for _, replace := range []bool{false, true} {
		s := &DAS{Flow: FlowSettings{Steps: 150, Batch: 250, LR: 1e-2, N: 1000}, Replace: replace}
		next, err := s.Next(m, cur, rand.New(rand.NewPCG(3, 3)))
		require.NoError(t, err)
		fresh := next
		if !replace {
			require.Equal(t, 2000, next.Shape[0])
			assert.Equal(t, cur.Data, next.Data[:2000])
			fresh = nn.New(next.Data[2000:], 1000, 2)
		} else {
			require.Equal(t, 1000, next.Shape[0])
		}
		frac := nearOrigin(fresh)
		t.Logf("%s: %.3f of the new points within 0.3 of the origin (uniform: %.3f)", s.Name(), frac, nearOrigin(cur))
		if frac < 5*math.Pi*0.09/4 {
			t.Errorf("%s: %.3f of the new points near the peak of r^2", s.Name(), frac)
		}
		// A second stage fits from the flow's own points.
		_, err = s.Next(m, next, rand.New(rand.NewPCG(4, 4)))
		require.NoError(t, err)
	}
}

// TestAAS: the AAS flow maximising the mean squared residual of a zero
// network (with the gradient penalty) moves its points towards the
// residual's peak, at least 3 times the uniform fraction within 0.3 of
// it, and a larger penalty keeps it flatter.
func TestAAS(t *testing.T) {
	m := zeroPINN(t)
	cur := Uniform(2, 500, rand.New(rand.NewPCG(2, 2)))
	var fr []float64
	for _, beta := range []float64{1e-3, 10} {
		s := &AAS{Flow: FlowSettings{Steps: 80, Batch: 250, LR: 1e-2, N: 1000}, Beta: beta, Penalty: 100}
		next, err := s.Next(m, cur, rand.New(rand.NewPCG(3, 3)))
		require.NoError(t, err)
		require.Equal(t, 1000, next.Shape[0])
		fr = append(fr, nearOrigin(next))
		t.Logf("beta %g: %.3f of the points within 0.3 of the origin", beta, fr[len(fr)-1])
	}
	if fr[0] < 3*math.Pi*0.09/4 || !(fr[1] < fr[0]) {
		t.Errorf("fractions near the peak %v", fr)
	}
}
