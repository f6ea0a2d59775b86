#!/usr/bin/env bash
# Everything `gauntlet lab up --provider local` needs, from a fresh Debian bookworm machine:
# Debian packages, then each Go-built tool (cached by version: a second run is a no-op).
# Builds run one after another: the machine has 2 cores and each build uses both.
. "$(dirname "$0")/lib.sh"
dir="$(cd "$(dirname "$0")" && pwd)"

apt_install containerd runc containernetworking-plugins busybox-static skopeo umoci \
  iptables ipset conntrack nftables iproute2 util-linux openssl

# The `lab up --addons flagger` add-on's tools are opt-in: scripts/tools/install-addons.sh.
for t in kubernetes etcd coredns netpol kwok lab-images; do
  start=$(date +%s)
  bash "$dir/build-$t.sh"
  log "$t ready ($(( $(date +%s) - start )) s)"
done
