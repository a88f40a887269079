//go:build unix

package vc

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) that the process has
// used, all threads included (the garbage collector's too).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
