// A synchronous verify() with a hard deadline, for callers that cannot await (evaluation and the
// demo score responses inside synchronous loops). The check runs in one worker thread; the
// caller blocks on a shared-memory flag (Atomics.wait) for at most `timeoutMs`. A worker that
// misses the deadline is terminated and replaced on the next call, and the check is
// { correct: false, reason: 'timeout' } (counted in deadlineStats()).
// VerifierPool (pool.ts) is the asynchronous, multi-worker form used for training rewards.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { VerifyOptions, VerifyResult } from './verifier.js';

/** Per-check wall-clock limit in ms (the pool's default too). */
export const DEFAULT_DEADLINE_MS = 1000;
/** Limit for a fresh worker to load the verifier, not counted against any check. */
const START_LIMIT_MS = 60_000;

const IDLE = 0;
const DONE = 1;
const READY = 2;

interface SyncWorker {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array; // [state]: IDLE while a check runs, DONE when its result is on the port
}

let current: SyncWorker | null = null;
let nextId = 0;
const stats = { checks: 0, timeouts: 0, errors: 0 };

/** Checks run through verifyWithDeadline, and how many of them timed out or failed. */
export function deadlineStats(): Readonly<typeof stats> {
  return { ...stats };
}

function start(): SyncWorker | null {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./deadline-worker.js', import.meta.url), {
    workerData: { flag, port: port2 },
    transferList: [port2],
  });
  worker.unref();
  port1.unref();
  // Wait for the worker to load the verifier, so that start-up is not charged to the first check.
  if (Atomics.wait(flag, 0, IDLE, START_LIMIT_MS) === 'timed-out' || Atomics.load(flag, 0) !== READY) {
    void worker.terminate();
    return null;
  }
  return { worker, port: port1, flag };
}

function fail(reason: 'timeout' | 'error'): VerifyResult {
  return { correct: false, extractedPred: null, extractedGold: null, reason };
}

/**
 * verify(gold, response, opts), but never longer than about `timeoutMs`: a check that does not
 * finish in time is abandoned (its worker terminated) and scores { correct: false, reason: 'timeout' }.
 */
export function verifyWithDeadline(gold: string, response: string, opts: VerifyOptions = {}, timeoutMs = DEFAULT_DEADLINE_MS): VerifyResult {
  stats.checks++;
  current ??= start();
  const w = current;
  if (!w) {
    stats.errors++;
    return fail('error');
  }
  const id = nextId++;
  Atomics.store(w.flag, 0, IDLE);
  w.port.postMessage({ id, gold: String(gold), response: String(response), opts });
  const t0 = performance.now();
  for (;;) {
    const left = timeoutMs - (performance.now() - t0);
    if (left <= 0 || Atomics.wait(w.flag, 0, IDLE, left) === 'timed-out') {
      if (Atomics.load(w.flag, 0) === DONE) break; // finished at the last moment
      void w.worker.terminate();
      current = null;
      stats.timeouts++;
      return fail('timeout');
    }
    if (Atomics.load(w.flag, 0) === DONE) break;
  }
  const msg = receiveMessageOnPort(w.port)?.message as { id: number; result: VerifyResult } | undefined;
  if (!msg || msg.id !== id) {
    void w.worker.terminate();
    current = null;
    stats.errors++;
    return fail('error');
  }
  return msg.result;
}
