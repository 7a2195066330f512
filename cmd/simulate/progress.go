package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress draws a one-line progress bar on stderr when stderr is a
// terminal, and nothing otherwise (pipelines get clean logs).
type progress struct {
	mu         sync.Mutex
	w          io.Writer
	label      string
	total, now int
	last       time.Time
	start      time.Time
}

func newProgress(stderr io.Writer, label string, total int) *progress {
	f, ok := stderr.(*os.File)
	if !ok {
		return &progress{}
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return &progress{}
	}
	return &progress{w: stderr, label: label, total: total, start: time.Now()}
}

func (p *progress) add(n int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.now += n
	if time.Since(p.last) < 200*time.Millisecond && p.now < p.total {
		return
	}
	p.last = time.Now()
	const width = 30
	k := width * p.now / max(1, p.total)
	fmt.Fprintf(p.w, "\r%s [%-*s] %d/%d %.0fs", p.label, width, bar(k), p.now, p.total, time.Since(p.start).Seconds())
}

// line draws a free-form status line (throttled like the bar).
func (p *progress) line(s string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r%s %s\x1b[K", p.label, s)
}

func bar(k int) string {
	b := make([]byte, k)
	for i := range b {
		b[i] = '='
	}
	return string(b)
}

func (p *progress) done() {
	if p.w != nil {
		fmt.Fprintln(p.w)
	}
}
