// The Qwen grader (qwen-grader.ts) with the verifier's per-check deadline: each check runs in a
// worker thread (qwen-worker.ts) through a BlockingWorker, and one that does not finish within
// `timeoutMs` is abandoned and scored wrong ({ correct: false, reason: 'timeout' }), so a
// pathological answer cannot hang an evaluation (strip_string's `(\d+)\.0*([^\d])` is quadratic:
// "The answer is " and 100,000 digits took 33 s). Same deadline as verifyWithDeadline.
import { DEFAULT_DEADLINE_MS } from '../verifier/deadline.js';
import { BlockingWorker } from '../../../util/blocking-worker.js';
import type { QwenRequest } from './qwen-worker.js';

export interface QwenDeadlineScore {
  correct: boolean;
  /** The evaluator's prediction ('' when the check timed out or failed). */
  extracted: string;
  /** The normalised gold ('' when the check timed out or failed). */
  gold: string;
  /** Set when the check did not finish: it is scored wrong. */
  failure?: 'timeout' | 'error';
}

const worker = new BlockingWorker<QwenRequest, { correct: boolean; extracted: string; gold: string }>(new URL('./qwen-worker.js', import.meta.url));
const stats = { checks: 0, timeouts: 0, errors: 0 };

/** Checks run through qwenScoreWithDeadline, and how many of them timed out or failed. */
export function qwenDeadlineStats(): Readonly<typeof stats> {
  return { ...stats };
}

/** qwenScore(gold, response, opts), but never longer than about `timeoutMs`. */
export function qwenScoreWithDeadline(gold: string, response: string, opts: QwenRequest['opts'] = {}, timeoutMs = DEFAULT_DEADLINE_MS): QwenDeadlineScore {
  stats.checks++;
  const r = worker.call({ gold: String(gold), response: String(response), opts }, timeoutMs);
  if (r.ok) return r.result;
  if (r.reason === 'timeout') stats.timeouts++;
  else stats.errors++;
  return { correct: false, extracted: '', gold: '', failure: r.reason };
}
