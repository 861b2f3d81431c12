// The result tables of the docs, generated from the committed results files (bench/results/*.json):
// each marked block `<!-- results:NAME -->` ... `<!-- /results:NAME -->` of the file that FILES
// names for it (docs/RESULTS.md, docs/REAL-MODEL.md) is rewritten from its results file, so that no
// figure in those tables is typed by hand. test/package/readme-tables.test.ts regenerates the blocks
// in memory and fails when a file differs. (The name is historical: the blocks lived in README.md.)
//   node scripts/readme-tables.mjs           rewrite the files (npm run readme:tables)
//   node scripts/readme-tables.mjs --check   exit 1 naming the blocks that differ
// Needs the build (dist/src/stats for the Wilson intervals).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { wilson } from '../dist/src/stats/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (f) => JSON.parse(fs.readFileSync(path.join(root, 'bench/results', f), 'utf8'));
const exists = (f) => fs.existsSync(path.join(root, 'bench/results', f));

const pct = (x, d = 1) => `${(100 * x).toFixed(d)}%`;
/** "30.0% (6/20) [14.5, 51.9]": a share of n with its Wilson 95% interval. */
const share = (p, n) => {
  const k = Math.round(p * n);
  const w = wilson(k, n);
  return `${pct(p)} (${k}/${n}) [${(100 * w.lo).toFixed(1)}, ${(100 * w.hi).toFixed(1)}]`;
};
const num = (x, d) => x.toFixed(d);
const meanMinMax = (c, d, unit = '') => (c.mean === null ? 'n/a' : `${num(c.mean, d)}${unit} [${num(c.min, d)}, ${num(c.max, d)}]`);
const ratio = (r) => (r === 'Infinity' || r === Infinity ? '∞' : `${r.toFixed(1)}x`);

/** The embedded demo over seeds (bench/results/demo-seeds.json, from scripts/demo-seeds.mjs). */
function demoSeeds() {
  if (!exists('demo-seeds.json')) return 'No results yet: run `scripts/demo-seeds.sh`, then `node scripts/demo-seeds.mjs`.';
  const d = read('demo-seeds.json');
  const m = d.provenance.machine;
  const lines = [
    `Seeds ${d.seeds.join(', ')} on one machine (${m.cpu}, ${m.cores} cores, ${m.threads} thread; Node ${d.provenance.versions.node}, libtorch ${d.provenance.versions.libtorch}); ` +
      `held-out = ${d.perSeed[0]?.heldOut.before.n ?? '?'} problems, any format, greedy; [a, b] = Wilson 95% interval; p = McNemar's exact test against the full loss on the same problems.`,
    '',
    '| seed | selected example (family; base accuracy) | held-out before → after | families not trained on | held-out peak (step) | saturation step; new highs after | pg-only | entropy-only | random example | minutes |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of d.perSeed) {
    const t = s.tests;
    const ab = (x, tt) => (x ? `${pct(x.p)}${tt ? ` (p ${tt.mcnemarP < 0.001 ? tt.mcnemarP.toExponential(0) : tt.mcnemarP.toFixed(3)})` : ''}` : 'n/a');
    lines.push(
      `| ${s.seed} | π${s.selected.rank} = ${s.selected.question.replace(/\*/g, '\\*')} (${s.selected.family}; ${s.selected.baseAccuracy === null ? '?' : s.selected.baseAccuracy.toFixed(2)}) | ` +
        `${share(s.heldOut.before.p, s.heldOut.before.n)} → **${share(s.heldOut.after.p, s.heldOut.after.n)}** | ` +
        `${pct(s.otherFamilies.before)} → ${pct(s.otherFamilies.after)} (${ratio(s.otherFamilies.ratio)}) | ${pct(s.peak.value)} (${s.peak.step}) | ` +
        `${s.saturationStep ?? 'never'}; ${s.postSaturation ? `${s.postSaturation.newHighs} of ${s.postSaturation.evaluationsAfter}` : '-'} | ` +
        `${ab(s.ablations.pgOnly, t?.pgOnly)} | ${ab(s.ablations.entropyOnly, t?.entropyOnly)} | ${ab(s.ablations.random, t?.random)} | ${(s.seconds / 60).toFixed(0)} |`,
    );
  }
  lines.push('', '| claim | seeds showing it | the number it rests on: mean [min, max] |', '|---|---|---|');
  const unit = {
    generalises: ['x', 2],
    postSaturation: [' points', 1],
    pgOnlyClose: [' points', 1],
    entropyFarBelow: [' points', 1],
    randomFarBelow: [' points', 1],
  };
  for (const [name, c] of Object.entries(d.claims)) {
    const [u, dg] = unit[name] ?? ['', 2];
    lines.push(`| ${c.claim} | **${c.holds} of ${c.seeds}**${c.holdsIn.length ? ` (${c.holdsIn.join(', ')})` : ''} | ${c.value}: ${meanMinMax(c, dg, u)} |`);
  }
  return lines.join('\n');
}

