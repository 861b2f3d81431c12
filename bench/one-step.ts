// What the one-GRPO-step benchmarks share (bench/lora-step.ts, bench/cpu-step.ts): the step's
// configuration (4 prompts × 8 rollouts, N new tokens, T 0.6, KL 0.001, one optimizer step per
// batch, float32 compute), the process's peak RSS, and running a child process that prints its
// result as the last line of its stdout (a fresh process per measurement: peak RSS is per process).
import { spawn } from 'node:child_process';
import { PAPER_GRPO_CONFIG, type GRPOConfig } from '../src/rl/config.js';

/** The GRPO config of one benchmark step: `prompts` groups of 8, exactly one optimizer step. */
export function oneStepConfig(o: { tokens: number; lr: number; prompts?: number; groupSize?: number; maxPromptLength?: number }): GRPOConfig {
  const prompts = o.prompts ?? 4;
  return {
    ...PAPER_GRPO_CONFIG,
    trainBatchSize: prompts,
    groupSize: o.groupSize ?? 8,
    miniBatchSize: prompts, // the whole batch is one mini-batch: one optimizer step
    ppoEpochs: 1,
    maxResponseLength: o.tokens,
    maxPromptLength: o.maxPromptLength ?? 128,
    steps: 1,
    temperature: 0.6,
    klCoef: 0.001,
    lr: o.lr,
    computeDtype: 'float32',
    saveEvery: 0,
    validateEvery: 0,
    rolloutSamples: 0,
  };
}

/**
 * Runs `cmd args` and parses the last line of its stdout as JSON. stderr is passed through
 * (progress stays visible) unless `quiet`. Throws with the exit status and the tail of stderr.
 */
export function runJsonChild<T = Record<string, unknown>>(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errTail = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      errTail = (errTail + d.toString()).slice(-4000);
      if (!opts.quiet) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      // SIGKILL with no message of its own: most often the kernel's OOM killer.
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ').slice(0, 200)} ${signal ? `killed by ${signal}` : `exited with ${code}`}:\n${errTail}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${cmd}: the last stdout line is not JSON: ${last.slice(0, 200)}`));
      }
    });
  });
}
