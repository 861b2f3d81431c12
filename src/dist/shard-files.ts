// Names of ZeRO-1 optimizer shard files in a checkpoint folder (written by src/dist/sharded-adamw.ts,
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
