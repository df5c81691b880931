#!/usr/bin/env bash
# Start a throw-away PostgreSQL on 127.0.0.1 for the SQL export tests and export RULEX_PG_DSN.
# Source it (". .ci/postgres.sh") from .ci/run. Idempotent: installs Debian's postgresql when
# missing, reuses a server this script already started (same data dir and port), else creates a
# fresh cluster in a temporary data dir owned by the "postgres" user (the server refuses to run
# as root), a test database and a password user. Nothing listens beyond 127.0.0.1.
RULEX_PG_PORT=${RULEX_PG_PORT:-54329}
RULEX_PG_DATA=${RULEX_PG_DATA:-/tmp/rulex-pg-$RULEX_PG_PORT}
RULEX_PG_USER=${RULEX_PG_USER:-rulex}
RULEX_PG_PASSWORD=${RULEX_PG_PASSWORD:-rulex}
RULEX_PG_DB=${RULEX_PG_DB:-rulex_test}

_rulex_pg_start() {
  if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || { echo "no apt-get: install PostgreSQL yourself" >&2; return 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  local as=()
  if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
  if ! "${as[@]}" "$bin/pg_ctl" -D "$RULEX_PG_DATA" status >/dev/null 2>&1; then
    if [ ! -s "$RULEX_PG_DATA/PG_VERSION" ]; then
      mkdir -p "$RULEX_PG_DATA"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$RULEX_PG_DATA"
      "${as[@]}" "$bin/initdb" -D "$RULEX_PG_DATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null || return 1
    fi
    "${as[@]}" "$bin/pg_ctl" -D "$RULEX_PG_DATA" -l "$RULEX_PG_DATA/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $RULEX_PG_PORT -k $RULEX_PG_DATA" start >/dev/null || return 1
  fi
  local psql=("${as[@]}" "$bin/psql" -h 127.0.0.1 -p "$RULEX_PG_PORT" -U postgres -qAt -v ON_ERROR_STOP=1)
  "${psql[@]}" -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$RULEX_PG_USER'" | grep -q 1 \
    || "${psql[@]}" -d postgres -c "CREATE ROLE \"$RULEX_PG_USER\" LOGIN PASSWORD '$RULEX_PG_PASSWORD'" || return 1
  "${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$RULEX_PG_DB'" | grep -q 1 \
    || "${psql[@]}" -d postgres -c "CREATE DATABASE \"$RULEX_PG_DB\" OWNER \"$RULEX_PG_USER\"" || return 1
}

if _rulex_pg_start; then
  export RULEX_PG_DSN="host=127.0.0.1 port=$RULEX_PG_PORT dbname=$RULEX_PG_DB user=$RULEX_PG_USER password=$RULEX_PG_PASSWORD"
  echo "PostgreSQL for the tests: $RULEX_PG_DSN"
else
  echo "warning: could not start PostgreSQL; the PostgreSQL tests will say so (and fail under CI=true)" >&2
fi
