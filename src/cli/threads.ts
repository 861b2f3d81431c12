// `--threads N` of every compute command (train, eval, generate, select --score-pool, demo):
// parsed here, applied to libtorch and printed once at start.
import * as os from 'node:os';
import { defaultThreads, describeThreads } from '../engine/threads.js';
import { intOption, type OptionSpec } from './args.js';

export const THREADS_OPTION: OptionSpec = { type: 'string', help: `CPU threads for libtorch (default: half the logical CPUs, here ${defaultThreads()})` };

export interface ThreadsChoice {
  threads: number;
  given: boolean;
}

/** The thread count from a --threads value (or a run file's), or the machine default. */
export function threadsChoice(value: string | boolean | number | undefined): ThreadsChoice {
  if (value === undefined || value === 0) return { threads: defaultThreads(), given: false };
  return { threads: intOption(typeof value === 'number' ? String(value) : value, 'threads', 1, 1), given: true };
}

/** Sets libtorch's thread count and prints which (and why) on stderr. Loads the engine. */
export async function applyThreads(choice: ThreadsChoice, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<void> {
  const { setNumThreads } = await import('../engine/index.js');
  setNumThreads(choice.threads);
  log(describeThreads(choice.threads, choice.given));
  const cpus = os.availableParallelism();
  if (choice.threads > cpus)
    log(
      `warning: --threads ${choice.threads} is above this machine's ${cpus} logical CPUs: the extra threads wait on each other (slower, not faster); --threads ${defaultThreads()} is the default here`,
    );
}
