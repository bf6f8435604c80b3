//go:build !unix

package bench

import (
	"os"
	"time"
)

func usage(ps *os.ProcessState) (cpu time.Duration, maxRSS int64) {
	return ps.UserTime() + ps.SystemTime(), 0
}
