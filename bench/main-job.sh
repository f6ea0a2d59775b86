#!/usr/bin/env bash
# The main job, warm: `npm start` (cached set-up, then `gauntlet demo`: the game day on the lab) and
# `gauntlet demo` alone, each timed end to end, with the run's verdict and its report path.
# Usage: bash bench/main-job.sh [extra demo args, e.g. --set namespace=x --set ip=10.79.0.90]
# Needs the lab's tools built (a first `npm start` builds them); brings the lab up if it is not.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE=node_modules/.bin/node
echo "== $(date -u +%FT%TZ) $(uname -r) $(nproc) cores $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== npm start (warm)"
/usr/bin/time -f 'npm start: %e s wall, exit %x' npm start --silent -- "$@" 2>&1 | grep -E '^\[setup\]|run [0-9TZ]+-game-day|(PASS|FAIL|INCONCLUSIVE) +game-day|HTML report|wall, exit' || true
echo "== gauntlet demo"
/usr/bin/time -f 'gauntlet demo: %e s wall, exit %x' "$NODE" bin/gauntlet.js demo "$@" 2>&1 | grep -E 'run [0-9TZ]+-game-day|(PASS|FAIL|INCONCLUSIVE) +game-day|HTML report|wall, exit' || true
