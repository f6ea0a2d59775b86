#!/usr/bin/env bash
# Resident memory (RSS, from /proc) of the whole lab: every process whose command line names the
# lab state dir (control plane, node daemons, containerd shims) plus every pod process (the
# kubelets' cgroup root /gauntlet-lab). RSS double-counts shared pages, so this is an upper bound.
set -euo pipefail
state="${1:-${XDG_STATE_HOME:-$HOME/.local/state}/gauntlet/lab}"
pids=$( { grep -l -s -F "$state" /proc/[0-9]*/cmdline | cut -d/ -f3
          find /sys/fs/cgroup/memory/gauntlet-lab -name cgroup.procs -exec cat {} + 2>/dev/null; } | sort -un)
total=0
for pid in $pids; do
  kb=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$kb" ] || continue
  name=$(tr '\0' ' ' < "/proc/$pid/cmdline" | awk '{print $1}' | xargs basename)
  printf '%8d KiB  %s\n' "$kb" "$name"
  total=$((total + kb))
done | sort -k3 | awk '{sum[$3]+=$1; n[$3]++} END {for (k in sum) printf "%10d KiB  %3d x %s\n", sum[k], n[k], k}' | sort -rn
tot=$( for pid in $pids; do awk '/^VmRSS:/{print $2}' "/proc/$pid/status" 2>/dev/null; done | awk '{s+=$1} END {print s+0}')
echo "total: $((tot / 1024)) MiB RSS over $(echo "$pids" | wc -w) processes"
