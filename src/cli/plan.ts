// `rlvr plan`: what a GRPO run needs in device memory, and the micro-batch token budget,
// activation checkpointing and rollout KV budget that make it fit (src/memory-plan/). Reads only the
// model's config.json: no weights, no GPU needed. `rlvr train` makes the same plan.
//
//   rlvr plan --model DIR [--config RUN.json] [--device-memory 80GB] [--nproc N [--nnodes M]] [--set zeroStage=1] [--json]
//
// With --nproc/--nnodes every number is per GPU of the data-parallel run (src/memory-plan/plan.ts).
import * as path from 'node:path';
import { resolveComputeDtype } from '../engine/precision.js';
import { readConfig } from '../model/checkpoint.js';
import { fmt, formatPlan, parseBytes, planRun } from '../memory-plan/plan.js';
import { CliError, intOption, parseArgs } from './args.js';
import { RunConfigBuilder } from '../run/run-config.js';
import { isAccelerator } from '../engine/device.js';

const USAGE = 'usage: rlvr plan --model DIR [--config RUN.json] [--device-memory 80GB] [--nproc N [--nnodes M]] [--set zeroStage=1] [--json]';
const OPTIONS = {
  model: { type: 'string', help: 'HF model folder (only config.json is read)' },
  config: { type: 'string', help: 'run description (JSON, as for rlvr train): its grpo settings, preset and device' },
  'device-memory': { type: 'string', help: 'device memory, e.g. 80GB or 75GiB (default: the visible CUDA device, else 80GB)' },
  device: { type: 'string', help: "device the run will use (default: the run file's, else cuda)" },
  preset: { type: 'string', help: 'loss variant, as for rlvr train' },
  set: { type: 'string', help: 'GRPO overrides, comma-separated key=value, as for rlvr train' },
  'prompt-tokens': { type: 'string', help: 'prompt length for the KV estimate (default maxPromptLength)' },
  'mean-response': { type: 'string', help: 'typical mean response length (default maxResponseLength / 4)' },
  nproc: { type: 'string', help: 'GPUs (data-parallel ranks) per node, as for rlvr train --nproc (default 1)' },
  nnodes: { type: 'string', help: 'nodes, as for rlvr train --nnodes (default 1); world size = nproc × nnodes' },
  'lora-rank': { type: 'string', help: 'plan LoRA adapters of this rank (as rlvr train --lora-rank; targets from the run file, default every linear layer)' },
  json: { type: 'boolean', help: 'print the plan as JSON' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { options } = parseArgs(argv, OPTIONS, USAGE);
  // The run file, --preset and --set go through rlvr train's schema (model and data optional here).
  const b = typeof options.config === 'string' ? RunConfigBuilder.fromFile(options.config) : RunConfigBuilder.fromObject({}, 'flags');
  if (typeof options.model === 'string') b.set(['model'], path.resolve(options.model), '--model');
  if (typeof options.preset === 'string') b.set(['preset'], options.preset, '--preset');
  if (typeof options.device === 'string') b.set(['device'], options.device, '--device');
  if (typeof options.set === 'string') b.applySets(options.set);
  if (typeof options['lora-rank'] === 'string') b.set(['lora', 'rank'], options['lora-rank'], '--lora-rank');
  const { run: rc, grpo: config } = b.buildWithGRPO({ partial: true });
  const modelDir = rc.model;
  if (!modelDir) throw new CliError(`--model is required\n${USAGE}`);
  let model;
  try {
    model = readConfig(modelDir);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const device = rc.device ?? 'cuda';

  let deviceBytes: number;
  let note = '';
  if (typeof options['device-memory'] === 'string') {
    try {
      deviceBytes = parseBytes(options['device-memory']);
    } catch (e) {
      throw new CliError(`--device-memory: ${(e as Error).message}`);
    }
  } else {
    deviceBytes = await visibleDeviceBytes(device);
    if (deviceBytes === 0) {
      deviceBytes = 80e9;
      note = `(no ${device} device visible here: planned for 80 GB; give --device-memory)`;
    }
  }
  const worldSize = intOption(options.nproc, 'nproc', 1) * intOption(options.nnodes, 'nnodes', 1);
  const extra = {
    promptTokens: options['prompt-tokens'] !== undefined ? intOption(options['prompt-tokens'], 'prompt-tokens', 0) : undefined,
    meanResponseTokens: options['mean-response'] !== undefined ? intOption(options['mean-response'], 'mean-response', 0) : undefined,
  };
  const computeDtype = resolveComputeDtype(config.computeDtype, device);
  const lora = rc.lora ? { rank: rc.lora.rank, targetModules: rc.lora.targetModules } : undefined;
  const plan = planRun(model, config, device, deviceBytes, computeDtype, { ...extra, worldSize, lora });
  // Not fitting: the smallest data-parallel ZeRO-1 run of this device size that would.
  const hint = plan.fits
    ? null
    : ([2, 4, 8, 16, 32, 64].find(
        (n) => n > worldSize && planRun(model, { ...config, zeroStage: 1 }, device, deviceBytes, computeDtype, { ...extra, worldSize: n, lora }).fits,
      ) ?? null);
  // What every rank keeps whole however many there are (no parameter sharding here): the floor.
  const replicated = plan.weights + plan.gradients + plan.castCopy + plan.reference + plan.critic + plan.margin;
  const hintLine = plan.fits
    ? null
    : hint !== null
      ? `it fits on ${hint} such GPUs: --nproc ${hint} --set zeroStage=1`
      : replicated > deviceBytes
        ? `no number of such GPUs fits it: every rank keeps ${fmt(replicated)} whole (float32 weights and gradients, the bf16 cast, the reference, the margin); that needs parameter sharding (FSDP / ZeRO-3), which rlvr does not have`
        : null;
  if (options.json) {
    console.log(
      JSON.stringify(
        {
          model: modelDir,
          device,
          ...plan,
          kv: { ...plan.kv, worstCaseWaves: Number.isFinite(plan.kv.worstCaseWaves) ? plan.kv.worstCaseWaves : null },
          fitsWith: hint,
          hint: hintLine,
        },
        null,
        2,
      ),
    );
  } else {
    if (note) console.log(note);
    console.log(
      `${modelDir}: ${config.trainBatchSize} prompts × ${config.groupSize} rollouts, prompts ≤ ${config.maxPromptLength}, responses ≤ ${config.maxResponseLength} tokens` +
        (worldSize > 1 ? `, over ${worldSize} GPUs` : ''),
    );
    console.log(formatPlan(plan));
    if (hintLine) console.log(hintLine);
  }
  return plan.fits ? 0 : 3;
}

/** Total memory of the accelerator named (0 on CPU or when none is visible): the one memory query, loaded only for accelerators. */
async function visibleDeviceBytes(device: string): Promise<number> {
  if (!isAccelerator(device)) return 0;
  const { deviceMemoryBytes } = await import('../engine/device-memory.js');
  return deviceMemoryBytes(device, 'total');
}
