#!/usr/bin/env bash
# Build the Kubernetes control plane and node binaries from upstream Go modules.
# k8s.io/kubernetes replaces its staging modules with ./staging paths, so `go install` of its
# commands fails; a wrapper module that pins every staging module to the matching v0.X.Y tag is
# the usual workaround (k0s, kubevirt). The build is cached by version under $GAUNTLET_BIN.
. "$(dirname "$0")/lib.sh"

K8S_VERSION="${K8S_VERSION:-v1.34.4}"
# kubeadm only with GAUNTLET_KUBEADM=1 (install-kind.sh, or setup.sh when the kind provider is
# wanted, so it joins the one cold build): the kind provider's node image needs it (kind runs
# `kubeadm init/join` in each node); the local provider bootstraps the cluster itself, and a
# kubeadm built for everyone costs a local-only user minutes (bench/results/lab.md).
CMDS="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl${GAUNTLET_KUBEADM:+ kubeadm}"

# Only what is missing or of another version is built (adding kubeadm leaves the others alone).
todo=""; for c in $CMDS; do have_tool "$c" "$K8S_VERSION" || todo="$todo $c"; done
if [ -z "$todo" ]; then log "kubernetes $K8S_VERSION already built"; exit 0; fi

staging="v0.${K8S_VERSION#v1.}"
src="$GAUNTLET_CACHE/src/kubernetes-$K8S_VERSION"
mkdir -p "$src"
cd "$src"

# The staging list comes from upstream's own go.mod, so it stays right across minors.
gomod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
replaces="$(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$gomod" | sort -u)"
[ -n "$replaces" ] || { log "no staging replaces found in $gomod"; exit 1; }

{
  echo "module gauntlet.local/kubernetes-build"
  echo
  echo "go $(sed -n 's/^go \([0-9.]*\).*/\1/p' "$gomod")"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  for m in $replaces; do echo "replace $m => $m $staging"; done
} > go.mod

{
  echo "//go:build tools"
  echo
  echo "package tools"
  echo
  echo "import ("
  for c in $CMDS; do echo "	_ \"k8s.io/kubernetes/cmd/$c\""; done
  echo ")"
} > tools.go

log "go mod tidy for kubernetes $K8S_VERSION ($(echo $replaces | wc -w) staging modules)"
go mod tidy

major=1; minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.gitCommit=0000000000000000000000000000000000000000"
  ldflags="$ldflags -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

pkgs=""; for c in $todo; do pkgs="$pkgs k8s.io/kubernetes/cmd/$c"; done
log "building$todo (about 9 min on 2 cores the first time; see bench/results/lab.md)"
start=$(date +%s)
# Build aside and rename into place: a running lab keeps its (unlinked) old binaries.
out="$GAUNTLET_BIN/.k8s-build"; rm -rf "$out"; mkdir -p "$out"
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/" $pkgs
for c in $todo; do mv -f "$out/$c" "$GAUNTLET_BIN/$c"; mark_tool "$c" "$K8S_VERSION"; done
rmdir "$out"
log "kubernetes $K8S_VERSION built in $(( $(date +%s) - start )) s"
