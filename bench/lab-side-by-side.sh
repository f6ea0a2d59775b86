#!/usr/bin/env bash
# Warm `lab up` for both providers, alternated in one run: local up, local down, kind up, kind down,
# ROUNDS times (tools and the kind node image already cached; no lab may be up, and nothing else
# should use the machine). Prints each up's and down's wall and CPU time and a median per provider.
# Usage: sudo ROUNDS=3 bash bench/lab-side-by-side.sh
set -euo pipefail
cd "$(dirname "$0")/.."
NODE=node_modules/.bin/node
ROUNDS="${ROUNDS:-3}"
echo "== $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds"
for p in local kind; do
  if "$NODE" bin/gauntlet.js lab env --provider "$p" >/dev/null 2>&1; then echo "a $p lab is up: bring it down first" >&2; exit 2; fi
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timed() { # label, command...: one line "label wall user sys"
  local label=$1; shift
  /usr/bin/time -f "%e %U %S" -o "$out.t" "$@" >"$out.log" 2>&1 || { cat "$out.log" >&2; echo "$label failed" >&2; exit 1; }
  read -r wall user sys <"$out.t"
  printf '%-12s wall %6.1f s  cpu %6.1f s  load %s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"
  echo "$label $wall" >>"$out"
}
for r in $(seq 1 "$ROUNDS"); do
  timed "local-up" "$NODE" bin/gauntlet.js lab up --provider local --nodes 3
  timed "local-down" "$NODE" bin/gauntlet.js lab down --provider local
  timed "kind-up" "$NODE" bin/gauntlet.js lab up --provider kind --nodes 3
  timed "kind-down" "$NODE" bin/gauntlet.js lab down --provider kind
done
echo "== medians (wall seconds)"
for l in local-up kind-up local-down kind-down; do
  printf '%-12s %s\n' "$l" "$(awk -v l="$l" '$1 == l { print $2 }' "$out" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }')"
done
rm -f "$out.t" "$out.log"
