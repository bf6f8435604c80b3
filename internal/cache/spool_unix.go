//go:build unix

package cache

import "syscall"

// processGone reports whether no process has id pid (one of another user still counts).
func processGone(pid int) bool {
	return syscall.Kill(pid, 0) == syscall.ESRCH
}
