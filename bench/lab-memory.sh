#!/usr/bin/env bash
# Resident memory (RSS, from /proc) of the whole lab: every daemon with a pidfile, every process
# whose command line names the lab state dir (containerd shims), and every pod process (the
# kubelets' cgroup root /gauntlet-lab). RSS double-counts shared pages: an upper bound.
set -uo pipefail
state="${1:-${XDG_STATE_HOME:-$HOME/.local/state}/gauntlet/lab}"
pids=$( { cat "$state"/run/*.pid 2>/dev/null
          grep -l -s -F "$state" /proc/[0-9]*/cmdline | cut -d/ -f3
          find /sys/fs/cgroup/memory/gauntlet-lab -name cgroup.procs -exec cat {} + 2>/dev/null; } | sort -un | grep -vx "$$")
rows=$(for pid in $pids; do
  kb=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status" 2>/dev/null)
  [ -n "$kb" ] || continue
  name=$(tr '\0' ' ' < "/proc/$pid/cmdline" | awk '{print $1}')
  echo "$kb ${name##*/}"
done)
echo "$rows" | awk '{sum[$2]+=$1; n[$2]++} END {for (k in sum) printf "%10d KiB  %3d x %s\n", sum[k], n[k], k}' | sort -rn
echo "$rows" | awk '{s+=$1; n++} END {printf "total: %d MiB RSS over %d processes\n", s/1024, n}'
