# Shared helpers for the scripts that install Gauntlet's external tools.
# Source it: . "$(dirname "$0")/lib.sh"
# Every Go-built tool is cached under the user's cache directory, keyed by version,
# so a second run (CI or a developer) is a no-op.
set -eu

GAUNTLET_CACHE="${GAUNTLET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gauntlet}"
GAUNTLET_BIN="$GAUNTLET_CACHE/bin"
mkdir -p "$GAUNTLET_BIN"
export GOFLAGS="${GOFLAGS:--mod=mod}"
export CGO_ENABLED="${CGO_ENABLED:-0}"

log() { printf '[tools] %s\n' "$*" >&2; }

# have_tool NAME VERSION: true when $GAUNTLET_BIN/NAME was built for VERSION.
have_tool() {
  [ -x "$GAUNTLET_BIN/$1" ] && [ "$(cat "$GAUNTLET_BIN/.$1.version" 2>/dev/null)" = "$2" ]
}

# mark_tool NAME VERSION: record that $GAUNTLET_BIN/NAME is VERSION.
mark_tool() { printf '%s' "$2" > "$GAUNTLET_BIN/.$1.version"; }

# apt_install PKG...: install Debian packages that are missing (root only; no-op when present).
apt_install() {
  missing=""
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  [ -z "$missing" ] && return 0
  log "apt-get install$missing"
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
