#!/bin/sh
# Policy analysis at scale: 5,000 pods, 2,000 NetworkPolicies, 200 allowlist rules (defaults).
# Generates a synthetic cluster (JSON List, as `kubectl get -o json` gives), then times the analysis
# with GNU time. Prints the raw output; paste it into bench/results/policies.md with the date.
#   sh bench/policies-scale.sh [pods] [policies] [rules] [mode] [shape=regular|irregular|replicas1] [timeout-seconds] [runner=lib|cli]
# runner `cli` times the whole `gauntlet policies check --manifests ... -o json` process (build dist first);
# `lib` (default) times checkPolicies' phases in one process (bench/policies-run.ts).
set -eu
cd "$(dirname "$0")/.."
NODE=node_modules/.bin/node
PODS=${1:-5000}; POLICIES=${2:-2000}; RULES=${3:-200}; MODE=${4:-unknown}; SHAPE=${5:-regular}; LIMIT=${6:-600}; RUNNER=${7:-lib}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(uname -srm); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "node: $($NODE --version); shape: $SHAPE; $PODS pods, $POLICIES policies, $RULES allowlist rules, mode $MODE"
$NODE bench/policies-gen.ts "$DIR" "$PODS" "$POLICIES" "$RULES" "$SHAPE"
ls -l "$DIR"
if [ "$RUNNER" = cli ]; then
  # Exit 1 is "violations found": the run finished.
  rc=0
  timeout "$LIMIT" /usr/bin/time -v $NODE bin/gauntlet.js policies check --allowlist "$DIR/allowlist.json" --manifests "$DIR/cluster.json" \
    --ip-block-mode "$MODE" -o json --report-dir "$DIR/runs" >"$DIR/out.json" 2>"$DIR/time.txt" || rc=$?
  [ $rc -le 1 ] && echo "policies check exit $rc, $(wc -c <"$DIR/out.json") bytes of JSON" || echo "did not finish within ${LIMIT}s (exit $rc)"
elif timeout "$LIMIT" /usr/bin/time -v $NODE bench/policies-run.ts "$DIR" "$MODE" 2>"$DIR/time.txt"; then :; else echo "did not finish within ${LIMIT}s (exit $?)"; fi
grep -E 'Elapsed|User time|System time|Maximum resident|Percent of CPU' "$DIR/time.txt" || true
