// The torchrun environment variables: how a rank learns who it is. `rlvr train --nproc N` sets
// them for the ranks it starts; a scheduler of one's own (Slurm, k8s) can set them instead and
// start `rlvr train` once per rank.
import { UserError } from '../errors.js';

export interface DistEnv {
  /** This process's rank among all ranks, 0..worldSize-1 (RANK). */
  rank: number;
  /** Number of ranks on all nodes (WORLD_SIZE). */
  worldSize: number;
  /** This process's rank on its node (LOCAL_RANK): picks its GPU. */
  localRank: number;
  /** Ranks on this node (LOCAL_WORLD_SIZE; default WORLD_SIZE). */
  localWorldSize: number;
  /** Address of rank 0's rendezvous store (MASTER_ADDR). */
  masterAddr: string;
  /** Port of the rendezvous store (MASTER_PORT). */
  masterPort: number;
  /** True when torchrun's agent hosts the store (TORCHELASTIC_USE_AGENT_STORE=True): rank 0 then connects as a client. */
  agentStore: boolean;
}

function int(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new UserError(`environment ${name}=${raw}: must be an integer >= ${min}`);
  return v;
}

/**
 * The distributed settings from torchrun's variables, or null when WORLD_SIZE is unset (a plain
 * single process). RANK must be below WORLD_SIZE; with more than one rank MASTER_ADDR and
 * MASTER_PORT are required (one rank needs no rendezvous).
 */
export function readDistEnv(env: NodeJS.ProcessEnv = process.env): DistEnv | null {
  const worldSize = int(env, 'WORLD_SIZE', 1);
  if (worldSize === undefined) return null;
  const rank = int(env, 'RANK', 0) ?? 0;
  if (rank >= worldSize) throw new UserError(`environment RANK=${rank} must be below WORLD_SIZE=${worldSize}`);
  const localRank = int(env, 'LOCAL_RANK', 0) ?? 0;
  const localWorldSize = int(env, 'LOCAL_WORLD_SIZE', 1) ?? worldSize;
  const masterAddr = env.MASTER_ADDR || '127.0.0.1';
  const masterPort = int(env, 'MASTER_PORT', 1);
  if (worldSize > 1 && (!env.MASTER_ADDR || masterPort === undefined)) {
    throw new UserError(`WORLD_SIZE=${worldSize} needs MASTER_ADDR and MASTER_PORT (the address of rank 0's rendezvous store)`);
  }
  if (masterPort !== undefined && masterPort > 65535) throw new UserError(`environment MASTER_PORT=${masterPort}: must be a port (1-65535)`);
  return { rank, worldSize, localRank, localWorldSize, masterAddr, masterPort: masterPort ?? 0, agentStore: env.TORCHELASTIC_USE_AGENT_STORE === 'True' };
}
