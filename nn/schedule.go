package nn

import "math"

// Schedule gives the learning rate of step k = 0, 1, ...; set an
// optimizer's LR from it before each step.
type Schedule interface {
	LR(step int) float64
}

// StepLR multiplies Base by Gamma every StepSize steps (PyTorch StepLR).
type StepLR struct {
	Base     float64
	StepSize int
	Gamma    float64
}

// LR implements Schedule.
func (s StepLR) LR(k int) float64 {
	if s.StepSize <= 0 {
		return s.Base
	}
	return s.Base * math.Pow(s.Gamma, float64(k/s.StepSize))
}

// CosineLR anneals from Base to Min over Steps steps along a half cosine
// (PyTorch CosineAnnealingLR with T_max = Steps), and stays at Min after.
type CosineLR struct {
	Base, Min float64
	Steps     int
}

// LR implements Schedule.
func (s CosineLR) LR(k int) float64 {
	if k >= s.Steps {
		return s.Min
	}
	return s.Min + (s.Base-s.Min)*(1+math.Cos(math.Pi*float64(k)/float64(s.Steps)))/2
}

// OneCycleLR is PyTorch's OneCycleLR with cosine annealing: from
// Max/DivFactor up to Max over the first PctStart of Steps, then down to
// Max/(DivFactor FinalDivFactor) at the last step. Zero fields mean
// PyTorch's defaults: PctStart 0.3, DivFactor 25, FinalDivFactor 1e4.
type OneCycleLR struct {
	Max                                 float64
	Steps                               int
	PctStart, DivFactor, FinalDivFactor float64
}

// LR implements Schedule.
func (s OneCycleLR) LR(k int) float64 {
	pct, div, fdiv := s.PctStart, s.DivFactor, s.FinalDivFactor
	if pct == 0 {
		pct = 0.3
	}
	if div == 0 {
		div = 25
	}
	if fdiv == 0 {
		fdiv = 1e4
	}
	initial := s.Max / div
	final := initial / fdiv
	up := pct*float64(s.Steps) - 1
	last := float64(s.Steps - 1)
	anneal := func(from, to, t float64) float64 { return to + (from-to)/2*(1+math.Cos(math.Pi*t)) }
	step := float64(k)
	if step <= up {
		return anneal(initial, s.Max, step/up)
	}
	return anneal(s.Max, final, math.Min(1, (step-up)/(last-up)))
}
