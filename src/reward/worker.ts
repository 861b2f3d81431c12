// Worker-thread entry for VerifierPool: runs the synchronous verifier on each request.
// A request that hangs (a pathological CAS parse) blocks only this thread; the pool
// terminates it after the timeout and starts a fresh one.
import { parentPort } from 'node:worker_threads';
import { verify, type VerifyOptions } from './verifier.js';

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
