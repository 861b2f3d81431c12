// `rlvr plan` and `rlvr train` share this: what a GRPO run needs in device memory, and the
// micro-batch token budget, activation checkpointing and rollout KV budget that make it fit.
//
// Phases do not overlap in time, so the peak is the larger of
//   rollout:  weights + AdamW state + bf16 cast + reference + KV cache + sampling workspace
//             (gradients are freed after each optimizer step: zeroGrad sets them to none);
//   update:   weights + gradients + AdamW state + bf16 cast + reference + activations of one
//             micro-batch + one LM-head chunk.
// A margin (5% of the device, at least 2 GB) covers the CUDA context, kernels' workspaces and
// allocator fragmentation.
//
// On CPU (host memory, shared with the rest of the machine) the trainer plans with what is
// available (MemAvailable + what the process holds; src/engine/device-memory.ts), micro-batches
// are capped at a cache-friendly size (src/engine/device.ts), and the KV budget is at most the
// step's worst case: RAM the rollouts cannot use is not claimed.
//
// Data parallel over N ranks (rlvr train --nproc N; src/distributed/): every number is per GPU. Each rank
// holds full float32 weights and gradients (gradients are all-reduced, not sharded), its share
// of the groups (ceil(trainBatchSize / N) prompts × groupSize rollouts: KV cache and sampling
// workspace shrink), and micro-batches of the same token budget. With ZeRO-1 (grpo.zeroStage 1,
// src/distributed/sharded-adamw.ts) a rank keeps AdamW state only for the parameters it owns: the
// largest shard of src/distributed/partition.ts (whole tensors, so not exactly P / N). Collectives pack
// tensors into flat buckets (src/distributed/process-group.ts): one bucket is counted in the update phase
// of a run over more than one rank (the gradient all-reduce, then ZeRO-1's parameter broadcast).
//
// LoRA (src/model/lora.ts): the base is frozen, so gradients and AdamW state exist for the
// adapters only (L parameters); the weights are the base plus the adapters; there is no reference
// copy (the reference is the base with the adapters off). Activations are counted as for full
// fine-tuning (the adapters' rank-r intermediates are negligible next to them).
import type { ModelConfig } from '../model/config.js';
import { parameterShapes } from '../model/transformer.js';
import { loraParameterCount, loraTensorSizes, type LoraTarget } from '../model/lora-targets.js';
import { shardSizes } from '../distributed/partition.js';
import { estimatorOf } from '../algorithms/registry.js';
import { deviceCaps } from '../engine/device.js';
import { activationBytes, headWorkspaceBytes, kvBytesPerToken, parameterCount, samplingWorkspaceBytes } from './memory.js';

export interface PlanInputs {
  model: ModelConfig;
  /** Bytes of device memory. */
  deviceBytes: number;
  /** The dtype matmuls run in (resolved: float32 | bfloat16 | float16). */
  computeDtype: 'float32' | 'bfloat16' | 'float16';
  trainBatchSize: number;
  groupSize: number;
  maxPromptLength: number;
  maxResponseLength: number;
  /** > 0 keeps a frozen reference model. */
  klCoef: number;
  /** > 0 (the KL in the reward: PPO, RLOO presets) keeps the frozen reference model too. */
  klRewardCoef?: number;
  /** PPO's critic (advantageEstimator 'gae'): a float32 copy of the decoder with its AdamW state, resident. */
  critic?: boolean;
  /** Fixed by the user; undefined = the plan picks. */
  microBatchTokens?: number;
  activationCheckpointing?: boolean;
  kvBudgetBytes?: number;
  /** Largest micro-batch the plan picks. Default 32768 (beyond it bigger matmuls gain little on a GPU). */
  maxMicroBatchTokens?: number;
  /**
   * Host memory (CPU): the KV budget is at most the worst case of the step (every row at the
   * response limit), so the plan never claims shared RAM the rollouts cannot use. Default false.
   */
  hostMemory?: boolean;
  /** Tokens of each prompt for the KV estimate. Default maxPromptLength (the worst case). */
  promptTokens?: number;
  /** Mean response length of a typical step. Default maxResponseLength / 4 (issue 9's measured mix: ~750 of 3072). */
  meanResponseTokens?: number;
  /** Data-parallel ranks (GPUs) the run is split over. Default 1. */
  worldSize?: number;
  /** 1 = ZeRO-1: AdamW state sharded over the ranks. Default 0 (every rank holds all of it). */
  zeroStage?: number;
  /** LoRA adapters: only they train (gradients, AdamW state), and the reference is the base. Default none. */
  lora?: { rank: number; targetModules: readonly LoraTarget[] };
}

