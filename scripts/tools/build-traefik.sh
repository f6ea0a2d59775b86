#!/usr/bin/env bash
# Build Traefik (the L7 router Flagger's weighted `traefik` and `gatewayapi:v1` providers need)
# from its upstream Go module. Its go.mod carries replace directives (containous forks) and an
# exclude, which `go install` refuses, so a wrapper main module requires Traefik and repeats them,
# copied from the go.mod the module proxy serves for that version (so they stay in step with it).
. "$(dirname "$0")/lib.sh"

TRAEFIK_VERSION="${TRAEFIK_VERSION:-v3.6.12}"
crds="$GAUNTLET_CACHE/crds"
mod="github.com/traefik/traefik/v3"
src="$GAUNTLET_CACHE/src/traefik-$TRAEFIK_VERSION"

# The CRDs the router needs, from the module cache (never downloaded from elsewhere): Traefik's
# own (traefik.io: IngressRoute, TraefikService, ...) and the Gateway API standard channel of the
# version this Traefik is built against.
stage_crds() {
  mkdir -p "$crds"
  local tdir gdir gver
  tdir="$(cd "$src" && go list -m -f '{{.Dir}}' "$mod")"
  gver="$(cd "$src" && go list -m -f '{{.Version}}' sigs.k8s.io/gateway-api)"
  gdir="$(cd "$src" && go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)"
  install -m 0644 "$tdir/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml" "$crds/traefik-$TRAEFIK_VERSION.yaml"
  for f in "$gdir"/config/crd/standard/*.yaml; do cat "$f"; printf '\n---\n'; done > "$crds/gateway-api-$gver.yaml"
  printf '%s' "$gver" > "$crds/.gateway-api.version"
  log "CRDs staged: traefik-$TRAEFIK_VERSION.yaml, gateway-api-$gver.yaml (standard channel)"
}

if have_tool traefik "$TRAEFIK_VERSION" && [ -f "$crds/traefik-$TRAEFIK_VERSION.yaml" ] && [ -f "$crds/.gateway-api.version" ]; then
  log "traefik $TRAEFIK_VERSION already built"; exit 0
fi
if have_tool traefik "$TRAEFIK_VERSION" && [ -f "$src/go.sum" ]; then stage_crds; exit 0; fi
upstream="$(go mod download -json "$mod@$TRAEFIK_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')"
[ -f "$upstream" ] || { log "cannot download $mod@$TRAEFIK_VERSION's go.mod"; exit 1; }
rm -rf "$src"; mkdir -p "$src"; cd "$src"
{
  printf 'module gauntlet.local/traefik-build\n\ngo 1.25.0\n\nrequire %s %s\n\n' "$mod" "$TRAEFIK_VERSION"
  sed -n '/^replace (/,/^)/p; /^replace [^(]/p; /^exclude (/,/^)/p; /^exclude [^(]/p' "$upstream"
} > go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
GO
go mod tidy
go build -trimpath -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
  -o "$GAUNTLET_BIN/traefik.tmp" "$mod/cmd/traefik"
mv -f "$GAUNTLET_BIN/traefik.tmp" "$GAUNTLET_BIN/traefik"
mark_tool traefik "$TRAEFIK_VERSION"
stage_crds
log "traefik $TRAEFIK_VERSION built: $("$GAUNTLET_BIN/traefik" version | head -1)"
