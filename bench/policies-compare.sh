#!/bin/sh
# Whole-process `policies check -o json` of this checkout against REF (default main) on the same
# generated inputs, run alternately (REF, this, REF, this, ...) so both see the same machine load;
# one line per run: CPU (user, sys), wall, peak RSS, load average, and whether the outputs agree.
#   sh bench/policies-compare.sh [ref=main] [runs=3] [case ...]
# A case is SHAPE:PODS[:POLICIES[:RULES]] (default 2000 policies, 200 rules), e.g. irregular:5000.
# Default cases: irregular 1k, 5k, 20k (runs=1 for 20k and above) and regular 5k. Builds REF in a
# temporary git worktree and this checkout's dist/. Paste the output into bench/results/policies.md.
set -eu
cd "$(dirname "$0")/.."
REF=${1:-main}; RUNS=${2:-3}
if [ $# -ge 2 ]; then shift 2; else shift $#; fi
CASES=${*:-irregular:1000 irregular:5000 irregular:20000 regular:5000}
NODE=$PWD/node_modules/.bin/node
TSC=$PWD/node_modules/.bin/tsc
DIR=$(mktemp -d)
git worktree add --detach "$DIR/ref" "$REF" >/dev/null 2>&1
trap 'git worktree remove --force "$DIR/ref" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
ln -s "$PWD/node_modules" "$DIR/ref/node_modules"
# Each side as `npm run build` makes it (the vendored zod and yaml too, where the side has them).
(cd "$DIR/ref" && $TSC -p tsconfig.build.json && { [ ! -f scripts/vendor.ts ] || $NODE scripts/vendor.ts >/dev/null; })
$TSC -p tsconfig.build.json && $NODE scripts/vendor.ts >/dev/null
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(uname -srm); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); node $($NODE --version)"
echo "ref $REF = $(git rev-parse --short "$REF"); this checkout $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- policies cli || echo ' + uncommitted changes')"
for c in $CASES; do
  shape=$(echo "$c" | cut -d: -f1); pods=$(echo "$c" | cut -d: -f2)
  policies=$(echo "$c" | cut -d: -f3); rules=$(echo "$c" | cut -d: -f4)
  policies=${policies:-2000}; rules=${rules:-200}
  runs=$RUNS; [ "$pods" -ge 20000 ] && runs=1
  C="$DIR/$shape-$pods"
  $NODE bench/policies-gen.ts "$C" "$pods" "$policies" "$rules" "$shape" >/dev/null
  for i in $(seq "$runs"); do
    for side in ref new; do
      bin=bin/gauntlet.js; [ $side = ref ] && bin="$DIR/ref/bin/gauntlet.js"
      rc=0
      /usr/bin/time -f '%U %S %e %M' -o "$C/time" $NODE "$bin" policies check --allowlist "$C/allowlist.json" --manifests "$C/cluster.json" \
        --ip-block-mode unknown -o json --report-dir "$DIR/runs" >"$C/$side.json" 2>"$C/$side.err" || rc=$?
      set -- $(tail -1 "$C/time")
      echo "$side-$shape-$pods-$i exit $rc, $(wc -c <"$C/$side.json") bytes, $1 user $2 sys $3 wall $4 KB; load $(cut -d' ' -f1 /proc/loadavg)"
    done
    cmp -s "$C/ref.json" "$C/new.json" && echo "  same output" || echo "  OUTPUTS DIFFER"
  done
done
