package pde

import (
	"context"
	"math"
	"sort"
	"testing"

	"github.com/pdekit/pdekit/fft"
)

// TestPeriodicGRFSpectrum checks that the sample average of |FFT(u)(k)|^2
// matches the prescribed s(k)^2 shell by shell, and the pointwise variance
// its closed form.
func TestPeriodicGRFSpectrum(t *testing.T) {
	const n, samples = 32, 400
	g, err := NewPeriodicGRF(2.5, 7, math.Pow(7, 1.5), n, n)
	if err != nil {
		t.Fatal(err)
	}
	plan, _ := fft.NewR2C(n, n)
	_, m := plan.Len()
	u := make([]float64, n*n)
	spec := make([]complex128, m)
	pow := make([]float64, m)
	variance := 0.0
	for i := 0; i < samples; i++ {
		g.Sample(u, SampleRand(1, i), nil)
		plan.Forward(spec, u)
		for p, c := range spec {
			pow[p] += real(c)*real(c) + imag(c)*imag(c)
		}
		for _, v := range u {
			variance += v * v
		}
	}
	variance /= samples * n * n
	if rel := math.Abs(variance/g.Variance() - 1); rel > 0.1 {
		t.Errorf("pointwise variance %.4g, closed form %.4g (rel. error %.3f)", variance, g.Variance(), rel)
	}
	// Shells |k| = 1, 2, 3: mean of measured over prescribed power.
	h := n/2 + 1
	for shell := 1; shell <= 3; shell++ {
		ratio, count := 0.0, 0
		for p := range pow {
			kx, ky := freq(p/h, n), p%h
			if int(math.Round(math.Hypot(float64(kx), float64(ky)))) != shell {
				continue
			}
			ratio += pow[p] / samples / (g.s[p] * g.s[p])
			count++
		}
		ratio /= float64(count)
		if math.Abs(ratio-1) > 0.1 {
			t.Errorf("shell |k| = %d: measured/prescribed power %.3f over %d modes", shell, ratio, count)
		}
	}
	if pow[0] > 1e-20 {
		t.Errorf("mean mode has power %g, want 0", pow[0])
	}
}

// TestPeriodicGRF1DOddAndDeterministic checks an odd grid (no Nyquist
// plane), that a sample is reproducible from its seed and index, and that
// different indices differ.
func TestPeriodicGRF1DOddAndDeterministic(t *testing.T) {
	for _, n := range []int{7, 64} {
		g, err := NewPeriodicGRF(2.5, 7, 49, n)
		if err != nil {
			t.Fatal(err)
		}
		a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
		g.Sample(a, SampleRand(3, 5), nil)
		g.Sample(b, SampleRand(3, 5), nil)
		g.Sample(c, SampleRand(3, 6), nil)
		same := true
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("n=%d: same seed and index gave different fields at %d", n, i)
			}
			same = same && a[i] == c[i]
		}
		if same {
			t.Errorf("n=%d: indices 5 and 6 gave the same field", n)
		}
	}
	if _, err := NewPeriodicGRF(-1, 7, 1, 8); err == nil {
		t.Error("negative alpha accepted")
	}
	if _, err := NewPeriodicGRF(2, 7, 1, 1); err == nil {
		t.Error("a 1-point axis accepted")
	}
}