/** Rollout engine, engine overhead, verifier speed and self-attack (bench/results/{rollout-cpu,engine-cpu,verifier,verifier-self-attack}.json). */
function measured() {
  const r = read('rollout-cpu.json'),
    e = read('engine-cpu.json'),
    v = read('verifier.json'),
    a = read('verifier-self-attack.json');
  return [
    '| what | result |',
    '|---|---|',
    `| rollout engine (\`npm run bench:rollout\`, ${r.settings.model}, ${r.settings.threads} thread each side, ${r.settings.rows} rows × ${r.settings.new_tokens} new tokens) | ` +
      `${num(r.tok_s_ratio_vs_transformers, 2)}× transformers' \`generate\` in tokens per CPU-second (median of ${r.settings.reps} interleaved pairs; ${num(r.tok_s_ratio_wall_clock, 2)}× wall clock), ` +
      `KV peak ${num(r.kv_peak_ratio_vs_reference, 3)} of the reference sampler's on ${r.mixed.rows} mixed-length rows, ${num(r.host_syncs_per_decode_step, 3)} host syncs per decode step |`,
    `| engine overhead (\`npm run bench:engine\`, ${e.threads} threads, libtorch ${e.libtorch}) | tiny-op loop ${num(e.tiny_op_us_ts, 2)} µs/op in TS vs ${num(e.tiny_op_us_pytorch, 2)} µs/op in PyTorch (ratio ${num(e.overhead_ratio_vs_pytorch, 2)}); MLP train step ${num(e.mlp_step_ms_ts, 2)} ms vs ${num(e.mlp_step_ms_pytorch, 2)} ms |`,
    `| verifier (\`npm run bench:verifier\`) | ${v.checks_per_s.toLocaleString('en-US')} checks/s on ${v.workers} workers (${v.checks.toLocaleString('en-US')} checks of ~${v.avg_response_chars}-char responses), per-check p50 ${v.compute_p50_ms} ms, p99 ${v.compute_p99_ms} ms, ${v.timeouts} timeouts |`,
    `| verifier self-attack (\`npm run bench:self-attack\`, seed ${a.seed}) | ${a.false_positives_reward} false positives in reward mode and ${a.false_positives_eval} in eval mode on ${a.near_misses.toLocaleString('en-US')} generated near-misses of ${a.golds} corpus golds (digit changes, sign flips, offsets, values a double loses, roundings, hedges, structural changes), ${a.timeouts} timeouts |`,
  ].join('\n');
}

