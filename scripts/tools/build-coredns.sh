#!/usr/bin/env bash
# Build CoreDNS (cluster DNS, run by the lab as a host process) from its upstream Go module.
. "$(dirname "$0")/lib.sh"
COREDNS_VERSION="${COREDNS_VERSION:-v1.14.7}"
if have_tool coredns "$COREDNS_VERSION"; then log "coredns $COREDNS_VERSION already built"; exit 0; fi
GOBIN="$GAUNTLET_BIN" go install -trimpath -ldflags '-s -w' "github.com/coredns/coredns@$COREDNS_VERSION"
mark_tool coredns "$COREDNS_VERSION"
log "coredns $COREDNS_VERSION built"
