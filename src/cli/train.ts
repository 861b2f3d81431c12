// `rlvr train`: GRPO (1-shot RLVR) on a Hugging Face model folder.
//
//   rlvr train --model DIR --data ../shared/data/train/pi1_r128.parquet      (the paper's run)
//   rlvr train --config examples/pi1-qwen2.5-math-1.5b.json [--set lr=2e-6]
//   rlvr train --out RUN --resume [--steps N] [--set k=v] [--device D]       (continue a run)
//
// A run folder (--out) holds run_config.json (every setting, absolute paths), metrics.jsonl,
// accuracy_history.json and checkpoints/step-N (HF layout + optimizer state); --resume continues
// from the newest intact checkpoint. Settings: src/run/run-config.ts and src/rl/config.ts
// (`rlvr train --help-config` lists them).
//
// Everything that can be checked is checked before step 1: the settings, the output folder, the
// data, every prompt's length, the model files and their weights.
//
// {problem, answer} rows get the paper's answer-format suffix unless --prompt-suffix says
// otherwise (printed, with the first rendered prompt). SIGINT/SIGTERM finish the current step (a
// second one abandons it), write a checkpoint and print the command that resumes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { plural, UserError } from '../errors.js';
import { describeConfig, RUN_FLAGS, RunConfigBuilder } from '../run/run-config.js';
import { resumeSettings as resumeRunSettings, settle, type RunSettings } from '../run/run-settings.js';
import type { RunSummary } from '../rl/ablation.js';
import type { StepMetrics } from '../rl/trainer.js';
import { parseArgs, type OptionSpec } from './args.js';
import { applyThreads, threadsChoice } from './threads.js';

const USAGE = 'usage: rlvr train (--config FILE | --model DIR --data FILE) [options]   |   rlvr train --out RUN --resume [options]';
const OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string', help: 'run description (JSON, see --help-config); flags below override it' },
  ...Object.fromEntries(Object.entries(RUN_FLAGS).map(([k, f]) => [k, { type: 'string', help: f.help } as OptionSpec])),
  set: { type: 'string', help: 'GRPO settings, comma-separated key=value (e.g. lr=1e-6,groupSize=8,betas=0.9:0.99)' },
  resume: { type: 'boolean', help: 'continue the run in --out from its newest intact checkpoint' },
  'help-config': { type: 'boolean', help: 'list every setting with its default and source' },
};

/** Flags that cannot change when a run is resumed (they define the run); the rest are applied and recorded. */
const FIXED_ON_RESUME = ['model', 'data', 'preset'];

export async function run(argv: string[]): Promise<number> {
  const { options } = parseArgs(argv, OPTIONS, USAGE);
  const presets =
    typeof options.preset === 'string'
      ? options.preset
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : [];
  if (options['help-config']) {
    // With --preset X: the values that preset runs with (each preset of a list in turn).
    for (const p of presets.length > 0 ? presets : [undefined]) {
      console.log(`Run settings (--config file keys; GRPO settings also by --set name=value)${p ? `, preset ${p}` : ''}:\n${describeConfig(p)}`);
    }
    return 0;
  }
  const resume = options.resume === true;
  // --nproc N (or --nnodes): this process is the launcher; the N ranks run this same command
  // with WORLD_SIZE set, which makes them ranks (src/distributed/launch.ts).
  if (process.env.WORLD_SIZE === undefined) {
    const d = (resume ? resumeSettings(options, true) : newSettings({ ...options, preset: presets[0] ?? options.preset })).run.distributed;
    if (d.nproc > 1 || d.nnodes > 1) {
      const { launch } = await import('../distributed/launch.js');
      return launch({
        nproc: d.nproc,
        nnodes: d.nnodes,
        nodeRank: d.nodeRank,
        masterAddr: d.masterAddr,
        masterPort: d.masterPort,
        graceMs: d.graceSeconds * 1000,
        command: [process.execPath, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)],
      });
    }
  }
  if (presets.length > 1) return ablation(options, presets);
  return (await trainOnce(options)).exitCode ?? 0;
}

/**
 * `--preset A,B,C`: the variants one after another on the same data, seed and settings, each an
 * ordinary run folder --out/<preset>/, then comparison.md (table) and comparison.json (summary +
 * the run folders, for the dashboard's overlay view).
 */
