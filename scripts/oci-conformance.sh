#!/usr/bin/env bash
# Runs the OCI runtime-tools validation suite (github.com/opencontainers/runtime-tools, the
# independent conformance tests) against berth-runtime, and optionally other runtimes for
# comparison, and prints ok / not ok counts per test and runtime. Not part of CI: the suite
# comes from GitHub and needs Go 1.21 or later (Debian 12: golang-1.22-go from
# bookworm-backports), neither of which CI can fetch.
#
# Usage: scripts/oci-conformance.sh RUNTIME_TOOLS_CHECKOUT [OTHER_RUNTIME...]
#   e.g. scripts/oci-conformance.sh ~/runtime-tools runc
# Results (TAP per test and runtime) go to $BERTH_CONFORMANCE_OUT (default /tmp/berth-oci-conformance).
#
# Every test runs in scripts/in-private-cgroups.sh: some create cgroups at absolute paths, and
# some give a container no mount namespace of its own.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tools=$(cd "${1:?usage: $0 RUNTIME_TOOLS_CHECKOUT [OTHER_RUNTIME...]}" && pwd)
shift
out=${BERTH_CONFORMANCE_OUT:-/tmp/berth-oci-conformance}

if [ -z "${BERTH_CONFORMANCE_NS:-}" ]; then
  command -v go >/dev/null || { echo "oci-conformance: go (1.21 or later) is not on PATH" >&2; exit 1; }
  (cd "$tools" && GOFLAGS=-mod=vendor GOTOOLCHAIN=local make -s runtimetest validation-executables >/dev/null)
  rm -rf "$out"
  exec env BERTH_CONFORMANCE_NS=1 "$repo/scripts/in-private-cgroups.sh" "$0" "$tools" "$@"
fi

runtimes=("$repo/bin/berth-runtime" "$@")
cd "$tools" # the tests find runtimetest and the rootfs tarball here
for rt in "${runtimes[@]}"; do
  name=$(basename "$rt")
  mkdir -p "$out/$name"
  for t in validation/*/*.t; do
    n=$(basename "$t" .t)
    rc=0
    RUNTIME=$rt timeout 120 "$t" > "$out/$name/$n.tap" 2> "$out/$name/$n.err" || rc=$?
    echo "# exit $rc" >> "$out/$name/$n.tap"
  done
done

printf '%-36s' test
for rt in "${runtimes[@]}"; do printf ' %22s' "$(basename "$rt") ok/not ok/exit"; done
echo
for f in "$out/$(basename "${runtimes[0]}")"/*.tap; do
  n=$(basename "$f" .tap)
  printf '%-36s' "$n"
  for rt in "${runtimes[@]}"; do
    t="$out/$(basename "$rt")/$n.tap"
    printf ' %22s' "$(grep -c '^ok' "$t")/$(grep -c '^not ok' "$t")/$(tail -1 "$t" | sed 's/# exit //')"
  done
  echo
done
