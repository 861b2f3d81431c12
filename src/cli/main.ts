#!/usr/bin/env node
// The `rlvr` command: a thin dispatcher. Each subcommand lives in its own file and exports
// `run(argv): Promise<number>` (the exit code); it is imported only when used, so that
// `rlvr verify` does not load libtorch.
import { CliError } from './args.js';

const commands: Record<string, { file: string; summary: string }> = {
  demo: { file: './demo.js', summary: 'the embedded CPU demo: pretrain a tiny base model, pick one example, run 1-shot RLVR' },
  train: { file: './train.js', summary: 'GRPO training (1-shot RLVR): rlvr train --config FILE | --model DIR --data FILE' },
  plan: { file: './plan.js', summary: 'memory plan of a run: rlvr plan --model DIR [--config RUN.json] [--device-memory 80GB]' },
  eval: { file: './eval.js', summary: 'evaluate a model on the math benchmarks' },
  generate: { file: './generate.js', summary: 'sample from a causal LM' },
  models: { file: './models.js', summary: 'fetch real pretrained models (rlvr models get smollm2-135m-instruct)' },
  select: { file: './select.js', summary: 'rank training examples by historical variance (or randomly)' },
  verify: { file: './verify.js', summary: 'check one response against a gold answer' },
  'verify-cases': { file: './verify-cases.js', summary: 'score the verifier on a jsonl file of cases' },
};

function usage(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`);
  return `usage: rlvr <command> [options]\n\ncommands:\n${rows.join('\n')}\n\nrlvr <command> --help shows a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    console.error(`rlvr: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = (await import(command.file)) as { run(argv: string[]): Promise<number> };
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    // One clear line for user errors; a stack only for real bugs.
    if (err instanceof CliError) console.error(`rlvr: ${err.message}`);
    else console.error(err);
    process.exitCode = err instanceof CliError ? 2 : 1;
  },
);
