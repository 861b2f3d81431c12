// How many CPU threads libtorch uses. Its own default (every logical CPU) is a poor choice on a
// shared or small machine: on a busy 2-core box one thread ran a 135M model 10x faster than two
// (oversubscribed OpenMP threads spin-wait on each other). The default here is half the logical
// CPUs (the physical cores on SMT machines), at least 1; every compute command prints it.
import * as os from 'node:os';

/** Half the logical CPUs, at least 1. */
export function defaultThreads(logicalCpus: number = os.availableParallelism()): number {
  return Math.max(1, Math.floor(logicalCpus / 2));
}

/** One line saying how many threads run and why (printed at start by every compute command). */
export function describeThreads(threads: number, given: boolean, logicalCpus: number = os.availableParallelism()): string {
  return given ? `threads: ${threads} (--threads)` : `threads: ${threads} (default: half of ${logicalCpus} logical CPUs; --threads N to change)`;
}
