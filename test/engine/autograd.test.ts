// Autograd and optimizers: backward/grad against PyTorch (incl. second derivatives), gradient
// modes, detach, activation checkpointing (same grads as plain backward), AdamW (fused and the
// reference path) against torch.optim.AdamW over several steps, clipGradNorm against
// torch.nn.utils.clip_grad_norm_.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AdamW,
  backward,
  CheckpointedSequence,
  clipGradNorm,
  enableGrad,
  F,
  grad,
  inferenceMode,
  isGradEnabled,
  liveTensors,
  noGrad,
  ones,
  tensor,
  tidy,
  zeros,
  type DType,
  type Tensor,
} from '../../src/engine/index.js';
import { native } from '../../src/engine/native.js';
import { compareTensors, DEVICE, FLOAT_DTYPES, Parity, TOL, type Tol, skipNoTorch } from './parity.js';

const P = new Parity('autograd', 4);

// ---- backward / autograd.grad ----
const x = P.randn('x', [5], { scale: 0.8 });
const v = P.randn('v', [5]);
P.case(
  'autograd',
  'grad_second_order',
  'x.requires_grad_()\ng, = torch.autograd.grad((x ** 3).sum(), [x], create_graph=True)\ng2, = torch.autograd.grad((g * x.sin()).sum(), [x])\nout = [g, g2]',
  () => {
    const xl = x.detach().requiresGrad_(true);
    const [g] = grad([xl.pow(3).sum()], [xl], null, { createGraph: true });
    const [g2] = grad([g!.mul(xl.sin()).sum()], [xl]);
    return [g!.detach(), g2!];
  },
  TOL.f32,
);
P.case(
  'autograd',
  'backward_gradient_arg',
  'x.requires_grad_()\n(x * x.exp()).backward(v)\nout = x.grad',
  () => {
    const xl = x.detach().requiresGrad_(true);
    xl.mul(xl.exp()).backward(v);
    return xl.grad;
  },
  TOL.f32,
);
P.case(
  'autograd',
  'accumulate_retain_graph',
  'x.requires_grad_()\ny = (x.tanh() * 3).sum()\ny.backward(retain_graph=True)\ny.backward()\nout = x.grad',
  () => {
    const xl = x.detach().requiresGrad_(true);
    const y = xl.tanh().mul(3).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    return xl.grad;
  },
  TOL.f32,
);
P.case(
  'autograd',
  'backward_many',
  'x.requires_grad_()\ntorch.autograd.backward([x.sum() * 2, x.square()], [None, v])\nout = x.grad',
  () => {
    const xl = x.detach().requiresGrad_(true);
    backward([xl.sum().mul(2), xl.square()], [null, v]);
    return xl.grad;
  },
  TOL.f32,
);
P.case(
  'autograd',
  'grad_many_inputs',
  'x.requires_grad_()\nv.requires_grad_()\nout = list(torch.autograd.grad([(x * v).sum()], [x, v], retain_graph=True))',
  () => {
    const xl = x.detach().requiresGrad_(true);
    const vl = v.detach().requiresGrad_(true);
    const r = grad([xl.mul(vl).sum()], [xl, vl], null, { retainGraph: true });
    assert.equal(xl.grad, null, 'autograd.grad must not accumulate into .grad');
    return r as Tensor[];
  },
  TOL.f32,
);
P.case(
  'autograd',
  'detach_stops_grad',
  'x.requires_grad_()\n(x * x.detach()).sum().backward()\nout = x.grad',
  () => {
    const xl = x.detach().requiresGrad_(true);
    xl.mul(xl.detach()).sum().backward();
    return xl.grad;
  },
  TOL.f32,
);
P.case(
  'autograd',
  'bf16_backward',
  'xb = x.bfloat16().requires_grad_()\n(xb.exp() * xb).sum().backward()\nout = xb.grad',
  () => {
    const xb = x.bfloat16().requiresGrad_(true);
    xb.exp().mul(xb).sum().backward();
    return xb.grad;
  },
  TOL.bf16,
);

