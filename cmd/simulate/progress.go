package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/pdekit/pdekit/iterate"
)

// progress reports long work on stderr: on a terminal a one-line bar (or
// status line) with the elapsed time and an ETA, redrawn at most five
// times a second; otherwise (a log file, a pipeline, a batch job's
// output) a plain line every logEvery, so a long run is never silent.
type progress struct {
	mu         sync.Mutex
	w          io.Writer
	terminal   bool
	label      string
	total, now int
	last       time.Time
	start      time.Time
	drawn      bool // a terminal line is open
}

// logEvery is how often a non-terminal progress line is written.
var logEvery = 10 * time.Second

func newProgress(stderr io.Writer, label string, total int) *progress {
	p := &progress{w: stderr, label: label, total: total, start: time.Now()}
	p.last = p.start
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

// due reports whether a line is to be drawn now (the lock held).
func (p *progress) due(final bool) bool {
	every := logEvery
	if p.terminal {
		every = 200 * time.Millisecond
	}
	if !final && time.Since(p.last) < every {
		return false
	}
	p.last = time.Now()
	return true
}

// eta returns the estimated time left from the fraction done.
func eta(elapsed time.Duration, done, total int) string {
	if done <= 0 || total <= done {
		return "0s"
	}
	return (time.Duration(float64(elapsed) / float64(done) * float64(total-done))).Round(time.Second).String()
}

func (p *progress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.now += n
	final := p.now >= p.total
	if !p.due(final && p.terminal) {
		return
	}
	el := time.Since(p.start)
	if p.terminal {
		const width = 30
		k := min(width, width*p.now/max(1, p.total))
		fmt.Fprintf(p.w, "\r%s [%-*s] %d/%d %s, ETA %s\x1b[K", p.label, width, bar(k), p.now, p.total, el.Round(time.Second), eta(el, p.now, p.total))
		p.drawn = true
		return
	}
	fmt.Fprintf(p.w, "%s: %d/%d done, %s elapsed, ETA %s\n", p.label, p.now, p.total, el.Round(time.Second), eta(el, p.now, p.total))
}

// line reports a free-form status (throttled like the bar).
func (p *progress) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.due(false) {
		p.print(s)
	}
}

// print draws a status line (the lock held).
func (p *progress) print(s string) {
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s %s\x1b[K", p.label, s)
		p.drawn = true
		return
	}
	fmt.Fprintf(p.w, "%s: %s\n", p.label, s)
}

func bar(k int) string {
	b := make([]byte, k)
	for i := range b {
		b[i] = '='
	}
	return string(b)
}

// done ends a terminal's progress line.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// iterations returns a callback for an iterative run's Control that
// reports the iteration and its residual (or error estimate) through a
// progress line: every few seconds in a log, live on a terminal. It never
// stops the run.
func iterations(stderr io.Writer, label, what string) (func(iterate.Progress) bool, *progress) {
	p := newProgress(stderr, label, 0)
	return func(pr iterate.Progress) bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.due(false) { // formatted only when drawn: no cost per iteration
			p.print(fmt.Sprintf("iteration %d, %s %.4g, %s elapsed", pr.Iteration, what, pr.Residual, time.Since(p.start).Round(time.Second)))
		}
		return true
	}, p
}