// TestNeumannGRF checks the expansion coefficients' variances and the
// pointwise variance against sum_k sd_k^2 phi_k(x)^2 at a corner and a
// centre node.
func TestNeumannGRF(t *testing.T) {
	const n, samples = 17, 600
	g, err := NewNeumannGRF(2, 3, n, n)
	if err != nil {
		t.Fatal(err)
	}
	sd := g.StdDev()
	u := make([]float64, n*n)
	c := make([]float64, n*n)
	pow := make([]float64, n*n)
	corner, centre := 0.0, 0.0
	for i := 0; i < samples; i++ {
		g.Sample(u, SampleRand(9, i), nil)
		g.Coefficients(c, u)
		for p, v := range c {
			pow[p] += v * v
		}
		corner += u[0] * u[0]
		centre += u[(n/2)*n+n/2] * u[(n/2)*n+n/2]
	}
	// Low modes (most of the variance): each within 25%, their mean within 8%.
	ratio, count := 0.0, 0
	for k1 := 0; k1 <= 2; k1++ {
		for k2 := 0; k2 <= 2; k2++ {
			p := k1*n + k2
			if p == 0 {
				continue
			}
			r := pow[p] / samples / (sd[p] * sd[p])
			if math.Abs(r-1) > 0.25 {
				t.Errorf("mode (%d,%d): measured/prescribed variance %.3f", k1, k2, r)
			}
			ratio += r
			count++
		}
	}
	if r := ratio / float64(count); math.Abs(r-1) > 0.08 {
		t.Errorf("low modes: mean variance ratio %.3f", r)
	}
	phi2 := func(k int, x float64) float64 {
		if k == 0 {
			return 1
		}
		c := math.Cos(math.Pi * float64(k) * x)
		return 2 * c * c
	}
	for _, pt := range []struct {
		name string
		x    float64
		got  float64
	}{{"corner", 0, corner / samples}, {"centre", 0.5, centre / samples}} {
		want := 0.0
		for k1 := 0; k1 < n; k1++ {
			for k2 := 0; k2 < n; k2++ {
				want += sd[k1*n+k2] * sd[k1*n+k2] * phi2(k1, pt.x) * phi2(k2, pt.x)
			}
		}
		if math.Abs(pt.got/want-1) > 0.15 {
			t.Errorf("%s variance %.4g, closed form %.4g", pt.name, pt.got, want)
		}
	}
}

// TestDarcyManufactured checks second-order convergence on
// u = sin(pi x) sin(pi y) with a = 1 + x^2 + 0.5 sin(2 pi y), f = -div(a grad u).
func TestDarcyManufactured(t *testing.T) {
	var prev float64
	for _, n := range []int{17, 33, 65, 129} {
		d, err := NewElliptic(n, 0, 1e-12)
		if err != nil {
			t.Fatal(err)
		}
		a, f, u := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
		h := 1 / float64(n-1)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				x, y := float64(i)*h, float64(j)*h // i is the slow index
				a[i*n+j] = 1 + x*x + 0.5*math.Sin(2*math.Pi*y)
				ax, ay := 2*x, math.Pi*math.Cos(2*math.Pi*y)
				s, pi := math.Sin, math.Pi
				ux, uy := pi*math.Cos(pi*x)*s(pi*y), pi*s(pi*x)*math.Cos(pi*y)
				lap := -2 * pi * pi * s(pi*x) * s(pi*y)
				f[i*n+j] = -(a[i*n+j]*lap + ax*ux + ay*uy)
			}
		}
		if err := d.SetCoefficient(a); err != nil {
			t.Fatal(err)
		}
		if err := d.Solve(context.Background(), u, f); err != nil {
			t.Fatal(err)
		}
		if d.Preconditioner != "mg" {
			t.Errorf("n=%d: preconditioner %s, want mg", n, d.Preconditioner)
		}
		e := 0.0
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				x, y := float64(i)*h, float64(j)*h
				e = math.Max(e, math.Abs(u[i*n+j]-math.Sin(math.Pi*x)*math.Sin(math.Pi*y)))
			}
		}
		t.Logf("Darcy n=%d: max error %.3g, %d PCG iterations", n, e, d.Last.Iterations)
		if prev > 0 {
			if order := math.Log2(prev / e); math.Abs(order-2) > 0.2 {
				t.Errorf("n=%d: max error %.3g, order %.2f, want 2", n, e, order)
			}
		}
		prev = e
	}
}

