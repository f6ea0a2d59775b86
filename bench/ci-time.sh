#!/usr/bin/env bash
# CI time: clone a ref of this repository into a temporary directory and time `.ci/run` there as CI
# does (CI=true, no stdin), with the suite's own per-part timings, the slowest end-to-end files and
# the closing "N passed, N failed" line. Warm or cold is whatever ~/.cache/gauntlet holds: for a cold
# run, point GAUNTLET_CACHE, GOCACHE and GOMODCACHE at empty directories (the tools are rebuilt).
# Usage: bash bench/ci-time.sh [ref=HEAD]. Bring the local lab down first (CI brings up its own).
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:-HEAD}
dir=$(mktemp -d /tmp/gauntlet-ci.XXXXXX)
git clone -q "$(pwd)" "$dir" && git -C "$dir" checkout -q "$(git rev-parse "$ref")"
echo "== $(date -u +%FT%TZ) $(uname -r) $(nproc) cores $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== ref $(git -C "$dir" log --oneline -1)"
start=$(date +%s)
set +e
(cd "$dir" && CI=true bash .ci/run </dev/null) > "$dir.log" 2>&1
rc=$?
set -e
grep -E '^== .* took [0-9]+ s$|^ +[0-9]+ s  test/|^[0-9]+ passed, [0-9]+ failed' "$dir.log" || true
echo "== .ci/run exit $rc in $(( $(date +%s) - start )) s (log: $dir.log)"
