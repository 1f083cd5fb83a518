#!/usr/bin/env bash
# Builds the Kubernetes control-plane binaries, etcd, kwok and kwokctl from Go modules
# (through the Go module proxy) into a cache directory keyed by version. A second run
# with the same versions finds the binaries and returns at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../versions.env
source "$here/../versions.env"
source "$here/../lib.sh"

need go "Go ${GO_MIN_VERSION}+ (Debian: apt-get install golang, or https://go.dev/dl is not reachable here: use the machine's Go)"

out="$(k8s_bin_dir)"
mkdir -p "$out"
export CGO_ENABLED=0 GOFLAGS=-mod=mod
ldflags_k8s="-s -w -X k8s.io/component-base/version.gitVersion=v${K8S_VERSION} \
 -X k8s.io/component-base/version.gitMajor=${K8S_VERSION%%.*} \
 -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"

have_all=1
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl; do
  [ -x "$out/$b" ] || have_all=0
done
if [ "$have_all" = 1 ]; then
  log "kubernetes binaries v${K8S_VERSION}, etcd v${ETCD_VERSION}, kwok v${KWOK_VERSION} cached in $out"
  exit 0
fi

work="$(cache_dir)/k8s-build/k8s-${K8S_VERSION}"
mkdir -p "$work"
cd "$work"

# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces every staging repo
# with a local path. A small module that requires it and replaces each staging repo
# with its published v0.Y.Z twin builds the commands.
if [ ! -f go.mod ] || ! grep -q "etcd/server/v3 v${ETCD_VERSION}" go.mod; then
  log "preparing a tools module for k8s.io/kubernetes v${K8S_VERSION}"
  staging_minor="0.$(echo "$K8S_VERSION" | cut -d. -f2-)"
  go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" >/tmp/k8s-mod.json
  gomod=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' /tmp/k8s-mod.json)
  {
    echo "module starminer.local/k8s-tools"
    echo
    echo "go 1.26.0"
    echo
    echo "require ("
    echo "	k8s.io/kubernetes v${K8S_VERSION}"
    echo "	go.etcd.io/etcd/server/v3 v${ETCD_VERSION}"
    echo ")"
    echo
    grep -E '^\s*k8s.io/[^ ]+ => ./staging' "$gomod" | awk -v v="v${staging_minor}" '{print "replace " $1 " => " $1 " " v}'
  } >go.mod.tmp
  cat >tools.go <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	// etcd's own go.mod replaces its sibling modules with paths, so it cannot be
	// `go install`ed either; the version Kubernetes pins builds here.
	_ "go.etcd.io/etcd/server/v3"
)
EOF
  mv go.mod.tmp go.mod
  log "resolving modules (go mod tidy)"
  go mod tidy
fi

for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  if [ ! -x "$out/$b" ]; then
    log "building $b v${K8S_VERSION} (slow on a cold cache: several minutes each)"
    go build -trimpath -ldflags "$ldflags_k8s" -o "$out/$b.tmp" "k8s.io/kubernetes/cmd/$b"
    mv "$out/$b.tmp" "$out/$b"
  fi
done

if [ ! -x "$out/etcd" ]; then
  log "building etcd v${ETCD_VERSION}"
  go build -trimpath -ldflags "-s -w" -o "$out/etcd.tmp" "go.etcd.io/etcd/server/v3"
  mv "$out/etcd.tmp" "$out/etcd"
fi

for b in kwok kwokctl; do
  if [ ! -x "$out/$b" ]; then
    log "building $b v${KWOK_VERSION}"
    GOBIN="$out" go install -trimpath \
      -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v${KWOK_VERSION} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=v${K8S_VERSION}" \
      "sigs.k8s.io/kwok/cmd/$b@v${KWOK_VERSION}"
  fi
done
log "kubernetes binaries ready in $out"