// TestDarcyFNOData solves a thresholded random coefficient on grids whose
// multigrid hierarchy is nested (65 nodes) and not (48 nodes: 46 interior
// points) in few iterations, and checks the discrete equation by an
// independent residual computation.
func TestDarcyFNOData(t *testing.T) {
	for _, n := range []int{48, 65} {
		g, err := NewNeumannGRF(2, 3, n, n)
		if err != nil {
			t.Fatal(err)
		}
		field, a, u := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
		g.Sample(field, SampleRand(0, 0), nil)
		Threshold(a, field, 12, 3)
		d, _ := NewElliptic(n, 0, 1e-10)
		if err := d.SetCoefficient(a); err != nil {
			t.Fatal(err)
		}
		if err := d.Solve(context.Background(), u, nil); err != nil {
			t.Fatal(err)
		}
		if d.Preconditioner != "mg" || d.Last.Iterations > 20 {
			t.Errorf("n=%d: preconditioner %s, %d iterations, want mg and at most 20", n, d.Preconditioner, d.Last.Iterations)
		}
		h := 1 / float64(n-1)
		worst := 0.0
		for i := 1; i < n-1; i++ {
			for j := 1; j < n-1; j++ {
				p := i*n + j
				r := 1.0
				for _, q := range []int{p - 1, p + 1, p - n, p + n} {
					r -= (a[p] + a[q]) / 2 * (u[p] - u[q]) / (h * h)
				}
				worst = math.Max(worst, math.Abs(r))
			}
		}
		if worst > 1e-6 {
			t.Errorf("n=%d: discrete residual %.3g", n, worst)
		}
		for i := 0; i < n; i++ {
			if u[i] != 0 || u[i*n] != 0 || u[(n-1)*n+i] != 0 || u[i*n+n-1] != 0 {
				t.Fatalf("n=%d: boundary value not zero at %d", n, i)
			}
		}
	}
	d, _ := NewElliptic(9, 0, 0)
	if err := d.SetCoefficient(make([]float64, 81)); err == nil {
		t.Error("a zero coefficient was accepted")
	}
}

// TestNS2DTaylorGreen checks that a single-shell vortex decays by the
// Crank-Nicolson factor exactly (the advection term vanishes), and by
// exp(-nu |k|^2 t) to second order in dt.
func TestNS2DTaylorGreen(t *testing.T) {
	const n, nu, dt, steps = 32, 0.01, 1e-3, 200
	s, err := NewNS2D(n, nu, dt, nil)
	if err != nil {
		t.Fatal(err)
	}
	w0 := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			x, y := float64(i)/n, float64(j)/n
			w0[i*n+j] = math.Sin(4*math.Pi*x) * math.Sin(6*math.Pi*y)
		}
	}
	if err := s.SetVorticity(w0, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Advance(steps); err != nil {
		t.Fatal(err)
	}
	lam := 4 * math.Pi * math.Pi * 13
	cn := math.Pow((1-0.5*dt*nu*lam)/(1+0.5*dt*nu*lam), steps)
	w := make([]float64, n*n)
	s.Vorticity(w)
	worst := 0.0
	for i := range w {
		worst = math.Max(worst, math.Abs(w[i]-cn*w0[i]))
	}
	if worst > 1e-12 {
		t.Errorf("max deviation from the Crank-Nicolson decay %.3g", worst)
	}
	exact := math.Exp(-nu * lam * s.Time())
	if rel := math.Abs(cn/exact - 1); rel > 1e-5 {
		t.Errorf("decay factor %.10f, exact %.10f", cn, exact)
	}
}

// randomVorticity returns a smooth random vorticity field (the FNO initial
// condition) with the given mean added.
func randomVorticity(n int, mean float64) []float64 {
	g, _ := NewPeriodicGRF(2.5, 7, math.Pow(7, 1.5), n, n)
	w := make([]float64, n*n)
	g.Sample(w, SampleRand(42, 0), nil)
	for i := range w {
		w[i] += mean
	}
	return w
}

