#!/usr/bin/env bash
# Build the lab's container images locally, with no registry: a static Go binary (or
# busybox-static) in a rootfs -> umoci OCI layout -> skopeo docker-archive tarball, which the lab
# imports into each node's containerd with `ctr images import`. Tags are fixed so kubelets never
# pull. Rebuilt only when the sources change (the stamp is a hash of lab/images).
. "$(dirname "$0")/lib.sh"

root="$(cd "$(dirname "$0")/../.." && pwd)"
images="$root/lab/images"
out="$GAUNTLET_CACHE/images"
# The stamp covers the image sources and this script, so a change to either rebuilds.
stamp="$( (cd "$images" && find . -type f \( -name '*.go' -o -name go.mod \) | sort | xargs cat; cat "$0") | sha256sum | cut -c1-16)"
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ] && [ -x "$GAUNTLET_BIN/gauntlet-demo" ]; then log "lab images up to date"; exit 0; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# image NAME TAG ROOTFS ENTRYPOINT [ENV...]: pack ROOTFS as gauntlet.local/NAME:TAG.
image() {
  name="$1" tag="$2" rootfs="$3" entry="$4"; shift 4
  layout="$work/oci-$name-$tag"
  umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
  umoci insert --rootless --image "$layout:$tag" "$rootfs" / >/dev/null
  set -- "$@"
  envs=""; for e in "$@"; do envs="$envs --config.env=$e"; done
  # shellcheck disable=SC2086
  umoci config --image "$layout:$tag" --config.entrypoint "$entry" --config.user 65534:65534 \
    --config.workingdir / $envs --architecture amd64 --os linux
  rm -f "$out/$name-$tag.tar"
  skopeo copy --quiet "oci:$layout:$tag" "docker-archive:$out/$name-$tag.tar:gauntlet.local/$name:$tag"
  log "image gauntlet.local/$name:$tag"
}

gobuild() { # gobuild DIR OUT
  (cd "$images/$1" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$2" .)
}

for b in pause demo probe; do
  mkdir -p "$work/$b/rootfs/bin" "$work/$b/rootfs/tmp"
  gobuild "$b" "$work/$b/rootfs/bin/$b"
done
# The probe image carries busybox too (nc, wget, nslookup) for ad-hoc checks with kubectl exec.
cp /bin/busybox "$work/probe/rootfs/bin/busybox"
for t in sh nc wget nslookup sleep ping; do ln -sf busybox "$work/probe/rootfs/bin/$t"; done
mkdir -p "$work/demo/rootfs/etc" "$work/probe/rootfs/etc"
echo 'nobody:x:65534:65534:nobody:/:/bin/false' | tee "$work/demo/rootfs/etc/passwd" > "$work/probe/rootfs/etc/passwd"

# The outside-world hosts run the demo binary directly in their namespaces.
# Rename into place: the running world hosts keep their (unlinked) old binary.
cp "$work/demo/rootfs/bin/demo" "$GAUNTLET_BIN/gauntlet-demo.tmp"
mv -f "$GAUNTLET_BIN/gauntlet-demo.tmp" "$GAUNTLET_BIN/gauntlet-demo"

image pause 3.10 "$work/pause/rootfs" /bin/pause
image demo v1 "$work/demo/rootfs" /bin/demo VERSION=v1
image demo v2 "$work/demo/rootfs" /bin/demo VERSION=v2
image probe v1 "$work/probe/rootfs" /bin/probe
echo "$stamp" > "$out/.stamp"
