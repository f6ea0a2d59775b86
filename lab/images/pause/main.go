// Command pause is the pod sandbox process: it holds the pod's namespaces open, reaps orphaned
// children (it is PID 1 when the pod shares its PID namespace) and exits on SIGTERM or SIGINT.
// Upstream's pause is C; this is the same contract in Go so the lab needs no registry image.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 8)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sig {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