// TestNS2DInvariants checks conservation of the mean vorticity under
// forcing, the energy balance dE/dt = -2 nu Z without forcing, near
// conservation of energy and enstrophy without viscosity, and that the
// dealiased modes stay zero.
func TestNS2DInvariants(t *testing.T) {
	const n = 64
	t.Run("mean", func(t *testing.T) {
		s, _ := NewNS2D(n, 1e-3, 1e-3, FNOForcing(n))
		if err := s.SetVorticity(randomVorticity(n, 0.3), 0); err != nil {
			t.Fatal(err)
		}
		m0 := s.MeanVorticity()
		if err := s.Advance(100); err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(s.MeanVorticity() - m0); d > 1e-12 {
			t.Errorf("mean vorticity moved by %.3g", d)
		}
	})
	t.Run("energy balance", func(t *testing.T) {
		const nu, dt, steps = 1e-2, 5e-4, 400
		s, _ := NewNS2D(n, nu, dt, nil)
		s.SetVorticity(randomVorticity(n, 0), 0)
		e0 := s.Energy()
		z := 0.5 * s.Enstrophy()
		for k := 0; k < steps; k++ {
			s.Step()
			w := 1.0
			if k == steps-1 {
				w = 0.5
			}
			z += w * s.Enstrophy()
		}
		dissip := 2 * nu * z * dt
		if rel := math.Abs((e0-s.Energy())/dissip - 1); rel > 1e-3 {
			t.Errorf("energy lost %.6g, dissipated 2 nu int Z = %.6g (rel. %.2g)", e0-s.Energy(), dissip, rel)
		}
		spec := s.EnergySpectrum()
		sum := 0.0
		for _, e := range spec {
			sum += e
		}
		if math.Abs(sum/s.Energy()-1) > 1e-12 {
			t.Errorf("energy spectrum sums to %.12g, energy %.12g", sum, s.Energy())
		}
		cut := 2.0 / 3 * (n / 2)
		h := n/2 + 1
		for p, w := range s.Spectrum() {
			kx, ky := math.Abs(float64(freq(p/h, n))), float64(p%h)
			if (kx > cut || ky > cut) && w != 0 {
				t.Fatalf("dealiased mode (%v,%v) is %v", kx, ky, w)
			}
		}
	})
	t.Run("inviscid", func(t *testing.T) {
		s, _ := NewNS2D(n, 0, 1e-3, nil)
		s.SetVorticity(randomVorticity(n, 0), 0)
		e0, z0 := s.Energy(), s.Enstrophy()
		if err := s.Advance(200); err != nil {
			t.Fatal(err)
		}
		if re, rz := math.Abs(s.Energy()/e0-1), math.Abs(s.Enstrophy()/z0-1); re > 1e-6 || rz > 1e-6 {
			t.Errorf("relative drift: energy %.3g, enstrophy %.3g", re, rz)
		}
	})
	if _, err := NewNS2D(63, 1e-3, 1e-3, nil); err == nil {
		t.Error("odd grid accepted")
	}
	if _, err := NewNS2D(64, -1, 1e-3, nil); err == nil {
		t.Error("negative viscosity accepted")
	}
}

// TestBurgersColeHopf compares with the Cole-Hopf solution
// u = -2 nu phi_x/phi, phi = 2 + cos(2 pi x) exp(-4 pi^2 nu t), and checks
// fourth order in time.
func TestBurgersColeHopf(t *testing.T) {
	const n, nu, tEnd = 128, 0.05, 0.5
	exact := func(x, t float64) float64 {
		e := math.Exp(-4 * math.Pi * math.Pi * nu * t)
		return 2 * nu * 2 * math.Pi * math.Sin(2*math.Pi*x) * e / (2 + math.Cos(2*math.Pi*x)*e)
	}
	var prev float64
	for _, steps := range []int{10, 20, 40} {
		s, err := NewBurgers(n, nu, tEnd/float64(steps))
		if err != nil {
			t.Fatal(err)
		}
		u := make([]float64, n)
		for i := range u {
			u[i] = exact(float64(i)/n, 0)
		}
		s.Set(u, 0)
		if err := s.Advance(steps); err != nil {
			t.Fatal(err)
		}
		s.State(u)
		e := 0.0
		for i, v := range u {
			e = math.Max(e, math.Abs(v-exact(float64(i)/n, tEnd)))
		}
		t.Logf("Burgers %d steps: max error %.3g", steps, e)
		if prev > 0 {
			if order := math.Log2(prev / e); math.Abs(order-4) > 0.3 {
				t.Errorf("steps=%d: error %.3g, order %.2f, want 4", steps, e, order)
			}
		}
		prev = e
	}
	if prev > 1e-7 {
		t.Errorf("error %.3g at 40 steps", prev)
	}
}

