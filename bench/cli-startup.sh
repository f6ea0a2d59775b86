#!/bin/sh
# Cold start of `gauntlet --help` (goal: median under 300 ms), side by side with two peers in one
# run: bare Node startup (the floor) and `kubectl --help` (the CLI our users already run).
# Needs: npm run build, hyperfine (apt-get install hyperfine).
set -eu
cd "$(dirname "$0")/.."
NODE="$(pwd)/node_modules/.bin/node"
KUBECTL="$(command -v kubectl || echo "${XDG_CACHE_HOME:-$HOME/.cache}/gauntlet/bin/kubectl")"
set -- --warmup 3 --runs 30 -N \
  -n 'gauntlet --help' "$NODE bin/gauntlet.js --help" \
  -n 'node -e 0' "$NODE -e 0"
[ -x "$KUBECTL" ] && set -- "$@" -n 'kubectl --help' "$KUBECTL --help"
echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores"
hyperfine "$@"
