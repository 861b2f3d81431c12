// Worker for qwenScoreWithDeadline (qwen-deadline.ts): runs each Qwen grader check
// (protocol: src/util/blocking-worker.ts).
import { serveBlocking } from '../../../util/blocking-worker.js';
import { qwenMathEqual, qwenScore } from './qwen-grader.js';

export interface QwenRequest {
  gold: string;
  response: string;
  opts: { dataName?: string; prompt?: string };
}

// Warm up (module-level tables, JIT) before READY, so the first check is not charged for it.
qwenScore('\\frac{1}{2}', 'so \\boxed{0.5}');
qwenMathEqual('x^2+2x+1', '(x+1)^2');
serveBlocking<QwenRequest, ReturnType<typeof qwenScore>>((m) => qwenScore(m.gold, m.response, m.opts));
