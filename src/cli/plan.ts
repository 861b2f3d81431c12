// `rlvr plan`: what a GRPO run needs in device memory, and the micro-batch token budget,
// activation checkpointing and rollout KV budget that make it fit (src/plan/). Reads only the
// model's config.json: no weights, no GPU needed. `rlvr train` makes the same plan.
//
//   rlvr plan --model DIR [--config RUN.json] [--device-memory 80GB] [--json]
import * as path from 'node:path';
import { resolveComputeDtype } from '../engine/precision.js';
import { readConfig } from '../model/checkpoint.js';
import { formatPlan, parseBytes, planRun } from '../plan/plan.js';
import { CliError, intOption, parseArgs } from './args.js';
import { RunConfigBuilder } from '../config/run-config.js';

const USAGE = 'usage: rlvr plan --model DIR [--config RUN.json] [--device-memory 80GB] [--json]';
const OPTIONS = {
  model: { type: 'string', help: 'HF model folder (only config.json is read)' },
  config: { type: 'string', help: 'run description (JSON, as for rlvr train): its grpo settings, preset and device' },
  'device-memory': { type: 'string', help: 'device memory, e.g. 80GB or 75GiB (default: the visible CUDA device, else 80GB)' },
  device: { type: 'string', help: 'device the run will use (default: the run file\'s, else cuda)' },
  preset: { type: 'string', help: 'loss variant, as for rlvr train' },
  set: { type: 'string', help: 'GRPO overrides, comma-separated key=value, as for rlvr train' },
  'prompt-tokens': { type: 'string', help: 'prompt length for the KV estimate (default maxPromptLength)' },
  'mean-response': { type: 'string', help: 'typical mean response length (default maxResponseLength / 4)' },
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
  const plan = planRun(model, config, device, deviceBytes, resolveComputeDtype(config.computeDtype, device), {
    promptTokens: options['prompt-tokens'] !== undefined ? intOption(options['prompt-tokens'], 'prompt-tokens', 0) : undefined,
    meanResponseTokens: options['mean-response'] !== undefined ? intOption(options['mean-response'], 'mean-response', 0) : undefined,
  });
  if (options.json) {
    console.log(JSON.stringify({ model: modelDir, device, ...plan, kv: { ...plan.kv, worstCaseWaves: Number.isFinite(plan.kv.worstCaseWaves) ? plan.kv.worstCaseWaves : null } }, null, 2));
  } else {
    if (note) console.log(note);
    console.log(`${modelDir}: ${config.trainBatchSize} prompts × ${config.groupSize} rollouts, prompts ≤ ${config.maxPromptLength}, responses ≤ ${config.maxResponseLength} tokens`);
    console.log(formatPlan(plan));
  }
  return plan.fits ? 0 : 3;
}

/** Total memory of the CUDA device named (0 when none is visible). Loads the addon only for CUDA. */
async function visibleDeviceBytes(device: string): Promise<number> {
  if (!device.startsWith('cuda')) return 0;
  const { cuda } = await import('../engine/index.js');
  return cuda.isAvailable() ? cuda.memoryStats(device).totalBytes : 0;
}
