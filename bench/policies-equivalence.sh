#!/bin/sh
# Before/after check for the policy analysis: `policies check -o json` of this checkout against REF's
# (default main), on seeded regular and irregular clusters in every ipBlock mode; any byte of
# difference fails (exit 1), naming the case and the first differing workload.
#   sh bench/policies-equivalence.sh [ref=main] [scale=1] [only=REGEX]
# scale multiplies the cluster sizes (1: 150-5,000 pods, a few minutes on 2 cores); `only` runs the
# cases whose name matches. Clusters without pod IPs stay small: every destination is a template
# whose IP is unknown, decided per source and template (on main and here alike). Builds REF in a
# temporary git worktree (node_modules linked from this checkout) and this checkout's dist/.
set -eu
cd "$(dirname "$0")/.."
REF=${1:-main}; SCALE=${2:-1}; ONLY=${3:-.}
NODE=$PWD/node_modules/.bin/node
TSC=$PWD/node_modules/.bin/tsc
DIR=$(mktemp -d)
git worktree add --detach "$DIR/ref" "$REF" >/dev/null 2>&1
trap 'git worktree remove --force "$DIR/ref" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
ln -s "$PWD/node_modules" "$DIR/ref/node_modules"
# Each side as `npm run build` makes it (the vendored zod and yaml too, where the side has them).
(cd "$DIR/ref" && $TSC -p tsconfig.build.json && { [ ! -f scripts/vendor.ts ] || $NODE scripts/vendor.ts >/dev/null; })
$TSC -p tsconfig.build.json && $NODE scripts/vendor.ts >/dev/null
echo "ref $REF = $(git rev-parse --short "$REF"); this checkout $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- policies || echo ' + uncommitted changes')"
fail=0; n=0
# name pods policies rules shape seed mode [extra flags]
while read -r name pods policies rules shape seed mode extra; do
  [ -z "$name" ] && continue
  echo "$name" | grep -Eq "$ONLY" || continue
  pods=$((pods * SCALE)); policies=$((policies * SCALE))
  C="$DIR/$name"
  $NODE bench/policies-gen.ts "$C" "$pods" "$policies" "$rules" "$shape" '' "$seed" >/dev/null
  for side in ref new; do
    bin=bin/gauntlet.js; [ $side = ref ] && bin="$DIR/ref/bin/gauntlet.js"
    # shellcheck disable=SC2086
    $NODE "$bin" policies check --allowlist "$C/allowlist.json" --manifests "$C/cluster.json" --ip-block-mode "$mode" $extra \
      -o json --report-dir "$DIR/runs" >"$C/$side.json" 2>"$C/$side.err" || [ $? -le 1 ] || { echo "$name: $side exited with an error"; cat "$C/$side.err"; fail=1; }
  done
  n=$((n + 1))
  if cmp -s "$C/ref.json" "$C/new.json"; then
    echo "same   $name ($pods pods, $policies policies, $rules rules, $shape seed $seed, $mode $extra): $(wc -c <"$C/new.json") bytes"
  else
    fail=1
    echo "DIFFER $name ($pods pods, $shape seed $seed, $mode $extra)"
    $NODE -e '
      const [a, b] = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
      const i = a.workloads.findIndex((w, k) => JSON.stringify(w) !== JSON.stringify(b.workloads[k]));
      if (i >= 0) console.log("  first differing workload:", a.workloads[i].namespace + "/" + a.workloads[i].name, "\n  ref:", JSON.stringify(a.workloads[i]).slice(0, 600), "\n  new:", JSON.stringify(b.workloads[i]).slice(0, 600));
      else console.log("  workloads equal; other fields differ");' "$C/ref.json" "$C/new.json"
  fi
done <<'CASES'
regular-1k 1000 400 100 regular 0 unknown
regular-5k 5000 2000 200 regular 0 unknown
replicas1-2k 2000 800 100 replicas1 0 unknown
irregular-1k-s14 1000 2000 200 irregular 14 unknown
irregular-1k-s7-upstream 1000 1000 200 irregular 7 upstream
irregular-1k-s8-cilium 1000 1000 200 irregular 8 cilium
irregular-5k-s14 5000 2000 200 irregular 14 unknown
irregular-2k-s3 2000 2000 200 irregular 3 unknown
podblocks-1k-s5 1000 1000 150 irregular-pod-blocks 5 unknown
podblocks-1k-s6-cidr 1000 1000 150 irregular-pod-blocks 6 unknown --pod-cidr 10.244.0.0/15
noips-150-s9 150 150 60 irregular-no-ips 9 unknown
noips-150-s10-cidr 150 150 60 irregular-no-ips 10 upstream --pod-cidr 10.244.0.0/16
podblocks-500-s11-max3 500 600 100 irregular-pod-blocks 11 unknown --max-counterexamples 3
CASES
echo "$n cases; $([ $fail = 0 ] && echo 'all identical' || echo 'DIFFERENCES FOUND')"
exit $fail
