#!/usr/bin/env bash
# Installs everything the tests need, starts the services they use, runs every test.
# This is the README's test command and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
exec node scripts/run-tests.mjs "$@"
