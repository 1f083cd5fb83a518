#!/usr/bin/env bash
# The whole local stack: Postgres, Kafka, anvil and one Kubernetes control plane per region.
# usage: stack.sh up|down|status|install|clean [component...]
#   components: postgres kafka anvil k8s (default: all, started in that order, stopped in reverse)
# Endpoints are written to $STARMINER_RUN/stack.env (default /tmp/starminer-run/stack.env).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
source "$here/lib.sh"

script_of() {
  case "$1" in
    postgres) echo "$here/postgres.sh" ;;
    kafka) echo "$here/kafka.sh" ;;
    anvil) echo "$here/anvil.sh" ;;
    k8s) echo "$here/k8s/cluster.sh" ;;
    *) die "unknown component '$1' (known: postgres kafka anvil k8s)" ;;
  esac
}

cmd=${1:-}; shift || true
components=("$@")
[ ${#components[@]} -gt 0 ] || components=(postgres kafka anvil k8s)
for c in "${components[@]}"; do script_of "$c" >/dev/null; done
reversed=(); for ((i=${#components[@]}-1; i>=0; i--)); do reversed+=("${components[$i]}"); done

case "$cmd" in
  install)
    for c in "${components[@]}"; do bash "$(script_of "$c")" install; done
    ;;
  up)
    for c in "${components[@]}"; do bash "$(script_of "$c")" start; done
    echo
    echo "StarMiner local stack is up. Endpoints ($(run_dir)/stack.env):"
    # The Kafka admin password stays in the file (mode 600), not on the terminal.
    sed -E 's/^(KAFKA_PASSWORD=).*/\1(hidden: see the file)/; s/^/  /' "$(run_dir)/stack.env"
    ;;
  down)
    # Services first: they hold connections to everything below them.
    [ $# -gt 0 ] || bash "$here/services.sh" stop
    for c in "${reversed[@]}"; do bash "$(script_of "$c")" stop; done
    log "local stack stopped"
    ;;
  status)
    for c in "${components[@]}"; do bash "$(script_of "$c")" status; done
    ;;
  clean)
    bash "$here/services.sh" stop
    for c in "${reversed[@]}"; do bash "$(script_of "$c")" stop; done
    rm -rf "$(run_dir)"
    log "local stack stopped and its data removed ($(run_dir))"
    ;;
  *) die "usage: $0 up|down|status|install|clean [postgres|kafka|anvil|k8s ...]" ;;
esac
