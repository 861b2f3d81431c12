// Before step 1: every training prompt rendered and tokenised once, the ones over maxPromptLength
// left out with one warning (verl's filter_overlong_prompts); and each step's examples, a
// per-epoch shuffle of what is left cut into consecutive batches.
import type { TrainExample } from '../../data/examples.js';
import { Rng } from '../../data/rng.js';
import { UserError } from '../../errors.js';
import { hashSeed } from '../seed.js';
import type { TextCodec } from './types.js';

/**
 * The examples whose prompts fit `max` tokens, with their ids in `ids`. When none is left, a
 * UserError. The rendered chat template already holds the special tokens (a Llama-3 BOS), so no
 * BOS is added here, as in eval and generate.
 */
export function tokenizePrompts(
  examples: TrainExample[],
  max: number,
  render: (ex: TrainExample) => string,
  tokenizer: TextCodec,
  ids: Map<TrainExample, number[]>,
  log: (line: string) => void,
): TrainExample[] {
  const kept: TrainExample[] = [];
  const dropped: { index: number; length: number }[] = [];
  const cache = new Map<string, number[]>();
  for (const ex of examples) {
    const text = render(ex);
    const t = cache.get(text) ?? tokenizer.encode(text, { addSpecialTokens: false });
    cache.set(text, t);
    if (t.length > max) {
      dropped.push({ index: ex.index, length: t.length });
    } else {
      kept.push(ex);
      ids.set(ex, t);
    }
  }
  if (dropped.length > 0) {
    const rows = [...new Set(dropped.map((d) => d.index))];
    const longest = Math.max(...dropped.map((d) => d.length));
    const what = `${dropped.length} of ${examples.length} prompts are longer than maxPromptLength ${max} tokens (longest ${longest}; rows ${rows.slice(0, 10).join(', ')}${rows.length > 10 ? ', ...' : ''})`;
    if (kept.length === 0) throw new UserError(`${what}: nothing left to train on; raise grpo.maxPromptLength`);
    log(`warning: ${what}; they are left out, as verl's filter_overlong_prompts does`);
  }
  return kept;
}

/** The examples of step s (0-based): consecutive slices of a per-epoch shuffle of the data (drop-last). */
export function stepExamples(
  examples: readonly TrainExample[],
  cfg: { trainBatchSize: number; seed: number },
  step: number,
): { examples: TrainExample[]; epoch: number; lastOfEpoch: boolean } {
  const n = examples.length;
  const per = Math.floor(n / cfg.trainBatchSize) || 1;
  const epoch = Math.floor(step / per);
  const slot = step % per;
  const order = new Rng(hashSeed(cfg.seed, 1_000_003 + epoch)).shuffle([...Array(n).keys()]);
  const size = Math.min(cfg.trainBatchSize, n);
  return { examples: order.slice(slot * size, slot * size + size).map((i) => examples[i]!), epoch, lastOfEpoch: slot === per - 1 };
}
