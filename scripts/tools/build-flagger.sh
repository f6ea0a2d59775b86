#!/usr/bin/env bash
# Build Flagger from its upstream Go module (no replace directives): it runs out of cluster with
# the lab's kubeconfig. Its CRDs ship in the same module (artifacts/flagger/crd.yaml); the lab
# applies them from the module cache, so they always match the binary.
. "$(dirname "$0")/lib.sh"
FLAGGER_VERSION="${FLAGGER_VERSION:-v1.44.0}"
crd="$GAUNTLET_CACHE/crds/flagger-$FLAGGER_VERSION.yaml"
if have_tool flagger "$FLAGGER_VERSION" && [ -f "$crd" ]; then log "flagger $FLAGGER_VERSION already built"; exit 0; fi
if ! have_tool flagger "$FLAGGER_VERSION"; then
  GOBIN="$GAUNTLET_BIN" go install -trimpath -ldflags '-s -w' "github.com/fluxcd/flagger/cmd/flagger@$FLAGGER_VERSION"
  mark_tool flagger "$FLAGGER_VERSION"
  log "flagger $FLAGGER_VERSION built: $("$GAUNTLET_BIN/flagger" -version 2>&1 | head -1)"
fi
# The CRDs (canaries, metrictemplates, alertproviders) from the module cache the build filled.
dir="$(go mod download -json "github.com/fluxcd/flagger@$FLAGGER_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
mkdir -p "$(dirname "$crd")"
install -m 0644 "$dir/artifacts/flagger/crd.yaml" "$crd"
log "CRDs staged: $(basename "$crd")"
