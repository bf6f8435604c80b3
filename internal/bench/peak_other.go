//go:build !linux

package bench

// watchPeakRSS: outside Linux rusage's maxrss is the child's own (see peak_linux.go).
func watchPeakRSS(int) func() int64 { return func() int64 { return 0 } }