/** The real-model demo (bench/results/demo-real.json and demo-real-lr3e-5.json). */
function demoReal() {
  const runs = [
    ['demo-real.json', ''],
    ['demo-real-lr3e-5.json', ''],
  ]
    .filter(([f]) => exists(f))
    .map(([f]) => [f, read(f)]);
  const [, main] = runs[0];
  const n = (set) => main.sets[set].n;
  const row = (label, x) =>
    `| ${label} | ${share(x.arithmetic.any, x.arithmetic.n)} | ${pct(x.arithmetic.boxed)} | ${share(x.gsm8k.any, x.gsm8k.n)} | ${pct(x.gsm8k.boxed)} | ${pct(x.arithmetic.truncated, 0)} / ${pct(x.gsm8k.truncated, 0)} | ${x.arithmetic.meanTokens.toFixed(0)} |`;
  const lines = [
    `Any format = the verifier's evaluation mode; [a, b] = Wilson 95% interval (${n('arithmetic')} and ${n('gsm8k')} problems: one problem is ${(100 / n('arithmetic')).toFixed(0)} / ${(100 / n('gsm8k')).toFixed(0)} points).`,
    '',
    '| seed | arithmetic any | arithmetic boxed | GSM8K any | GSM8K boxed | truncated (arith / GSM8K) | mean tokens (arith) |',
    '|---|---|---|---|---|---|---|',
    row('base', main.base),
  ];
  for (const [f, d] of runs) {
    const lr = d.grpo.lr;
    const tag = `lr ${lr.toExponential(0).replace('e-', 'e-')}${f === 'demo-real.json' ? ' (default)' : ''}`;
    for (const r of d.runs) lines.push(row(`${r.seed}, ${tag}`, r.after));
    if (f === 'demo-real.json') {
      const s = d.spread;
      lines.push(
        `| mean [min, max], ${tag} | ${pct(s.arithmetic.any.mean)} [${pct(s.arithmetic.any.min, 0)}, ${pct(s.arithmetic.any.max, 0)}] | ${pct(s.arithmetic.boxed.mean)} | ${pct(s.gsm8k.any.mean)} [${pct(s.gsm8k.any.min, 0)}, ${pct(s.gsm8k.any.max, 0)}] | ${pct(s.gsm8k.boxed.mean)} | | |`,
      );
    }
  }
  return lines.join('\n');
}

/** The two-model table (bench/results/demo-real-smollm2-110.json, demo-real-gemma3-110.json and its lr 5e-6 rerun: the same held-out set, 3 seeds). */
const TWO_MODELS = [
  ['SmolLM2-135M-Instruct', 'demo-real-smollm2-110.json'],
  ['Gemma 3 270M (base)', 'demo-real-gemma3-110.json'],
  ['Gemma 3 270M (base), lr 5e-6', 'demo-real-gemma3-110-lr5e-6.json'],
];
function demoRealTwoModels() {
  const runs = TWO_MODELS.filter(([, f]) => exists(f)).map(([name, f]) => [name, read(f)]);
  if (runs.length === 0) return 'No results yet: see the commands above.';
  const fmtP = (p) => (p >= 0.001 ? p.toFixed(3) : p.toExponential(1));
  const diff = (d) =>
    d
      ? `${d.diff >= 0 ? '+' : ''}${(100 * d.diff).toFixed(1)} [${(100 * d.lo).toFixed(1)}, ${(100 * d.hi).toFixed(1)}], p ${fmtP(d.mcnemar.p)} (${d.mcnemar.onlyB}↑ ${d.mcnemar.onlyA}↓)`
      : '';
  const [, first] = runs[0];
  const lines = [
    `Held-out: ${first.sets.arithmetic.n} generated word problems (${first.config.heldOutPerKind} per kind, ${first.sets.arithmetic.source}) + ${first.sets.gsm8k.n} GSM8K (${first.sets.gsm8k.source}), greedy, ${first.config.evalMaxTokens} tokens; any = the verifier's evaluation mode, [a, b] = Wilson 95%; ` +
      `paired = after − base on the same problems in points, [bootstrap 95%], McNemar exact p (problems up↑ / down↓).`,
    '',
    '| model (format) | seed | generated any | boxed | GSM8K any | paired, generated | paired, GSM8K | mean tokens (gen.) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, d] of runs) {
    const fmt = d.config.format === 'plain' ? `plain "${d.config.prompt.replace(/\n/g, '\\n')}"` : 'chat template';
    const row = (label, x, p) =>
      `| ${name} (${fmt}) | ${label} | ${share(x.arithmetic.any, x.arithmetic.n)} | ${pct(x.arithmetic.boxed)} | ${share(x.gsm8k.any, x.gsm8k.n)} | ${diff(p?.arithmetic)} | ${diff(p?.gsm8k)} | ${x.arithmetic.meanTokens.toFixed(0)} |`;
    lines.push(row('base', d.base, null));
    for (const r of d.runs) lines.push(row(String(r.seed), r.after, r.paired));
    const s = d.spread;
    lines.push(
      `| ${name} | mean [min, max] over ${d.runs.length} | ${pct(s.arithmetic.any.mean)} [${pct(s.arithmetic.any.min, 0)}, ${pct(s.arithmetic.any.max, 0)}] | ${pct(s.arithmetic.boxed.mean)} | ${pct(s.gsm8k.any.mean)} [${pct(s.gsm8k.any.min, 0)}, ${pct(s.gsm8k.any.max, 0)}] | | | |`,
    );
  }
  lines.push(
    '',
    ...runs
      .map(([name, d]) => {
        const top = d.selection.top.find((t) => t.index === d.selected.index);
        return `π1 of ${name} (picked from ${d.selection.pool} pool problems, ${d.selection.rollouts} rollouts × ${d.selection.epochs} epochs): "${d.selected.problem}" (answer ${d.selected.answer}; accuracy per epoch ${top.accs.map((a) => a.toFixed(2)).join(', ')}); GRPO ${d.grpo.steps} steps × ${d.grpo.trainBatchSize} groups × ${d.grpo.groupSize} rollouts, ${d.grpo.maxResponseLength} tokens, lr ${d.grpo.lr}, entropy coefficient ${d.grpo.entropyCoef}; training reward per step ${d.runs.map((r) => `seed ${r.seed}: ${r.steps.map((m) => m.rewardMean.toFixed(2)).join(' ')}`).join('; ')}.`;
      })
      .flatMap((l) => [l, '']),
  );
  lines.push(
    "Per kind (generated set, any format, 20 problems each): base → after per seed, with McNemar's exact p of that seed against the base on the kind's problems.",
    '',
    '| model | kind | base | after (seed: accuracy, McNemar p) |',
    '|---|---|---|---|',
  );
  for (const [name, d] of runs) {
    for (const [kind, b] of Object.entries(d.base.arithmetic.kinds)) {
      const after = d.runs
        .map((r) => `${r.seed}: ${pct(r.after.arithmetic.kinds[kind].any, 0)}${r.paired ? ` (p ${fmtP(r.paired.arithmetic.kinds[kind].mcnemar.p)})` : ''}`)
        .join('; ');
      lines.push(`| ${name} | ${kind} | ${pct(b.any, 0)} (n ${b.n}) | ${after} |`);
    }
  }
  lines.push(
    '',
    `Seconds (wall / CPU, one thread, shared 2-core machine): ${runs.map(([name, d]) => `${name}: base ${d.seconds.base.wall} / ${d.seconds.base.cpu}, selection ${d.seconds.selection.wall} / ${d.seconds.selection.cpu}, ${d.runs.map((r) => `seed ${r.seed} ${r.seconds.wall} / ${r.seconds.cpu}`).join(', ')}; total ${d.seconds.total.wall} / ${d.seconds.total.cpu}`).join('. ')}.`,
  );
  return lines.join('\n');
}

