#!/usr/bin/env bash
# Build upstream kube-router (github.com/cloudnativelabs/kube-router/v2) for the lab's alternative
# NetworkPolicy enforcer (`gauntlet lab up --enforcer kube-router`; only its firewall runs).
# v2.1.0 is the version the Go module proxy serves; it has reported security flaws, so it is for the
# lab only and never the default enforcer. Cached under $GAUNTLET_BIN keyed by version.
. "$(dirname "$0")/lib.sh"

KUBE_ROUTER_VERSION="${KUBE_ROUTER_VERSION:-v2.1.0}"
if have_tool kube-router "$KUBE_ROUTER_VERSION"; then log "kube-router $KUBE_ROUTER_VERSION already built"; exit 0; fi

# go install into a scratch GOBIN, then rename beside the cached binary: a running lab keeps its copy.
gobin="$(mktemp -d)"
trap 'rm -rf "$gobin"' EXIT
GOBIN="$gobin" go install -trimpath -ldflags '-s -w' "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION"
mv -f "$gobin/kube-router" "$GAUNTLET_BIN/kube-router.tmp"
mv -f "$GAUNTLET_BIN/kube-router.tmp" "$GAUNTLET_BIN/kube-router"
mark_tool kube-router "$KUBE_ROUTER_VERSION"
log "kube-router $KUBE_ROUTER_VERSION built"