export interface MemoryPlan {
  parameters: number;
  /** Parameters that train (gradients, AdamW state): the adapters under LoRA, else all. */
  trainableParameters: number;
  /** The LoRA rank, or null (full fine-tuning). */
  loraRank: number | null;
  deviceBytes: number;
  computeDtype: string;
  /** Resident during the whole run. */
  weights: number;
  /** Resident during updates only. */
  gradients: number;
  optimizer: number;
  /** bf16 cast of the weights (autocast cache) during rollouts and updates; 0 in float32. */
  castCopy: number;
  reference: number;
  /** PPO's critic: float32 weights + AdamW state (its gradients live only during its own update, before the actor's). */
  critic: number;
  margin: number;
  /** Data-parallel ranks; every byte count here is per rank (GPU). */
  worldSize: number;
  zeroStage: number;
  /** Parameters whose AdamW state this rank holds (the largest shard with ZeRO-1; all without). */
  optimizerParameters: number;
  /** One collective's flat bucket (gradient all-reduce, ZeRO-1 broadcast) in the update phase; 0 in one process. */
  commBucket: number;
  kv: {
    bytesPerToken: number;
    rows: number;
    promptTokens: number;
    meanResponseTokens: number;
    /** Live KV at the end of a typical step if every row were admitted at once. */
    typicalPeak: number;
    /** Every row at maxResponseLength. */
    worstPeak: number;
    /** What the rollout engine may hold at once (rows are admitted in waves under it). */
    budget: number;
    /** Waves the worst case needs under the budget (1 = all rows at once). */
    worstCaseWaves: number;
    samplingWorkspace: number;
  };
  training: {
    microBatchTokens: number;
    activationCheckpointing: boolean;
    activationBytesPerToken: number;
    activations: number;
    headWorkspace: number;
  };
  rolloutPeak: number;
  updatePeak: number;
  fits: boolean;
  /** Why it does not fit (empty when it does). */
  problems: string[];
}

const GB = 1e9;
/** Bytes of one flat collective bucket: DEFAULT_BUCKET_BYTES of src/distributed/process-group.ts (a test keeps them equal). */
export const COMM_BUCKET_BYTES = 32 * 1024 * 1024;
const MAX_MICRO_BATCH_TOKENS = 32768;
const STEP = 1024;

