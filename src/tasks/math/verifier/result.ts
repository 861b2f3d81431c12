// The verifier's options and verdict types, in a file of their own so that the graders the
// verifier dispatches to (the paper's, ../paper/paper.ts) can return a verdict without importing
// the verifier back (an import circle).
import type { Mode } from './extract.js';

export type { Mode } from './extract.js';

export interface VerifyOptions {
  /** 'reward' (ours, default), 'eval', or 'paper': the fork's DeepScaleR grader (../paper/paper.ts). */
  mode?: Mode | 'paper';
  /** The response hit the length limit: in reward mode an unclosed final box is then no answer. */
  truncated?: boolean;
  /** The response is an already-extracted answer (a `pred`), not a full model response. */
  bare?: boolean;
}

export type Reason = 'equal' | 'not_equal' | 'no_answer' | 'no_gold' | 'too_long' | 'error' | 'timeout';

export interface VerifyResult {
  correct: boolean;
  extractedPred: string | null;
  extractedGold: string | null;
  reason: Reason;
  /** Compute time of the check in ms (set by the pool's workers). */
  ms?: number;
}
