// `npm run bench:verifier`: throughput and latency of the verifier pool (2 workers, reward mode)
// on realistic full responses: the 800 real Qwen2.5-Math responses of math_cot_100.jsonl checked
// against their MATH gold answers, cycled. Last line of output: JSON.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { provenance } from '../src/util/provenance.js';
import { VerifierPool } from '../src/tasks/math/verifier/pool.js';
import { peakRssBytes } from '../src/util/peak-rss.js';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function main(): Promise<void> {
  const root = repoRoot();
  const file = path.resolve(root, '../shared/data/eval/qwen_math_outputs/math_cot_100.jsonl');
  const rows = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { answer: string; code: string[] });
  const items = rows.flatMap((r) => r.code.map((response) => ({ gold: r.answer, response })));
  const workers = Number(process.env.BENCH_WORKERS ?? 2);
  const total = Number(process.env.BENCH_CHECKS ?? 40000);
  const window = 64; // checks in flight, as a trainer scoring a batch of rollouts would have
  const pool = new VerifierPool({ size: workers });

  // Warm-up: JIT and worker start.
  await Promise.all(items.slice(0, 800).map((x) => pool.check(x.gold, x.response, { mode: 'reward' })));

  const roundTrip: number[] = [];
  const compute: number[] = [];
  let correct = 0;
  let timeouts = 0;
  let next = 0;
  const t0 = performance.now();
  async function lane(): Promise<void> {
    while (next < total) {
      const x = items[next++ % items.length]!;
      const s = performance.now();
      const r = await pool.check(x.gold, x.response, { mode: 'reward' });
      roundTrip.push(performance.now() - s);
      compute.push(r.ms ?? 0);
      if (r.correct) correct++;
      if (r.reason === 'timeout') timeouts++;
    }
  }
  await Promise.all(Array.from({ length: window }, lane));
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();

  const avgChars = Math.round(items.reduce((s, x) => s + x.response.length, 0) / items.length);
  const result = {
    provenance: provenance({ threads: workers }),
    peakRssBytes: peakRssBytes(),
    bench: 'verifier',
    workers,
    checks: total,
    avg_response_chars: avgChars,
    checks_per_s: Math.round(total / seconds),
    compute_p50_ms: Number(percentile(compute, 50).toFixed(3)),
    compute_p99_ms: Number(percentile(compute, 99).toFixed(3)),
    roundtrip_p50_ms: Number(percentile(roundTrip, 50).toFixed(3)),
    roundtrip_p99_ms: Number(percentile(roundTrip, 99).toFixed(3)),
    in_flight: window,
    reward_mean: Number((correct / total).toFixed(4)),
    timeouts,
    node: process.version,
  };
  console.log(`verifier: ${result.checks_per_s} checks/s on ${workers} workers (${total} realistic responses, avg ${avgChars} chars)`);
  console.log(
    `  per-check compute p50 ${result.compute_p50_ms} ms, p99 ${result.compute_p99_ms} ms; round trip with ${window} in flight p50 ${result.roundtrip_p50_ms} ms, p99 ${result.roundtrip_p99_ms} ms`,
  );
  const outDir = path.join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'verifier.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
