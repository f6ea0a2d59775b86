#!/usr/bin/env bash
# Warm `lab up` (tools already built) to all nodes Ready, then the lab's idle memory.
# Usage: sudo bash bench/lab-up.sh   (tears down any running lab first; leaves the lab up)
set -euo pipefail
cd "$(dirname "$0")/.."
NODE=node_modules/.bin/node
state="${XDG_STATE_HOME:-$HOME/.local/state}/gauntlet/lab"
echo "== $(date -u +%FT%TZ) $(uname -r) $(nproc) cores $(free -g | awk '/Mem:/{print $2}') GiB"
"$NODE" cli/main.ts lab down >/dev/null
echo "== warm lab up (3 nodes)"
/usr/bin/time -v "$NODE" cli/main.ts lab up --nodes 3 2>&1 | grep -E 'lab up|Elapsed|Maximum resident'
echo "== idle 60 s, then resident memory of every lab process"
sleep 60
bash bench/lab-memory.sh "$state"
