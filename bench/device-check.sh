#!/usr/bin/env bash
# The device check of issue 23, one script: the two-minute smoke check, then bench:gpu. Each
# section's JSON lands in $OUT as it finishes (gpu-smoke.json, gpu.json), with each program's log.
# The smoke check includes the sliding-window checks of issue 26 (sections varlen_window: the
# flash kernel's local mode = transformers' window mask; engine_window: a tiny Gemma 3 shape on the
# varlen layout with CUDA graphs, greedy tokens against the float32 reference sampler): a few
# seconds on a GPU, inside the smoke check's 150 s.
#
#   here:            bash ../shared/device/stage.sh
#   on the device:   bash .device/gpu.sh bash bench/device-check.sh
# (gpu.sh builds the addon against the machine's CUDA PyTorch first: with a CUDA libtorch a CUDA
# part that does not compile fails that build with one line, so a broken build stops here.)
set -uo pipefail
OUT=${OUT:-$(pwd)/bench/results/device}
export OUT
mkdir -p "$OUT"
npm run --silent build >&2 || { echo "device-check: TypeScript build failed" >&2; exit 1; }
node -e 'const a = require("./build/Release/rlvr_native.node"); console.log(JSON.stringify({ torch: a.torchVersion, hasCudaGraphs: a.hasCudaGraphs, hasNccl: a.hasNccl }))' | tee "$OUT/addon.json"
# The device tool allows 10 minutes a command and 15 a session, and the addon build comes first:
# the smoke check gets 150 s, bench:gpu 270 s, so the whole script stays under 8 minutes.
# The smoke check first (<= 2 minutes); bench:gpu runs even when a smoke section fails, so that one
# device session gives both, but the script's exit status reports the smoke failure.
timeout 150 node dist/bench/gpu-smoke.js 2>&1 | tee "$OUT/gpu-smoke.log"
smoke=${PIPESTATUS[0]}
timeout 270 node dist/bench/gpu.js 2>&1 | tee "$OUT/gpu.log"
gpu=${PIPESTATUS[0]}
echo "device-check: gpu-smoke exit $smoke, bench:gpu exit $gpu; JSON in $OUT" >&2
[ "$smoke" -eq 0 ] && [ "$gpu" -eq 0 ]
