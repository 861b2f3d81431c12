// Parity with PyTorch on random inputs, fp32 and bf16: views and indexing, broadcasting math,
// comparisons, matmul, reductions, softmax, sort/topk, and gradients through each family.
// Tolerances: see TOL in parity.ts (views/indexing/comparisons/indices exact; fp32 1e-5 rel +
// 1e-6 abs elementwise, 1e-4 + 1e-5 reductions/matmul; bf16 1e-2 + 1e-2, reductions 2e-2 + 2e-2).
import { after, before, test } from 'node:test';
import { cat, stack, tensor, where, type DType } from '../../src/engine/index.js';
import { FLOAT_DTYPES, Parity, type Result, type Tol, TOL, tolFor, withGrads, skipNoTorch } from './parity.js';

const P = new Parity('ops', 2);

// Integer inputs shared by both dtypes.
const idx = P.randint('idx', [5], 0, 6);
const gidx = P.randint('gidx', [4, 3, 8], 0, 6);
const rows = P.randint('rows', [3], 0, 4);
const cols = P.randint('cols', [3], 0, 6);
const ints = P.randint('ints', [4, 6], -50, 50);
const ints32 = P.randint('ints32', [4, 6], -50, 50, 'int32');
const mask = P.mask('mask', [4, 6, 8], 0.3);
const rowMask = P.mask('rowmask', [6, 1], 0.5);

