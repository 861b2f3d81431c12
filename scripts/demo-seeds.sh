#!/usr/bin/env bash
# The embedded demo for several seeds on this machine, one after another, each writing
# bench/results/demo-seed-S.json (machine, versions, commit, settings, curves, ablations).
# The built code is copied first (runs/seeds-code/) so that rebuilding the checkout while the
# batch runs (tens of minutes) changes nothing; snapshot.json pins the commit it was copied at.
# Then: node scripts/demo-seeds.mjs (aggregates the per-seed files into bench/results/demo-seeds.json).
#   usage: [SNAP=runs/seeds-code] scripts/demo-seeds.sh [SEED ...]   (default 0 1 2 3 4; from the repository root)
# Chains that run at the same time need their own SNAP folder.
set -euo pipefail
seeds=("$@"); [ ${#seeds[@]} -eq 0 ] && seeds=(0 1 2 3 4)
snap=${SNAP:-runs/seeds-code}
rm -rf "$snap"; mkdir -p "$snap"
cp -r dist package.json "$snap/"
ln -s "$PWD/build" "$snap/build"; ln -s "$PWD/src" "$snap/src"; ln -s "$PWD/node_modules" "$snap/node_modules"
dirty=false; [ -n "$(git status --porcelain --untracked-files=no)" ] && dirty=true
printf '{"commit": "%s", "dirty": %s}\n' "$(git rev-parse HEAD)" "$dirty" > "$snap/snapshot.json"
mkdir -p bench/results runs
for s in "${seeds[@]}"; do
  echo "seed $s: $(date -u +%H:%M:%S)"
  OMP_NUM_THREADS=1 nice -n 10 node "$snap/dist/src/cli/main.js" demo --seed "$s" --threads 1 --out "runs/demo-seeds/$s" \
    --results "bench/results/demo-seed-$s.json" --json > "runs/demo-seed-$s.log" 2>&1 || echo "seed $s failed (runs/demo-seed-$s.log)"
done
echo "done: $(date -u +%H:%M:%S)"
