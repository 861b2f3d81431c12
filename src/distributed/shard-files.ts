// Names of ZeRO-1 optimizer shard files in a checkpoint folder (written by src/distributed/sharded-adamw.ts,
// checked by src/rl/checkpoints.ts). Pure file-name logic: no tensors.
import * as fs from 'node:fs';

/** The file of rank `rank`'s optimizer shard in a checkpoint folder. */
export function shardFileName(rank: number, worldSize: number): string {
  return `optimizer-rank${rank}-of-${worldSize}.safetensors`;
}

/** The world size whose shard files a checkpoint folder holds (null: none). */
export function shardWorldSize(dir: string): number | null {
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const m = /^optimizer-rank\d+-of-(\d+)\.safetensors$/.exec(f);
    if (m) return Number(m[1]);
  }
  return null;
}

/**
 * Why a checkpoint's optimizer state cannot be loaded whole (AdamW on every rank), or null: it
 * holds only ZeRO-1 shards, which need the same world size and zeroStage 1.
 */
export function shardedOnlyProblem(dir: string): string | null {
  const n = fs.existsSync(`${dir}/optimizer.safetensors`) ? null : shardWorldSize(dir);
  return n === null ? null : `${dir}: its optimizer state is sharded over ${n} ranks (ZeRO-1): resume with --nproc ${n} (× nodes) and zeroStage 1`;
}