/** 1-shot RLVR with LoRA at several ranks vs full fine-tuning (bench/results/demo-real-lora.json, merged by scripts/demo-real-merge.mjs). */
function demoRealLora() {
  if (!exists('demo-real-lora.json')) return 'No results yet: see the commands above.';
  const d = read('demo-real-lora.json');
  const fmtP = (p) => (p >= 0.001 ? p.toFixed(3) : p.toExponential(1));
  const pts = (x) => (100 * x).toFixed(1);
  const diff = (x) => `${x.diff >= 0 ? '+' : ''}${pts(x.diff)} [${pts(x.lo)}, ${pts(x.hi)}], p ${fmtP(x.mcnemar.p)}`;
  const mm = (x) => `${pct(x.mean)} [${pct(x.min, 0)}, ${pct(x.max, 0)}]`;
  const mib = (kib) => (kib === null ? 'not recorded' : `${(kib / 1024).toFixed(0)} MiB`);
  const full = d.configs.full;
  const microOf = (r) => d.parts.find((p) => p.runs.some(([rk, sd]) => rk === r.rank && sd === r.seed))?.microBatchTokens ?? '?';
  const fa = full?.spread.arithmetic.any;
  const m = d.parts.find((p) => !p.legacy).provenance.machine;
  const lines = [
    `SmolLM2-135M-Instruct; held-out ${d.sets.arithmetic.n} generated word problems + ${d.sets.gsm8k.n} GSM8K, greedy, ${d.config.evalMaxTokens} tokens, any format; base ${share(d.base.arithmetic.any, d.base.arithmetic.n)} and ${share(d.base.gsm8k.any, d.base.gsm8k.n)}. ` +
      `π1 = "${d.selected.problem}" (answer ${d.selected.answer}); GRPO ${d.grpo.steps} steps × ${d.grpo.trainBatchSize} groups × ${d.grpo.groupSize} rollouts, ${d.grpo.maxResponseLength} tokens, entropy coefficient ${d.grpo.entropyCoef}, no KL; seeds ${d.config.seeds.join(', ')}; ` +
      `LoRA on every linear layer (q, k, v, o, gate, up, down), alpha ${Object.values(d.configs).find((c) => c.alpha !== undefined)?.alpha ?? '-'}, lr 10× full fine-tuning's ("LoRA Without Regret"). ` +
      `One thread per process, the runs in parallel processes (listed below) on a shared ${m.cores}-core machine (${m.cpu}) under heavy load from other jobs: seconds per step (wall / CPU of the GRPO steps alone, per seed) are noisy; peak RSS is per run (VmHWM reset at the start of each run), with the update's micro-batch size (auto: the memory plan's, 14-15k tokens here, i.e. the whole batch; or 512 tokens).`,
    '',
    "| configuration | lr | trainable parameters | generated after, mean [min, max] | GSM8K after | paired vs base, generated, per seed: points [bootstrap 95%], McNemar p | LoRA − full, same seed: points [95%], p | within full FT's seed range? | s per step, wall / CPU, per seed | peak RSS per seed (micro-batch tokens) |",
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [key, c] of Object.entries(d.configs)) {
    const runs = d.runs.filter((r) => (r.rank ?? 0) === c.rank);
    const a = c.spread.arithmetic.any;
    const vs = c.vsFull ? c.vsFull.arithmetic.map((x) => `${x.seed}: ${diff(x)}`).join('; ') : '';
    const within = c.rank === 0 || !fa ? '' : a.mean >= fa.min && a.mean <= fa.max ? 'yes' : 'no';
    lines.push(
      `| ${key === 'full' ? 'full fine-tuning' : `LoRA r ${c.rank}`} (${runs.length} seed${runs.length === 1 ? '' : 's'}) | ${c.lr} | ${c.trainableParams === null ? 'not recorded' : c.trainableParams.toLocaleString('en-US')} | ${mm(a)} | ${mm(c.spread.gsm8k.any)} | ` +
        `${runs.map((r) => `${r.seed}: ${diff(r.paired.arithmetic)}`).join('; ')} | ${vs} | ${within} | ` +
        `${runs.every((r) => r.secondsPerStep) ? runs.map((r) => `${r.seed}: ${num(r.secondsPerStep.wall, 0)} / ${num(r.secondsPerStep.cpu, 1)}`).join('; ') : 'not recorded'} | ` +
        `${runs.every((r) => r.memory) ? runs.map((r) => `${r.seed}: ${mib(r.memory.peakKiB)} (${microOf(r)})`).join('; ') : 'not recorded'} |`,
    );
  }
  lines.push(
    '',
    "Within full FT's seed range: the configuration's mean accuracy on the generated set lies in [min, max] of full fine-tuning's three seeds. " +
      "LoRA − full: the same seed's LoRA and full fine-tuning runs paired on the same problems (bootstrap 95% interval of the difference; McNemar exact p); an interval holding 0 is no detectable difference on 100 problems.",
    '',
    `Processes (\`rlvr demo --model smollm2-135m-instruct\` with the settings of \`demo-real-smollm2-110.json\`, merged by \`scripts/demo-real-merge.mjs\`): ${d.parts
      .map((p) =>
        p.legacy
          ? `${p.file} (full fine-tuning, commit ${(p.provenance.commit ?? '?').slice(0, 7)}, written before LoRA: no step times or peak RSS) → ${p.runs.map(([r, sd]) => `r${r}/${sd}`).join(', ')}`
          : `--lora-ranks ${p.loraRanks.join(',')} --seeds ${p.seeds.join(',')}${p.baseFrom ? ` --base-from ${p.baseFrom}` : ''}${p.microBatchTokens !== 'auto' ? ` --micro-batch-tokens ${p.microBatchTokens}` : ''} → ${p.runs.map(([r, sd]) => `r${r}/${sd}`).join(', ')} (${p.seconds.total.wall} s wall, ${p.seconds.total.cpu} s CPU)`,
      )
      .join('; ')}. r0 = full fine-tuning.`,
    '',
    ...(d.reruns ?? []).flatMap((x) =>
      x.runs.map(
        (r) =>
          `Rerun for time and memory (${x.file}, not in the rows above): ${configKeyOf(r)} seed ${r.seed} with ${x.microBatchTokens}-token micro-batches: generated ${share(r.after.arithmetic.any, r.after.arithmetic.n)}, vs base ${diff(r.paired.arithmetic)}; ${r.trainableParams.toLocaleString('en-US')} trainable parameters; ${num(r.secondsPerStep.wall, 0)} / ${num(r.secondsPerStep.cpu, 1)} s per step (wall / CPU); peak RSS ${mib(r.memory.peakKiB)}.`,
      ),
    ),
    ...(d.reruns ? [''] : []),
    `Training reward per step: ${d.runs.map((r) => `${configKeyOf(r)} seed ${r.seed}: ${r.steps.map((x) => x.rewardMean.toFixed(2)).join(' ')}`).join('; ')}.`,
  );
  return lines.join('\n');
}
const configKeyOf = (r) => ((r.rank ?? 0) === 0 ? 'full' : `r${r.rank}`);

