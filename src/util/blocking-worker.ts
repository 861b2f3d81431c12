// A synchronous call into a worker thread with a hard deadline, for callers that cannot await
// (evaluation scores responses inside synchronous loops). The caller posts the request on a
// MessagePort and blocks on a shared-memory flag (Atomics.wait) for at most `timeoutMs`; the worker
// (serveBlocking) posts the result and raises the flag. A worker that misses the deadline is
// terminated, and the next call starts a fresh one. Used by the verifier's verifyWithDeadline
// (src/tasks/math/verifier/deadline.ts) and the Qwen grader's qwenScoreWithDeadline (src/tasks/math/qwen/qwen-deadline.ts).
import { MessageChannel, receiveMessageOnPort, Worker, workerData, type MessagePort } from 'node:worker_threads';

/** Limit for a fresh worker to load (and warm up), not counted against any call. */
const START_LIMIT_MS = 60_000;

const IDLE = 0;
const DONE = 1;
const READY = 2;

export type BlockingOutcome<Res> = { ok: true; result: Res } | { ok: false; reason: 'timeout' | 'error' };

interface Started {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array; // [state]: IDLE while a call runs, DONE when its result is on the port, READY once loaded
}

export class BlockingWorker<Req, Res> {
  private current: Started | null = null;
  private nextId = 0;

  /** `url`: a worker script that calls serveBlocking(). Nothing starts before the first call. */
  constructor(private readonly url: URL) {}

  private start(): Started | null {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(this.url, { workerData: { flag, port: port2 }, transferList: [port2] });
    // Neither holds the event loop: the caller waits synchronously, and an idle worker must not
    // keep a finished process alive.
    worker.unref();
    port1.unref();
    // Wait for the worker to load, so that start-up is not charged to the first call.
    if (Atomics.wait(flag, 0, IDLE, START_LIMIT_MS) === 'timed-out' || Atomics.load(flag, 0) !== READY) {
      void worker.terminate();
      return null;
    }
    return { worker, port: port1, flag };
  }

  private drop(w: Started): void {
    void w.worker.terminate();
    if (this.current === w) this.current = null;
  }

  /** Runs `req` in the worker; gives up after about `timeoutMs` (the worker is then replaced). */
  call(req: Req, timeoutMs: number): BlockingOutcome<Res> {
    this.current ??= this.start();
    const w = this.current;
    if (!w) return { ok: false, reason: 'error' };
    const id = this.nextId++;
    Atomics.store(w.flag, 0, IDLE);
    w.port.postMessage({ id, req });
    const t0 = performance.now();
    for (;;) {
      const left = timeoutMs - (performance.now() - t0);
      if (left <= 0 || Atomics.wait(w.flag, 0, IDLE, left) === 'timed-out') {
        if (Atomics.load(w.flag, 0) === DONE) break; // finished at the last moment
        this.drop(w);
        return { ok: false, reason: 'timeout' };
      }
      if (Atomics.load(w.flag, 0) === DONE) break;
    }
    const msg = receiveMessageOnPort(w.port)?.message as { id: number; result?: Res; error?: string } | undefined;
    if (!msg || msg.id !== id || msg.error !== undefined) {
      this.drop(w);
      return { ok: false, reason: 'error' };
    }
    return { ok: true, result: msg.result as Res };
  }
}

/**
 * The worker side: answers each request with `handle(req)` and raises the flag; signals READY
 * once called (call it after loading what the first request would otherwise pay for).
 */
export function serveBlocking<Req, Res>(handle: (req: Req) => Res): void {
  const { flag, port } = workerData as { flag: Int32Array; port: MessagePort };
  port.on('message', (m: { id: number; req: Req }) => {
    let reply: { id: number; result?: Res; error?: string };
    try {
      reply = { id: m.id, result: handle(m.req) };
    } catch (e) {
      reply = { id: m.id, error: String((e as Error)?.message ?? e) };
    }
    port.postMessage(reply);
    Atomics.store(flag, 0, DONE);
    Atomics.notify(flag, 0);
  });
  Atomics.store(flag, 0, READY);
  Atomics.notify(flag, 0);
}
