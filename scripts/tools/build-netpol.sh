#!/usr/bin/env bash
# Build the lab's NetworkPolicy enforcer (lab/netpol, our own module on client-go).
. "$(dirname "$0")/lib.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
# The binary's sources only: a change to the unit tests (*_test.go) needs no rebuild.
stamp="$( { find "$root/lab/netpol" -maxdepth 1 -name '*.go' ! -name '*_test.go' | sort | xargs cat; cat "$root/lab/netpol/go.mod"; } | sha256sum | cut -c1-16)"
if have_tool gauntlet-netpol "$stamp"; then log "gauntlet-netpol up to date"; exit 0; fi
# Build aside and rename into place: a running lab keeps its (unlinked) old binary.
(cd "$root/lab/netpol" && go build -trimpath -ldflags '-s -w' -o "$GAUNTLET_BIN/gauntlet-netpol.tmp" .)
mv -f "$GAUNTLET_BIN/gauntlet-netpol.tmp" "$GAUNTLET_BIN/gauntlet-netpol"
mark_tool gauntlet-netpol "$stamp"
log "gauntlet-netpol built"
