// Worker-thread entry for VerifierPool: runs the synchronous verifier on each request.
// A request that hangs (a pathological CAS parse) blocks only this thread; the pool
// terminates it after the timeout and starts a fresh one.
import { parentPort } from 'node:worker_threads';
import { verify, type VerifyOptions } from './verifier.js';
import { computeEngineAvailable } from './ce.js';

export interface WorkerRequest {
  id: number;
  gold: string;
  response: string;
  opts: VerifyOptions;
}

parentPort?.on('message', (m: WorkerRequest) => {
  const t0 = performance.now();
  const result = verify(m.gold, m.response, m.opts);
  result.ms = performance.now() - t0;
  parentPort!.postMessage({ id: m.id, result });
});

// Load the compute engine now (about 0.5-1.5 s) so that no check pays for it against its deadline;
// the pool dispatches to this worker only after this message.
computeEngineAvailable();
parentPort?.postMessage({ ready: true });
