#!/usr/bin/env node
// The `rlvr` command: a thin dispatcher. Each subcommand lives in its own file and exports
// `run(argv): Promise<number>` (the exit code); it is imported only when used, so that
// `rlvr verify` does not load libtorch.
//
// Errors: bad input (a UserError: flag, file, setting, data row) prints one line and exits 2;
// an error of the system (disk full, permission denied: Node's `code` E...) one line and exit 1;
// anything else is a bug and prints its stack. `--debug` (anywhere) or RLVR_DEBUG=1 prints the
// stack for every error.
import { didYouMean, UserError } from '../errors.js';
import { guardUnsettled } from './settle-guard.js';

const commands: Record<string, { file: string; summary: string }> = {
  demo: { file: './demo.js', summary: 'the embedded CPU demo: pretrain a tiny base model, pick one example, run 1-shot RLVR' },
  train: { file: './train.js', summary: 'GRPO training (1-shot RLVR): rlvr train --config FILE | --model DIR --data FILE' },
  plan: { file: './plan.js', summary: 'memory plan of a run: rlvr plan --model DIR [--config RUN.json] [--device-memory 80GB]' },
  eval: { file: './eval.js', summary: 'evaluate a model on the math benchmarks' },
  compare: { file: './compare.js', summary: 'two evaluations of the same problems: differences with intervals, McNemar, flips: rlvr compare A B' },
  merge: { file: './merge.js', summary: 'fold a LoRA checkpoint into its base as a plain HF folder: rlvr merge CKPT --out DIR' },
  generate: { file: './generate.js', summary: 'sample from a causal LM' },
  data: { file: './data.js', summary: "the paper's training data and the benchmarks, digests checked: rlvr data get [--out DIR] [--from MIRROR]" },
  models: { file: './models.js', summary: 'fetch real pretrained models (rlvr models get smollm2-135m-instruct)' },
  dashboard: { file: './dashboard.js', summary: 'live charts of runs in the browser: rlvr dashboard [RUN_DIR...]' },
  report: { file: './report.js', summary: "a run's charts and sampled responses as one HTML file: rlvr report RUN_DIR" },
  select: { file: './select.js', summary: 'rank training examples by historical variance (or randomly)' },
  verify: { file: './verify.js', summary: 'check one response against a gold answer' },
  'verify-cases': { file: './verify-cases.js', summary: 'score the verifier on a jsonl file of cases' },
};

function usage(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`);
  return `usage: rlvr <command> [options]\n\ncommands:\n${rows.join('\n')}\n\nrlvr <command> --help shows a command's options; --debug prints stack traces.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    const guess = didYouMean(name, Object.keys(commands));
    console.error(`rlvr: unknown command '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}; rlvr --help lists the commands`);
    return 2;
  }
  const mod = (await import(command.file)) as { run(argv: string[]): Promise<number> };
  return mod.run(rest);
}

/** Node's system errors (ENOSPC, EACCES, ENOTDIR, ...) carry a code; their message already names the file. */
function systemErrorCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : null;
}

const argv = process.argv.slice(2);
const debug = argv.includes('--debug') || process.env.RLVR_DEBUG === '1';
// A command that ends with its promise still pending (the event loop emptied) is an error, not exit 0.
guardUnsettled(main(argv.filter((a) => a !== '--debug'))).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (debug) console.error(err);
    if (err instanceof UserError) {
      if (!debug) console.error(`rlvr: ${err.message}`);
      process.exitCode = 2;
    } else if (systemErrorCode(err)) {
      const hint =
        systemErrorCode(err) === 'ENOSPC'
          ? ' (disk full: free space and run again; rlvr train continues with --resume from its newest complete checkpoint)'
          : '';
      if (!debug) console.error(`rlvr: ${(err as Error).message}${hint}`);
      process.exitCode = 1;
    } else {
      if (!debug) console.error(err);
      process.exitCode = 1;
    }
  },
);
