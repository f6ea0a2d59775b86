#!/usr/bin/env bash
# Everything `gauntlet lab up --provider kind` needs, opt-in (setup.sh runs it when
# GAUNTLET_LAB_PROVIDERS contains kind): podman and its host configuration, kind and crictl from
# their Go modules, kubeadm, and the node image built here (build-kind-node.sh). Run
# install-lab.sh first: the node image is made of the lab's binaries and images.
# Each step is cached; a second run takes seconds.
#
# Where podman cannot be had (no apt-get, no podman package, not root), nothing is installed: the
# reason goes to $GAUNTLET_CACHE/kind/unavailable and the exit is 0, so setup goes on and
# scripts/test.sh skips the kind smoke saying why. Any other failure is a failure.
. "$(dirname "$0")/lib.sh"
dir="$(cd "$(dirname "$0")" && pwd)"

unavailable="$GAUNTLET_CACHE/kind/unavailable"
mkdir -p "$(dirname "$unavailable")"; rm -f "$unavailable"
why=""
if [ "$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then why="not root and no sudo: podman (rootful) cannot be installed or run"
elif ! command -v podman >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then why="podman is not installed and there is no apt-get to install it"
  else
    candidate() { apt-cache policy podman 2>/dev/null | sed -n 's/^ *Candidate: *//p'; }
    c="$(candidate)"; if [ -z "$c" ] || [ "$c" = "(none)" ]; then apt-get update -qq >/dev/null 2>&1 || true; c="$(candidate)"; fi
    if [ -z "$c" ] || [ "$c" = "(none)" ]; then why="podman is not installed and apt has no podman package"; fi
  fi
fi
if [ -n "$why" ]; then
  printf '%s\n' "$why" > "$unavailable"
  log "the kind provider cannot work here: $why (recorded in $unavailable)"
  exit 0
fi

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

GAUNTLET_KUBEADM=1 bash "$dir/build-kubernetes.sh"   # kubeadm, in the wrapper build
bash "$dir/build-kind.sh"
start=$(date +%s)
bash "$dir/build-kind-node.sh"
log "kind node image ready ($(( $(date +%s) - start )) s)"
