// Package archtest holds no code: its test checks that the packages import
// one another only in the directions the design allows (a file package
// knowing no algorithm, solvers knowing no network, nothing importing the
// command).
package archtest
