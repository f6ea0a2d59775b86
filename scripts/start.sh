#!/bin/sh
# The main job: set up (cached), bring up the local lab, and put the demo service through the
# gauntlet: deploy, steady load, a pod killed mid-run, gates on error rate, latency and recovery.
# Extra arguments go to `gauntlet run` (e.g. -o json).
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
NODE="$(pwd)/node_modules/.bin/node"
"$NODE" bin/gauntlet.js lab up
eval "$("$NODE" bin/gauntlet.js lab env)"
exec "$NODE" bin/gauntlet.js run scenarios/lab-demo.yaml "$@"
