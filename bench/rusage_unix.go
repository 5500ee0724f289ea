//go:build unix

package bench

import (
	"runtime"
	"syscall"
	"time"
)

// usage is the process's CPU time (user + system) and peak resident set
// size so far, from getrusage(2). The benchmark's clients run in the same
// process as the server, so CPU time per operation includes the client's
// side of HTTP: compare it with the ceiling's own CPU per operation.
func usage() (cpu time.Duration, maxRSS int64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, false
	}
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	maxRSS = int64(ru.Maxrss)
	if runtime.GOOS != "darwin" && runtime.GOOS != "ios" {
		maxRSS *= 1024 // kilobytes everywhere but on Apple's systems
	}
	return cpu, maxRSS, true
}
