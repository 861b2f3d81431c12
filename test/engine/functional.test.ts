// Parity with torch.nn.functional (fp32 and bf16): embedding, linear, RMSNorm (Hugging Face's
// Qwen2/Llama formula), activations, scaled dot-product attention (plain, causal, masks, GQA),
// cross entropy and friends, and gradients through a small transformer-like chain.
import { after, before, test } from 'node:test';
import { F, tensor } from '../../src/engine/index.js';
import { FLOAT_DTYPES, Parity, TOL, tolFor, withGrads, type Result, type Tol, skipNoTorch } from './parity.js';

const P = new Parity('functional', 3);

const RMS_PY = `
def rms(x, w, eps):
    h = x.float()
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return w * h.to(x.dtype)
`;

const ids = P.randint('ids', [3, 4], 0, 10);
const target = P.randint('target', [6], 0, 10);
const target3d = P.randint('target3d', [2, 4], 0, 10);
// At least one key per query row (the diagonal), so no row is fully masked.
const maskData = Array.from({ length: 36 }, (_, i) => Math.floor(i / 6) === i % 6 || P.rng.next() < 0.6);
const attnMask = P.input('attnmask', tensor(maskData, [6, 6]));

for (const dt of FLOAT_DTYPES) {
  const s = dt === 'float32' ? '_f32' : '_bf16';
  const ew = tolFor(dt, 'ew');
  const red = tolFor(dt, 'red');
  const emb = P.randn(`emb${s}`, [10, 8], { dtype: dt });
  const x = P.randn(`x${s}`, [3, 5, 8], { dtype: dt });
  const w = P.randn(`w${s}`, [6, 8], { dtype: dt, scale: 0.3 });
  const b = P.randn(`b${s}`, [6], { dtype: dt });
  const nw = P.randn(`nw${s}`, [8], { dtype: dt, shift: 1, scale: 0.1 });
  const q = P.randn(`q${s}`, [2, 4, 6, 8], { dtype: dt });
  const k = P.randn(`k${s}`, [2, 4, 6, 8], { dtype: dt });
  const v = P.randn(`v${s}`, [2, 4, 6, 8], { dtype: dt });
  const qs = P.randn(`qs${s}`, [2, 4, 3, 8], { dtype: dt });
  const gq = P.randn(`gq${s}`, [2, 8, 5, 16], { dtype: dt });
  const gk = P.randn(`gk${s}`, [2, 2, 5, 16], { dtype: dt });
  const gv = P.randn(`gv${s}`, [2, 2, 5, 16], { dtype: dt });
  const addMask = P.randn(`addmask${s}`, [1, 4, 6, 6], { dtype: dt });
  const logits = P.randn(`logits${s}`, [6, 10], { dtype: dt, scale: 2 });
  const logits3d = P.randn(`logits3d${s}`, [2, 10, 4], { dtype: dt });
  const w1 = P.randn(`w1${s}`, [32, 8], { dtype: dt, scale: 0.3 });
  const w2 = P.randn(`w2${s}`, [10, 32], { dtype: dt, scale: 0.3 });
  const c = (family: string, name: string, py: string, ts: () => Result, tol: Tol) => P.case(`${family}${s}`, name, py, ts, tol, s);

  c('nn', 'embedding', 'F.embedding(ids, emb)', () => F.embedding(emb, ids), TOL.exact);
  c('nn', 'linear_bias', 'F.linear(x, w, b)', () => F.linear(x, w, b), red);
  c('nn', 'linear_nobias', 'F.linear(x, w)', () => F.linear(x, w), red);
  c('nn', 'rms_norm_hf', `${RMS_PY}\nout = rms(x, nw, 1e-6)`, () => F.rmsNorm(x, nw, 1e-6), ew);
  c('nn', 'rms_norm_torch', 'F.rms_norm(x.float(), (8,), eps=1e-5).to(x.dtype) * nw', () => F.rmsNorm(x, nw, 1e-5), ew);
  c('nn', 'silu', 'F.silu(x)', () => F.silu(x), ew);
  c('nn', 'relu', 'F.relu(x)', () => F.relu(x), ew);
  c('nn', 'gelu', 'F.gelu(x)', () => F.gelu(x), ew);
  c('nn', 'gelu_tanh', 'F.gelu(x, approximate="tanh")', () => F.gelu(x, 'tanh'), ew);
  c('nn', 'softmax', '[F.softmax(x, -1), F.log_softmax(x, 1)]', () => [F.softmax(x, -1), F.logSoftmax(x, 1)], red);
  c('nn', 'dropout_eval', 'F.dropout(x, 0.5, training=False)', () => F.dropout(x, 0.5, false), TOL.exact);
  c(
    'nn',
    'mse',
    '[F.mse_loss(x, x.flip(0)), F.mse_loss(x, x.flip(0), reduction="sum"), F.mse_loss(x, x.flip(0), reduction="none")]',
    () => [F.mseLoss(x, x.flip(0)), F.mseLoss(x, x.flip(0), 'sum'), F.mseLoss(x, x.flip(0), 'none')],
    red,
  );

  c('attention', 'sdpa', 'F.scaled_dot_product_attention(q, k, v)', () => F.scaledDotProductAttention(q, k, v), red);
  c('attention', 'sdpa_causal', 'F.scaled_dot_product_attention(q, k, v, is_causal=True)', () => F.scaledDotProductAttention(q, k, v, { causal: true }), red);
  c(
    'attention',
    'sdpa_causal_short_q',
    'F.scaled_dot_product_attention(qs, k, v, is_causal=True)',
    () => F.scaledDotProductAttention(qs, k, v, { causal: true }),
    red,
  );
  c(
    'attention',
    'sdpa_bool_mask',
    'F.scaled_dot_product_attention(q, k, v, attn_mask=attnmask)',
    () => F.scaledDotProductAttention(q, k, v, { mask: attnMask }),
    red,
  );
  c(
    'attention',
    'sdpa_float_mask',
    'F.scaled_dot_product_attention(q, k, v, attn_mask=addmask)',
    () => F.scaledDotProductAttention(q, k, v, { mask: addMask }),
    red,
  );
  c(
    'attention',
    'sdpa_scale',
    'F.scaled_dot_product_attention(q, k, v, scale=0.2, is_causal=True)',
    () => F.scaledDotProductAttention(q, k, v, { scale: 0.2, causal: true }),
    red,
  );
  c(
    'attention',
    'sdpa_gqa',
    'F.scaled_dot_product_attention(gq, gk, gv, enable_gqa=True)',
    () => F.scaledDotProductAttention(gq, gk, gv, { enableGqa: true }),
    red,
  );
  c(
    'attention',
    'sdpa_gqa_causal',
    'F.scaled_dot_product_attention(gq, gk, gv, is_causal=True, enable_gqa=True)',
    () => F.scaledDotProductAttention(gq, gk, gv, { causal: true, enableGqa: true }),
    red,
  );
  c(
    'attention',
    'sdpa_gqa_equals_repeat',
    'F.scaled_dot_product_attention(gq, gk.repeat_interleave(4, 1), gv.repeat_interleave(4, 1), is_causal=True)',
    () => F.scaledDotProductAttention(gq, gk, gv, { causal: true, enableGqa: true }),
    red,
  );

  c('loss', 'cross_entropy', 'F.cross_entropy(logits, target)', () => F.crossEntropy(logits, target), red);
  c(
    'loss',
    'cross_entropy_sum_none',
    '[F.cross_entropy(logits, target, reduction="sum"), F.cross_entropy(logits, target, reduction="none")]',
    () => [F.crossEntropy(logits, target, { reduction: 'sum' }), F.crossEntropy(logits, target, { reduction: 'none' })],
    red,
  );
  c(
    'loss',
    'cross_entropy_ignore',
    't = target.clone()\nt[1] = -100\nu = target.clone()\nu[4] = 3\nout = [F.cross_entropy(logits, t), F.cross_entropy(logits, u, ignore_index=3)]',
    () => {
      const t = target.clone();
      t.select(0, 1).fill_(-100);
      const u = target.clone();
      u.select(0, 4).fill_(3);
      return [F.crossEntropy(logits, t), F.crossEntropy(logits, u, { ignoreIndex: 3 })];
    },
    red,
  );
  c(
    'loss',
    'cross_entropy_smoothing',
    'F.cross_entropy(logits, target, label_smoothing=0.1)',
    () => F.crossEntropy(logits, target, { labelSmoothing: 0.1 }),
    red,
  );
  c('loss', 'cross_entropy_3d', 'F.cross_entropy(logits3d, target3d)', () => F.crossEntropy(logits3d, target3d), red);

  const gradTol = dt === 'float32' ? TOL.f32red : { rtol: 3e-2, atol: 3e-2 };
  c(
    'grad',
    'linear_rms_silu',
    `${RMS_PY}\nout = with_grads([x, w, b, nw], lambda x, w, b, nw: (F.silu(F.linear(rms(x, nw, 1e-6), w, b)) ** 2).mean())`,
    () =>
      withGrads([x, w, b, nw], (xx, ww, bb, nn) =>
        F.silu(F.linear(F.rmsNorm(xx, nn, 1e-6), ww, bb))
          .pow(2)
          .mean(),
      ),
    gradTol,
  );
  c(
    'grad',
    'embedding_gelu_ce',
    'out = with_grads([emb, w1, w2], lambda e, a, b: F.cross_entropy(F.linear(F.gelu(F.linear(F.embedding(ids, e), a)), b).reshape(12, 10), ids.reshape(12)))',
    () => withGrads([emb, w1, w2], (e, a, bb) => F.crossEntropy(F.linear(F.gelu(F.linear(F.embedding(e, ids), a)), bb).reshape(12, 10), ids.reshape(12))),
    gradTol,
  );
  c(
    'grad',
    'sdpa_causal',
    'with_grads([q, k, v], lambda q, k, v: (F.scaled_dot_product_attention(q, k, v, is_causal=True) * v).sum())',
    () => withGrads([q, k, v], (a, bb, cc) => F.scaledDotProductAttention(a, bb, cc, { causal: true }).mul(cc).sum()),
    gradTol,
  );
  c(
    'grad',
    'sdpa_gqa',
    'with_grads([gq, gk, gv], lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True).square().sum())',
    () => withGrads([gq, gk, gv], (a, bb, cc) => F.scaledDotProductAttention(a, bb, cc, { causal: true, enableGqa: true }).square().sum()),
    gradTol,
  );
  c(
    'grad',
    'sdpa_mask',
    'with_grads([q, k, v, addmask], lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m).sin().sum())',
    () => withGrads([q, k, v, addMask], (a, bb, cc, m) => F.scaledDotProductAttention(a, bb, cc, { mask: m }).sin().sum()),
    gradTol,
  );
  c(
    'grad',
    'cross_entropy_smoothing',
    'with_grads([logits], lambda l: F.cross_entropy(l, target, label_smoothing=0.1))',
    () => withGrads([logits], (l) => F.crossEntropy(l, target, { labelSmoothing: 0.1 })),
    gradTol,
  );
}

before(() => P.run());
after(() => P.dispose());

for (const dt of FLOAT_DTYPES) {
  const s = dt === 'float32' ? '_f32' : '_bf16';
  for (const family of ['nn', 'attention', 'loss', 'grad']) {
    test(`functional ${family} (${dt}) matches torch`, { skip: skipNoTorch() }, () => P.check(`${family}${s}`));
  }
}