/** The verifier on its labelled corpus (bench/results/verifier-corpus.json, from scripts/verifier-corpus.mjs). */
function verifierCorpus() {
  const d = read('verifier-corpus.json');
  const e = d.eval;
  const row = (label, x) => `| ${label} | ${x.n} | ${x.accuracy.toFixed(4)} | ${x.fp} | ${x.fn} |`;
  return [
    `\`rlvr verify-cases\` in eval mode (\`npm run bench:verifier-corpus\`; corpus sha256 ${d.corpus_sha256.slice(0, 16)}…, commit ${(d.provenance.commit ?? 'unknown').slice(0, 10)}, ${d.provenance.date.slice(0, 10)}).`,
    '',
    '| rows | cases | accuracy | false positives | false negatives |',
    '|---|---|---|---|---|',
    row('all', e),
    row('without policy rows', e.no_policy),
    row('without policy rows, not from Math-Verify', e.not_math_verify_no_policy),
  ].join('\n');
}

const gib = (b) => `${(b / 2 ** 30).toFixed(2)} GiB`;
const sec = (x) => `${x.toFixed(1)} s`;
const range = (c, f) => `${f(c.median)} [${f(c.min)}–${f(c.max)}]`;

/** One GRPO step on CPU, ours vs TRL (bench/results/cpu-step.json, from bench/cpu-step.ts). */
function cpuStep() {
  if (!exists('cpu-step.json')) return 'No results yet: run `npm run bench:cpu-step`.';
  const d = read('cpu-step.json');
  const c = d.config;
  const first = Object.values(d.cases)[0];
  const m = first?.provenance?.machine;
  const lines = [
    `\`npm run bench:cpu-step\`: ${c.prompts} prompts × ${c.rolloutsPerPrompt} rollouts, T ${c.temperature}, KL ${c.klCoef}, one optimizer step, ${c.threads} thread each side` +
      `${m ? ` (${m.cpu}, ${m.cores} cores)` : ''}; ours: ${c.oursDtype ?? c.dtype}; TRL ${first?.trl?.[0]?.versions?.trl ?? ''}: ${c.trlDtype ?? c.dtype}. ` +
      `Median [min–max] of interleaved pairs, each step in a fresh process; ratio = TRL / ours (higher is better for us). ${d.shared ? 'The machine was shared (see the file): compare ratios.' : ''}`,
    '',
    '| case | pairs | whole step: ours vs TRL | ratio | generation | log-probs | update | peak RSS: ours vs TRL | RSS ours / TRL |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, k] of Object.entries(d.cases)) {
    const s = k.summary;
    if (!s?.step) continue;
    const ph = (x) => `${x.ours.median.toFixed(1)} vs ${x.trl.median.toFixed(1)} s (${x.ratioOfMedians.toFixed(2)}×)`;
    const n = Math.min(s.step.ours.n, s.step.trl.n);
    lines.push(
      `| ${name} | ${n} | ${range(s.step.ours, sec)} vs ${range(s.step.trl, sec)} | **${s.step.ratioOfMedians.toFixed(2)}×** | ${ph(s.generation)} | ${ph(s.logprobs)} | ${ph(s.update)} | ` +
        `${gib(s.peakRssBytes.ours.median)} vs ${gib(s.peakRssBytes.trl.median)} | **${(s.peakRssBytes.ours.median / s.peakRssBytes.trl.median).toFixed(2)}** |`,
    );
  }
  return lines.join('\n');
}

