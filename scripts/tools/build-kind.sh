#!/usr/bin/env bash
# Build kind (sigs.k8s.io/kind) and crictl (sigs.k8s.io/cri-tools) from their upstream Go modules,
# for `gauntlet lab up --provider kind`. Cached by version under $GAUNTLET_BIN.
. "$(dirname "$0")/lib.sh"
KIND_VERSION="${KIND_VERSION:-v0.33.0}"
CRICTL_VERSION="${CRICTL_VERSION:-v1.34.0}"
if have_tool kind "$KIND_VERSION"; then log "kind $KIND_VERSION already built"; else
  GOBIN="$GAUNTLET_BIN" go install -trimpath -ldflags '-s -w' "sigs.k8s.io/kind@$KIND_VERSION"
  mark_tool kind "$KIND_VERSION"
  log "kind $KIND_VERSION built"
fi
if have_tool crictl "$CRICTL_VERSION"; then log "crictl $CRICTL_VERSION already built"; else
  GOBIN="$GAUNTLET_BIN" go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" \
    "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
  mark_tool crictl "$CRICTL_VERSION"
  log "crictl $CRICTL_VERSION built"
fi
