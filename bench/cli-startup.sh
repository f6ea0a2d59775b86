#!/bin/sh
# Cold start of `gauntlet --help` (goal: median under 300 ms), side by side with two peers in one
# run: bare Node startup (the floor) and `kubectl --help` (the CLI our users already run); and a
# small `policies check` (one Pod, the example allowlist), the start of a command that reads YAML
# and validates it (zod, yaml: ADR 0007).
# Needs: npm run build, hyperfine (apt-get install hyperfine).
set -eu
cd "$(dirname "$0")/.."
NODE="$(pwd)/node_modules/.bin/node"
KUBECTL="$(command -v kubectl || echo "${XDG_CACHE_HOME:-$HOME/.cache}/gauntlet/bin/kubectl")"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec: {containers: [{name: c, image: i}]}\n' >"$T/pod.yaml"
# `policies check` exits 1 here (the pod's egress is unapproved): a verdict, not a failure.
set -- --warmup 3 --runs 30 -N \
  -n 'gauntlet --help' "$NODE bin/gauntlet.js --help" \
  -n 'gauntlet policies check (1 pod)' "sh -c '$NODE bin/gauntlet.js policies check --manifests $T/pod.yaml --allowlist policies/examples/allowlist.yaml >/dev/null; [ \$? -le 1 ]'" \
  -n 'node -e 0' "$NODE -e 0"
[ -x "$KUBECTL" ] && set -- "$@" -n 'kubectl --help' "$KUBECTL --help"
echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores"
hyperfine "$@"
