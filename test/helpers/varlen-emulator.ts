// The CUDA varlen kernel (ATen's _flash_attention_forward with cum_seq_q/cum_seq_k/seqused_k),
// written out for CPU tests of the rollout engine's offsets, used lengths, lse layout and window
// arguments: per sequence i, queries [cuQ[i], cuQ[i+1]) against keys [cuK[i], cuK[i] + used[i])
// (used null: cuK[i+1] - cuK[i]); query head h reads key head h / (Hq / kvH); causal and the local
// window follow flash-attn's bottom-right-aligned rule (flashKeyVisible). Returns ([Nq, Hq, D], lse [Hq, Nq]).
import { cat, tensor, where } from '../../src/engine/index.js';
import type { VarlenKernel } from '../../src/rollout/attention.js';
import { flashKeyVisible } from '../../src/rollout/window.js';

export const emulatedVarlen: VarlenKernel = (q, k, v, cuQ, cuK, usedK, _maxQ, _maxK, scale, mask) => {
  const qs = cuQ.toNumbers();
  const ks = cuK.toNumbers();
  const us = usedK ? usedK.toNumbers() : ks.slice(1).map((e, i) => e - ks[i]!);
  const g = q.size(1) / k.size(1);
  const sc = scale ?? 1 / Math.sqrt(q.size(-1));
  const outs = [];
  const lses = [];
  for (let i = 0; i < us.length; i++) {
    const sq = qs[i + 1]! - qs[i]!;
    const sk = us[i]!;
    const qi = q.narrow(0, qs[i]!, sq).transpose(0, 1); // [Hq, sq, D]
    const rep = (t: typeof k) => t.narrow(0, ks[i]!, sk).transpose(0, 1).repeatInterleave(g, 0); // [Hq, sk, D]
    let scores = qi.matmul(rep(k).transpose(1, 2)).mul(sc); // [Hq, sq, sk]
    if (mask) {
      const causalRight = mask.causal ? 0 : mask.right;
      const sees: boolean[] = [];
      for (let a = 0; a < sq; a++) for (let j = 0; j < sk; j++) sees.push(flashKeyVisible(a, j, sq, sk, mask.left, causalRight));
      scores = where(tensor(sees, [1, sq, sk], { dtype: 'bool' }), scores, -Infinity);
    }
    const lse = scores.logsumexp(-1, true);
    outs.push(scores.sub(lse).exp().matmul(rep(v)).transpose(0, 1));
    lses.push(lse.squeeze(-1));
  }
  return [cat(outs, 0), cat(lses, 1)];
};