async function ablation(options: Options, presets: string[]): Promise<number> {
  if (options.resume === true) throw new UserError("--resume continues one run: give the variant's folder (--out DIR/<preset>) without a preset list");
  const root = path.resolve(typeof options.out === 'string' ? options.out : path.join('runs', `ablation-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  // Every variant's settings are checked before the first one starts.
  for (const p of presets) newSettings({ ...options, preset: p, out: path.join(root, p) });
  const { readFinalOutcomes, summarizeRun, writeComparison } = await import('../rl/ablation.js');
  const rows: RunSummary[] = [];
  const meta = { presets, command: process.argv.slice(2).join(' ') };
  for (const p of presets) {
    console.error(`rlvr train: ablation ${rows.length + 1}/${presets.length}: preset ${p} → ${path.join(root, p)}`);
    const r = await trainOnce({ ...options, preset: p, out: path.join(root, p) });
    rows.push(summarizeRun(p, p, r.metrics, r.validation, r.seconds, readFinalOutcomes(path.join(root, p))));
    if (!process.env.RANK || process.env.RANK === '0') writeComparison(root, rows, meta); // data parallel: rank 0 writes
    if (r.exitCode !== undefined) return r.exitCode; // stopped by a signal: the comparison so far is written
  }
  console.log(writeComparison(root, rows, meta));
  console.log(`comparison: ${path.join(root, 'comparison.md')} and comparison.json; runs in ${root}/<preset>/`);
  return 0;
}

/** One run (new, or resumed with --resume): its metrics, validation points and wall time. */
async function trainOnce(
  options: Options,
): Promise<{ metrics: StepMetrics[]; validation: { step: number; accuracy: number; n?: number }[]; seconds: number; exitCode?: number }> {
  const started = performance.now();
  const resume = options.resume === true;
  const { readDistEnv } = await import('../distributed/env.js');
  const distEnv = readDistEnv();
  // In a data-parallel run only rank 0 talks (and writes); the others stay quiet unless they fail.
  const main = !distEnv || distEnv.rank === 0;
  const say = (line: string) => {
    if (main) console.error(line);
  };
  const settings = resume ? resumeSettings(options, !main) : newSettings(options);
  const { run: rc, grpo: config, runDir, changes } = settings;

  // ---- checks before any model work ----
  await applyThreads(threadsChoice(rc.threads));
  if (main) (await import('../rl/run-lock.js')).assertNotLocked(runDir);
  if (!resume && main) await checkNewRunFolder(runDir);
  checkWritable(runDir);

  const { GRPOTrainer, DivergenceError, latestCheckpoint } = await import('../rl/trainer.js');
  const checkpoint = resume ? latestCheckpoint(runDir, (line) => console.error(`rlvr train: ${line}`)) : null;
  if (resume && !checkpoint)
    throw new UserError(
      `--resume: ${runDir} has no complete checkpoint (the run stopped before its first one): nothing to continue; delete the folder (rm -r ${runDir}) and start the run again, or start it with another --out`,
    );

  // Data, validation problems, models, tokenizer, stop tokens, reward and validation: opened as
  // the library opens them (GRPOTrainer.fromPretrained), in one place; each rank on its own GPU.
  const { openRun } = await import('../run/open-run.js');
  const parts = await openRun({ settings, checkpoint });
  const device = parts.device;
  const { examples, renderPrompt, promptSuffix, pool } = parts;
  const validation: { step: number; accuracy: number; n?: number }[] = [];
  const validate = parts.validate;
  let trainer: InstanceType<typeof GRPOTrainer> | null = null;
  const { fromEnv } = await import('../distributed/process-group.js');
  const { DataParallel } = await import('../distributed/data-parallel.js');
  const group = fromEnv({ backend: rc.distributed.backend, timeoutMs: rc.distributed.timeoutSeconds * 1000, device });
  try {
    trainer = new GRPOTrainer({
      ...parts,
      dataParallel: new DataParallel(group),
      log: main ? undefined : () => {},
      validate: validate
        ? async (step) => {
            const r = await validate(step);
            validation.push({ step, accuracy: r.accuracy! });
            return r;
          }
        : undefined,
    });
    if (checkpoint) trainer.loadCheckpointState(checkpoint);
    if (main)
      parts.saveRunConfig(
        changes && Object.keys(changes).length > 0 ? [...rc.resumes, { step: trainer.step, time: new Date().toISOString(), changed: changes }] : rc.resumes,
      );
    say(
      `rlvr train: ${plural(examples.length, 'example')} from ${rc.data}, ${plural(config.trainBatchSize, 'prompt')} × ${config.groupSize} rollouts per step, ` +
        `${plural(config.steps, 'step')} on ${device}${group.worldSize > 1 ? ` × ${group.worldSize} ranks (${group.backend})` : ''}, run folder ${runDir}${checkpoint ? ` (resuming at step ${trainer.step})` : ''}`,
    );
    say(
      `prompt suffix for {problem, answer} rows: ${JSON.stringify(promptSuffix)} (${rc.promptSuffix === undefined ? "the paper's, the default" : 'given'}; ` +
        `--prompt-suffix TEXT|none changes it; verl rows keep their prompt); overlong responses: ${config.overlong}`,
    );
    say(`first prompt (example ${examples[0]!.index}):\n${renderPrompt(examples[0]!)}`);

    // Ctrl-C / kill: finish the step (or, on a second signal, drop it), checkpoint, say how to resume.
    let signalled: NodeJS.Signals | null = null;
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signalled = sig;
      signals++;
      if (signals === 1) {
        trainer!.requestStop('finish');
        say(`\nrlvr train: ${sig}: finishing step ${trainer!.step + 1}, then writing a checkpoint (${sig} again abandons the step)`);
      } else if (signals === 2) {
        trainer!.requestStop('abandon');
        say(`\nrlvr train: ${sig} again: abandoning step ${trainer!.step + 1} (a third one exits at once, without a checkpoint)`);
      } else {
        process.exit(sig === 'SIGTERM' ? 143 : 130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let metrics: StepMetrics[];
    try {
      metrics = await trainer.train();
    } catch (e) {
      if (e instanceof DivergenceError) throw new UserError(e.message);
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (trainer.stopped) {
      say(
        `rlvr train: stopped by ${signalled} after step ${trainer.step}/${config.steps}; checkpoint ${latestCheckpoint(runDir)}\n` +
          `resume with: rlvr train --out ${runDir} --resume`,
      );
      return { metrics, validation, seconds: (performance.now() - started) / 1000, exitCode: signalled === 'SIGTERM' ? 143 : 130 };
    }
    if (main) console.log(`done: ${plural(trainer.step, 'step')}; metrics in ${path.join(runDir, 'metrics.jsonl')}, model in ${latestCheckpoint(runDir)}`);
    return { metrics, validation, seconds: (performance.now() - started) / 1000 };
  } finally {
    group.close();
    // The models and the verifier's workers are freed: an ablation runs the next variant in the same process.
    trainer?.disposeOptimizers();
    await parts.dispose();
    if (pool && pool.timeouts > 0) console.error(`rlvr train: ${pool.timeouts} reward checks ran past the verifier's deadline and scored 0`);
  }
}

type Options = Record<string, string | boolean | undefined>;

/** A new run: the run file (if any), then flags, then --set; paths typed on the command line are relative to the cwd. */
function newSettings(options: Options): RunSettings {
  const b = typeof options.config === 'string' ? RunConfigBuilder.fromFile(options.config) : RunConfigBuilder.fromObject({}, 'flags');
  applyFlags(b, options);
  if (b.get(['model']) === undefined) throw new UserError(`--model DIR is required (or "model" in the --config file); see rlvr train --help`);
  if (b.get(['data']) === undefined) throw new UserError(`--data FILE is required (or "data" in the --config file); see rlvr train --help`);
  if (b.get(['validation']) !== undefined && b.get(['validation', 'data']) === undefined)
    throw new UserError('--val-limit needs --val-data FILE (or validation.data in the --config file)');
  return settle(b);
}

/**
 * A resumed run: its saved run_config.json, then the flags given now (src/run/run-settings.ts).
 * Flags that define the run (model, data, preset, a different --config) are refused; every other
 * change is applied, printed and recorded in run_config.json (`resumes`).
 */
function resumeSettings(options: Options, quiet = false): RunSettings {
  if (typeof options.out !== 'string') throw new UserError('--resume needs --out RUN (the run folder to continue)');
  if (typeof options.config === 'string')
    throw new UserError(
      `--resume reads the run's own settings from ${path.join(options.out, 'run_config.json')}; drop --config (change single settings with --set)`,
    );
  const fixed = FIXED_ON_RESUME.filter((flag) => options[flag] !== undefined).map((flag) => ({ path: RUN_FLAGS[flag]!.path, name: `--${flag}` }));
  return resumeRunSettings(options.out, (b) => applyFlags(b, options), { fixed, report: quiet ? undefined : (line) => console.error(`rlvr train: ${line}`) });
}

function applyFlags(b: RunConfigBuilder, options: Options): void {
  for (const [flag, f] of Object.entries(RUN_FLAGS)) {
    const v = options[flag];
    if (typeof v !== 'string') continue;
    // Paths typed on the command line are relative to where the command runs.
    const isPath = ['model', 'data', 'out', 'val-data'].includes(flag);
    b.set(f.path, isPath && v !== '' ? path.resolve(v) : v, `--${flag}`);
  }
  if (typeof options.set === 'string') b.applySets(options.set);
}

/** A new run must not write into a folder that already holds another run's results. */
async function checkNewRunFolder(runDir: string): Promise<void> {
  if (!fs.existsSync(runDir)) return;
  if (!fs.statSync(runDir).isDirectory()) throw new UserError(`--out ${runDir} is a file, not a folder`);
  const { findCheckpoint } = await import('../rl/checkpoints.js');
  for (const f of ['metrics.jsonl', 'checkpoints']) {
    if (!fs.existsSync(path.join(runDir, f))) continue;
    // Stopped before its first checkpoint, a run cannot be continued: say so instead of sending the user to --resume.
    if (!findCheckpoint(runDir))
      throw new UserError(
        `--out ${runDir} already holds a run that stopped before its first checkpoint (${f}, nothing to resume); delete the folder (rm -r ${runDir}) or choose another --out`,
      );
    throw new UserError(`--out ${runDir} already holds a run (${f}); continue it with --resume or choose another --out`);
  }
}

/** Creates the run folder and writes a probe file: an unwritable --out fails now, not at the first checkpoint. */
function checkWritable(runDir: string): void {
  const probe = path.join(runDir, `.write-test-${process.pid}`);
  try {
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(probe, 'ok');
    fs.rmSync(probe);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why =
      code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a file is in the way'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'permission denied'
          : code === 'ENOSPC'
            ? 'no space left on the device'
            : (e as Error).message;
    throw new UserError(`--out ${runDir}: cannot write there (${why})`);
  }
}
