#!/usr/bin/env bash
# One real Kubernetes control plane per region (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) with GPU nodes simulated by kwok, run as local processes through kwokctl.
# usage: cluster.sh install|start|stop|status
#        cluster.sh stop-region <region> | start-region <region>   (fault tests: an API server down)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../versions.env"
source "$here/../lib.sh"

root=$(repo_root)
bin=$(k8s_bin_dir)
export KWOK_WORKDIR="$(run_dir)/kwok"
# kwokctl would otherwise use (or download) a kubectl of its own choosing.
export KWOK_KUBECTL_BINARY="$bin/kubectl"
kubeconfigs="$(run_dir)/kubeconfig"
REGIONS_FILE="${REGIONS_FILE:-$root/config/regions.yaml}"
API_PORT_BASE="${K8S_API_PORT_BASE:-16443}"

regions() {
  if [ -n "${STARMINER_REGIONS:-}" ]; then tr ',' '\n' <<<"$STARMINER_REGIONS"; return; fi
  node -e "
    const YAML = require('$root/node_modules/yaml');
    const f = YAML.parse(require('fs').readFileSync('$REGIONS_FILE', 'utf8'));
    for (const r of f.regions) console.log(r.name);
  " || die "cannot read regions from $REGIONS_FILE"
}

kubectl_for() { "$bin/kubectl" --kubeconfig "$kubeconfigs/$1.yaml" "${@:2}"; }
env_key() { echo "KUBECONFIG_$(echo "$1" | tr 'a-z-' 'A-Z_')"; }
cluster_exists() { [ -f "$KWOK_WORKDIR/clusters/$1/kwok.yaml" ]; }

# Processes of one region's cluster: every one runs with its cluster directory in its arguments.
region_pids() { pgrep -f -- "$KWOK_WORKDIR/clusters/$1/" || true; }
wait_region_gone() {
  local r=$1 i
  for i in $(seq 1 100); do [ -z "$(region_pids "$r")" ] && return 0; sleep 0.1; done
  region_pids "$r" | xargs -r kill -KILL 2>/dev/null || true
}

start_region() {
  local r=$1 port=$2
  mkdir -p "$kubeconfigs"
  if cluster_exists "$r"; then
    if [ -z "$(region_pids "$r")" ]; then
      log "starting cluster $r"
      "$bin/kwokctl" start cluster --name "$r" --wait 120s >>"$(run_dir)/kwokctl.log" 2>&1 \
        || die "cluster $r did not start: see $(run_dir)/kwokctl.log and $KWOK_WORKDIR/clusters/$r/logs"
    fi
  else
    log "creating cluster $r (kube-apiserver on 127.0.0.1:$port)"
    # QPS limits of the scheduler and controller-manager are lifted (--disable-qps-limits):
    # their defaults (50 and 20 QPS) would cap job throughput on simulated nodes.
    "$bin/kwokctl" create cluster --name "$r" --runtime binary \
      --kube-apiserver-port "$port" \
      --etcd-binary "$bin/etcd" --kube-apiserver-binary "$bin/kube-apiserver" \
      --kube-controller-manager-binary "$bin/kube-controller-manager" \
      --kube-scheduler-binary "$bin/kube-scheduler" --kwok-controller-binary "$bin/kwok" \
      --kubeconfig "$kubeconfigs/.kwokctl-merged.yaml" \
      -c "$here/stages.yaml" --disable-qps-limits --wait 120s >>"$(run_dir)/kwokctl.log" 2>&1 \
      || die "cluster $r could not be created: see $(run_dir)/kwokctl.log"
  fi
  cp "$KWOK_WORKDIR/clusters/$r/kubeconfig.yaml" "$kubeconfigs/$r.yaml"
  wait_for "kube-apiserver of $r" 60 kubectl_for "$r" get --raw /readyz
  node "$here/gpu-nodes.js" region "$r" | kubectl_for "$r" apply -f - >/dev/null \
    || die "could not create the GPU nodes of $r"
}

case "${1:-}" in
  install) bash "$here/build.sh" ;;
  start)
    bash "$here/build.sh"
    i=0; names=(); envs=(); pairs=()
    for r in $(regions); do
      start_region "$r" $((API_PORT_BASE + i))
      names+=("$r"); envs+=("$(env_key "$r")=$kubeconfigs/$r.yaml"); pairs+=("$r=$kubeconfigs/$r.yaml")
      i=$((i + 1))
    done
    for r in "${names[@]}"; do
      wait_for "GPU nodes of $r to be Ready" 120 bash -c \
        "! '$bin/kubectl' --kubeconfig '$kubeconfigs/$r.yaml' get nodes --no-headers | grep -v ' Ready '"
      log "region $r: $(kubectl_for "$r" get nodes --no-headers | wc -l) GPU nodes Ready, kubeconfig $kubeconfigs/$r.yaml"
    done
    write_env k8s "STARMINER_REGIONS=$(IFS=,; echo "${names[*]}")" "REGIONS_FILE=$REGIONS_FILE" \
      "KUBECTL=$bin/kubectl" "KUBE_REGIONS=$(IFS=,; echo "${pairs[*]}")" "${envs[@]}"
    ;;
  stop)
    for r in $(regions); do
      if cluster_exists "$r"; then
        "$bin/kwokctl" delete cluster --name "$r" >>"$(run_dir)/kwokctl.log" 2>&1 || true
      fi
      wait_region_gone "$r"
      rm -f "$kubeconfigs/$r.yaml"
    done
    drop_env k8s
    ;;
  stop-region)
    [ -n "${2:-}" ] || die "usage: $0 stop-region <region>"
    "$bin/kwokctl" stop cluster --name "$2" >>"$(run_dir)/kwokctl.log" 2>&1 || die "no cluster $2"
    wait_region_gone "$2"
    ;;
  start-region)
    [ -n "${2:-}" ] || die "usage: $0 start-region <region>"
    cluster_exists "$2" || die "no cluster $2: run '$0 start' first"
    "$bin/kwokctl" start cluster --name "$2" --wait 120s >>"$(run_dir)/kwokctl.log" 2>&1 || die "cluster $2 did not start"
    wait_for "kube-apiserver of $2" 60 kubectl_for "$2" get --raw /readyz
    ;;
  status)
    for r in $(regions); do
      if [ -n "$(region_pids "$r")" ]; then
        echo "k8s $r: running ($(kubectl_for "$r" get nodes --no-headers 2>/dev/null | wc -l) nodes)"
      else echo "k8s $r: stopped"; fi
    done
    ;;
  *) die "usage: $0 install|start|stop|status|stop-region <r>|start-region <r>" ;;
esac
