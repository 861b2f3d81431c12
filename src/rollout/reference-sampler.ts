// The reference sampler: the rollout engine's test oracle (correct first, not fast). It runs
// the training forward (src/model/transformer.ts) with its KV cache: prompts are left-padded
// into one batch, prefilled once, then decoded step by step; finished rows leave the batch.
// test/rollout/engine.test.ts holds the engine (engine.ts) to it; transformers' `generate` holds
// it (test/model/*.test.ts). Top-k/top-p: the one filter, src/sampling/filter.ts.
import { Generator, cat, full, inferenceMode, tensor, tidy, type Tensor } from '../engine/index.js';
import type { CausalLM } from '../model/transformer.js';
import { filterLogits } from '../sampling/filter.js';
import type { Sample, SamplingOptions } from './types.js';

export { filterLogits };
export type { Sample, SamplingOptions } from './types.js';

/** Generates for every prompt (token ids) n samples; returns them prompt-major. */
export function generate(model: CausalLM, prompts: number[][], opts: SamplingOptions): Sample[] {
  const n = opts.n ?? 1;
  const rows = prompts.flatMap((p, pi) => Array.from({ length: n }, (_, si) => ({ p, pi, si })));
  if (rows.some((r) => r.p.length === 0)) throw new Error('generate: every prompt needs at least one token');
  const samples: Sample[] = rows.map((r) => ({ promptIndex: r.pi, sampleIndex: r.si, tokens: [], logprobs: [], finishReason: 'length' }));
  if (opts.maxNewTokens <= 0 || rows.length === 0) return samples;
  const stop = new Set(opts.stopTokenIds ?? []);
  const generator = new Generator({ seed: opts.seed ?? 0, device: model.device });
  const device = model.device;
  const maxPrompt = Math.max(...rows.map((r) => r.p.length));
  const cache = model.newCache(rows.length, maxPrompt + opts.maxNewTokens);

  inferenceMode(() => {
    // Left padding: real tokens end at the same column, so each step appends one column.
    const padded = rows.flatMap((r) => [...new Array<number>(maxPrompt - r.p.length).fill(0), ...r.p]);
    const valid = rows.flatMap((r) => [...new Array<boolean>(maxPrompt - r.p.length).fill(false), ...new Array<boolean>(r.p.length).fill(true)]);
    let keyMask = tensor(valid, [rows.length, maxPrompt], { device }).keep();
    let positions = tidy(() => keyMask.long().cumsum(1).sub(1).clamp(0)).keep();
    let active = rows.map((_, i) => i); // sample index of each batch row
    let input = tensor(padded, [rows.length, maxPrompt], { dtype: 'int64', device }).keep();
    let generated = 0;
    try {
      for (let step = 0; step < opts.maxNewTokens && active.length > 0; step++) {
        const [tokens, logprobs] = tidy(() => {
          // Only the last position's logits are needed: the head never runs on the prompt.
          const hidden = model.hiddenStates(input, { cache, keyMask, positions });
          const last = model.logits(hidden.select(1, -1)).float();
          const { token, logprob } = pick(last, opts, generator);
          return [token.toNumbers(), logprob.toNumbers()];
        });
        const stillActive: number[] = [];
        const keepRows: number[] = [];
        active.forEach((sampleIdx, row) => {
          const s = samples[sampleIdx]!;
          s.tokens.push(tokens[row]!);
          s.logprobs.push(logprobs[row]!);
          generated++;
          if (stop.has(tokens[row]!)) s.finishReason = 'stop';
          else if (s.tokens.length < opts.maxNewTokens) {
            stillActive.push(sampleIdx);
            keepRows.push(row);
          }
        });
        opts.onStep?.(generated, stillActive.length);
        if (stillActive.length === 0) break;
        const next = tidy(() => {
          const nextTokens = tensor(
            keepRows.map((r) => tokens[r]!),
            [keepRows.length, 1],
            { dtype: 'int64', device },
          );
          let mask = keyMask;
          let pos = positions.select(1, -1).unsqueeze(1).add(1);
          if (keepRows.length !== active.length) {
            const idx = tensor(keepRows, [keepRows.length], { dtype: 'int64', device });
            cache.keepRows(idx);
            mask = mask.indexSelect(0, idx);
            pos = pos.indexSelect(0, idx);
          }
          mask = cat([mask, full([keepRows.length, 1], 1, { dtype: 'bool', device })], 1);
          return { nextTokens, mask, pos };
        });
        input.dispose();
        keyMask.dispose();
        positions.dispose();
        input = next.nextTokens.keep();
        keyMask = next.mask.keep();
        positions = next.pos.keep();
        active = stillActive;
      }
    } finally {
      input.dispose();
      keyMask.dispose();
      positions.dispose();
      cache.dispose();
    }
  });
  return samples;
}

/**
 * Chooses the next token of each row from float32 logits [B, V]: argmax, or a sample from
 * softmax(filterLogits(logits)). Returns the token and its log-prob under the untruncated
 * tempered distribution.
 */
export function pick(logits: Tensor, opts: SamplingOptions, generator: Generator): { token: Tensor; logprob: Tensor } {
  if (opts.greedy) {
    const token = logits.argmax(-1, true);
    return { token: token.squeeze(1), logprob: logits.logSoftmax(-1).gather(1, token).squeeze(1) };
  }
  const logp = logits.div(temperatureOf(opts)).logSoftmax(-1);
  const token = filterLogits(logits, opts).softmax(-1).multinomial(1, false, generator);
  return { token: token.squeeze(1), logprob: logp.gather(1, token).squeeze(1) };
}

function temperatureOf(opts: Pick<SamplingOptions, 'temperature'>): number {
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`temperature must be > 0 (use greedy for argmax), got ${temperature}`);
  return temperature;
}
