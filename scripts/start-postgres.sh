#!/usr/bin/env bash
# Starts a private PostgreSQL 15 cluster for the console's tests (loopback only, trust auth,
# run as the postgres user) and prints its URL. Idempotent: a running cluster in the same
# directory is reused. Does not touch the system cluster (15/main).
#   url=$(scripts/start-postgres.sh)          # prints the URL
#   source scripts/start-postgres.sh          # also exports BERTH_TEST_DATABASE_URL
#   scripts/start-postgres.sh --stop          # stops it and removes its directory
# BERTH_PG_DIR overrides the cluster directory (default /tmp/berth-test-postgres).
set -euo pipefail

_berth_pg_main() {
  local dir="${BERTH_PG_DIR:-/tmp/berth-test-postgres}"
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
    echo "start-postgres: PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)" >&2
    return 1
  fi
  local as=()
  if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi

  if [ "${1:-}" = "--stop" ]; then
    if [ -f "$dir/data/postmaster.pid" ]; then "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
    rm -rf "$dir"
    return 0
  fi

  if [ -f "$dir/port" ] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
    return 0
  fi

  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      return 1
    }
  fi
  # A free loopback port, chosen by the kernel.
  local port
  port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -w -t 30 -l "$dir/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null || {
    cat "$dir/server.log" >&2
    return 1
  }
  echo "$port" >"$dir/port"
  echo "postgresql://postgres@127.0.0.1:$port/postgres"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: export the URL, do not leave errexit on in the caller's shell.
  set +e +u +o pipefail
  BERTH_TEST_DATABASE_URL="$(_berth_pg_main "$@")" && export BERTH_TEST_DATABASE_URL && echo "$BERTH_TEST_DATABASE_URL"
else
  _berth_pg_main "$@"
fi
