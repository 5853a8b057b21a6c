#!/usr/bin/env bash
# Image pull and unpack benchmark (issue 3): a generated multi-layer image (>= 200 MB of random
# data in 5 layers, built with umoci, pushed with skopeo to Debian's docker-registry on
# 127.0.0.1) pulled by Berth vs `skopeo copy`, and unpacked by Berth vs `umoci unpack`.
# Starts and stops its own registry, removes everything it made, writes
# bench/results/images-<stamp>.{md,json} and prints the table.
#
# Usage: bench/images/run.sh [runs]   (default 5; needs root for umoci unpack ownership and
# overlay snapshots, and a build: npx tsc -b tsconfig.build.json)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNS=${1:-5}
LAYERS=${BERTH_BENCH_LAYERS:-5}
BIG_FILES=${BERTH_BENCH_BIG_FILES:-4}
BIG_MIB=${BERTH_BENCH_BIG_MIB:-10}
SMALL_FILES=${BERTH_BENCH_SMALL_FILES:-1000}

for t in docker-registry skopeo umoci node; do command -v $t >/dev/null || { echo "bench: $t is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }; done
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
[ -f "$repo/libs/runtime/dist/index.js" ] || { echo "bench: build first (npx tsc -b tsconfig.build.json)" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-bench-images-XXXXXX)
reg_pid=
cleanup() {
  if [ -n "$reg_pid" ]; then kill "$reg_pid" 2>/dev/null || true; wait "$reg_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cat > "$work/registry.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/v2/" >/dev/null || { echo "bench: registry did not start: $(cat "$work/registry.log")" >&2; exit 1; }

echo "== generating $LAYERS layers ($BIG_FILES x $BIG_MIB MiB + $SMALL_FILES x 2 KiB random files each)"
layout="$work/layout"
umoci init --layout "$layout"
umoci new --image "$layout:bench"
for i in $(seq "$LAYERS"); do
  rm -rf "$work/bundle"
  umoci unpack --image "$layout:bench" "$work/bundle" >/dev/null
  node "$here/gen-layers.mjs" "$work/bundle/rootfs/layer-$i" "$BIG_FILES" "$BIG_MIB" "$SMALL_FILES"
  umoci repack --image "$layout:bench" "$work/bundle"
done
rm -rf "$work/bundle"
skopeo copy --quiet --dest-tls-verify=false "oci:$layout:bench" "docker://127.0.0.1:$port/bench/big:1"
rm -rf "$layout"

echo "== pull and unpack, $RUNS runs each"
mkdir -p "$work/runs"
(cd "$repo" && node "$here/bench.mjs" "127.0.0.1:$port" bench/big:1 "$work/runs" "$RUNS") > "$work/result.json"

out="$repo/bench/results"
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
node "$here/report.mjs" "$work/result.json" "$out/images-$stamp"
echo "wrote $out/images-$stamp.md and .json"
