#!/usr/bin/env bash
# Build the kind node image locally, with no registry, as kind's own base image and
# `kind build node-image` do (kind's build hard-codes docker): a debootstrap rootfs with Debian's
# systemd, containerd, runc and CNI plugins, kind's base files laid over it, the Kubernetes node
# binaries, and the component images (apiserver, controller-manager, scheduler, kube-proxy, etcd,
# CoreDNS, the lab's pause and NetworkPolicy enforcer) imported into the image's containerd under
# the gauntlet.local repository that the kind provider's kubeadm patch names.
# Cached by a stamp of its inputs: a second run is a no-op (the debootstrap rootfs is cached too).
. "$(dirname "$0")/lib.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
K8S_VERSION="${K8S_VERSION:-v1.34.4}"
KIND_VERSION="${KIND_VERSION:-v0.33.0}"
IMAGE="localhost/gauntlet-kind-node:$K8S_VERSION"
out="$GAUNTLET_CACHE/kind"
mkdir -p "$out"

for t in kind crictl kubelet kubeadm kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd coredns gauntlet-netpol; do
  [ -x "$GAUNTLET_BIN/$t" ] || { log "missing $GAUNTLET_BIN/$t: run scripts/tools/install-kind.sh"; exit 1; }
done
for t in pause-3.10 demo-v1 demo-v2 probe-v1; do
  [ -f "$GAUNTLET_CACHE/images/$t.tar" ] || { log "missing the lab images: run scripts/tools/build-lab-images.sh"; exit 1; }
done

PKGS="systemd,systemd-sysv,dbus,iptables,nftables,iproute2,conntrack,ethtool,util-linux,mount,kmod,libseccomp2,pigz,bash,ca-certificates,procps,jq,containerd,runc,containernetworking-plugins,socat"
versions() { for t in kubelet kubeadm kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd coredns gauntlet-netpol; do printf '%s=%s\n' "$t" "$(cat "$GAUNTLET_BIN/.$t.version" 2>/dev/null)"; done; }
stamp="$( { cat "$0"; echo "$PKGS $KIND_VERSION"; versions; cat "$GAUNTLET_CACHE/images/.stamp"; } | sha256sum | cut -c1-16)"
if [ "$(cat "$out/node-image.stamp" 2>/dev/null)" = "$stamp" ] && podman image exists "$IMAGE"; then
  log "kind node image $IMAGE up to date"; exit 0
fi
start=$(date +%s)
work="$(mktemp -d "$out/build.XXXXXX")"
ctrd_pid=""
cleanup() { [ -n "$ctrd_pid" ] && kill "$ctrd_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
rootfs="$work/rootfs"

# 1. The rootfs: debootstrap once per package list, cached as a tarball.
mirror="$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
mirror="${mirror:-http://deb.debian.org/debian}"
base="$out/rootfs-bookworm-$(echo "$PKGS" | sha256sum | cut -c1-12).tar"
if [ ! -f "$base" ]; then
  log "debootstrap bookworm from $mirror (about a minute)"
  debootstrap --variant=minbase --include="$PKGS" bookworm "$work/deb" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; exit 1; }
  rm -rf "$work/deb/var/cache/apt/archives/"*.deb "$work/deb/var/lib/apt/lists/"*
  tar -C "$work/deb" -cf "$base.tmp" . && mv "$base.tmp" "$base"
  rm -rf "$work/deb"
fi
mkdir -p "$rootfs"
tar -C "$rootfs" -xf "$base"

