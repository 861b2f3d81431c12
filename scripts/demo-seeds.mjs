// Aggregates bench/results/demo-seed-*.json (one `rlvr demo --results` record per seed, written by
// scripts/demo-seeds.sh) into bench/results/demo-seeds.json: per seed the headline numbers with
// Wilson 95% intervals and paired tests against the full-loss run, and per claim how many seeds
// show it, with mean [min, max] of the number it rests on. Needs the build (dist/src/stats).
//   usage: node scripts/demo-seeds.mjs [--dir bench/results] [--out bench/results/demo-seeds.json]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pairedDifference, wilson } from '../dist/src/stats/index.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const dir = arg('--dir', 'bench/results');
const out = arg('--out', path.join(dir, 'demo-seeds.json'));

/** The claims of the README's demo section, each as a rule on one number per seed. */
export const CLAIMS = {
  generalises: {
    text: 'held-out gain >= 1.5x on the families not trained on (any format)',
    value: 'after / before accuracy on the other families',
    test: (v) => v >= 1.5,
  },
  // A new high of one problem (0.8 points of 120) is noise: the rise must be at least 5 points.
  postSaturation: {
    text: 'a new held-out high after saturation, at least 5 points above held-out at saturation',
    value: 'best held-out after saturation minus held-out at saturation, points (0: no new high)',
    test: (v) => v >= 5,
  },
  pgOnlyClose: {
    text: 'pg-only within 10 points of the full loss (held-out, any format)',
    value: 'pg-only minus full loss, points',
    test: (v) => Math.abs(v) <= 10,
  },
  entropyFarBelow: {
    text: 'entropy-only at least 20 points below the full loss, McNemar p < 0.05',
    value: 'full loss minus entropy-only, points',
    test: (v, s) => v >= 20 && s.tests.entropyOnly.mcnemarP < 0.05,
  },
  randomFarBelow: {
    text: 'the random example at least 20 points below the full loss, McNemar p < 0.05',
    value: 'full loss minus random example, points',
    test: (v, s) => v >= 20 && s.tests.random.mcnemarP < 0.05,
  },
};

const bits = (s) => [...s].map((c) => c === '1');
const ci = (p, n) => {
  const w = wilson(Math.round(p * n), n);
  return { p, lo: w.lo, hi: w.hi, n };
};

export function seedSummary(r) {
  const n = r.heldOutProblems;
  const ab = (prefix) => r.ablations.find((a) => a.name.startsWith(prefix));
  const full = r.ablations[0],
    pg = ab('pg-only'),
    ent = ab('entropy-only'),
    rnd = ab('full loss, random');
  const vs = (x) => {
    const d = pairedDifference(bits(full.afterOutcomes), bits(x.afterOutcomes), { seed: r.seed });
    return { diff: d.diff, lo: d.lo, hi: d.hi, mcnemarP: d.mcnemar.p, up: d.mcnemar.onlyB, down: d.mcnemar.onlyA };
  };
  const main = pairedDifference(bits(r.before.outcomes), bits(r.after.outcomes), { seed: r.seed });
  const ps = r.postSaturation;
  return {
    seed: r.seed,
    selected: {
      question: r.selected.question,
      family: r.selected.family,
      rank: r.selected.rank,
      baseAccuracy: r.selected.baseAccuracy,
      variance: r.selected.variance,
    },
    heldOut: {
      before: ci(r.before.lenientAccuracy, n),
      after: ci(r.after.lenientAccuracy, n),
      change: { diff: main.diff, lo: main.lo, hi: main.hi, mcnemarP: main.mcnemar.p, up: main.mcnemar.onlyB, down: main.mcnemar.onlyA },
    },
    otherFamilies: {
      before: r.before.otherFamiliesLenient,
      after: r.after.otherFamiliesLenient,
      ratio: r.before.otherFamiliesLenient > 0 ? r.after.otherFamiliesLenient / r.before.otherFamiliesLenient : r.after.otherFamiliesLenient > 0 ? Infinity : 1,
    },
    saturationStep: r.saturationStep,
    /** The highest held-out evaluation (any format) of the run and its step. */
    peak: r.validation.reduce((a, v) => (v.lenientAccuracy > a.value ? { step: v.step, value: v.lenientAccuracy } : a), { step: 0, value: -1 }),
    postSaturation: ps ? { atSaturation: ps.atSaturation, best: ps.best, end: ps.end, newHighs: ps.newHighs, evaluationsAfter: ps.evaluationsAfter } : null,
    ablations: {
      full: ci(full.after.lenientAccuracy, n),
      pgOnly: pg && ci(pg.after.lenientAccuracy, n),
      entropyOnly: ent && ci(ent.after.lenientAccuracy, n),
      random: rnd && { ...ci(rnd.after.lenientAccuracy, n), question: rnd.question },
    },
    tests: pg && ent && rnd ? { pgOnly: vs(pg), entropyOnly: vs(ent), random: vs(rnd) } : null,
    seconds: r.seconds.total,
  };
}

