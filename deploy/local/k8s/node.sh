#!/usr/bin/env bash
# Adds or removes one simulated GPU node at runtime: a node operator joining or leaving.
# usage: node.sh add <region> <pool> <index>     (a node of a pool in deploy/local/gpu-nodes.yaml)
#        node.sh remove <region> <node-name>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../versions.env"
source "$here/../lib.sh"

kubeconfig="$(run_dir)/kubeconfig/${2:-}.yaml"
kubectl="$(k8s_bin_dir)/kubectl"
case "${1:-}" in
  add)
    [ $# -eq 4 ] || die "usage: $0 add <region> <pool> <index>"
    [ -f "$kubeconfig" ] || die "region '$2' is not running (no $kubeconfig): start the stack with 'make up'"
    manifest=$(node "$here/gpu-nodes.js" node "$2" "$3" "$4") || exit 2
    "$kubectl" --kubeconfig "$kubeconfig" apply -f - <<<"$manifest"
    name="$2-$3-$4"
    wait_for "node $name to be Ready" 60 bash -c \
      "'$kubectl' --kubeconfig '$kubeconfig' get node '$name' -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
    log "node $name joined region $2"
    ;;
  remove)
    [ $# -eq 3 ] || die "usage: $0 remove <region> <node-name>"
    [ -f "$kubeconfig" ] || die "region '$2' is not running (no $kubeconfig)"
    "$kubectl" --kubeconfig "$kubeconfig" delete node "$3" --wait=true
    log "node $3 left region $2"
    ;;
  *) die "usage: $0 add <region> <pool> <index> | remove <region> <node-name>" ;;
esac
