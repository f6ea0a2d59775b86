#!/usr/bin/env bash
# Build k6 with Gauntlet's live-metrics output (loadtest/k6ext) compiled in, from Go modules.
# The wrapper main module in loadtest/k6ext/cmd/k6 is what xk6 would generate. Cached under
# $GAUNTLET_BIN keyed by the k6 version and a hash of the extension's sources.
. "$(dirname "$0")/lib.sh"

root="$(cd "$(dirname "$0")/../.." && pwd)"
ext="$root/loadtest/k6ext"
K6_VERSION="$(sed -n 's#^require go.k6.io/k6 \(v[0-9.]*\)$#\1#p' "$ext/go.mod")"
[ -n "$K6_VERSION" ] || { log "cannot read the k6 version from $ext/go.mod"; exit 1; }
src_hash="$(cat "$ext/go.mod" "$ext/go.sum" "$ext"/*.go "$ext"/cmd/k6/*.go | sha256sum | cut -c1-12)"
want="$K6_VERSION+gauntlet.$src_hash"

if have_tool k6 "$want"; then log "k6 $want already built"; exit 0; fi
command -v go >/dev/null || { log "go not found: install Go 1.25+ or put k6 (v1.x) on PATH"; exit 3; }

log "building k6 $want (a few minutes the first time)"
cd "$ext"
go build -trimpath -ldflags "-s -w" -o "$GAUNTLET_BIN/k6.tmp" ./cmd/k6
mv "$GAUNTLET_BIN/k6.tmp" "$GAUNTLET_BIN/k6"
mark_tool k6 "$want"
"$GAUNTLET_BIN/k6" version >&2
