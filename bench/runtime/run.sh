#!/usr/bin/env bash
# Container lifecycle latency and density: Berth's in-process library API, berth-runtime,
# runc and crun, side by side in one run (issue 2). Prints medians and ratios and writes
# bench/results/runtime-<date>.{json,md}.
#
# Usage: bench/runtime/run.sh [runs]   (default 30 runs per latency case, 5 per density case)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNS=${1:-30}
DENSITY=${BERTH_BENCH_DENSITY:-50}

# Every runtime must stay beneath this session's own cgroup (DESIGN.md), but crun reads a
# relative cgroupsPath from the hierarchy root, and refuses this host's hybrid layout: the whole
# run happens in scripts/in-private-cgroups.sh, where all four runtimes see a cgroup made for
# the run as "/".
if [ -z "${BERTH_BENCH_NS:-}" ]; then
  exec env BERTH_BENCH_NS=1 "$repo/scripts/in-private-cgroups.sh" "$0" "$@"
fi

for t in hyperfine runc crun busybox; do command -v $t >/dev/null || { echo "bench: $t is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }; done
[ -x "$repo/libs/runtime/native/build/berth-shim" ] || { echo "bench: build first (npm run build)" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-bench-XXXXXX)
cleanup() {
  for rt in runc crun; do
    for id in $($rt --root "$work/$rt-root" list -q 2>/dev/null); do $rt --root "$work/$rt-root" delete -f "$id" >/dev/null 2>&1 || true; done
  done
  for id in $("$repo/bin/berth-runtime" --root "$work/berth-root" list -q 2>/dev/null); do "$repo/bin/berth-runtime" --root "$work/berth-root" delete -f "$id" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The floor for any Node.js CLI: starting node on an empty script (as bin/berth-runtime does).
: > "$work/empty.cjs"
node "$here/make-bundle.mjs" "$work/bundle" true
node "$here/make-bundle.mjs" "$work/sleep" sleep 3600
# Write the new bundles back before measuring: their writeback would otherwise run during the
# first cases (it made the in-process numbers, measured first, 30-50% slower than later ones).
sync

B="$repo/bin/berth-runtime --root $work/berth-root"
R="runc --root $work/runc-root"
C="crun --root $work/crun-root"
out="$repo/bench/results"
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

echo "== run of /bin/true to exit ($RUNS runs each)"
node "$repo/bench/runtime/inprocess.mjs" run "$work/bundle" "$work/berth-lib-root" "$RUNS" > "$work/lib-run.json"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$work/run.json" \
  -n berth-runtime "$B run --bundle $work/bundle bench" \
  -n runc "$R run --bundle $work/bundle bench" \
  -n crun "$C run --bundle $work/bundle bench" \
  -n "node start-up alone (floor)" "env -u NODE_EXTRA_CA_CERTS node $work/empty.cjs"

echo "== create + start + delete ($RUNS runs each)"
node "$repo/bench/runtime/inprocess.mjs" lifecycle "$work/bundle" "$work/berth-lib-root" "$RUNS" > "$work/lib-lifecycle.json"
hyperfine --warmup 3 --runs "$RUNS" --export-json "$work/lifecycle.json" \
  -n berth-runtime "$B create --bundle $work/bundle b && $B start b && $B delete -f b" \
  -n runc "$R create --bundle $work/bundle b && $R start b && $R delete -f b" \
  -n crun "$C create --bundle $work/bundle b && $C start b && $C delete -f b" \
  -n "3 node start-ups (floor)" "env -u NODE_EXTRA_CA_CERTS node $work/empty.cjs && env -u NODE_EXTRA_CA_CERTS node $work/empty.cjs && env -u NODE_EXTRA_CA_CERTS node $work/empty.cjs"

echo "== density: $DENSITY detached sleep containers (5 runs each)"
node "$repo/bench/runtime/inprocess.mjs" density "$work/sleep" "$work/berth-lib-root" 5 "$DENSITY" > "$work/lib-density.json"
many() { echo "for i in \$(seq 1 $DENSITY); do $1 run -d --bundle $work/sleep d\$i >/dev/null 2>&1 </dev/null; done"; }
clean() { echo "for i in \$(seq 1 $DENSITY); do $1 delete -f d\$i >/dev/null 2>&1; done; true"; }
hyperfine --runs 5 --export-json "$work/density.json" \
  --prepare "$(clean "$B")" -n berth-runtime "$(many "$B")" \
  --prepare "$(clean "$R")" -n runc "$(many "$R")" \
  --prepare "$(clean "$C")" -n crun "$(many "$C")"

# Shim resident cost: start DENSITY detached containers with berth-runtime and sum the shims' RSS.
eval "$(clean "$B")"
eval "$(many "$B")"
node "$repo/bench/runtime/shim-rss.mjs" "$work/berth-root" > "$work/rss.json"
eval "$(clean "$B")"

node "$repo/bench/runtime/report.mjs" "$work" "$out/runtime-$stamp"
