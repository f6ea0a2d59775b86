#!/usr/bin/env bash
# Build KWOK (simulated nodes for `gauntlet lab up --fake-nodes N`) from its upstream Go module.
. "$(dirname "$0")/lib.sh"
KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"
if have_tool kwok "$KWOK_VERSION"; then log "kwok $KWOK_VERSION already built"; exit 0; fi
GOBIN="$GAUNTLET_BIN" go install -trimpath -ldflags '-s -w' "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
mark_tool kwok "$KWOK_VERSION"
log "kwok $KWOK_VERSION built"