// ---- AdamW over several steps (fp32: fused and reference path; bf16: fused) ----
const STEPS = 5;
const ADAM = 'lr=1e-2, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1';
for (const dt of FLOAT_DTYPES) {
  const s = dt === 'float32' ? '_f32' : '_bf16';
  const w1 = P.randn(`w1${s}`, [8, 4], { dtype: dt, scale: 0.5 });
  const b1 = P.randn(`b1${s}`, [8], { dtype: dt, scale: 0.1 });
  const w2 = P.randn(`w2${s}`, [3, 8], { dtype: dt, scale: 0.5 });
  const unused = P.randn(`unused${s}`, [2], { dtype: dt });
  const xs = P.randn(`xs${s}`, [STEPS, 6, 4], { dtype: dt });
  const ys = P.randn(`ys${s}`, [STEPS, 6, 3], { dtype: dt });
  const variants: [string, boolean][] =
    dt === 'float32'
      ? [
          ['fused', true],
          ['reference', false],
        ]
      : [['fused', true]];
  for (const [name, fused] of variants) {
    // torch's default (fused=None) on CPU is the single-tensor loop our reference path mirrors.
    const pyFused = fused ? 'True' : 'None';
    const tol: Tol = dt === 'float32' ? { rtol: 1e-5, atol: 2e-6 } : TOL.bf16;
    P.case(
      'adamw',
      `${name}${s}`,
      `
ps = [t.clone().requires_grad_() for t in (w1, b1, w2, unused)]
opt = torch.optim.AdamW(ps, ${ADAM}, fused=${pyFused})
for i in range(${STEPS}):
    loss = F.mse_loss(F.linear(F.silu(F.linear(xs[i], ps[0], ps[1])), ps[2]), ys[i])
    loss.backward()
    opt.step()
    opt.zero_grad()
out = ps + [opt.state[p]['exp_avg'] for p in ps[:3]] + [opt.state[p]['exp_avg_sq'] for p in ps[:3]]`,
      () => {
        const ps = [w1, b1, w2, unused].map((t) => t.clone().requiresGrad_(true));
        const opt = new AdamW(ps, { lr: 1e-2, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0.1, fused });
        for (let i = 0; i < STEPS; i++) {
          tidy(() => {
            const loss = F.mseLoss(F.linear(F.silu(F.linear(xs.select(0, i), ps[0]!, ps[1]!)), ps[2]!), ys.select(0, i));
            loss.backward();
          });
          opt.step();
          opt.zeroGrad();
        }
        const out = [...ps.map((p) => p.detach()), ...opt.expAvg.slice(0, 3).map((t) => t.clone()), ...opt.expAvgSq.slice(0, 3).map((t) => t.clone())];
        assert.equal(opt.steps[3]!.item(), 0, 'a parameter without a gradient is skipped');
        assert.equal(opt.steps[0]!.item(), STEPS);
        opt.dispose();
        return out;
      },
      tol,
      s,
    );
  }

  // ---- clip_grad_norm_ ----
  const g1 = P.randn(`g1${s}`, [8, 4], { dtype: dt });
  const g2 = P.randn(`g2${s}`, [3, 8], { dtype: dt, scale: 3 });
  for (const maxNorm of [0.5, 100]) {
    P.case(
      'clip',
      `clip_${maxNorm}${s}`,
      `
ps = [w1.clone(), w2.clone(), unused.clone()]
ps[0].grad = g1.clone()
ps[1].grad = g2.clone()
total = torch.nn.utils.clip_grad_norm_(ps, ${maxNorm})
out = [total.item(), ps[0].grad, ps[1].grad]`,
      () => {
        const ps = [w1.clone(), w2.clone(), unused.clone()];
        ps[0]!.grad = g1.clone();
        ps[1]!.grad = g2.clone();
        const total = clipGradNorm(ps, maxNorm);
        return [total, ps[0]!.grad!, ps[1]!.grad!];
      },
      dt === 'float32' ? TOL.f32red : TOL.bf16red,
      s,
    );
  }
}

before(() => P.run());
after(() => P.dispose());

test('backward / autograd.grad match torch', { skip: skipNoTorch() }, () => P.check('autograd'));
test('AdamW (fused and reference) matches torch.optim.AdamW over several steps', { skip: skipNoTorch() }, () => P.check('adamw'));
test('clipGradNorm matches torch.nn.utils.clip_grad_norm_', { skip: skipNoTorch() }, () => P.check('clip'));

test('requiresGrad, isLeaf, grad, zeroing', () => {
  tidy(() => {
    const a = ones([3], { device: DEVICE });
    assert.equal(a.requiresGrad, false);
    a.requiresGrad_(true);
    assert.equal(a.requiresGrad, true);
    assert.equal(a.isLeaf, true);
    assert.equal(a.grad, null);
    const b = a.mul(2);
    assert.equal(b.isLeaf, false);
    assert.equal(b.requiresGrad, true);
    b.sum().backward();
    assert.deepEqual(a.grad!.toNumbers(), [2, 2, 2]);
    a.mul(3).sum().backward();
    assert.deepEqual(a.grad!.toNumbers(), [5, 5, 5], 'gradients accumulate');
    a.grad = null;
    assert.equal(a.grad, null);
    a.grad = zeros([3], { device: DEVICE });
    assert.deepEqual(a.grad!.toNumbers(), [0, 0, 0]);
  });
});

