#!/usr/bin/env bash
# Installs what Berth needs on a fresh Debian/Ubuntu host (as root): system packages, the npm
# workspace (npm ci) and the native shim. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential        # cc and make for the native shim
  runc crun              # peers for the runtime benchmarks
  busybox-static         # test rootfs and test images
  skopeo umoci           # independent image tools (cross-checks)
  docker-registry        # a real OCI distribution registry on loopback
  containernetworking-plugins iproute2 iptables
  hyperfine              # benchmarks
  postgresql             # the console's PostgreSQL tests
  prometheus             # promtool checks the agent's /metrics output
  openssl zstd file      # certificate cross-checks, zstd test layers, fixture checks
  python3                # seccomp kernel cross-check, htpasswd fixture
)

need=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "install-deps: apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund
fi

echo "install-deps: build"
npm run build --silent