// TestHelmholtzManufactured checks second order for -Laplacian u - k^2 u = f
// with k = 10 (indefinite: GMRES).
func TestHelmholtzManufactured(t *testing.T) {
	const k = 10.0
	var prev float64
	for _, n := range []int{33, 65, 129} {
		e, err := NewElliptic(n, -k*k, 1e-12)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.SetCoefficient(nil); err != nil {
			t.Fatal(err)
		}
		f, u := make([]float64, n*n), make([]float64, n*n)
		h := 1 / float64(n-1)
		exact := func(i, j int) float64 {
			return math.Sin(math.Pi*float64(i)*h) * math.Sin(2*math.Pi*float64(j)*h)
		}
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				f[i*n+j] = (5*math.Pi*math.Pi - k*k) * exact(i, j)
			}
		}
		if err := e.Solve(context.Background(), u, f); err != nil {
			t.Fatal(err)
		}
		if e.Method != "gmres" {
			t.Errorf("method %s, want gmres", e.Method)
		}
		err2 := 0.0
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				err2 = math.Max(err2, math.Abs(u[i*n+j]-exact(i, j)))
			}
		}
		t.Logf("Helmholtz k=%g n=%d: max error %.3g, %d GMRES iterations", k, n, err2, e.Last.Iterations)
		if prev > 0 {
			if order := math.Log2(prev / err2); math.Abs(order-2) > 0.2 {
				t.Errorf("n=%d: order %.2f, want 2", n, order)
			}
		}
		prev = err2
	}
}

// TestHeatCrankNicolson checks that the discrete eigenvector sin(pi x)
// sin(pi y) decays by the Crank-Nicolson factor of its discrete eigenvalue
// 8/h^2 sin^2(pi h/2).
func TestHeatCrankNicolson(t *testing.T) {
	const n, dt, steps = 33, 1e-3, 20
	h := 1 / float64(n-1)
	heat, err := NewHeat(n, dt, nil, 1e-13)
	if err != nil {
		t.Fatal(err)
	}
	u, u0 := make([]float64, n*n), make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			u0[i*n+j] = math.Sin(math.Pi*float64(i)*h) * math.Sin(math.Pi*float64(j)*h)
		}
	}
	copy(u, u0)
	for s := 0; s < steps; s++ {
		if err := heat.Step(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	s := math.Sin(math.Pi * h / 2)
	lam := 8 / (h * h) * s * s
	factor := math.Pow((1-dt*lam/2)/(1+dt*lam/2), steps)
	worst := 0.0
	for i := range u {
		worst = math.Max(worst, math.Abs(u[i]-factor*u0[i]))
	}
	if worst > 1e-10 {
		t.Errorf("max deviation from the Crank-Nicolson decay %.3g", worst)
	}
	if _, err := NewHeat(n, 0, nil, 0); err == nil {
		t.Error("zero time step accepted")
	}
}

// TestBilinearDownsampling checks bilinear2 against PyTorch's bilinear
// rule (align_corners=False) worked by hand: factor 2 averages 2 x 2 blocks,
// factor 3 picks the centre, factor 4 averages the central 2 x 2 of each
// 4 x 4 block; a linear field is reproduced at the sample points.
func TestBilinearDownsampling(t *testing.T) {
	const n = 12
	src := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			src[i*n+j] = float64(3*i + 5*j)
		}
	}
	for _, sub := range []int{2, 3, 4} {
		m := n / sub
		dst := make([]float32, m*m)
		bilinear2(dst, src, n, sub)
		for i := 0; i < m; i++ {
			for j := 0; j < m; j++ {
				x := float64(sub*i) + float64(sub-1)/2 // the sampled input coordinates
				y := float64(sub*j) + float64(sub-1)/2
				if want := 3*x + 5*y; math.Abs(float64(dst[i*m+j])-want) > 1e-5 {
					t.Fatalf("sub %d: (%d,%d) = %v, want %v", sub, i, j, dst[i*m+j], want)
				}
			}
		}
	}
}

