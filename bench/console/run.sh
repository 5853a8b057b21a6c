#!/usr/bin/env bash
# berth-console benchmarks: starts a console (embedded PGlite in a temp dir, or a fresh database
# on the PostgreSQL server of BERTH_TEST_DATABASE_URL when set) in its own process on loopback,
# runs bench.ts (2,000 simulated agents in a child process, REST load, propagation of a
# 1,000-assignment change, console RSS), writes bench/results/console-<stamp>.{md,json} and
# stops everything. Bounded: the whole run is killed after 9 minutes.
#   bench/console/run.sh [--agents N] [--assignments M] [--rest-clients C] [--rest-seconds S]
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
cd "$root"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="bench/results/console-$stamp"
tmp="$(mktemp -d /tmp/berth-console-bench.XXXXXX)"
console_pid=""
dbname=""
export BERTH_ADMIN_PASSWORD="bench-$(od -An -tx8 -N8 /dev/urandom | tr -d ' ')"

pg() { # pg <sql>: runs one statement on the maintenance database of BERTH_TEST_DATABASE_URL
  node -e 'const pg=require("pg");const c=new pg.Client(process.argv[1]);c.connect().then(()=>c.query(process.argv[2])).then(()=>c.end(),e=>{console.error(e.message);process.exit(1)})' "$BERTH_TEST_DATABASE_URL" "$1"
}
cleanup() {
  if [ -n "$console_pid" ] && kill -0 "$console_pid" 2>/dev/null; then
    kill -TERM "$console_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$console_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$console_pid" 2>/dev/null || true
  fi
  if [ -n "$dbname" ]; then pg "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" || echo "bench: failed to drop database $dbname" >&2; fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
http_port="$(free_port)"
grpc_port="$(free_port)"
while [ "$grpc_port" = "$http_port" ]; do grpc_port="$(free_port)"; done

npx tsc -b apps/console
db_args=()
database=pglite
if [ -n "${BERTH_TEST_DATABASE_URL:-}" ]; then
  dbname="berth_bench_$(date +%s)_$$"
  pg "CREATE DATABASE $dbname"
  db_url="$(node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.toString())' "$BERTH_TEST_DATABASE_URL" "$dbname")"
  db_args=(--database-url "$db_url")
  database=postgresql
fi

bin/berth-console --data-dir "$tmp/data" --listen "127.0.0.1:$http_port" --grpc-listen "127.0.0.1:$grpc_port" --log-level warn "${db_args[@]}" >"$tmp/console.log" 2>&1 &
console_pid=$!
for _ in $(seq 600); do
  if curl -fsS "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1; then break; fi
  kill -0 "$console_pid" 2>/dev/null || { echo "bench: the console exited:" >&2; cat "$tmp/console.log" >&2; exit 1; }
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$http_port/readyz" >/dev/null || { echo "bench: the console is not ready after 60 s" >&2; exit 1; }

mkdir -p bench/results
timeout 540 npx tsx bench/console/bench.ts --url "http://127.0.0.1:$http_port" --grpc "127.0.0.1:$grpc_port" \
  --data-dir "$tmp/data" --pid "$console_pid" --out "$out" --database "$database" "$@"
if grep -q '"level":[56]0' "$tmp/console.log"; then
  echo "bench: console logged errors (count, message):" >&2
  grep '"level":[56]0' "$tmp/console.log" | grep -o '"msg":"[^"]*"' | sort | uniq -c | sort -rn | head -10 >&2
  grep '"level":[56]0' "$tmp/console.log" | grep -o 'Transaction API error: [^.]*\.' | sort | uniq -c | head -5 >&2 || true
fi
echo "bench: wrote $out.md and $out.json"
