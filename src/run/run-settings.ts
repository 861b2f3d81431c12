// A run's settings, validated in one place: a new run (run file + flags, or the library's
// options) and a resumed one (its run_config.json with the changes given now: flags and --set,
// or the library's options). `rlvr train`, GRPOTrainer.fromPretrained and GRPOTrainer.resume
// all come through here, so the resume merge and the validation exist once.
//
// The layers are collected by RunConfigBuilder (src/run/run-config.ts, the one schema); this
// file decides which layers a run has and what a resume may change.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { show, UserError } from '../errors.js';
import type { GRPOConfig } from '../rl/config.js';
import type { TrainExample } from '../data/examples.js';
import { RunConfigBuilder, resolvePaths, type RunConfig, type RunConfigInput } from './run-config.js';
import type { EvalProblem } from '../eval/evaluate.js';
import type { Rewards } from '../tasks/reward.js';

/** The validated settings of a run: the run description, the complete GRPO config, its folder. */
export interface RunSettings {
  run: RunConfig;
  grpo: GRPOConfig;
  /** Absolute run folder (run.out, or runs/train-<time> when none was given). */
  runDir: string;
  /** Resuming: the settings changed now, `key: [before, after]` (recorded in run_config.json). */
  changes?: Record<string, [unknown, unknown]>;
}

/**
 * The run description for library use: the run file's fields (src/run/run-config.ts; all but
 * `data` optional, the GRPO settings default to the paper's, `task` to math) plus what only code can give.
 */
export interface PretrainedOptions extends Omit<RunConfigInput, 'model' | 'data' | 'validation' | 'resumes'> {
  /** Training data: a .parquet (verl layout) / .jsonl / .json file, or examples built in code. */
  data: string | TrainExample[];
  /** In-training greedy validation: a problems file (jsonl/parquet) or problems in code. */
  validation?: { data: string | EvalProblem[]; limit?: number; maxTokens?: number; batchSize?: number };
  /** Reward function(s). Default: the task's (math: the verifier, mathReward, in a 2-worker pool). */
  rewards?: Rewards;
}

/** The run file written into every run folder (what resume and `rlvr train --resume` read back). */
export const RUN_CONFIG_FILE = 'run_config.json';

/** Stands in for `data` in run_config.json when the examples were passed in code. */
export const IN_CODE = '(examples passed in code: resume with GRPOTrainer.resume(runDir, { data }))';

/** Validates the layers collected in `b`: the one place a run's settings are checked. */
export function settle(b: RunConfigBuilder): RunSettings {
  const { run, grpo } = b.buildWithGRPO();
  const runDir = path.resolve(run.out ?? path.join('runs', `train-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  return { run: { ...run, out: runDir }, grpo, runDir };
}

/** The library's options as run-file fields: paths against the cwd, code-only values left out. */
function libraryFields(opts: Partial<PretrainedOptions>): Record<string, unknown> {
  const { data, validation, rewards: _rewards, ...rest } = opts as Partial<PretrainedOptions> & Record<string, unknown>;
  for (const k of ['log', 'onStep', 'dataParallel']) delete rest[k];
  return resolvePaths(
    {
      ...rest,
      ...(typeof data === 'string' ? { data } : data !== undefined ? { data: IN_CODE } : {}),
      // Problems given in code are not part of the run description: their settings travel with them.
      ...(validation && typeof validation.data === 'string' ? { validation } : {}),
    },
    process.cwd(),
  );
}

/** A new run from the library's options (GRPOTrainer.fromPretrained). */
export function validateRunOptions(modelDir: string, opts: PretrainedOptions, label = 'GRPOTrainer.fromPretrained'): RunSettings {
  return settle(RunConfigBuilder.fromObject({ ...libraryFields(opts), model: path.resolve(modelDir) }, label));
}

/** One setting that defines the run and so cannot change on resume, as the user named it. */
export interface FixedSetting {
  /** Its path in the run description (e.g. ['model']). */
  path: readonly string[];
  /** How the user gave it (e.g. '--model'). */
  name: string;
}

/**
 * A resumed run: its run_config.json, then `changes` (flags and --set, or the library's options).
 * Settings in `fixed` that the change would alter are refused; every other change is returned in
 * `changes` and reported with `report`.
 */
export function resumeSettings(
  runDir: string,
  apply: (b: RunConfigBuilder) => void,
  opts: { fixed?: readonly FixedSetting[]; report?: (line: string) => void } = {},
): RunSettings {
  const dir = path.resolve(runDir);
  const saved = path.join(dir, RUN_CONFIG_FILE);
  if (!fs.existsSync(saved)) throw new UserError(`--resume: ${dir} has no ${RUN_CONFIG_FILE} (give the run's --out folder)`);
  const recorded = RunConfigBuilder.fromFile(saved);
  const before = settle(recorded.clone());
  const b = recorded.clone();
  apply(b);
  const after = settle(b);
  for (const f of opts.fixed ?? []) {
    if (JSON.stringify(b.get(f.path)) !== JSON.stringify(getAt(before.run, f.path))) {
      throw new UserError(
        `${f.name} cannot change when resuming (the run was started with ${show(getAt(before.run, f.path))}); start a new run with another --out`,
      );
    }
  }
  const changes: Record<string, [unknown, unknown]> = {};
  for (const [k, v] of Object.entries(after.grpo)) {
    const old = before.grpo[k as keyof GRPOConfig];
    if (JSON.stringify(old) !== JSON.stringify(v)) changes[`grpo.${k}`] = [old, v];
  }
  for (const k of ['device', 'dtype', 'threads', 'validation'] as const) {
    if (JSON.stringify(before.run[k]) !== JSON.stringify(after.run[k])) changes[k] = [before.run[k] ?? null, after.run[k] ?? null];
  }
  for (const [k, [a, c]] of Object.entries(changes)) opts.report?.(`resume changes ${k}: ${show(a)} → ${show(c)} (recorded in ${RUN_CONFIG_FILE})`);
  return { run: { ...after.run, out: dir }, grpo: after.grpo, runDir: dir, changes };
}

/** A resumed run from the library's options (GRPOTrainer.resume): what is given replaces what was recorded. */
export function resumeWithOptions(runDir: string, given: Partial<PretrainedOptions>): RunSettings {
  const fields = libraryFields(given);
  return resumeSettings(runDir, (b) => b.overlay(fields, 'GRPOTrainer.resume'));
}

function getAt(obj: unknown, p: readonly string[]): unknown {
  let o = obj;
  for (const k of p) o = typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined;
  return o;
}
