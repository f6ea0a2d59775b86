// Command k6 is stock k6 with Gauntlet's live-metrics output compiled in
// (the same thing xk6 generates, written out so the build needs only the Go module proxy).
package main

import (
	k6cmd "go.k6.io/k6/cmd"

	_ "gauntlet.local/k6ext"
)

func main() {
	k6cmd.Execute()
}