function claimValues(s) {
  const full = s.ablations.full.p;
  return {
    generalises: s.otherFamilies.ratio,
    postSaturation: s.postSaturation && s.postSaturation.best ? 100 * (s.postSaturation.best.value - s.postSaturation.atSaturation.value) : 0,
    pgOnlyClose: s.ablations.pgOnly ? 100 * (s.ablations.pgOnly.p - full) : null,
    entropyFarBelow: s.ablations.entropyOnly ? 100 * (full - s.ablations.entropyOnly.p) : null,
    randomFarBelow: s.ablations.random ? 100 * (full - s.ablations.random.p) : null,
  };
}

export function aggregate(records) {
  const seeds = records.map(seedSummary).sort((a, b) => a.seed - b.seed);
  const claims = {};
  for (const [name, c] of Object.entries(CLAIMS)) {
    const rows = seeds.map((s) => ({ s, v: claimValues(s)[name] })).filter((x) => x.v !== null && x.v !== undefined);
    const vs = rows.map((x) => x.v).filter(Number.isFinite);
    claims[name] = {
      claim: c.text,
      value: c.value,
      seeds: rows.length,
      holds: rows.filter((x) => c.test(x.v, x.s)).length,
      holdsIn: rows.filter((x) => c.test(x.v, x.s)).map((x) => x.s.seed),
      mean: vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null,
      min: vs.length ? Math.min(...vs) : null,
      max: vs.length ? Math.max(...vs) : null,
    };
  }
  const first = records[0];
  return {
    kind: 'rlvr-demo-seeds',
    made: 'node scripts/demo-seeds.mjs from bench/results/demo-seed-*.json',
    provenance: first
      ? { machine: first.provenance.machine, versions: first.provenance.versions, commits: [...new Set(records.map((r) => r.provenance.commit))] }
      : null,
    settings: first ? { demo: first.settings.demo, grpo: first.settings.grpo } : null,
    seeds: seeds.map((s) => s.seed),
    claims,
    perSeed: seeds,
  };
}

if (import.meta.url === `file://${path.resolve(process.argv[1] ?? '')}`) {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^demo-seed-\d+\.json$/.test(f))
    .sort();
  if (files.length === 0) {
    console.error(`no demo-seed-*.json in ${dir}`);
    process.exit(2);
  }
  const records = files.map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
  const agg = aggregate(records);
  fs.writeFileSync(out, JSON.stringify(agg, (k, v) => (v === Infinity ? 'Infinity' : v), 2) + '\n');
  for (const [name, c] of Object.entries(agg.claims))
    console.log(`${name}: ${c.holds} of ${c.seeds} seeds (${c.claim}); ${c.value}: mean ${c.mean?.toFixed(2)} [${c.min?.toFixed(2)}, ${c.max?.toFixed(2)}]`);
  console.log(`wrote ${out}`);
}
