#!/bin/sh
# The whole test suite, as CI runs it: setup, type checks, Go and unit tests, then end-to-end tests
# against real servers and the local lab (brought up here and torn down afterwards).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
NODE="$root/node_modules/.bin/node"
sh scripts/setup.sh
PATH="$root/node_modules/.bin:$PATH"
export PATH
mkdir -p test-results

echo "== type check"
tsc -p tsconfig.json --noEmit
tsc -p loadtest/scripts/tsconfig.json

status=0
echo "== go tests"
# The lab's NetworkPolicy enforcer: pure Go unit tests, no cluster needed.
(cd lab/netpol && CGO_ENABLED=0 go test -trimpath ./...) || status=1
# The probe image's binary: how it tells a refusal on the path from one by the destination.
(cd lab/images/probe && CGO_ENABLED=0 go test -trimpath ./...) || status=1

echo "== unit tests"
vitest run --project unit --reporter=default --reporter=json --outputFile.json=test-results/unit.json || status=1

echo "== end-to-end tests"
lab_up=0
if [ -z "${GAUNTLET_SKIP_LAB:-}" ]; then
  "$NODE" bin/gauntlet.js lab up && lab_up=1 || { echo "lab up failed" >&2; status=1; }
fi
# Two passes (vitest.config.ts): files that share the lab peacefully, two at a time; then the ones
# that must have it to themselves (node faults, the lab's teardown, rate-sensitive load figures).
vitest run --project e2e-shared --reporter=default --reporter=json --outputFile.json=test-results/e2e-shared.json || status=1
vitest run --project e2e --reporter=default --reporter=json --outputFile.json=test-results/e2e.json || status=1
if [ "$lab_up" = 1 ]; then "$NODE" bin/gauntlet.js lab down || status=1; fi

# One closing line any CI reads: "N passed, N failed".
"$NODE" -e '
let p = 0, f = 0, s = 0;
for (const file of ["test-results/unit.json", "test-results/e2e-shared.json", "test-results/e2e.json"]) {
  try { const r = JSON.parse(require("fs").readFileSync(file, "utf8")); p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + (r.numTodoTests ?? 0); }
  catch { f += 1; console.error("no results in " + file); }
}
console.log(`${p} passed, ${f} failed` + (s ? `, ${s} skipped` : ""));
'
exit $status
