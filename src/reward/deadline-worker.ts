// Worker for verifyWithDeadline (deadline.ts): runs each check, posts the result on the port and
// then raises the shared flag that the blocked caller waits on.
import { workerData, type MessagePort } from 'node:worker_threads';
import { verify, type VerifyOptions } from './verifier.js';
import { computeEngineAvailable } from './ce.js';

const { flag, port } = workerData as { flag: Int32Array; port: MessagePort };

port.on('message', (m: { id: number; gold: string; response: string; opts: VerifyOptions }) => {
  const t0 = performance.now();
  const result = verify(m.gold, m.response, m.opts);
  result.ms = performance.now() - t0;
  port.postMessage({ id: m.id, result });
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});

computeEngineAvailable(); // load it before the first deadline starts
Atomics.store(flag, 0, 2); // ready
Atomics.notify(flag, 0);
