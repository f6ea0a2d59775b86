#!/bin/sh
# The whole test suite, as CI runs it: setup, type checks, Go and unit tests, then end-to-end tests
# against real servers and the local lab (brought up here and torn down afterwards), then the kind
# provider's smoke set on its own kind lab (skipped, saying why, where podman cannot be had).
# GAUNTLET_LAB_PROVIDERS=local leaves the kind provider out (no install, smoke skipped).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
NODE="$root/node_modules/.bin/node"
# Each part says how long it took (seconds since the previous mark): where CI time goes.
t_last=$(date +%s)
took() { t_now=$(date +%s); echo "== $1 took $((t_now - t_last)) s"; t_last=$t_now; }
GAUNTLET_LAB_PROVIDERS="${GAUNTLET_LAB_PROVIDERS-local,kind}"
export GAUNTLET_LAB_PROVIDERS
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
  # --provider local: with the kind provider installed, `lab up` alone would pick kind.
  "$NODE" bin/gauntlet.js lab up --provider local > test-results/lab-up.log 2>&1 &
  lab_pid=$!
fi

status=0
# The type checks and the Go tests run behind the unit tests too: the unit tests mostly wait (child
# CLI processes, servers on loopback, a client's retries), so tsc and go fill idle cores. Their output
# is kept in test-results/checks.log and printed once the unit tests are done.
echo "== type check and go tests (behind the unit tests; their output follows the unit tests')"
(
  s=0
  t0=$(date +%s)
  tsc -p tsconfig.json --noEmit || s=1
  tsc -p loadtest/scripts/tsconfig.json || s=1
  t1=$(date +%s)
  echo "== type check (behind the unit tests) took $((t1 - t0)) s"
  # The lab's NetworkPolicy enforcer: pure Go unit tests, no cluster needed.
  (cd lab/netpol && CGO_ENABLED=0 go test -trimpath ./...) || s=1
  # The probe image's binary: how it tells a refusal on the path from one by the destination.
  (cd lab/images/probe && CGO_ENABLED=0 go test -trimpath ./...) || s=1
  echo "== go tests (behind the unit tests) took $(($(date +%s) - t1)) s"
  exit $s
) > test-results/checks.log 2>&1 &
checks_pid=$!

echo "== unit tests"
vitest run --project unit --reporter=default --reporter=json --outputFile.json=test-results/unit.json || status=1
took "unit tests"
if wait "$checks_pid"; then :; else echo "type check or go tests failed (below)" >&2; status=1; fi
cat test-results/checks.log
took "type check and go tests (the rest of them, after the unit tests)"

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
if [ "$lab_up" = 1 ]; then "$NODE" bin/gauntlet.js lab down --provider local || status=1; took "lab down"; fi

echo "== kind smoke"
# After the local lab is down: the two labs could share the machine, but the rate-sensitive files
# above must not share its 2 cores with a kind cluster. The file brings its kind lab up and down
# itself (and asserts the host is left as it found it).
rm -f test-results/kind.json test-results/kind-skipped.txt
cache="${GAUNTLET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gauntlet}"
kind_skip=""
case "$GAUNTLET_LAB_PROVIDERS" in *kind*) ;; *) kind_skip="GAUNTLET_LAB_PROVIDERS=$GAUNTLET_LAB_PROVIDERS leaves the kind provider out" ;; esac
[ -n "${GAUNTLET_SKIP_LAB:-}" ] && kind_skip="GAUNTLET_SKIP_LAB is set"
[ -z "$kind_skip" ] && [ -f "$cache/kind/unavailable" ] && kind_skip="the kind provider cannot work on this machine: $(cat "$cache/kind/unavailable")"
if [ -n "$kind_skip" ]; then
  echo "kind smoke skipped: $kind_skip" >&2
  echo "$kind_skip" > test-results/kind-skipped.txt
else
  # The file's last case is `lab down`: clean up again only after a failure (17 s on a clean host).
  GAUNTLET_LAB_PROVIDER=kind GAUNTLET_KIND_SMOKE=1 vitest run --project e2e-kind --reporter=default --reporter=json --outputFile.json=test-results/kind.json || {
    status=1
    "$NODE" bin/gauntlet.js lab down --provider kind || echo "lab down --provider kind left something behind (listed above)" >&2
  }
fi
took "kind smoke"

# One closing line any CI reads: "N passed, N failed", the kind smoke included (a skipped smoke
# counts as one skipped test, its reason printed just above; missing results count as a failure).
"$NODE" -e '
const fs = require("fs");
let p = 0, f = 0, s = 0;
const files = ["test-results/unit.json", "test-results/e2e-shared.json", "test-results/e2e.json"];
const kindSkipped = fs.existsSync("test-results/kind-skipped.txt");
if (!kindSkipped) files.push("test-results/kind.json");
const durations = [];
for (const file of files) {
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + (r.numTodoTests ?? 0);
    if (file.endsWith("kind.json")) console.log(`kind smoke: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
    if (!file.endsWith("unit.json")) for (const t of r.testResults) durations.push(((t.endTime - t.startTime) / 1000).toFixed(0).padStart(5) + " s  " + t.name.replace(process.cwd() + "/", ""));
  }
  catch { f += 1; console.error("no results in " + file); }
}
if (kindSkipped) { s += 1; console.log("kind smoke: skipped (" + fs.readFileSync("test-results/kind-skipped.txt", "utf8").trim() + ")"); }
// Where the end-to-end time went, slowest file first (from the start and end vitest gives each file).
console.log("== end-to-end files by duration\n" + durations.sort((a, b) => parseFloat(b) - parseFloat(a)).join("\n"));
console.log(`${p} passed, ${f} failed` + (s ? `, ${s} skipped` : ""));
'
exit $status
