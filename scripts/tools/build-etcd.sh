#!/usr/bin/env bash
# Build etcd from upstream Go modules. Debian's etcd 3.4.23 is older than the apiserver's
# documented minimum, and go.etcd.io/etcd/v3 (the main module) carries relative replaces, so a
# wrapper main calls etcdmain.Main exactly as upstream's main.go does.
. "$(dirname "$0")/lib.sh"

ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
if have_tool etcd "$ETCD_VERSION"; then log "etcd $ETCD_VERSION already built"; exit 0; fi
src="$GAUNTLET_CACHE/src/etcd-$ETCD_VERSION"
mkdir -p "$src"; cd "$src"
cat > go.mod <<MOD
module gauntlet.local/etcd-build

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
MOD
cat > main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
go mod tidy
go build -trimpath -ldflags '-s -w' -o "$GAUNTLET_BIN/etcd.tmp" .
mv -f "$GAUNTLET_BIN/etcd.tmp" "$GAUNTLET_BIN/etcd"
mark_tool etcd "$ETCD_VERSION"
log "etcd $ETCD_VERSION built"
