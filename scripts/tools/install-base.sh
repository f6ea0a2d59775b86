#!/usr/bin/env bash
# Debian packages the toolkit's own tests and benchmarks use (not the lab's; see install-lab.sh).
. "$(dirname "$0")/lib.sh"
# chromium: the HTML report is checked in a real browser; nginx + hyperfine: load benchmarks.
apt_install ca-certificates git chromium nginx-light hyperfine time
