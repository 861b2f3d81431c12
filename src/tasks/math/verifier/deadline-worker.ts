// Worker for verifyWithDeadline (deadline.ts): runs each check (protocol: src/util/blocking-worker.ts).
import { serveBlocking } from '../../../util/blocking-worker.js';
import { verify, type VerifyOptions, type VerifyResult } from './verifier.js';
import { computeEngineAvailable } from './ce.js';

export interface DeadlineRequest {
  gold: string;
  response: string;
  opts: VerifyOptions;
}

computeEngineAvailable(); // load it before the first deadline starts
serveBlocking<DeadlineRequest, VerifyResult>((m) => {
  const t0 = performance.now();
  const result = verify(m.gold, m.response, m.opts);
  result.ms = performance.now() - t0;
  return result;
});