for (const dt of FLOAT_DTYPES) {
  const s = dt === 'float32' ? '_f32' : '_bf16';
  const ew = tolFor(dt, 'ew');
  const red = tolFor(dt, 'red');
  const x = P.randn(`x${s}`, [4, 6, 8], { dtype: dt });
  const y = P.randn(`y${s}`, [6, 8], { dtype: dt });
  const col = P.randn(`col${s}`, [4, 1, 8], { dtype: dt });
  const pos = P.uniform(`pos${s}`, [4, 6, 8], 0.1, 4, dt);
  const m1 = P.randn(`m1${s}`, [5, 7], { dtype: dt });
  const m2 = P.randn(`m2${s}`, [7, 3], { dtype: dt });
  const b1 = P.randn(`b1${s}`, [2, 5, 7], { dtype: dt });
  const b2 = P.randn(`b2${s}`, [2, 7, 3], { dtype: dt });
  const src = P.randn(`src${s}`, [4, 3, 8], { dtype: dt });
  const vals = P.randn(`vals${s}`, [3, 8], { dtype: dt });
  const sq = P.randn(`sq${s}`, [6, 6], { dtype: dt });
  const c = (family: string, name: string, py: string, ts: () => Result, tol: Tol = TOL.exact) => P.case(`${family}${s}`, name, py, ts, tol, s);

  // ---- views and indexing (exact: they move values, never compute them) ----
  c('views', 'reshape', 'x.reshape(24, 8)', () => x.reshape(24, 8));
  c('views', 'reshape_infer', 'x.reshape(-1, 12)', () => x.reshape([-1, 12]));
  c('views', 'view', 'x.view(4, 48)', () => x.view(4, 48));
  c('views', 'flatten', 'x.flatten(1)', () => x.flatten(1));
  c('views', 'slice', 'x[:, 1:5]', () => x.slice(1, 1, 5));
  c('views', 'slice_step_negative', 'x[..., -6::2]', () => x.slice(2, -6, null, 2));
  c('views', 'narrow', 'x.narrow(2, 3, 4)', () => x.narrow(2, 3, 4));
  c('views', 'select', 'x[:, 2]', () => x.select(1, 2));
  c('views', 'select_negative', 'x[-1]', () => x.select(0, -1));
  c('views', 'index_select', 'x.index_select(1, idx)', () => x.indexSelect(1, idx));
  c('views', 'gather', 'x.gather(1, gidx)', () => x.gather(1, gidx));
  c('views', 'scatter_src', '(x * 0).scatter(1, gidx[:, :1], src[:, :1])', () => x.mul(0).scatter(1, gidx.slice(1, 0, 1), src.slice(1, 0, 1)));
  c('views', 'scatter_value', 'x.scatter(1, gidx, 2.5)', () => x.scatter(1, gidx, 2.5));
  c('views', 'scatter_add', 'x.scatter_add(1, gidx, src)', () => x.scatterAdd(1, gidx, src), ew);
  c('views', 'masked_fill', 'x.masked_fill(mask, -1.5)', () => x.maskedFill(mask, -1.5));
  c('views', 'masked_fill_broadcast', 'x.masked_fill(rowmask, float("-inf"))', () => x.maskedFill(rowMask, -Infinity));
  c('views', 'where', 'torch.where(mask, x, y)', () => where(mask, x, y));
  c('views', 'where_scalar_other', 'torch.where(mask, x, 0.5)', () => where(mask, x, 0.5));
  c('views', 'where_scalar_self', 'torch.where(mask, -2, y)', () => where(mask, -2, y));
  c('views', 'where_scalars', 'torch.where(mask, 1.5, -1)', () => where(mask, 1.5, -1));
  c('views', 'where_ints', 'torch.where(mask, 1, 0)', () => where(mask, 1, 0));
  c('views', 'cat', 'torch.cat([x, x * 2], 1)', () => cat([x, x.mul(2)], 1));
  c('views', 'stack', 'torch.stack([y, y.neg()], 0)', () => stack([y, y.neg()], 0));
  c('views', 'split', 'list(x.split(3, 1))', () => x.split(3, 1));
  c('views', 'split_sizes', 'list(x.split([2, 1, 5], 2))', () => x.split([2, 1, 5], 2));
  c('views', 'chunk', 'list(x.chunk(3, 2))', () => x.chunk(3, 2));
  c('views', 'transpose', 'x.transpose(0, 2)', () => x.transpose(0, 2));
  c('views', 'T', 'y.mT', () => y.T);
  c('views', 'permute', 'x.permute(2, 0, 1)', () => x.permute(2, 0, 1));
  c('views', 'expand', 'col.expand(4, 6, 8)', () => col.expand(4, 6, 8));
  c('views', 'expand_keep', 'col.expand(-1, 5, -1)', () => col.expand(-1, 5, -1));
  c('views', 'unsqueeze', 'y.unsqueeze(1)', () => y.unsqueeze(1));
  c('views', 'squeeze', 'col.squeeze()', () => col.squeeze());
  c('views', 'squeeze_dim', 'col.squeeze(1)', () => col.squeeze(1));
  c('views', 'tril', 'sq.tril()', () => sq.tril());
  c('views', 'tril_diag', 'sq.tril(-1)', () => sq.tril(-1));
  c('views', 'triu', 'sq.triu(1)', () => sq.triu(1));
  c('views', 'contiguous', 'x.transpose(0, 1).contiguous()', () => x.transpose(0, 1).contiguous());
  c('views', 'index_rows_cols', 'y[rows, cols]', () => y.index([rows, cols]));
  c('views', 'index_dim1', 'x[:, idx]', () => x.index([null, idx]));
  c('views', 'index_bool', 'x[mask]', () => x.index([mask]));
  c('views', 'index_put', 'z = x.clone()\nz[0, 1:4] = vals\nout = z', () => {
    const z = x.clone();
    z.select(0, 0).slice(0, 1, 4).copy_(vals);
    return z;
  });
  c('views', 'index_put_accumulate', 'z = y.clone()\nz.index_put_((rows,), vals, accumulate=True)\nout = z', () => y.clone().indexPut_([rows], vals, true), ew);
  c('views', 'repeat', 'y.repeat(2, 1, 3)', () => y.repeat(2, 1, 3));
  c('views', 'repeat_interleave', 'y.repeat_interleave(2, 0)', () => y.repeatInterleave(2, 0));
  c('views', 'flip', 'x.flip(0, 2)', () => x.flip(0, 2));
  c('views', 'to_dtype', 'x.to(torch.float16)', () => x.half());
  c('views', 'masked_fill_inplace', 'z = x.clone()\nz.masked_fill_(mask, 7.0)\nout = z', () => x.clone().maskedFill_(mask, 7));
  c('views', 'index_copy', 'z = y.clone()\nz.index_copy_(0, torch.tensor([4, 0, 2], device=dev), vals)\nout = z', () =>
    y.clone().indexCopy_(0, tensor([4, 0, 2], undefined, { dtype: 'int64', device: x.device }), vals),
  );

  // ---- elementwise math with broadcasting ----
  c('math', 'add', 'x + y', () => x.add(y), ew);
  c('math', 'add_alpha', 'torch.add(x, col, alpha=2.5)', () => x.add(col, 2.5), ew);
  c('math', 'add_scalar', 'x + 1.5', () => x.add(1.5), ew);
  c('math', 'sub', 'col - y', () => col.sub(y), ew);
  c('math', 'sub_alpha', 'torch.sub(x, y, alpha=0.5)', () => x.sub(y, 0.5), ew);
  c('math', 'rsub', '2 - x', () => x.rsub(2), ew);
  c('math', 'mul', 'x * col', () => x.mul(col), ew);
  c('math', 'mul_scalar', 'x * 0.1', () => x.mul(0.1), ew);
  c('math', 'div', 'x / pos', () => x.div(pos), ew);
  c('math', 'div_scalar', 'x / 3', () => x.div(3), ew);
  c('math', 'neg', '-x', () => x.neg(), ew);
  c('math', 'exp', 'x.exp()', () => x.exp(), ew);
  c('math', 'log', 'pos.log()', () => pos.log(), ew);
  c('math', 'log1p', 'pos.log1p()', () => pos.log1p(), ew);
  c('math', 'expm1', 'x.expm1()', () => x.expm1(), ew);
  c('math', 'sqrt', 'pos.sqrt()', () => pos.sqrt(), ew);
  c('math', 'rsqrt', 'pos.rsqrt()', () => pos.rsqrt(), ew);
  c('math', 'pow_scalar', 'pos.pow(1.7)', () => pos.pow(1.7), ew);
  c('math', 'pow_int', 'x.pow(3)', () => x.pow(3), ew);
  c('math', 'pow_tensor', 'pos.pow(y)', () => pos.pow(y), ew);
  c('math', 'square', 'x.square()', () => x.square(), ew);
  c('math', 'abs', 'x.abs()', () => x.abs(), ew);
  c('math', 'sign', 'x.sign()', () => x.sign(), ew);
  c('math', 'reciprocal', 'pos.reciprocal()', () => pos.reciprocal(), ew);
  c('math', 'clamp', 'x.clamp(-0.5, 0.7)', () => x.clamp(-0.5, 0.7), ew);
  c('math', 'clamp_min', 'x.clamp(min=0.2)', () => x.clamp(0.2), ew);
  c('math', 'clamp_max', 'x.clamp(max=-0.2)', () => x.clamp(null, -0.2), ew);
  c('math', 'maximum', 'torch.maximum(x, y)', () => x.maximum(y), ew);
  c('math', 'minimum', 'torch.minimum(x, col)', () => x.minimum(col), ew);
  c('math', 'sin_cos', '[x.sin(), x.cos()]', () => [x.sin(), x.cos()], ew);
  c('math', 'tanh_sigmoid', '[x.tanh(), x.sigmoid()]', () => [x.tanh(), x.sigmoid()], ew);
  c('math', 'floor_round', '[(x * 3).floor(), (x * 3).round()]', () => [x.mul(3).floor(), x.mul(3).round()], ew);
  c('math', 'remainder', 'x.remainder(0.75)', () => x.remainder(0.75), ew);
  c('math', 'nan_to_num', '(x.log()).nan_to_num(0.0, 100.0, -100.0)', () => x.log().nanToNum(0, 100, -100), ew);
  c('math', 'isnan_isfinite', '[x.log().isnan(), (x / 0).isfinite()]', () => [x.log().isnan(), x.div(0).isfinite()]);
  c(
    'math',
    'inplace',
    'z = x.clone()\nz.add_(y, alpha=2)\nz.mul_(col)\nz.div_(1.5)\nz.clamp_(-1, 1)\nz.add_(0.25)\nz.mul_(2)\nout = z',
    () => x.clone().add_(y, 2).mul_(col).div_(1.5).clamp_(-1, 1).add_(0.25).mul_(2),
    ew,
  );
  c('math', 'fill_zero', 'z = x.clone()\nz[0].fill_(3.5)\nz[1].zero_()\nout = z', () => {
    const z = x.clone();
    z.select(0, 0).fill_(3.5);
    z.select(0, 1).zero_();
    return z;
  });
  // Type promotion: float op int keeps the float dtype; int op float scalar gives the default float.
  c('math', 'promote_int_tensor', 'x[0, :, :6].transpose(0, 1)[:4] + ints', () => x.select(0, 0).slice(1, 0, 6).transpose(0, 1).slice(0, 0, 4).add(ints), ew);
  c('math', 'promote_int_scalar', 'ints * 0.5', () => ints.mul(0.5), ew);

  // ---- comparisons and logic ----
  c('compare', 'eq_ne', '[x == y, x != x.round()]', () => [x.eq(y), x.ne(x.round())]);
  c('compare', 'lt_le', '[x < col, x <= 0.1]', () => [x.lt(col), x.le(0.1)]);
  c('compare', 'gt_ge', '[x > y, x >= -0.3]', () => [x.gt(y), x.ge(-0.3)]);
  c('compare', 'logic', '[(x > 0).logical_and(mask), (x > 0).logical_or(mask), mask.logical_not()]', () => [
    x.gt(0).logicalAnd(mask),
    x.gt(0).logicalOr(mask),
    mask.logicalNot(),
  ]);
  c('compare', 'all_any', '[(x > -10).all(), (x > 10).any(), mask.any()]', () => [x.gt(-10).all(), x.gt(10).any(), mask.any()]);

  // ---- matmul family ----
  c('matmul', 'matmul_2d', 'm1 @ m2', () => m1.matmul(m2), red);
  c('matmul', 'mm', 'torch.mm(m1, m2)', () => m1.mm(m2), red);
  c('matmul', 'bmm', 'torch.bmm(b1, b2)', () => b1.bmm(b2), red);
  c('matmul', 'matmul_broadcast', 'b1 @ m2', () => b1.matmul(m2), red);
  c('matmul', 'matmul_vec', 'm1 @ m2[:, 0]', () => m1.matmul(m2.select(1, 0)), red);
  c('matmul', 'matmul_4d', 'x.reshape(2, 2, 6, 8) @ y.mT', () => x.reshape(2, 2, 6, 8).matmul(y.T), red);

  // ---- reductions along dims ----
  c('reduce', 'sum_all', 'x.sum()', () => x.sum(), red);
  c('reduce', 'sum_dim', 'x.sum(1)', () => x.sum(1), red);
  c('reduce', 'sum_dims_keepdim', 'x.sum((0, 2), keepdim=True)', () => x.sum([0, 2], true), red);
  c('reduce', 'sum_dtype', 'x.sum(-1, dtype=torch.float32)', () => x.sum(-1, false, 'float32'), red);
  c('reduce', 'sum_int', 'ints.sum(0)', () => ints.sum(0));
  c('reduce', 'sum_int32', 'ints32.sum()', () => ints32.sum());
  c('reduce', 'mean', '[x.mean(), x.mean(-1), x.mean((0, 1), keepdim=True)]', () => [x.mean(), x.mean(-1), x.mean([0, 1], true)], red);
  c(
    'reduce',
    'var_std',
    '[x.var(1), x.std(), x.var(-1, correction=0, keepdim=True)]',
    () => [x.var(1), x.std(), x.var(-1, { correction: 0, keepdim: true })],
    red,
  );
  c('reduce', 'max_min_all', '[x.max(), x.min()]', () => [x.max(), x.min()]);
  c('reduce', 'max_dim', 'list(x.max(1))', () => x.maxDim(1));
  c('reduce', 'min_dim_keepdim', 'list(x.min(-1, keepdim=True))', () => x.minDim(-1, true));
  c('reduce', 'amax_amin', '[x.amax((0, 2)), x.amin(1, keepdim=True)]', () => [x.amax([0, 2]), x.amin(1, true)]);
  c('reduce', 'argmax', '[x.argmax(), x.argmax(1), x.argmax(-1, keepdim=True)]', () => [x.argmax(), x.argmax(1), x.argmax(-1, true)]);
  c('reduce', 'argmin', 'x.argmin(2)', () => x.argmin(2));
  c('reduce', 'logsumexp', '[x.logsumexp(-1), x.logsumexp((0, 1), keepdim=True)]', () => [x.logsumexp(-1), x.logsumexp([0, 1], true)], red);
  c('reduce', 'cumsum', '[x.cumsum(1), x.cumsum(-1, dtype=torch.float32), ints.cumsum(1)]', () => [x.cumsum(1), x.cumsum(-1, 'float32'), ints.cumsum(1)], red);
  c('reduce', 'norm', '[x.norm(), x.norm(1)]', () => [x.norm(), x.norm(1)], red);
  c('reduce', 'softmax', '[x.softmax(-1), x.softmax(0)]', () => [x.softmax(-1), x.softmax(0)], ew);
  c('reduce', 'softmax_f32', 'x.softmax(-1, dtype=torch.float32)', () => x.softmax(-1, 'float32'), red);
  c('reduce', 'log_softmax', '[x.log_softmax(-1), x.log_softmax(1)]', () => [x.logSoftmax(-1), x.logSoftmax(1)], red);
  c('reduce', 'softmax_masked', 'x.masked_fill(rowmask, float("-inf")).softmax(1)', () => x.maskedFill(rowMask, -Infinity).softmax(1), ew);
  c('reduce', 'topk', 'list(x.topk(3))', () => x.topk(3));
  c('reduce', 'topk_smallest_dim', 'list(x.topk(2, 1, largest=False))', () => x.topk(2, 1, false));
  c('reduce', 'sort', 'list(x.sort(dim=-1, stable=True))', () => x.sort(-1));
  c('reduce', 'sort_desc', 'list(x.sort(dim=1, descending=True, stable=True))', () => x.sort(1, true));
  c('reduce', 'sort_ties', 'list((x * 2).round().sort(dim=-1, stable=True))', () => x.mul(2).round().sort(-1));
  c('reduce', 'argsort', 'x.argsort(dim=0, descending=True, stable=True)', () => x.argsort(0, true));

  // ---- gradients through each family (backward of a scalar loss; [loss, ...input grads]) ----
  const gred = dt === 'float32' ? TOL.f32red : TOL.bf16red;
  c(
    'grad',
    'elementwise',
    'with_grads([x, pos], lambda x, p: ((x * p).exp() / p.sqrt() + p.log() * x.tanh() - x.pow(2).clamp(max=2)).sum())',
    () => withGrads([x, pos], (a, p) => a.mul(p).exp().div(p.sqrt()).add(p.log().mul(a.tanh())).sub(a.pow(2).clamp(null, 2)).sum()),
    gred,
  );
  c(
    'grad',
    'broadcast',
    'with_grads([x, col, y], lambda x, c, y: ((x + c) * y - c.sigmoid()).sum())',
    () => withGrads([x, col, y], (a, cc, yy) => a.add(cc).mul(yy).sub(cc.sigmoid()).sum()),
    gred,
  );
  c('grad', 'matmul', 'with_grads([b1, m2], lambda a, b: (a @ b).square().mean())', () => withGrads([b1, m2], (a, b) => a.matmul(b).square().mean()), gred);
  c(
    'grad',
    'reductions',
    'with_grads([x], lambda x: x.logsumexp(-1).sum() + x.amax(1).sum() + x.var(0).mean() + x.cumsum(2).mean())',
    () => withGrads([x], (a) => a.logsumexp(-1).sum().add(a.amax(1).sum()).add(a.var(0).mean()).add(a.cumsum(2).mean())),
    gred,
  );
  c(
    'grad',
    'softmax',
    'with_grads([x, y], lambda x, y: (x.softmax(-1) * y).sum() - (x.log_softmax(1) * y.flip(0)).sum())',
    () =>
      withGrads([x, y], (a, b) =>
        a
          .softmax(-1)
          .mul(b)
          .sum()
          .sub(a.logSoftmax(1).mul(b.flip(0)).sum()),
      ),
    gred,
  );
  c(
    'grad',
    'indexing',
    'with_grads([x, src], lambda x, s: (x.gather(1, gidx) * s).sum() + x.index_select(1, idx).pow(2).sum() + torch.cat([x, x[:, :2]], 1).sin().sum() + x.masked_fill(mask, 0).sum())',
    () =>
      withGrads([x, src], (a, sr) =>
        a
          .gather(1, gidx)
          .mul(sr)
          .sum()
          .add(a.indexSelect(1, idx).pow(2).sum())
          .add(
            cat([a, a.slice(1, 0, 2)], 1)
              .sin()
              .sum(),
          )
          .add(a.maskedFill(mask, 0).sum()),
      ),
    gred,
  );
  c(
    'grad',
    'views',
    'with_grads([x], lambda x: (x.permute(2, 0, 1).reshape(8, 24)[:, ::3] * torch.arange(8, device=dev).unsqueeze(1)).sum() + x.transpose(0, 1).narrow(0, 1, 3).tril().exp().sum())',
    () =>
      withGrads([x], (a) =>
        a
          .permute(2, 0, 1)
          .reshape(8, 24)
          .slice(1, null, null, 3)
          .mul(tensor([0, 1, 2, 3, 4, 5, 6, 7], [8, 1], { device: a.device, dtype: 'int64' }))
          .sum()
          .add(a.transpose(0, 1).narrow(0, 1, 3).tril().exp().sum()),
      ),
    gred,
  );
  c(
    'grad',
    'topk_sort',
    'with_grads([x], lambda x: x.topk(3)[0].sum() + (x.sort(dim=1, stable=True)[0] * torch.tensor([0, 0.2, 0.4, 0.6, 0.8, 1], device=dev).unsqueeze(1)).sum())',
    () =>
      withGrads([x], (a) =>
        a
          .topk(3)[0]
          .sum()
          .add(
            a
              .sort(1)[0]
              .mul(tensor([0, 0.2, 0.4, 0.6, 0.8, 1], [6, 1], { device: a.device }))
              .sum(),
          ),
      ),
    gred,
  );
}

before(() => P.run());
after(() => P.dispose());

for (const dt of FLOAT_DTYPES as DType[]) {
  const s = dt === 'float32' ? '_f32' : '_bf16';
  for (const family of ['views', 'math', 'compare', 'matmul', 'reduce', 'grad']) {
    test(`${family} (${dt}) matches torch`, { skip: skipNoTorch() }, () => P.check(`${family}${s}`));
  }
}