/** float32 vs bf16 compute on CPU, by phase (bench/results/cpu-dtype.json, from bench/cpu-dtype.ts). */
function cpuDtype() {
  if (!exists('cpu-dtype.json')) return 'No results yet: run `npm run bench:cpu-dtype`.';
  const d = read('cpu-dtype.json');
  const caps = d.matmul?.cpuCapabilities;
  const lines = [
    `\`npm run bench:cpu-dtype\`: ${d.model}, ${d.prompts} × ${d.rolloutsPerPrompt} rollouts × ${d.newTokens} tokens, ${d.threads} thread, ${d.pairs} alternating pairs` +
      `${caps ? ` on ${caps.cpu} (AVX-512 BF16 ${caps.avx512Bf16 ? 'yes' : 'no'}, AMX-BF16 ${caps.amxBf16 ? 'yes' : 'no'})` : ''}; CPU seconds of the one-thread process, median [min–max].`,
    '',
    '| phase | float32 | bf16 autocast (float32 master weights) | float32 / bf16 |',
    '|---|---|---|---|',
  ];
  for (const [phase, x] of Object.entries(d.summary)) {
    if (phase === 'stepWallSeconds') continue;
    const f = phase === 'peakRssBytes' ? gib : sec;
    lines.push(
      `| ${phase === 'peakRssBytes' ? 'peak RSS' : phase} | ${range(x.float32, f)} | ${range(x.bfloat16, f)} | ${x.float32OverBf16.median.toFixed(2)} [${x.float32OverBf16.min.toFixed(2)}–${x.float32OverBf16.max.toFixed(2)}] |`,
    );
  }
  return lines.join('\n');
}

