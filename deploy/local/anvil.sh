#!/usr/bin/env bash
# anvil, the EVM node, from the npm package @foundry-rs/anvil (its binary ships inside).
# usage: anvil.sh install|start|stop|status
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
source "$here/lib.sh"

ANVIL_PORT="${ANVIL_PORT:-18545}"
root=$(repo_root)

anvil_bin() {
  local b
  for b in "$root"/node_modules/@foundry-rs/anvil-linux-*/bin/anvil "$root"/node_modules/@foundry-rs/anvil-darwin-*/bin/anvil; do
    [ -x "$b" ] && { echo "$b"; return 0; }
  done
  return 1
}

case "${1:-}" in
  install)
    anvil_bin >/dev/null || die "anvil is missing: run 'npm ci' at the repository root (it installs @foundry-rs/anvil)"
    ;;
  start)
    if [ -n "${CHAIN_RPC_URL:-}" ]; then log "CHAIN_RPC_URL is set: using $CHAIN_RPC_URL, not starting anvil"; write_env anvil "CHAIN_RPC_URL=$CHAIN_RPC_URL"; exit 0; fi
    bin=$(anvil_bin) || die "anvil is missing: run 'npm ci' at the repository root (it installs @foundry-rs/anvil)"
    if ! is_running anvil; then
      # --slots-in-an-epoch 1 makes `safe` = head-1 and `finalized` = head-2, which the
      # chain-indexer's finality handling needs; the default reports block 0 for both.
      # anvil keeps old states on disk under $HOME/.foundry/anvil/tmp and never removes them:
      # a HOME of its own in the run directory goes away with the stack's data.
      mkdir -p "$(run_dir)/anvil-home"
      start_bg anvil "$(run_dir)/anvil.log" env HOME="$(run_dir)/anvil-home" "$bin" --host 127.0.0.1 --port "$ANVIL_PORT" \
        --chain-id 31337 --slots-in-an-epoch 1 --accounts 20 --balance 100000 --silent
    fi
    wait_for "anvil on :$ANVIL_PORT" 30 curl -sf -X POST -H 'content-type: application/json' \
      --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "http://127.0.0.1:$ANVIL_PORT"
    write_env anvil "CHAIN_RPC_URL=http://127.0.0.1:$ANVIL_PORT"
    log "anvil listening on http://127.0.0.1:$ANVIL_PORT (chain id 31337)"
    ;;
  stop)
    stop_bg anvil
    drop_env anvil
    ;;
  status)
    is_running anvil && echo "anvil: running on :$ANVIL_PORT" || echo "anvil: stopped"
    ;;
  *) die "usage: $0 install|start|stop|status" ;;
esac
