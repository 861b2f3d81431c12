// Next-token choice on the device with no host round trip: the reference sampler's rule
// (src/sampling/generate.ts `pick`: temperature, top-k, top-p, log-prob under logits / T)
// with the draw written out as ATen's multinomial does it for one sample without replacement —
//   token = argmax(p / E),  E ~ Exponential(1) drawn from the generator —
// which is the same random stream and the same result as `multinomial(p, 1)` on the same
// generator, minus multinomial's validity check (`.item()`: a host sync per step, and a
// failure inside CUDA-graph capture).
import { op, where, type Generator, type Tensor } from '../engine/index.js';
import { callRaw } from '../engine/tensor.js';
import { native } from '../engine/native.js';

export interface SampleRule {
  greedy?: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
}

/** float32 logits [B, V] → token [B] (int64) and its log-prob [B] (float32). */
export function sampleNext(logits: Tensor, rule: SampleRule, generator: Generator): { token: Tensor; logprob: Tensor } {
  if (rule.greedy) {
    const token = logits.argmax(-1, true);
    return { token: token.squeeze(1), logprob: logits.logSoftmax(-1).gather(1, token).squeeze(1) };
  }
  const temperature = rule.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`temperature must be > 0 (use greedy for argmax), got ${temperature}`);
  const scaled = logits.div(temperature);
  const logp = scaled.logSoftmax(-1);
  let filtered = scaled;
  const topK = rule.topK ?? 0;
  if (topK > 0 && topK < logits.size(-1)) {
    const [vals] = scaled.topk(topK, -1);
    filtered = where(filtered.lt(vals.narrow(-1, topK - 1, 1)), -Infinity, filtered);
  }
  const topP = rule.topP ?? 1;
  if (topP < 1) {
    // Drop tokens once the mass before them already reaches topP (the most likely always stays).
    const [sorted, order] = filtered.sort(-1, true);
    const probs = sorted.softmax(-1);
    const dropSorted = probs.cumsum(-1).sub(probs).ge(topP);
    filtered = filtered.maskedFill(dropSorted.scatter(-1, order, dropSorted), -Infinity);
  }
  const probs = filtered.softmax(-1);
  const e = op('aten::empty_like', probs);
  native.dispose(callRaw('aten::exponential_', e, 1, generator.handle as never) as number);
  const token = probs.div(e).argmax(-1, true);
  e.dispose();
  return { token: token.squeeze(1), logprob: logp.gather(1, token).squeeze(1) };
}
