#!/usr/bin/env bash
# The `gauntlet lab up --addons flagger` add-on's tools: Flagger and Traefik built from their Go
# modules (cached by version), Prometheus from Debian. Not part of the default set-up (it adds
# several minutes to a cold build): run it once before the first `lab up --addons flagger`, or set
# GAUNTLET_LAB_ADDONS=flagger for scripts/setup.sh.
. "$(dirname "$0")/lib.sh"
dir="$(cd "$(dirname "$0")" && pwd)"
apt_install prometheus
for t in flagger traefik; do
  start=$(date +%s)
  bash "$dir/build-$t.sh"
  log "$t ready ($(( $(date +%s) - start )) s)"
done