export function planMemory(x: PlanInputs): MemoryPlan {
  const cfg = x.model;
  const P = parameterCount(cfg);
  const c = x.computeDtype === 'float32' ? 4 : 2;
  const worldSize = x.worldSize ?? 1;
  const zeroStage = x.zeroStage ?? 0;
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`worldSize must be a positive integer, got ${worldSize}`);
  if (zeroStage !== 0 && zeroStage !== 1) throw new Error(`zeroStage must be 0 or 1, got ${zeroStage}`);
  // LoRA: L adapter parameters train; the P base parameters are frozen.
  const L = x.lora ? loraParameterCount(cfg, x.lora.rank, x.lora.targetModules) : 0;
  const T = x.lora ? L : P;
  const numels = x.lora ? loraTensorSizes(cfg, x.lora.rank, x.lora.targetModules) : [...parameterShapes(cfg).values()].map((s) => s.reduce((a, b) => a * b, 1));
  const optimizerParameters = zeroStage === 1 ? Math.max(...shardSizes(numels, worldSize)) : T;
  const weights = 4 * (P + L);
  const gradients = 4 * T;
  const optimizer = 8 * optimizerParameters;
  const commBucket = worldSize > 1 ? COMM_BUCKET_BYTES : 0;
  const castCopy = c < 4 ? c * (P + L) : 0;
  const reference = !x.lora && (x.klCoef > 0 || (x.klRewardCoef ?? 0) > 0) ? c * P : 0;
  const critic = x.critic ? 12 * P : 0;
  const margin = Math.max(2 * GB, 0.05 * x.deviceBytes);

  // ---- update phase: pick the largest micro-batch that fits, without checkpointing if possible ----
  const staticUpdate = weights + gradients + optimizer + castCopy + reference + critic + commBucket;
  const headWorkspace = headWorkspaceBytes(cfg);
  const longest = x.maxPromptLength + x.maxResponseLength;
  const minTokens = Math.ceil(longest / STEP) * STEP; // one longest sequence must fit
  const room = x.deviceBytes - margin - staticUpdate - headWorkspace;
  const fitsTokens = (ckpt: boolean) => Math.floor(room / activationBytes(cfg, 1, c, ckpt));
  let ckpt = x.activationCheckpointing ?? false;
  let mbt = x.microBatchTokens ?? 0;
  if (x.microBatchTokens === undefined) {
    const fitSteps = (ck: boolean) => Math.floor(fitsTokens(ck) / STEP) * STEP;
    const pick = (ck: boolean) => Math.min(x.maxMicroBatchTokens ?? MAX_MICRO_BATCH_TOKENS, fitSteps(ck));
    // Checkpointing only when memory (not the cap) keeps one longest sequence out.
    if (x.activationCheckpointing === undefined) {
      ckpt = fitSteps(false) < minTokens;
    }
    mbt = Math.max(minTokens, pick(ckpt));
  } else if (x.activationCheckpointing === undefined) {
    ckpt = fitsTokens(false) < mbt;
  }
  const activations = activationBytes(cfg, mbt, c, ckpt);
  const updatePeak = staticUpdate + activations + headWorkspace + margin;

  // ---- rollout phase: the KV budget is what is left ----
  // Groups are split over the ranks, never a group: the busiest rank has ceil(B / N) prompts.
  const prompts = Math.ceil(x.trainBatchSize / worldSize);
  const rows = prompts * x.groupSize;
  const promptTokens = x.promptTokens ?? x.maxPromptLength;
  const meanResponse = x.meanResponseTokens ?? Math.round(x.maxResponseLength / 4);
  const perToken = kvBytesPerToken(cfg, c);
  // Each distinct prompt's keys/values are stored once and shared by its samples.
  const promptKv = prompts * promptTokens * perToken;
  const typicalPeak = promptKv + rows * meanResponse * perToken;
  const worstPeak = promptKv + rows * x.maxResponseLength * perToken;
  const samplingWorkspace = samplingWorkspaceBytes(cfg, rows);
  const staticRollout = weights + optimizer + castCopy + reference + critic;
  const oneRow = (promptTokens + x.maxResponseLength) * perToken;
  const kvRoom = Math.max(0, x.deviceBytes - margin - staticRollout - samplingWorkspace);
  // Host memory: no more than the worst case (or the one-row minimum checked below, if larger).
  const budget = x.kvBudgetBytes ?? (x.hostMemory ? Math.min(kvRoom, Math.max(worstPeak, promptKv + oneRow)) : kvRoom);
  const worstCaseWaves = budget >= promptKv + oneRow ? Math.ceil((worstPeak - promptKv) / Math.max(1, budget - promptKv)) : Infinity;
  const rolloutPeak = staticRollout + Math.min(budget, worstPeak) + samplingWorkspace + margin;

  const problems: string[] = [];
  if (updatePeak > x.deviceBytes) {
    // Advice only where it would make the run fit: a shorter sequence helps only when the weights,
    // gradients and optimizer state leave room for one.
    const fixed = staticUpdate + headWorkspace + margin;
    // Micro-batches are whole STEPs of tokens: a length helps only when one STEP fits.
    const longestFitting = Math.floor(room / activationBytes(cfg, 1, c, true) / STEP) * STEP;
    const advice =
      fixed >= x.deviceBytes || longestFitting < STEP
        ? `: the weights, gradients and AdamW state alone need ${fmt(fixed)} (with the margin${fixed < x.deviceBytes ? `, leaving no room for a ${STEP}-token micro-batch` : ''}); no sequence length fits, only more memory or sharding will (--nproc N --set zeroStage=1 shards AdamW)`
        : mbt <= minTokens && ckpt
          ? `: even one longest sequence (${longest} tokens) with checkpointing does not fit; maxPromptLength + maxResponseLength ≤ ${Math.max(0, longestFitting)} tokens would, or a larger device`
          : '';
    problems.push(`update needs ${fmt(updatePeak)} (micro-batch ${mbt} tokens${ckpt ? ', checkpointed' : ''}) of ${fmt(x.deviceBytes)}${advice}`);
  }
  if (!Number.isFinite(worstCaseWaves)) {
    problems.push(
      `rollout KV budget ${fmt(budget)} holds less than the shared prompts plus one ${promptTokens + x.maxResponseLength}-token row (${fmt(promptKv + oneRow)})`,
    );
  }
  if (rolloutPeak > x.deviceBytes) problems.push(`rollout needs ${fmt(rolloutPeak)} of ${fmt(x.deviceBytes)}`);
  return {
    parameters: P,
    trainableParameters: T,
    loraRank: x.lora?.rank ?? null,
    deviceBytes: x.deviceBytes,
    computeDtype: x.computeDtype,
    weights,
    gradients,
    optimizer,
    castCopy,
    reference,
    critic,
    margin,
    worldSize,
    zeroStage,
    optimizerParameters,
    commBucket,
    kv: { bytesPerToken: perToken, rows, promptTokens, meanResponseTokens: meanResponse, typicalPeak, worstPeak, budget, worstCaseWaves, samplingWorkspace },
    training: {
      microBatchTokens: mbt,
      activationCheckpointing: ckpt,
      activationBytesPerToken: activationBytes(cfg, 1, c, ckpt),
      activations,
      headWorkspace,
    },
    rolloutPeak,
    updatePeak,
    fits: problems.length === 0,
    problems,
  };
}

