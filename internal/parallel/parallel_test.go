package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

type sumTask struct {
	in    []float64
	out   []float64 // one slot per part
	calls []int32   // how often each part ran
}

func (s *sumTask) Do(p, parts int) {
	atomic.AddInt32(&s.calls[p], 1)
	lo, hi := Range(len(s.in), p, parts)
	var t float64
	for _, v := range s.in[lo:hi] {
		t += v
	}
	s.out[p] = t
}

// TestRunCoversEveryPartOnce: every part runs exactly once (a part run
// twice or skipped is seen in the call counts) and the parts' ranges tile
// the input (the closed-form sum 0 + ... + 1000).
func TestRunCoversEveryPartOnce(t *testing.T) {
	in := make([]float64, 1001)
	for i := range in {
		in[i] = float64(i)
	}
	for parts := 1; parts <= 7; parts++ {
		for rep := 0; rep < 50; rep++ {
			task := &sumTask{in: in, out: make([]float64, parts), calls: make([]int32, parts)}
			Run(parts, task)
			for p, c := range task.calls {
				if c != 1 {
					t.Fatalf("parts=%d: part %d ran %d times", parts, p, c)
				}
			}
			var got float64
			for _, v := range task.out {
				got += v
			}
			if want := 1000.0 * 1001 / 2; got != want {
				t.Fatalf("parts=%d: sum %v, want %v", parts, got, want)
			}
		}
	}
}

// TestForVisitsEveryIndexOnce: For hands every index of [0, n) to exactly
// one call, for sizes around the grain where the split changes.
func TestForVisitsEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, 63, 64, 65, 1000, 4097} {
		seen := make([]int32, n)
		For(n, 64, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&seen[i], 1)
			}
		})
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, c)
			}
		}
	}
}

func TestRunDoesNotAllocate(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Log("one CPU: only the serial path is exercised")
	}
	task := &sumTask{in: make([]float64, 1000), out: make([]float64, 4), calls: make([]int32, 4)}
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
