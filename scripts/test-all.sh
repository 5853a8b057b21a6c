#!/usr/bin/env bash
# Installs everything the tests need, starts the services they use (a private PostgreSQL on
# loopback; the tests start their own registries), and runs every test. This is the README's
# test command and what CI runs (.ci/run). Extra arguments filter test files by substring.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
npm run --silent proto:check
# Lint (Nx module boundaries included) fails the run like a failing test.
npm run --silent lint
BERTH_TEST_DATABASE_URL=$(scripts/start-postgres.sh)
export BERTH_TEST_DATABASE_URL
trap 'scripts/start-postgres.sh --stop || true' EXIT
node scripts/run-tests.mjs "$@"
