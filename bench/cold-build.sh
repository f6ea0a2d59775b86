#!/usr/bin/env bash
# Cold build of every Go-built tool the project needs, as CI's fresh machine does it: each
# scripts/tools/build-*.sh run one after another into a temporary GAUNTLET_CACHE, with an empty
# Go build cache and an empty module cache (so module downloads count too). Prints each tool's
# wall and CPU time (/usr/bin/time) and the total, then removes the temporary directories.
#
#   nice -n 10 bash bench/cold-build.sh            # everything install-lab.sh builds (k6 is not built: ADR 0006)
#   TOOLS="coredns etcd" bash bench/cold-build.sh  # a subset, in that order
#   TOOLS="coredns coredns-stock" ...              # also stock CoreDNS (every plugin), to compare
#
# Debian packages are not installed here (install-lab.sh's apt step; lab-images needs umoci and
# skopeo and is skipped without them). Caches shared by the tools (Go's standard library,
# common modules) are built by whichever tool comes first, as in a real cold run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools_dir="$root/scripts/tools"

# Same order as CI: install-lab.sh's list (k6 is installed, not built, since ADR 0006).
lab_tools="$(sed -n 's/^for t in \(.*\); do$/\1/p' "$tools_dir/install-lab.sh")"
[ -n "$lab_tools" ] || { echo "cannot read the tool list from install-lab.sh" >&2; exit 1; }
TOOLS="${TOOLS:-$lab_tools}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gauntlet-cold-build.XXXXXX")"
cleanup() { chmod -R u+w "$tmp" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

export GAUNTLET_CACHE="$tmp/cache" GOCACHE="$tmp/gocache" GOMODCACHE="$tmp/gomodcache"
export GOFLAGS="-mod=mod -modcacherw" CGO_ENABLED=0
unset GOBIN
mkdir -p "$GAUNTLET_CACHE" "$GOCACHE" "$GOMODCACHE"

echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "== $(uname -a)"
echo "== nproc $(nproc), $(go version), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== tools: $TOOLS"

results=()
total_wall=0 total_cpu=0
for t in $TOOLS; do
  if [ "$t" = lab-images ] && ! { command -v umoci && command -v skopeo; } >/dev/null; then
    echo "-- $t: skipped (needs umoci and skopeo from install-lab.sh's apt step)"; continue
  fi
  if [ "$t" = coredns-stock ]; then
    v="$(sed -n 's#^require github.com/coredns/coredns \(v[0-9.]*\)$#\1#p' "$root/lab/coredns/go.mod")"
    cmd=(env GOBIN="$tmp/stock" go install -trimpath -ldflags '-s -w' "github.com/coredns/coredns@$v")
  else
    cmd=(bash "$tools_dir/build-$t.sh")
  fi
  echo "-- $t"
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "${cmd[@]}" 2>&1 | sed 's/^/   /'
  read -r wall user sys rss < "$tmp/time"
  cpu="$(echo "$user + $sys" | bc)"
  line="$(printf '%-14s wall %7.1f s  cpu %7.1f s (user %.1f, sys %.1f)  max RSS %d MiB' \
    "$t" "$wall" "$cpu" "$user" "$sys" "$((rss / 1024))")"
  echo "   $line"; results+=("$line")
  [ "$t" = coredns-stock ] && continue # a comparison, not part of the cold path
  total_wall="$(echo "$total_wall + $wall" | bc)"; total_cpu="$(echo "$total_cpu + $cpu" | bc)"
done

echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== module cache $(du -sh "$GOMODCACHE" | cut -f1), build cache $(du -sh "$GOCACHE" | cut -f1)"
echo "== summary"
printf '   %s\n' "${results[@]}"
printf '   %-14s wall %7.1f s  cpu %7.1f s  (%.1f min wall; coredns-stock excluded)\n' total "$total_wall" "$total_cpu" \
  "$(echo "$total_wall / 60" | bc -l)"