/** Which file holds which blocks. */
export const FILES = {
  'docs/RESULTS.md': { measured, 'verifier-corpus': verifierCorpus, 'cpu-step': cpuStep, 'cpu-dtype': cpuDtype, 'demo-seeds': demoSeeds },
  'docs/REAL-MODEL.md': { 'demo-real': demoReal, 'demo-real-two-models': demoRealTwoModels, 'demo-real-lora': demoRealLora },
};
export const BLOCKS = Object.assign({}, ...Object.values(FILES));

const blockRe = (name) => new RegExp(`(<!-- results:${name} -->)[\\s\\S]*?(<!-- /results:${name} -->)`);

/** The text of `file` (a key of FILES) with its blocks regenerated; throws when a block's markers are missing. */
export function regenerate(text, file) {
  const blocks = FILES[file];
  if (!blocks) throw new Error(`no result blocks belong to ${file} (scripts/readme-tables.mjs FILES)`);
  let out = text;
  for (const [name, make] of Object.entries(blocks)) {
    const re = blockRe(name);
    if (!re.test(out)) throw new Error(`${file} has no <!-- results:${name} --> ... <!-- /results:${name} --> block`);
    out = out.replace(re, (_, a, b) => `${a}\n${make()}\n${b}`);
  }
  return out;
}

if (import.meta.url === `file://${path.resolve(process.argv[1] ?? '')}`) {
  let failed = false;
  for (const rel of Object.keys(FILES)) {
    const file = path.join(root, rel);
    const text = fs.readFileSync(file, 'utf8');
    const next = regenerate(text, rel);
    if (process.argv.includes('--check')) {
      const differ = Object.keys(FILES[rel]).filter((name) => blockRe(name).exec(text)?.[0] !== blockRe(name).exec(next)?.[0]);
      if (differ.length) {
        console.error(`${rel}: result blocks differ from bench/results: ${differ.join(', ')} (run node scripts/readme-tables.mjs)`);
        failed = true;
      } else console.log(`${rel}: result blocks match bench/results`);
    } else {
      fs.writeFileSync(file, next);
      console.log(next === text ? `${rel} unchanged` : `${rel}: result blocks rewritten`);
    }
  }
  if (failed) process.exit(1);
}