test('noGrad, enableGrad, inferenceMode and detach', () => {
  tidy(() => {
    const a = ones([2], { device: DEVICE, requiresGrad: true });
    assert.equal(isGradEnabled(), true);
    const inside = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      const r = enableGrad(() => {
        assert.equal(isGradEnabled(), true);
        return a.mul(2);
      });
      assert.equal(r.requiresGrad, true);
      assert.equal(isGradEnabled(), false);
      return a.mul(2);
    });
    assert.equal(inside.requiresGrad, false);
    assert.equal(isGradEnabled(), true);
    assert.throws(
      () =>
        noGrad(() => {
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(isGradEnabled(), true, 'noGrad restores the mode after a throw');

    const inf = inferenceMode(() => {
      assert.equal(native.isInference(), true);
      assert.equal(isGradEnabled(), false);
      return a.mul(2);
    });
    assert.equal(native.isInference(), false);
    assert.equal(inf.requiresGrad, false);
    assert.throws(
      () =>
        inferenceMode(() => {
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(native.isInference(), false, 'inferenceMode exits after a throw');
    // Inference tensors cannot join a graph later (libtorch's rule, surfaced as a JS error).
    assert.throws(() => inf.mul(a).sum().backward(), /[Ii]nference tensors/);

    const d = a.detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(native.dataPtr(d.id), native.dataPtr(a.id), 'detach shares storage');
  });
});

test('CheckpointedSequence gives the same gradients as plain backward', () => {
  const live = liveTensors();
  const dims = [6, 16, 16, 6];
  const dt: DType = 'float32';
  const params = tidy(() =>
    dims
      .slice(0, -1)
      .flatMap((d, i) => [
        tensor(
          Array.from({ length: dims[i + 1]! * d }, (_, j) => Math.sin(j * 0.37 + i)),
          [dims[i + 1]!, d],
          { dtype: dt, device: DEVICE },
        ).mul(0.3),
        tensor(
          Array.from({ length: dims[i + 1]! }, (_, j) => Math.cos(j + i) * 0.1),
          undefined,
          { dtype: dt, device: DEVICE },
        ),
      ])
      .map((p) => p.requiresGrad_(true).keep()),
  );
  const blocks = [0, 1, 2].map((i) => (h: Tensor) => F.silu(F.linear(h, params[2 * i]!, params[2 * i + 1]!)));
  const input = tidy(() =>
    tensor(
      Array.from({ length: 4 * 6 }, (_, j) => Math.cos(j * 0.71)),
      [4, 6],
      { device: DEVICE },
    ).keep(),
  );

  // Plain backward.
  const plain = tidy(() => {
    const xl = input.detach().requiresGrad_(true);
    let h = xl;
    for (const b of blocks) h = b(h);
    h.square().sum().backward();
    return [xl.grad!, ...params.map((p) => p.grad!.clone())];
  });
  for (const p of params) p.grad = null;

  // Checkpointed: forward without a graph, backward block by block.
  const seq = new CheckpointedSequence(blocks);
  const ckpt = tidy(() => {
    const y = seq.forward(input);
    assert.equal(y.requiresGrad, true);
    const loss = y.square().sum();
    loss.backward();
    const dx = seq.backward(y.grad!);
    return [dx, ...params.map((p) => p.grad!.clone())];
  });
  tidy(() => {
    const problems = plain.flatMap((t, i) => compareTensors(ckpt[i]!, t, { rtol: 1e-6, atol: 1e-7 }, i === 0 ? 'dx' : `param ${i - 1}`));
    assert.deepEqual(problems, []);
  });
  for (const t of [...plain, ...ckpt, ...params, input]) t.dispose();
  assert.equal(liveTensors(), live, 'checkpointing leaves no tensors behind');
});

test('AdamW state can be saved and restored', () => {
  const live = liveTensors();
  tidy(() => {
    const make = () => [tensor([1, -2, 3], undefined, { device: DEVICE }).requiresGrad_(true)];
    const stepWith = (opt: AdamW, ps: Tensor[], k: number) => {
      for (let i = 0; i < k; i++) {
        tidy(() =>
          ps[0]!
            .mul(ps[0]!)
            .mul(i + 1)
            .sum()
            .backward(),
        );
        opt.step();
        opt.zeroGrad();
      }
    };
    const a = make();
    const optA = new AdamW(a, { lr: 0.1 });
    stepWith(optA, a, 2);
    const b = [a[0]!.detach().clone().requiresGrad_(true)];
    const optB = new AdamW(b, { lr: 0.1 });
    optB.loadState(optA.state());
    stepWith(optA, a, 3);
    stepWith(optB, b, 3);
    assert.deepEqual(b[0]!.toNumbers(), a[0]!.toNumbers());
    optA.dispose();
    optB.dispose();
  });
  assert.equal(liveTensors(), live);
});
