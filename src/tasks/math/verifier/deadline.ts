// A synchronous verify() with a hard deadline, for callers that cannot await (evaluation and the
// demo score responses inside synchronous loops). The check runs in one worker thread
// (deadline-worker.ts) through a BlockingWorker (src/util/blocking-worker.ts): the caller blocks
// for at most `timeoutMs`. A worker that misses the deadline is terminated and replaced on the
// next call, and the check is { correct: false, reason: 'timeout' } (counted in deadlineStats()).
// VerifierPool (pool.ts) is the asynchronous, multi-worker form used for training rewards.
import { BlockingWorker } from '../../../util/blocking-worker.js';
import type { VerifyOptions, VerifyResult } from './verifier.js';
import type { DeadlineRequest } from './deadline-worker.js';

/** Per-check wall-clock limit in ms (the pool's default too). */
export const DEFAULT_DEADLINE_MS = 1000;

const worker = new BlockingWorker<DeadlineRequest, VerifyResult>(new URL('./deadline-worker.js', import.meta.url));
const stats = { checks: 0, timeouts: 0, errors: 0 };

/** Checks run through verifyWithDeadline, and how many of them timed out or failed. */
export function deadlineStats(): Readonly<typeof stats> {
  return { ...stats };
}

/**
 * verify(gold, response, opts), but never longer than about `timeoutMs`: a check that does not
 * finish in time is abandoned (its worker terminated) and scores { correct: false, reason: 'timeout' }.
 */
export function verifyWithDeadline(gold: string, response: string, opts: VerifyOptions = {}, timeoutMs = DEFAULT_DEADLINE_MS): VerifyResult {
  stats.checks++;
  const r = worker.call({ gold: String(gold), response: String(response), opts }, timeoutMs);
  if (r.ok) return r.result;
  if (r.reason === 'timeout') stats.timeouts++;
  else stats.errors++;
  return { correct: false, extractedPred: null, extractedGold: null, reason: r.reason };
}