// The coefficient of a Darcy sample is the data set's "nu" field.
func TestDarcyCoefficient(t *testing.T) {
	d := DarcyData{N: 33, Seed: 4}
	d.Defaults()
	w, err := d.NewWorker()
	if err != nil {
		t.Fatal(err)
	}
	out := [][]float32{make([]float32, 33*33), make([]float32, 33*33)}
	if err := w.Sample(context.Background(), 2, out); err != nil {
		t.Fatal(err)
	}
	a, err := d.Coefficient(2)
	if err != nil {
		t.Fatal(err)
	}
	highs := 0
	for i, v := range a {
		if float32(v) != out[0][i] {
			t.Fatalf("coefficient[%d] = %v, the sample's nu %v", i, v, out[0][i])
		}
		if v == 12 {
			highs++
		}
	}
	if highs == 0 || highs == len(a) {
		t.Errorf("%d of %d nodes high: not a thresholded field", highs, len(a))
	}
	if _, err := (&DarcyData{N: 33, Sub: 5, Alpha: 2, Tau: 3, High: 12, Low: 3}).Coefficient(0); err == nil {
		t.Errorf("a subsampling that does not fit the grid gave no error")
	}
}

// modeShare returns the largest share of a field's energy that two modes
// of the discrete Dirichlet Laplacian, sin(p pi x) sin(q pi y), hold, the
// field given on the n x n nodes (boundary included, zero there).
func modeShare(u []float32, n int) float64 {
	m := n - 1
	var total float64
	var shares []float64
	for p := 1; p < m; p++ {
		for q := 1; q < m; q++ {
			var c float64
			for j := 1; j < m; j++ {
				for i := 1; i < m; i++ {
					c += float64(u[j*n+i]) * math.Sin(float64(p*i)*math.Pi/float64(m)) * math.Sin(float64(q*j)*math.Pi/float64(m))
				}
			}
			shares = append(shares, c*c)
			total += c * c
		}
	}
	sort.Float64s(shares)
	return (shares[len(shares)-1] + shares[len(shares)-2]) / total
}

// The Helmholtz data set at the default wavenumber of 'generate
// helmholtz' (k = 15: k^2 = 225 between the eigenvalues 20 pi^2 = 197 and
// 25 pi^2 = 247 of the Laplacian) is not dominated by the eigenmodes
// next to k^2: its two largest modes hold no more of the energy than
// Poisson's (k = 0, 0.7 to 0.8: the smooth random sources weigh the
// lowest modes), where next to an eigenvalue (k = 14, k^2 = 196) nearly all of
// it lies in two. (The old default k = 10 sat by 10 pi^2 = 98.7.)
func TestHelmholtzNotResonant(t *testing.T) {
	share := func(n int, k float64) float64 {
		d := EllipticData{N: n, K: k, Seed: 1}
		d.Defaults()
		w, err := d.NewWorker()
		if err != nil {
			t.Fatal(err)
		}
		out := [][]float32{make([]float32, n*n), make([]float32, n*n)}
		var mean float64
		for i := 0; i < 4; i++ {
			if err := w.Sample(context.Background(), i, out); err != nil {
				t.Fatal(err)
			}
			mean += modeShare(out[1], n) / 4
		}
		return mean
	}
	for _, n := range []int{33, 65} {
		def, poisson, resonant := share(n, 15), share(n, 0), share(n, 14)
		t.Logf("n %d: energy in the two largest modes: k = 15 %.2f, k = 0 %.2f, k = 14 %.2f", n, def, poisson, resonant)
		if def > poisson {
			t.Errorf("n %d: at k = 15 two modes hold %.2f of the energy, more than Poisson's %.2f", n, def, poisson)
		}
		if resonant < 0.95 {
			t.Errorf("n %d: at k = 14 two modes hold %.2f; the check should see the resonance", n, resonant)
		}
	}
}
