// `rlvr plan`: what a GRPO run needs in device memory, and the micro-batch token budget,
// activation checkpointing and rollout KV budget that make it fit (src/plan/). Reads only the
// model's config.json: no weights, no GPU needed. `rlvr train` makes the same plan.
//
//   rlvr plan --model DIR [--config RUN.json] [--device-memory 80GB] [--json]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveComputeDtype } from '../engine/precision.js';
import { readConfig } from '../model/checkpoint.js';
import { LOSS_PRESETS, PAPER_GRPO_CONFIG, type GRPOConfig } from '../rl/config.js';
import { formatPlan, parseBytes, planMemory } from '../plan/plan.js';
import { CliError, intOption, parseArgs } from './args.js';
import { parseOverrides } from './train.js';

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
  let file: { model?: string; device?: string; preset?: string; grpo?: Partial<GRPOConfig> } = {};
  if (typeof options.config === 'string') {
    if (!fs.existsSync(options.config)) throw new CliError(`no such file: ${options.config}`);
    try {
      file = JSON.parse(fs.readFileSync(options.config, 'utf8'));
    } catch (e) {
      throw new CliError(`${options.config}: not valid JSON (${(e as Error).message})`);
    }
    if (file.model && !path.isAbsolute(file.model)) file.model = path.resolve(path.dirname(path.resolve(options.config)), file.model);
  }
  const modelDir = typeof options.model === 'string' ? options.model : file.model;
  if (!modelDir) throw new CliError(`--model is required\n${USAGE}`);
  let model;
  try {
    model = readConfig(modelDir);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const preset = typeof options.preset === 'string' ? options.preset : file.preset ?? 'full';
  if (!LOSS_PRESETS[preset]) throw new CliError(`unknown --preset '${preset}' (known: ${Object.keys(LOSS_PRESETS).join(', ')})`);
  const config: GRPOConfig = { ...PAPER_GRPO_CONFIG, ...LOSS_PRESETS[preset], ...file.grpo, ...parseOverrides(typeof options.set === 'string' ? options.set : '') };
  const device = typeof options.device === 'string' ? options.device : file.device ?? 'cuda';

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
  const plan = planMemory({
    model, deviceBytes, computeDtype: resolveComputeDtype(config.computeDtype, device),
    trainBatchSize: config.trainBatchSize, groupSize: config.groupSize, maxPromptLength: config.maxPromptLength,
    maxResponseLength: config.maxResponseLength, klCoef: config.klCoef,
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
