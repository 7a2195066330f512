package parallel

import (
	"runtime"
	"testing"
)

type sumTask struct {
	in  []float64
	out []float64 // one slot per part
}

func (s *sumTask) Do(p, parts int) {
	lo, hi := Range(len(s.in), p, parts)
	var t float64
	for _, v := range s.in[lo:hi] {
		t += v
	}
	s.out[p] = t
}

func TestRunCoversEveryPartOnce(t *testing.T) {
	in := make([]float64, 1001)
	for i := range in {
		in[i] = float64(i)
	}
	for parts := 1; parts <= 7; parts++ {
		task := &sumTask{in: in, out: make([]float64, parts)}
		Run(parts, task)
		var got float64
		for _, v := range task.out {
			got += v
		}
		// Closed form: sum of 0..1000.
		if want := 1000.0 * 1001 / 2; got != want {
			t.Errorf("parts=%d: sum %v, want %v", parts, got, want)
		}
	}
}

func TestRunDoesNotAllocate(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Log("one CPU: only the serial path is exercised")
	}
	task := &sumTask{in: make([]float64, 1000), out: make([]float64, 4)}
	Run(4, task) // start workers
	if a := testing.AllocsPerRun(100, func() { Run(4, task) }); a != 0 {
		t.Errorf("Run allocated %v times per call", a)
	}
}

func TestParts(t *testing.T) {
	if got := Parts(10, 100); got != 1 {
		t.Errorf("Parts(10,100)=%d, want 1", got)
	}
	if got := Parts(1<<30, 1); got != runtime.GOMAXPROCS(0) {
		t.Errorf("Parts(big,1)=%d, want GOMAXPROCS", got)
	}
}
