#!/usr/bin/env bash
# The StarMiner services, built (npm run build) and run as background processes against the
# local stack. Each gets the stack's endpoints (stack.env) and the deployments file, lives in the
# Kafka namespace STARMINER_TOPIC_PREFIX (default demo.) and authenticates as its own principal
# (User:<service>, password from stack.env's KAFKA_PRINCIPALS_FILE), whose ACLs for that
# namespace are created first, as the admin (kafka/acls.js). Without a principals file (an
# external broker given without one) every service uses stack.env's Kafka credentials, if any.
# With the whole set it also runs a block ticker: anvil mines only when a transaction arrives, so
# without it a deposit would never gather the confirmations the chain-indexer waits for
# (CHAIN_BLOCK_SECONDS, default 1; 0 turns it off).
# usage: services.sh start|stop|status [service...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
source "$here/lib.sh"

root=$(repo_root)
all=(chain-indexer registry pricing reputation matchmaker spillover gateway)
cmd=${1:-}; shift || true
names=("$@"); whole=$([ ${#names[@]} -eq 0 ] && echo yes || echo no)
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
block_seconds=${CHAIN_BLOCK_SECONDS:-1}

http_port() {
  case "$1" in
    gateway) echo 8080 ;; matchmaker) echo 8081 ;; pricing) echo 8082 ;; registry) echo 8083 ;;
    reputation) echo 8084 ;; spillover) echo 8085 ;; chain-indexer) echo 8086 ;;
    *) die "unknown service '$1' (known: ${all[*]})" ;;
  esac
}
for s in "${names[@]}"; do http_port "$s" >/dev/null; done

ready() { curl -sf "http://127.0.0.1:$1/readyz" >/dev/null; }

topic_prefix=${STARMINER_TOPIC_PREFIX:-demo.}
stack_var() { sed -n "s/^$1=//p" "$(run_dir)/stack.env" | tail -1; }
# The Kafka principal of service $1: exports its credentials (never on a command line).
export_kafka_principal() {
  local file
  file=$(stack_var KAFKA_PRINCIPALS_FILE)
  export KAFKA_TOPIC_PREFIX="$topic_prefix" KAFKA_SASL_MECHANISM KAFKA_USERNAME KAFKA_PASSWORD
  KAFKA_SASL_MECHANISM=$(stack_var KAFKA_SASL_MECHANISM)
  if [ -n "$file" ]; then
    KAFKA_USERNAME=$1
    KAFKA_PASSWORD=$(grep -E "^$1=" "$file" | head -1 | cut -d= -f2-)
    [ -n "$KAFKA_PASSWORD" ] || die "$file holds no password for Kafka principal '$1'"
  else
    KAFKA_USERNAME=$(stack_var KAFKA_USERNAME)
    KAFKA_PASSWORD=$(stack_var KAFKA_PASSWORD)
  fi
}
# The ACLs of the started services in the namespace, created as the admin (idempotent).
ensure_kafka_acls() {
  [ -n "$(stack_var KAFKA_PRINCIPALS_FILE)" ] || {
    log "no KAFKA_PRINCIPALS_FILE in stack.env: not provisioning Kafka ACLs for '$topic_prefix'"
    return 0
  }
  (
    export KAFKA_BROKERS KAFKA_SASL_MECHANISM KAFKA_USERNAME KAFKA_PASSWORD
    KAFKA_BROKERS=$(stack_var KAFKA_BROKERS) KAFKA_SASL_MECHANISM=$(stack_var KAFKA_SASL_MECHANISM)
    KAFKA_USERNAME=$(stack_var KAFKA_USERNAME) KAFKA_PASSWORD=$(stack_var KAFKA_PASSWORD)
    node "$here/kafka/acls.js" ensure "$topic_prefix" "$@"
  ) || die "could not create the Kafka ACLs of '$topic_prefix' (as $(stack_var KAFKA_USERNAME))"
}

case "$cmd" in
  start)
    [ -f "$(run_dir)/stack.env" ] || die "the local stack is not running: start it with 'make up'"
    mkdir -p "$(run_dir)/logs"
    for s in "${names[@]}"; do
      main="$root/services/$s/dist/main.js"
      [ -f "$main" ] || die "$main is missing: build first with 'npm run build'"
    done
    ensure_kafka_acls "${names[@]}"
    for s in "${names[@]}"; do
      main="$root/services/$s/dist/main.js"
      if is_running "svc-$s"; then continue; fi
      # stack.env's variables (but the admin's Kafka credentials) plus the deployments file, and
      # the service's own Kafka principal and namespace, exported into the service's environment.
      (
        export_kafka_principal "$s"
        start_bg "svc-$s" "$(run_dir)/logs/$s.log" env $(grep -E '^[A-Z0-9_]+=' "$(run_dir)/stack.env" \
          | grep -vE '^KAFKA_(SASL_MECHANISM|USERNAME|PASSWORD|PRINCIPALS_FILE|TOPIC_PREFIX)=' | xargs) \
          DEPLOYMENTS_FILE="$(run_dir)/deployments.json" node "$main"
      )
    done
    if [ "$whole" = yes ] && [ "$block_seconds" != 0 ] && ! is_running chain-ticker; then
      rpc=$(grep -E '^CHAIN_RPC_URL=' "$(run_dir)/stack.env" | cut -d= -f2-)
      start_bg chain-ticker "$(run_dir)/logs/chain-ticker.log" bash -c \
        "while true; do curl -sf -o /dev/null -X POST -H 'content-type: application/json' --data '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"evm_mine\",\"params\":[]}' '$rpc'; sleep $block_seconds; done"
      log "chain-ticker mines a block every ${block_seconds}s on $rpc"
    fi
    for s in "${names[@]}"; do
      port=$(http_port "$s")
      wait_for "service $s (http://127.0.0.1:$port/readyz; log $(run_dir)/logs/$s.log)" 90 ready "$port"
      log "$s ready on http://127.0.0.1:$port"
    done
    ;;
  stop)
    for s in "${names[@]}"; do stop_bg "svc-$s"; done
    [ "$whole" = no ] || stop_bg chain-ticker
    ;;
  status)
    for s in "${names[@]}"; do
      port=$(http_port "$s")
      if is_running "svc-$s"; then
        if ready "$port"; then echo "$s: ready on :$port"; else echo "$s: running, not ready (:$port/readyz)"; fi
      else echo "$s: stopped"; fi
    done
    if is_running chain-ticker; then echo "chain-ticker: running"; else echo "chain-ticker: stopped"; fi
    ;;
  *) die "usage: $0 start|stop|status [service...]" ;;
esac
