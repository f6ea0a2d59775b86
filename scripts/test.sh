#!/bin/sh
# The whole test suite, as CI runs it: setup, type checks, Go and unit tests, then end-to-end tests
# against real servers and the local lab (brought up here and torn down afterwards).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
NODE="$root/node_modules/.bin/node"
# Each part says how long it took (seconds since the previous mark): where CI time goes.
t_last=$(date +%s)
took() { t_now=$(date +%s); echo "== $1 took $((t_now - t_last)) s"; t_last=$t_now; }
sh scripts/setup.sh
took "set-up"
PATH="$root/node_modules/.bin:$PATH"
export PATH
mkdir -p test-results

# The lab comes up while the type checks, Go and unit tests run (none of them uses it): its start-up
# mostly waits on processes and the API server, so this hides most of it.
lab_up=0
lab_pid=
if [ -z "${GAUNTLET_SKIP_LAB:-}" ]; then
  "$NODE" bin/gauntlet.js lab up > test-results/lab-up.log 2>&1 &
  lab_pid=$!
fi

status=0
echo "== type check"
tsc -p tsconfig.json --noEmit || status=1
tsc -p loadtest/scripts/tsconfig.json || status=1
took "type check"

echo "== go tests"
# The lab's NetworkPolicy enforcer: pure Go unit tests, no cluster needed.
(cd lab/netpol && CGO_ENABLED=0 go test -trimpath ./...) || status=1
# The probe image's binary: how it tells a refusal on the path from one by the destination.
(cd lab/images/probe && CGO_ENABLED=0 go test -trimpath ./...) || status=1
took "go tests"

echo "== unit tests"
vitest run --project unit --reporter=default --reporter=json --outputFile.json=test-results/unit.json || status=1
took "unit tests"

echo "== end-to-end tests"
if [ -n "$lab_pid" ]; then
  if wait "$lab_pid"; then lab_up=1; else echo "lab up failed" >&2; status=1; fi
  cat test-results/lab-up.log
  took "lab up (the rest of it, after the unit tests)"
fi
# Two passes (vitest.config.ts): files that share the lab peacefully, three at a time; then the ones
# that must have it to themselves (node faults, the lab's teardown, rate-sensitive load figures).
vitest run --project e2e-shared --reporter=default --reporter=json --outputFile.json=test-results/e2e-shared.json || status=1
took "e2e-shared pass"
vitest run --project e2e --reporter=default --reporter=json --outputFile.json=test-results/e2e.json || status=1
took "e2e serial pass"
if [ "$lab_up" = 1 ]; then "$NODE" bin/gauntlet.js lab down || status=1; took "lab down"; fi

# One closing line any CI reads: "N passed, N failed".
"$NODE" -e '
let p = 0, f = 0, s = 0;
const files = [];
for (const file of ["test-results/unit.json", "test-results/e2e-shared.json", "test-results/e2e.json"]) {
  try {
    const r = JSON.parse(require("fs").readFileSync(file, "utf8")); p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + (r.numTodoTests ?? 0);
    if (!file.endsWith("unit.json")) for (const t of r.testResults) files.push(((t.endTime - t.startTime) / 1000).toFixed(0).padStart(5) + " s  " + t.name.replace(process.cwd() + "/", ""));
  }
  catch { f += 1; console.error("no results in " + file); }
}
// Where the end-to-end time went, slowest file first (from the start and end vitest gives each file).
console.log("== end-to-end files by duration\n" + files.sort((a, b) => parseFloat(b) - parseFloat(a)).join("\n"));
console.log(`${p} passed, ${f} failed` + (s ? `, ${s} skipped` : ""));
'
exit $status
