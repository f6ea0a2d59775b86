#!/usr/bin/env bash
# Build the lab's cluster DNS: our wrapper main module in lab/coredns (upstream CoreDNS, pinned in
# its go.mod, with only the plugins the lab's Corefile uses; stock CoreDNS compiles every plugin,
# cloud SDKs included, and takes several times longer). Cached under $GAUNTLET_BIN keyed by the
# CoreDNS version and a hash of the wrapper's sources, so an edit rebuilds.
. "$(dirname "$0")/lib.sh"

root="$(cd "$(dirname "$0")/../.." && pwd)"
mod="$root/lab/coredns"
COREDNS_VERSION="$(sed -n 's#^require github.com/coredns/coredns \(v[0-9.]*\)$#\1#p' "$mod/go.mod")"
[ -n "$COREDNS_VERSION" ] || { log "cannot read the CoreDNS version from $mod/go.mod"; exit 1; }
src_hash="$(cat "$mod/go.mod" "$mod/go.sum" "$mod"/*.go | sha256sum | cut -c1-12)"
want="$COREDNS_VERSION+gauntlet.$src_hash"
if have_tool coredns "$want"; then log "coredns $want already built"; exit 0; fi

# Build beside the binary and rename into place: a running lab keeps its (unlinked) old copy.
(cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$GAUNTLET_BIN/coredns.tmp" .)
mv -f "$GAUNTLET_BIN/coredns.tmp" "$GAUNTLET_BIN/coredns"
mark_tool coredns "$want"
log "coredns $want built, plugins: $("$GAUNTLET_BIN/coredns" -plugins | tr -s '\n' ' ')"
