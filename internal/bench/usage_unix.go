//go:build unix

package bench

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// usage reads CPU time and peak resident memory from the finished process's rusage.
func usage(ps *os.ProcessState) (cpu time.Duration, maxRSS int64) {
	cpu = ps.UserTime() + ps.SystemTime()
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return cpu, 0
	}
	rss := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" { // Linux and the BSDs count kilobytes, macOS bytes
		rss *= 1024
	}
	return cpu, rss
}
