// How long an evaluation will take: before the run (a worst-case size/time estimate from a short
// measured probe) and during it (the ETA of the progress line).
//
// The ETA never waits for a whole batch: until a response has finished, every outstanding
// response is assumed to run to the token limit (an upper bound, shown as "≤"); afterwards the
// mean length of the finished responses is used.

export interface EvalSize {
  /** Responses to generate (problems × samples, over all benchmarks). */
  responses: number;
  maxNewTokens: number;
}

export interface EvalEstimate {
  /** Upper bound on generated tokens: every response runs to the limit. */
  maxTokens: number;
  /** Upper bound on seconds at the measured rate (null when no rate). */
  maxSeconds: number | null;
  /** True when maxSeconds exceeds an hour. */
  long: boolean;
}

export const LONG_EVAL_SECONDS = 3600;

export function estimateEval(size: EvalSize, tokensPerSecond: number | null): EvalEstimate {
  const maxTokens = size.responses * size.maxNewTokens;
  const maxSeconds = tokensPerSecond && tokensPerSecond > 0 ? maxTokens / tokensPerSecond : null;
  return { maxTokens, maxSeconds, long: maxSeconds !== null && maxSeconds > LONG_EVAL_SECONDS };
}

export interface EtaInput {
  elapsedSeconds: number;
  /** Tokens generated so far, the unfinished batch's included. */
  tokens: number;
  /** Responses finished, and the tokens they hold. */
  responsesDone: number;
  tokensOfDone: number;
  responsesTotal: number;
  maxNewTokens: number;
}

export interface Eta {
  seconds: number | null;
  /** True while no response has finished (every outstanding one counted at the limit). */
  upperBound: boolean;
}

export function evalEta(p: EtaInput): Eta {
  const upperBound = p.responsesDone === 0;
  if (p.responsesDone >= p.responsesTotal) return { seconds: 0, upperBound: false };
  if (!(p.elapsedSeconds > 0) || p.tokens <= 0) return { seconds: null, upperBound };
  const rate = p.tokens / p.elapsedSeconds;
  const perResponse = upperBound ? p.maxNewTokens : p.tokensOfDone / p.responsesDone;
  const remaining = Math.max(0, p.responsesTotal * perResponse - p.tokens);
  return { seconds: remaining / rate, upperBound };
}
