#!/usr/bin/env bash
# `lab up --provider kind` timings: warm (tools and node image cached, no cluster) to all nodes
# Ready and CoreDNS ready, then again on the running cluster (idempotent re-up), then `lab down`.
# Usage: sudo bash bench/kind-up.sh [WORKERS]   (tears down the kind lab only; never the local one)
# The cold figures (builds) come from scripts/tools/install-kind.sh's own log lines.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE=node_modules/.bin/node
n="${1:-3}"
echo "== $(date -u +%FT%TZ) $(uname -r) $(nproc) cores $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$NODE" cli/main.ts lab down --provider kind >/dev/null
echo "== lab up --provider kind --nodes $n (no cluster; node image cached)"
/usr/bin/time -v "$NODE" cli/main.ts lab up --provider kind --nodes "$n" 2>&1 | grep -E 'lab up|Elapsed|Maximum resident'
echo "== again, on the running cluster"
/usr/bin/time -v "$NODE" cli/main.ts lab up --provider kind --nodes "$n" 2>&1 | grep -E 'lab up|Elapsed'
echo "== podman storage: $(du -sh /var/lib/containers/storage 2>/dev/null | cut -f1)"
echo "== lab down --provider kind"
/usr/bin/time -v "$NODE" cli/main.ts lab down --provider kind 2>&1 | grep -E 'lab down|Elapsed'