# 2. kind's base image files and the steps of its Dockerfile.
kindsrc="$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
files="$kindsrc/images/base/files"
install -m 0755 "$files"/usr/local/bin/* "$rootfs/usr/local/bin/"
mkdir -p "$rootfs/kind/bin" "$rootfs/etc/containerd" "$rootfs/etc/systemd/system/kubelet.service.d" "$rootfs/etc/kubernetes/manifests"
cp -r "$files/kind/." "$rootfs/kind/"; chmod 0755 "$rootfs/kind" "$rootfs/kind/bin" "$rootfs"/kind/bin/*
install -m 0644 "$files/etc/crictl.yaml" "$rootfs/etc/"
install -m 0644 "$files/etc/default/kubelet" "$rootfs/etc/default/"
install -m 0644 "$files"/etc/sysctl.d/* "$rootfs/etc/sysctl.d/"
install -m 0644 "$files"/etc/systemd/system/*.service "$files"/etc/systemd/system/*.slice "$rootfs/etc/systemd/system/"
install -m 0644 "$files"/etc/systemd/system/kubelet.service.d/* "$rootfs/etc/systemd/system/kubelet.service.d/"
chroot "$rootfs" /bin/sh -ec '
  find /lib/systemd/system/sysinit.target.wants/ -name "systemd-tmpfiles-setup.service" -delete
  rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* /lib/systemd/system/local-fs.target.wants/*
  rm -f /lib/systemd/system/sockets.target.wants/*udev* /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
  echo "ReadKMsg=no" >> /etc/systemd/journald.conf
  ln -sf /usr/lib/systemd/systemd /sbin/init
  systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
  systemctl mask systemd-binfmt.service >/dev/null 2>&1
  ln -sf /usr/bin/containerd /usr/local/bin/containerd
  mkdir -p /opt/cni/bin
  for p in bridge host-local loopback portmap ptp; do ln -sf /usr/lib/cni/$p /opt/cni/bin/$p; done
'
# kind's containerd config, for Debian's containerd 1.6: the lab's pause image (never pulled), no
# fuse-overlayfs proxy (rootless only), and oom_score_adj kept >= containerd's own (no
# CAP_SYS_RESOURCE in this VM: runc otherwise fails "nsexec: failed to update oom_score_adj").
sed -e 's#^  sandbox_image = .*#  sandbox_image = "gauntlet.local/pause:3.10"#' \
    -e 's#^  restrict_oom_score_adj = false#  restrict_oom_score_adj = true#' \
    -e '/^\[proxy_plugins\]/,/^  address = /d' "$files/etc/containerd/config.toml" > "$rootfs/etc/containerd/config.toml"
grep -q 'gauntlet.local/pause:3.10' "$rootfs/etc/containerd/config.toml" && grep -q 'restrict_oom_score_adj = true' "$rootfs/etc/containerd/config.toml" \
  || { log "kind's containerd config changed shape"; exit 1; }
chroot "$rootfs" ctr oci spec | jq '.hooks.createContainer[.hooks.createContainer|length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
  | jq 'del(.process.rlimits)' > "$rootfs/etc/containerd/cri-base.json"

# 3. Node binaries.
for b in kubelet kubeadm kubectl; do install -m 0755 "$GAUNTLET_BIN/$b" "$rootfs/usr/bin/$b"; done
install -m 0755 "$GAUNTLET_BIN/crictl" "$rootfs/usr/local/bin/crictl"
printf '%s' "$K8S_VERSION" > "$rootfs/kind/version"

# 4. Component images, from the static binaries (umoci + skopeo, as build-lab-images.sh does).
img="$work/images"; mkdir -p "$img"
# bundle ROOT FILE...: copy programs (or plugins: iptables' xtables/*.so) from the node rootfs with
# the shared libraries they load (libxt_statistic needs libm, which iptables itself does not).
bundle() {
  dest="$1"; shift
  for b in "$@"; do
    mkdir -p "$dest$(dirname "$b")"; cp -L "$rootfs$b" "$dest$b"
    chroot "$rootfs" ldd "$b" | sed -n 's#.*=> \(/[^ ]*\) .*#\1#p; s#^\s*\(/lib[^ ]*\) .*#\1#p' | while read -r l; do
      mkdir -p "$dest$(dirname "$l")"; cp -L "$rootfs$l" "$dest$l"
    done
  done
}
image() { # image NAME TAG ROOTFS ENTRYPOINT
  layout="$work/oci-$1"
  umoci init --layout "$layout" && umoci new --image "$layout:$2"
  umoci insert --rootless --image "$layout:$2" "$3" / >/dev/null
  umoci config --image "$layout:$2" ${4:+--config.entrypoint "$4"} --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --architecture amd64 --os linux
  skopeo copy --quiet "oci:$layout:$2" "docker-archive:$img/$1-$2.tar:gauntlet.local/$1:$2"
}
static() { # static NAME TAG BINARY... (first binary becomes the entrypoint? no: kubeadm manifests name the command)
  name="$1" tag="$2"; shift 2
  r="$work/r-$name"; mkdir -p "$r/usr/local/bin" "$r/tmp" "$r/etc"
  for b in "$@"; do install -m 0755 "$GAUNTLET_BIN/$b" "$r/usr/local/bin/$b"; done
  echo "$r"
}
for c in kube-apiserver kube-controller-manager kube-scheduler; do image "$c" "$K8S_VERSION" "$(static "$c" "$K8S_VERSION" "$c")" ""; done
ETCD_TAG="$(cat "$GAUNTLET_BIN/.etcd.version")"
image etcd "$ETCD_TAG" "$(static etcd "$ETCD_TAG" etcd)" ""
COREDNS_TAG="$(cut -d+ -f1 "$GAUNTLET_BIN/.coredns.version")"
r="$(static coredns "$COREDNS_TAG" coredns)"; ln -s usr/local/bin/coredns "$r/coredns"; image coredns "$COREDNS_TAG" "$r" /coredns
# kube-proxy (iptables mode) runs the node's iptables; kind's entrypoint picks the legacy backend
# on a fresh node, so the image's iptables are the legacy ones with their modules.
r="$(static kube-proxy "$K8S_VERSION" kube-proxy)"
bundle "$r" /usr/sbin/xtables-legacy-multi $(cd "$rootfs" && ls usr/lib/x86_64-linux-gnu/xtables/*.so | sed 's#^#/#')
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do ln -sf xtables-legacy-multi "$r/usr/sbin/$t"; done
image kube-proxy "$K8S_VERSION" "$r" ""
# The lab's NetworkPolicy enforcer (a DaemonSet on every node) applies rules with nft.
NETPOL_TAG="$(cut -c1-12 "$GAUNTLET_BIN/.gauntlet-netpol.version")"
r="$(static netpol "$NETPOL_TAG" gauntlet-netpol)"; bundle "$r" /usr/sbin/nft
image netpol "$NETPOL_TAG" "$r" /usr/local/bin/gauntlet-netpol
cp "$GAUNTLET_CACHE/images/pause-3.10.tar" "$img/"
# The lab's workload images (demo v1/v2, probe) too: `lab up` then loads nothing (kind load
# image-archive into every node took tens of seconds), unless the lab images changed since
# (their stamp is recorded here and compared at lab up).
for t in demo-v1 demo-v2 probe-v1; do cp "$GAUNTLET_CACHE/images/$t.tar" "$img/"; done
printf 'etcd=%s\ncoredns=%s\nnetpol=%s\nkubernetes=%s\nworkloads=%s\n' "$ETCD_TAG" "$COREDNS_TAG" "$NETPOL_TAG" "$K8S_VERSION" "$(cat "$GAUNTLET_CACHE/images/.stamp")" > "$rootfs/kind/gauntlet-images"

# 5. Import them into the image's containerd store with a throwaway containerd (no CRI, own socket).
mkdir -p "$rootfs/var/lib/containerd" "$work/ctrd-state"
cat > "$work/ctrd.toml" <<TOML
version = 2
root = "$rootfs/var/lib/containerd"
state = "$work/ctrd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$work/ctrd.sock"
[ttrpc]
  address = "$work/ctrd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$work/ctrd-opt"
TOML
containerd --config "$work/ctrd.toml" >"$work/containerd.log" 2>&1 &
ctrd_pid=$!
for _ in $(seq 1 100); do ctr -a "$work/ctrd.sock" version >/dev/null 2>&1 && break; sleep 0.2; done
for t in "$img"/*.tar; do ctr -a "$work/ctrd.sock" -n k8s.io images import --no-unpack --all-platforms "$t" >/dev/null; done
ctr -a "$work/ctrd.sock" -n k8s.io images ls -q | sed 's/^/[tools]   image /' >&2
kill "$ctrd_pid"; wait "$ctrd_pid" 2>/dev/null || true; ctrd_pid=""

# 6. Into podman.
podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
tar -C "$rootfs" -c . | podman import \
  --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'ENV container=docker' \
  --change 'STOPSIGNAL SIGRTMIN+3' - "$IMAGE" >/dev/null
podman image prune -f >/dev/null 2>&1 || true
echo "$stamp" > "$out/node-image.stamp"
log "kind node image $IMAGE built in $(( $(date +%s) - start )) s ($(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
