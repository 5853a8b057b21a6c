#!/usr/bin/env bash
# Quick start: installs Berth on this host (as root) and starts the whole system on its embedded
# defaults: berth-console with its embedded database (PGlite) and an agent on this host.
# Prints where to go. Safe to run again: it restarts what it started before.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
./scripts/install-deps.sh

run=/run/berth
logs=/var/log/berth
mkdir -p "$run" "$logs" /var/lib/berth-console /var/lib/berth

stop() {
  local f=$run/$1.pid
  if [ -f "$f" ]; then
    local pid; pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null && grep -q "$2" "/proc/$pid/cmdline" 2>/dev/null; then
      kill "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$f"
  fi
}
wait_http() {
  for _ in $(seq 1 100); do
    if node -e "fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$1"; then return 0; fi
    sleep 0.2
  done
  return 1
}

CONSOLE_LISTEN=${BERTH_CONSOLE_LISTEN:-127.0.0.1:8080}
AGENT_LISTEN=${BERTH_AGENT_LISTEN:-127.0.0.1:9101}

if [ -x bin/berth-console ] && [ -f apps/console/dist/main.js ]; then
  stop console apps/console
  nohup bin/berth-console --data-dir /var/lib/berth-console --listen "$CONSOLE_LISTEN" >>"$logs/console.log" 2>&1 &
  echo $! > "$run/console.pid"
  wait_http "http://$CONSOLE_LISTEN/healthz" || { echo "berth-console did not become healthy; see $logs/console.log" >&2; exit 1; }
fi

stop agent apps/agent
nohup bin/berth-agent --listen "$AGENT_LISTEN" >>"$logs/agent.log" 2>&1 &
echo $! > "$run/agent.pid"
wait_http "http://$AGENT_LISTEN/healthz" || { echo "berth-agent did not become healthy; see $logs/agent.log" >&2; exit 1; }

cat <<EOT

Berth is running on this host.
  Console API:      http://$CONSOLE_LISTEN/api/docs   (OpenAPI: http://$CONSOLE_LISTEN/api/openapi.json)
                    first-start admin password: grep -i password $logs/console.log
  Agent metrics:    http://$AGENT_LISTEN/metrics
  CLI:              $repo/bin/berth login --server http://$CONSOLE_LISTEN --username admin
  Runtime CLIs:     $repo/bin/berth-runtime --help    $repo/bin/berth-node --help
  Logs:             $logs/   PIDs: $run/
  Stop:             kill \$(cat $run/*.pid)
EOT
