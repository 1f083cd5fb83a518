# Shared helpers for the deploy/local scripts (sourced, not run).
STARMINER_CACHE="${STARMINER_CACHE:-$HOME/.cache/starminer}"
STARMINER_RUN="${STARMINER_RUN:-${TMPDIR:-/tmp}/starminer-run}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
cache_dir() { mkdir -p "$STARMINER_CACHE"; echo "$STARMINER_CACHE"; }
run_dir() { mkdir -p "$STARMINER_RUN"; echo "$STARMINER_RUN"; }
k8s_bin_dir() { echo "$(cache_dir)/k8s/v${K8S_VERSION}-etcd${ETCD_VERSION}-kwok${KWOK_VERSION}/bin"; }

# need CMD HOW: fail with what is missing and how to get it.
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed. Install: $2"; }

repo_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); }

# Endpoints of the running stack: each component writes env.d/<name>.env; stack.env joins them.
write_env() {
  local name=$1; shift
  mkdir -p "$(run_dir)/env.d"
  printf '%s\n' "$@" >"$(run_dir)/env.d/$name.env"
  cat "$(run_dir)"/env.d/*.env >"$(run_dir)/stack.env"
}
drop_env() {
  rm -f "$(run_dir)/env.d/$1.env"
  if ls "$(run_dir)"/env.d/*.env >/dev/null 2>&1; then cat "$(run_dir)"/env.d/*.env >"$(run_dir)/stack.env"; else rm -f "$(run_dir)/stack.env"; fi
}

pid_file() { echo "$(run_dir)/$1.pid"; }
is_running() { local f; f=$(pid_file "$1"); [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

# start_bg NAME LOGFILE CMD...: run CMD detached in its own process group, remember its pid.
start_bg() {
  local name=$1 logf=$2; shift 2
  setsid "$@" >>"$logf" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
}

# stop_bg NAME: TERM the process group, wait, then KILL what is left.
stop_bg() {
  local name=$1 f pid i
  f=$(pid_file "$name")
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# wait_for DESCRIPTION TIMEOUT_S CMD...: poll CMD until it succeeds.
wait_for() {
  local what=$1 timeout=$2 i; shift 2
  for i in $(seq 1 $((timeout * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "$what did not become healthy within ${timeout}s"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Every fixed port of the stack sits below 32768, outside Linux's ephemeral range
# (32768-60999), so an outgoing connection can never be holding it when a component starts.
