// A worker_threads pool with a hard per-check deadline. The verifier is synchronous and
// CPU-bound; running it in workers (a) uses several cores and (b) bounds every check: a worker
// that does not answer within `timeoutMs` is terminated and replaced, and the check resolves to
// { correct: false, reason: 'timeout' }. `check` never rejects.
import { Worker } from 'node:worker_threads';
import type { VerifyOptions, VerifyResult } from './verifier.js';

export interface PoolOptions {
  /** Number of worker threads (default 2). */
  size?: number;
  /** Per-check wall-clock limit in ms, measured from dispatch to the worker (default 1000). */
  timeoutMs?: number;
  /** Worker script (tests substitute one that can hang). Default: ./worker.js next to this file. */
  workerUrl?: URL;
}

interface Task {
  id: number;
  gold: string;
  response: string;
  opts: VerifyOptions;
  resolve: (r: VerifyResult) => void;
}

interface Slot {
  worker: Worker;
  /** The worker has loaded the verifier (and the compute engine); no deadline runs before. */
  ready: boolean;
  task: Task | null;
  timer: NodeJS.Timeout | null;
}

export class VerifierPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private closed = false;
  readonly timeoutMs: number;
  private readonly workerUrl: URL;
  /** Number of workers replaced after a timeout or a crash. */
  restarts = 0;
  /** Number of checks that ran out of time (each scored incorrect, reward 0). */
  timeouts = 0;

  constructor(opts: PoolOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.workerUrl = opts.workerUrl ?? new URL('./worker.js', import.meta.url);
    const size = Math.max(1, opts.size ?? 2);
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.workerUrl), ready: false, task: null, timer: null };
    slot.worker.on('message', (m: { id: number; result: VerifyResult } | { ready: true }) => {
      if ('ready' in m) {
        // A worker still loading when close() (or replace()) terminated it can have posted 'ready'
        // before it stopped; that message still arrives. Unref'ing it then would undo the ref that
        // terminate() takes to hold the event loop until the worker's exit: with nothing else
        // pending the process ended inside `await pool.close()` with exit code 0 (an ablation
        // stopped after 2 of 3 runs; test/reward/pool-close.test.ts).
        if (this.closed || !this.slots.includes(slot)) return;
        slot.ready = true;
        slot.worker.unref(); // referenced until ready, so a queued check keeps the process alive
        this.pump();
        return;
      }
      if (!slot.task || slot.task.id !== m.id) return;
      this.finish(slot, m.result);
    });
    slot.worker.on('error', () => this.replace(slot, 'error'));
    slot.worker.on('exit', () => {
      if (!this.closed && this.slots.includes(slot)) this.replace(slot, 'error');
    });
    return slot;
  }

  private finish(slot: Slot, result: VerifyResult): void {
    if (slot.timer) clearTimeout(slot.timer);
    const task = slot.task!;
    slot.task = null;
    slot.timer = null;
    task.resolve(result);
    this.pump();
  }

  /** Terminates a stuck or crashed worker and puts a fresh one in its place. */
  private replace(slot: Slot, reason: 'timeout' | 'error'): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    if (slot.timer) clearTimeout(slot.timer);
    const task = slot.task;
    slot.task = null;
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    this.restarts++;
    if (reason === 'timeout' && task) this.timeouts++;
    if (!this.closed) this.slots.splice(i, 0, this.spawn());
    task?.resolve({ correct: false, extractedPred: null, extractedGold: null, reason });
    this.pump();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.task || this.queue.length === 0) continue;
      const task = this.queue.shift()!;
      slot.task = task;
      slot.timer = setTimeout(() => this.replace(slot, 'timeout'), this.timeoutMs);
      slot.worker.postMessage({ id: task.id, gold: task.gold, response: task.response, opts: task.opts });
    }
  }

  /** Verifies one response; resolves within about timeoutMs of reaching a worker, never rejects. */
  check(gold: string, response: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
    if (this.closed) return Promise.resolve({ correct: false, extractedPred: null, extractedGold: null, reason: 'error' });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, gold: String(gold), response: String(response), opts, resolve });
      this.pump();
    });
  }

  /** Rewards (1/0) for a batch of responses against their golds, in order. */
  async rewards(items: { gold: string; response: string; truncated?: boolean }[], opts: VerifyOptions = { mode: 'reward' }): Promise<number[]> {
    const rs = await Promise.all(items.map((x) => this.check(x.gold, x.response, x.truncated ? { ...opts, truncated: true } : opts)));
    return rs.map((r) => (r.correct ? 1 : 0));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.resolve({ correct: false, extractedPred: null, extractedGold: null, reason: 'error' });
    await Promise.all(
      this.slots.splice(0).map((s) => {
        if (s.timer) clearTimeout(s.timer);
        s.task?.resolve({ correct: false, extractedPred: null, extractedGold: null, reason: 'error' });
        return s.worker.terminate();
      }),
    );
  }
}
