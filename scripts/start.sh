#!/bin/sh
# The main job: set up (cached), then the full drill on the local lab (`gauntlet demo`): lab up if
# needed, scenarios/game-day.yaml (a canary release under a 200 % surge, a spot interruption in the
# middle of the release, an egress audit of the new version, gates on all of it), and where the
# HTML report is. Extra arguments go to `gauntlet demo` (e.g. -o json, --set errorRate=0.2).
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
NODE="$(pwd)/node_modules/.bin/node"
exec "$NODE" bin/gauntlet.js demo "$@"
