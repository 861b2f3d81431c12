// GPU check of the engine and the reference sampler (issues 2 and 3, GPU items):
//   - bf16 8192³ matmul TFLOP/s through our API;
//   - scaled_dot_product_attention forward + backward (bf16, causal, GQA) TFLOP/s;
//   - a random-init model of the exact Qwen2.5-Math-1.5B shape in bf16: the reference sampler's
//     tokens/s at batch 64 and 256 (128-token prompts, 512 new tokens, T = 0.6).
// Usage: node dist/bench/gpu-check.js [--device cuda] [--small] ; JSON to bench/results/.
// `--small` shrinks every size so that the script itself can be checked on a CPU.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  F, cuda, inferenceMode, manualSeed, randint, randn, tidy, torchVersion, backward,
} from '../src/engine/index.js';
import type { ModelConfig } from '../src/model/config.js';
import { CausalLM } from '../src/model/transformer.js';
import { generate } from '../src/sampling/generate.js';

const args = process.argv.slice(2);
const device = args.includes('--device') ? args[args.indexOf('--device') + 1]! : (cuda.isAvailable() ? 'cuda' : 'cpu');
const small = args.includes('--small') || device === 'cpu';
const sync = () => { if (device.startsWith('cuda')) cuda.synchronize(); };

function timeIt(fn: () => void, iters: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) tidy(fn);
  sync();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) tidy(fn);
  sync();
  return (performance.now() - t0) / 1000 / iters;
}

const results: Record<string, unknown> = { device, torch: torchVersion(), small, date: new Date().toISOString() };
const dtype = device === 'cpu' ? 'float32' : 'bfloat16';

// ---- matmul ----
{
  const n = small ? 512 : 8192;
  const [a, b] = [randn([n, n], { dtype, device }).keep(), randn([n, n], { dtype, device }).keep()];
  const s = timeIt(() => { a.matmul(b); }, small ? 3 : 20);
  results.matmul = { n, dtype, seconds: s, tflops: (2 * n ** 3) / s / 1e12 };
  a.dispose(); b.dispose();
}

// ---- SDPA forward + backward ----
{
  const [B, H, Hkv, L, D] = small ? [1, 4, 2, 128, 64] : [8, 16, 2, 2048, 128];
  const q = randn([B, H, L, D], { dtype, device }).requiresGrad_(true).keep();
  const k = randn([B, Hkv, L, D], { dtype, device }).requiresGrad_(true).keep();
  const v = randn([B, Hkv, L, D], { dtype, device }).requiresGrad_(true).keep();
  const s = timeIt(() => {
    const o = F.scaledDotProductAttention(q, k, v, { causal: true, enableGqa: true });
    backward([o.sum()]);
  }, small ? 3 : 20);
  // Causal attention: half of the 4·B·H·L²·D forward FLOPs; backward is 2.5× forward.
  const flops = 0.5 * 4 * B * H * L * L * D * 3.5;
  results.sdpa = { shape: { B, H, Hkv, L, D }, dtype, seconds: s, tflops: flops / s / 1e12 };
  for (const t of [q, k, v]) t.dispose();
}

// ---- reference sampler on the Qwen2.5-Math-1.5B shape ----
{
  const cfg: ModelConfig = {
    architecture: 'Qwen2ForCausalLM', hiddenSize: small ? 64 : 1536, intermediateSize: small ? 128 : 8960, numLayers: small ? 2 : 28,
    numHeads: small ? 4 : 12, numKvHeads: 2, headDim: small ? 16 : 128, vocabSize: small ? 1024 : 151936, rmsNormEps: 1e-6,
    ropeTheta: 10000, ropeScaling: null, tieWordEmbeddings: true, attentionBias: true, maxPositionEmbeddings: 4096,
    bosTokenId: null, eosTokenId: null, torchDtype: 'bfloat16',
  };
  manualSeed(0);
  const model = CausalLM.randomInit(cfg, { dtype, device });
  const promptLen = small ? 16 : 128;
  const newTokens = small ? 16 : 512;
  const rows: unknown[] = [];
  for (const batch of small ? [4] : [64, 256]) {
    const prompts = inferenceMode(() => tidy(() => {
      const ids = randint(0, cfg.vocabSize, [batch, promptLen]).toNumbers();
      return Array.from({ length: batch }, (_, i) => ids.slice(i * promptLen, (i + 1) * promptLen));
    }));
    sync();
    const t0 = performance.now();
    const out = generate(model, prompts, { maxNewTokens: newTokens, temperature: 0.6, seed: 1 });
    sync();
    const s = (performance.now() - t0) / 1000;
    const tokens = out.reduce((a, o) => a + o.tokens.length, 0);
    rows.push({ batch, promptLen, newTokens, seconds: s, tokensPerSecond: tokens / s });
  }
  results.sampler = rows;
  if (device.startsWith('cuda')) results.memory = cuda.memoryStats();
  model.dispose();
}

console.log(`device ${device}, torch ${torchVersion()}${small ? ' (small sizes)' : ''}`);
const mm = results.matmul as { n: number; tflops: number };
const at = results.sdpa as { tflops: number };
console.log(`matmul ${mm.n}³ ${dtype}: ${mm.tflops.toFixed(1)} TFLOP/s   (anchor: 785 from Node in the probe, 798 PyTorch)`);
console.log(`SDPA fwd+bwd causal GQA: ${at.tflops.toFixed(1)} TFLOP/s`);
for (const r of results.sampler as { batch: number; tokensPerSecond: number }[]) {
  console.log(`sampler batch ${r.batch}: ${r.tokensPerSecond.toFixed(0)} tok/s   (anchor transformers generate: ${r.batch === 64 ? 815 : r.batch === 256 ? 2799 : '-'} tok/s)`);
}
const outDir = path.join(process.cwd(), 'bench/results');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, `gpu-check-${device.replace(':', '')}${small ? '-small' : ''}.json`), JSON.stringify(results, null, 2) + '\n');
console.log(JSON.stringify(results));