export function fmt(bytes: number): string {
  return `${(bytes / GB).toFixed(2)} GB`;
}

/** "80GB", "80 GB", "80G", "75GiB", "8e10" → bytes (GB = 1e9, GiB = 2^30). */
export function parseBytes(text: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*(gib|gb|g|mib|mb|m|tb|t|b)?\s*$/i.exec(text);
  if (!m) throw new Error(`not a memory size: '${text}' (e.g. 80GB, 75GiB)`);
  const n = Number(m[1]);
  // A bare small number is a size in GB typed without its unit (24 → 24 bytes would plan nothing).
  if (m[2] === undefined && n < 1e6) throw new Error(`'${text.trim()}' has no unit: write ${text.trim()}GB or ${text.trim()}GiB`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const scale: Record<string, number> = { b: 1, m: 1e6, mb: 1e6, mib: 2 ** 20, g: 1e9, gb: 1e9, gib: 2 ** 30, t: 1e12, tb: 1e12 };
  return n * scale[unit]!;
}

/** The plan as aligned text lines (what `rlvr plan` prints). */
export function formatPlan(p: MemoryPlan): string {
  const row = (label: string, v: string, note = '') => `  ${label.padEnd(34)} ${v.padStart(10)}${note ? '  ' + note : ''}`;
  const lines = [
    `model: ${(p.parameters / 1e9).toFixed(3)}B parameters; compute ${p.computeDtype}, float32 master weights; device ${fmt(p.deviceBytes)}` +
      (p.worldSize > 1 ? `; per GPU of ${p.worldSize} (data parallel${p.zeroStage === 1 ? ', ZeRO-1' : ''})` : '') +
      (p.loraRank !== null ? `; LoRA rank ${p.loraRank}: ${(p.trainableParameters / 1e6).toFixed(2)}M trainable (adapters only)` : ''),
    row('weights (float32 master)', fmt(p.weights), p.loraRank !== null ? 'frozen base + adapters' : ''),
    row('gradients (float32)', fmt(p.gradients), p.loraRank !== null ? 'adapters only; update phase only' : 'update phase only'),
    row(
      'AdamW state (float32 m, v)',
      fmt(p.optimizer),
      p.zeroStage === 1 && p.worldSize > 1
        ? `ZeRO-1: this rank's ${(p.optimizerParameters / 1e9).toFixed(3)}B of ${(p.parameters / 1e9).toFixed(3)}B parameters`
        : '',
    ),
    ...(p.commBucket ? [row('collective bucket', fmt(p.commBucket), 'gradient all-reduce / ZeRO-1 broadcast')] : []),
    row('bf16 cast of the weights', fmt(p.castCopy), p.castCopy ? 'autocast cache (rollouts; each update)' : 'none in float32'),
    row(
      'reference model',
      fmt(p.reference),
      p.reference ? `frozen, ${p.computeDtype}` : p.loraRank !== null ? 'none (LoRA: the base with adapters off)' : 'none (klCoef 0)',
    ),
    row('critic (PPO)', fmt(p.critic), p.critic ? 'float32 weights + AdamW state' : 'none'),
    row(
      'KV cache, typical step',
      fmt(p.kv.typicalPeak),
      `${p.kv.rows} rows × ~${p.kv.meanResponseTokens} tokens + ${p.kv.promptTokens}-token prompts shared, ${p.kv.bytesPerToken} B/token`,
    ),
    row('KV cache, worst case', fmt(p.kv.worstPeak), `every row at the response limit`),
    row('KV budget (picked)', fmt(p.kv.budget), Number.isFinite(p.kv.worstCaseWaves) ? `worst case in ${p.kv.worstCaseWaves} wave(s)` : 'too small'),
    row('sampling workspace', fmt(p.kv.samplingWorkspace)),
    row(
      'activations per micro-batch',
      fmt(p.training.activations),
      `${p.training.microBatchTokens} tokens × ${(p.training.activationBytesPerToken / 1e6).toFixed(3)} MB${p.training.activationCheckpointing ? ', checkpointed' : ''}`,
    ),
    row('LM-head chunk workspace', fmt(p.training.headWorkspace)),
    row('margin (context, fragmentation)', fmt(p.margin)),
    row('peak during rollouts', fmt(p.rolloutPeak)),
    row('peak during updates', fmt(p.updatePeak)),
    `picked: microBatchTokens ${p.training.microBatchTokens}, activationCheckpointing ${p.training.activationCheckpointing}, KV budget ${fmt(p.kv.budget)}`,
    p.fits ? 'fits: yes' : `fits: NO\n${p.problems.map((s) => '  - ' + s).join('\n')}`,
  ];
  return lines.join('\n');
}

/** The GRPO settings the plan reads ('auto' = the plan picks). */
export interface PlanSettings {
  trainBatchSize: number;
  groupSize: number;
  maxPromptLength: number;
  maxResponseLength: number;
  klCoef: number;
  klRewardCoef?: number;
  advantageEstimator?: string;
  microBatchTokens: number | 'auto';
  activationCheckpointing: boolean | 'auto';
  kvBudgetBytes: number | 'auto';
  /** ZeRO stage: 0 or 1 (grpo.zeroStage). */
  zeroStage?: number;
}

/** The plan of a run with these settings on a device of deviceBytes (what rlvr plan and rlvr train both use). */
export function planRun(
  model: ModelConfig,
  settings: PlanSettings,
  device: string,
  deviceBytes: number,
  computeDtype: PlanInputs['computeDtype'],
  extra: Pick<PlanInputs, 'promptTokens' | 'meanResponseTokens' | 'worldSize' | 'lora'> = {},
): MemoryPlan {
  const auto = <T>(v: T | 'auto'): T | undefined => (v === 'auto' ? undefined : v);
  return planMemory({
    model,
    deviceBytes,
    computeDtype,
    trainBatchSize: settings.trainBatchSize,
    groupSize: settings.groupSize,
    maxPromptLength: settings.maxPromptLength,
    maxResponseLength: settings.maxResponseLength,
    klCoef: settings.klCoef,
    klRewardCoef: settings.klRewardCoef,
    critic: settings.advantageEstimator !== undefined && estimatorOf(settings.advantageEstimator).needs.critic,
    microBatchTokens: auto(settings.microBatchTokens),
    activationCheckpointing: auto(settings.activationCheckpointing),
    kvBudgetBytes: auto(settings.kvBudgetBytes),
    zeroStage: settings.zeroStage,
    // A CPU gains nothing from micro-batches beyond a cache-friendly size (src/engine/device.ts).
    maxMicroBatchTokens: deviceCaps(device).maxMicroBatchTokens,
    hostMemory: !deviceCaps(device).deviceMemory,
    ...extra,
  });
}
