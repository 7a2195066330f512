// Package parallel runs data-parallel kernels on a persistent pool of worker
// goroutines, so that a kernel called thousands of times per solve pays neither
// goroutine start-up nor an allocation per call.
package parallel

import (
	"runtime"
	"sync"
)

// Task is work split into parts. Do(part, parts) computes part `part` of
// `parts`; each part must write memory no other part writes.
type Task interface {
	Do(part, parts int)
}

type job struct {
	t     Task
	part  int
	parts int
	wg    *sync.WaitGroup
}

var (
	mu      sync.Mutex
	workers int
	jobs    = make(chan job, 256)
	wgPool  = sync.Pool{New: func() any { return new(sync.WaitGroup) }}
)

// spinPolls is how many times an idle worker polls for the next job
// before it parks (tens of microseconds). Solvers call kernels back to back
// with short serial work between them; waking a parked thread costs more
// than a kernel on a 256^2 grid, so a briefly spinning worker is what makes
// them scale, as OpenMP runtimes do.
const spinPolls = 2000

func worker() {
	for {
		var j job
		got := false
		for i := 0; i < spinPolls && !got; i++ {
			select {
			case j = <-jobs:
				got = true
			default:
				if i%64 == 63 {
					runtime.Gosched()
				}
			}
		}
		if !got {
			j = <-jobs
		}
		j.t.Do(j.part, j.parts)
		j.wg.Done()
	}
}

// ensure starts workers until n are running.
func ensure(n int) {
	mu.Lock()
	for workers < n {
		go worker()
		workers++
	}
	mu.Unlock()
}

// Parts returns how many parts to split work units into so that each part
// holds at least grain units, capped at GOMAXPROCS. It is at least 1.
func Parts(work, grain int) int {
	if grain < 1 {
		grain = 1
	}
	p := work / grain
	if m := runtime.GOMAXPROCS(0); p > m {
		p = m
	}
	if p < 1 {
		p = 1
	}
	return p
}

// Run calls t.Do(p, parts) for every p in [0, parts) and returns when all
// calls have returned. The calling goroutine does part 0 itself; with
// parts <= 1 no other goroutine is involved.
func Run(parts int, t Task) {
	if parts <= 1 {
		t.Do(0, 1)
		return
	}
	ensure(parts - 1)
	wg := wgPool.Get().(*sync.WaitGroup)
	wg.Add(parts - 1)
	for p := 1; p < parts; p++ {
		jobs <- job{t: t, part: p, parts: parts, wg: wg}
	}
	t.Do(0, parts)
	wg.Wait()
	wgPool.Put(wg)
}

// Range returns the half-open range [lo, hi) of part p when n units are split
// evenly into parts.
func Range(n, p, parts int) (lo, hi int) {
	return n * p / parts, n * (p + 1) / parts
}

// For calls f on consecutive sub-ranges [lo, hi) of [0, n), in parallel
// when n is worth at least two parts of grain units. It allocates the
// closure's task; kernels called in tight loops implement Task instead.
func For(n, grain int, f func(lo, hi int)) {
	t := forTask{n: n, f: f}
	Run(Parts(n, grain), &t)
}

type forTask struct {
	n int
	f func(lo, hi int)
}

func (t *forTask) Do(part, parts int) {
	lo, hi := Range(t.n, part, parts)
	t.f(lo, hi)
}
