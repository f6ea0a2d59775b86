#!/usr/bin/env bash
# Everything `gauntlet lab up --provider kind` needs, opt-in (setup.sh runs it when
# GAUNTLET_LAB_PROVIDERS contains kind): podman and its host configuration, kind and crictl from
# their Go modules, kubeadm, and the node image built here (build-kind-node.sh). Run
# install-lab.sh first: the node image is made of the lab's binaries and images.
# Each step is cached; a second run takes seconds.
. "$(dirname "$0")/lib.sh"
dir="$(cd "$(dirname "$0")" && pwd)"

apt_install podman debootstrap catatonit umoci skopeo containerd
# Host configuration for podman in this VM (see docs/lab.md, "kind provider"):
# - no CAP_SYS_RESOURCE: crun/runc cannot raise RLIMIT_NOFILE past the hard limit, so containers
#   get explicit limits below it (NPROC's ceiling here lies between 32768 and 40000);
# - crun refuses hybrid cgroups: use runc.
conf=/etc/containers/containers.conf.d/50-gauntlet-kind.conf
want='# Written by gauntlet scripts/tools/install-kind.sh
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"'
if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
  mkdir -p "$(dirname "$conf")"; printf '%s\n' "$want" > "$conf"; log "wrote $conf"
fi
# kind bind-mounts /lib/modules into every node: it must exist, even empty.
[ -d /lib/modules ] || { mkdir -p /lib/modules; log "created /lib/modules"; }

bash "$dir/build-kubernetes.sh"   # kubeadm joins the wrapper build
bash "$dir/build-kind.sh"
start=$(date +%s)
bash "$dir/build-kind-node.sh"
log "kind node image ready ($(( $(date +%s) - start )) s)"
