// Pretraining the demo's tiny base model: next-token cross-entropy on chat-formatted
// (problem → worked solution) conversations, loss on the assistant tokens only, AdamW with a
// linear warm-up and cosine decay, all on our own engine.
import { AdamW, F, clipGradNorm, tensor, tidy } from '../engine/index.js';
import type { ModelConfig } from '../model/config.js';
import type { CausalLM } from '../model/transformer.js';
import type { CorpusStream } from '../tasks/arithmetic/problems.js';
import type { DemoTokenizer } from './tokenizer.js';

/** A tiny Qwen2 (q/k/v bias, GQA, tied embeddings, RoPE, SwiGLU, RMSNorm). */
export function demoModelConfig(opts: { hidden: number; layers: number; heads: number; kvHeads: number; vocab: number; imEnd: number }): ModelConfig {
  return {
    architecture: 'Qwen2ForCausalLM',
    hiddenSize: opts.hidden,
    intermediateSize: opts.hidden * 3,
    numLayers: opts.layers,
    numHeads: opts.heads,
    numKvHeads: opts.kvHeads,
    headDim: opts.hidden / opts.heads,
    // The embedding is padded to a multiple of 32 above the tokenizer's ids, as Qwen pads its own.
    vocabSize: Math.ceil(opts.vocab / 32) * 32,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    ropeScaling: null,
    tieWordEmbeddings: true,
    attentionBias: true,
    maxPositionEmbeddings: 256,
    bosTokenId: null,
    eosTokenId: opts.imEnd,
    torchDtype: 'float32',
  };
}

export interface PretrainOptions {
  steps: number;
  batchSize: number;
  /** Peak learning rate. */
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  /** Called every logEvery steps with the mean loss since the last call. */
  onLog?: (step: number, loss: number, lr: number) => void;
  logEvery?: number;
}

/** Token ids and loss targets (-100 outside the assistant's answer) of one conversation. */
export function encodeConversation(tok: DemoTokenizer, question: string, response: string): { ids: number[]; labels: number[] } {
  const prompt = tok.encode(tok.renderPrompt([{ role: 'user', content: question }]));
  const answer = [...tok.encode(response), tok.imEnd];
  const ids = [...prompt, ...answer];
  // labels[t] is the token predicted at position t (= ids[t + 1]); only answer tokens count.
  const labels = ids.slice(1).map((id, t) => (t + 1 >= prompt.length ? id : -100));
  return { ids: ids.slice(0, -1), labels };
}

export function lrAt(step: number, o: Pick<PretrainOptions, 'steps' | 'lr' | 'warmupSteps'>): number {
  if (step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
  const t = (step - o.warmupSteps) / Math.max(1, o.steps - o.warmupSteps);
  return o.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t))));
}

/** Trains `model` in place; returns the loss of every step. */
export function pretrain(model: CausalLM, tok: DemoTokenizer, corpus: CorpusStream, o: PretrainOptions): number[] {
  model.requiresGrad_(true);
  const opt = new AdamW(model.parameters(), { lr: o.lr, betas: [0.9, 0.98], weightDecay: o.weightDecay });
  const losses: number[] = [];
  let acc = 0;
  let n = 0;
  try {
    for (let step = 0; step < o.steps; step++) {
      const rows = Array.from({ length: o.batchSize }, () => {
        const c = corpus.next();
        return encodeConversation(tok, c.problem.question, c.response);
      });
      const L = Math.max(...rows.map((r) => r.ids.length));
      const ids = rows.flatMap((r) => [...r.ids, ...new Array<number>(L - r.ids.length).fill(tok.endOfText)]);
      const labels = rows.flatMap((r) => [...r.labels, ...new Array<number>(L - r.labels.length).fill(-100)]);
      opt.lr = lrAt(step, o);
      const loss = tidy(() => {
        const x = tensor(ids, [rows.length, L], { dtype: 'int64' });
        const y = tensor(labels, [rows.length * L], { dtype: 'int64' });
        const logits = model.forward(x);
        const l = F.crossEntropy(logits.reshape(-1, logits.size(-1)), y, { ignoreIndex: -100 });
        l.backward();
        return l.item();
      });
      clipGradNorm(model.parameters(), 1.0);
      opt.step();
      opt.zeroGrad();
      losses.push(loss);
      acc += loss;
      n++;
      if (o.onLog && ((step + 1) % (o.logEvery ?? 100) === 0 || step + 1 === o.steps)) {
        o.onLog(step + 1, acc / n, opt.lr);
        acc = 0;
        n = 0;
      }
    }
  } finally {
    opt.zeroGrad();
    opt.dispose();
    model.requiresGrad_(false);
  }
  return losses;
}
