#!/bin/sh
# The main job: set up, bring up the local lab, and put the demo service through the gauntlet.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
NODE="$(pwd)/node_modules/.bin/node"
"$NODE" bin/gauntlet.js lab up
"$NODE" bin/gauntlet.js run scenarios/lab-demo.yaml "$@"
