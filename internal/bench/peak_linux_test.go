package bench

import (
	"os/exec"
	"runtime"
	"testing"
)

// A child's peak must be its own, however large this process has grown: rusage reports this
// process's peak for a small child on Linux, VmHWM does not.
func TestPeakRSSIsTheChilds(t *testing.T) {
	ballast := make([]byte, 160<<20)
	for i := range ballast {
		ballast[i] = 1 // resident, not only reserved
	}
	cmd := exec.Command("sleep", "0.3")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sleep(1): %v", err)
	}
	peak := watchPeakRSS(cmd.Process.Pid)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	got := peak()
	_, rusage := usage(cmd.ProcessState)
	runtime.KeepAlive(ballast)
	if got <= 0 || got > 64<<20 {
		t.Fatalf("peak of sleep: %d bytes, want a few megabytes (rusage says %d)", got, rusage)
	}
	t.Logf("sleep: VmHWM %d KB, rusage maxrss %d KB", got>>10, rusage>>10)
}
