package relax

import (
	"context"
	"math"
	"testing"
)

// BenchmarkShiftedSOR is one instance of the paper's shifted-Laplacian
// sequence (n = 100) solved by SOR at omega = 1.8.
func BenchmarkShiftedSOR(b *testing.B) {
	src, _ := NewShiftedLaplacian(High, 10, 1, 1)
	in, _ := src.Next(nil)
	seq := Sequence{Policy: Fixed(1.8)}
	for b.Loop() {
		if _, err := seq.Solve(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPolicy(b *testing.B, p Policy) {
	t := 0
	for b.Loop() {
		c := math.Mod(0.37*float64(t), 1)
		w := p.Choose(c)
		p.Update(math.Floor(20 + 400*(w-1-0.9*c)*(w-1-0.9*c)))
		t++
	}
}

// BenchmarkTsallisINF is one round (Choose and Update) of Tsallis-INF.
func BenchmarkTsallisINF(b *testing.B) { benchPolicy(b, NewTsallisINF(nil, 1)) }

// BenchmarkChebCB is one round of ChebCB.
func BenchmarkChebCB(b *testing.B) {
	p, _ := NewChebCB(nil, 6, 0, 1, 1)
	benchPolicy(b, p)
}
