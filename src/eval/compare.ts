// Two evaluations of the same problems, compared the way a reviewer accepts: per benchmark and in
// total, each accuracy with its Wilson interval, the difference B - A with a paired bootstrap
// interval (seeded), McNemar's exact test on the per-problem outcomes, and the problems that
// flipped each way. The inputs are `rlvr eval` output folders (<bench>.jsonl, one EvalRecord per
// line), or run folders holding one in eval/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pairedDifference, wilson, type PairedDifference, type Proportion } from '../stats/index.js';
import type { EvalRecord } from './evaluate.js';

export interface ProblemOutcome {
  bench: string;
  index: number;
  id: string;
  problem: string;
  gold: string;
  /** Share of this problem's samples judged correct (0/1 for greedy). */
  score: number;
  samples: number;
}

/** Per benchmark, per problem index: the outcomes of one evaluation folder. */
export type Outcomes = Map<string, Map<number, ProblemOutcome>>;

/** The folder whose *.jsonl files are eval records: DIR itself, or DIR/eval. */
export function evalFolder(dir: string): string {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: no such folder`);
  const has = (d: string) => fs.existsSync(d) && fs.readdirSync(d).some((f) => f.endsWith('.jsonl') && isEvalFile(path.join(d, f)));
  if (has(dir)) return dir;
  if (has(path.join(dir, 'eval'))) return path.join(dir, 'eval');
  throw new Error(`${dir}: no rlvr eval responses (<bench>.jsonl) in it or in ${path.join(dir, 'eval')}`);
}

function isEvalFile(file: string): boolean {
  const first = fs.readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  try {
    const r = JSON.parse(first) as Partial<EvalRecord>;
    return typeof r.bench === 'string' && typeof r.index === 'number' && typeof r.correct === 'boolean';
  } catch {
    return false;
  }
}

/** Reads every eval record file of an evaluation folder into per-problem outcomes. */
export function readOutcomes(dir: string): Outcomes {
  const folder = evalFolder(dir);
  const out: Outcomes = new Map();
  for (const f of fs
    .readdirSync(folder)
    .filter((x) => x.endsWith('.jsonl'))
    .sort()) {
    const file = path.join(folder, f);
    if (!isEvalFile(file)) continue;
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!line.trim()) return;
        let r: EvalRecord;
        try {
          r = JSON.parse(line) as EvalRecord;
        } catch {
          throw new Error(`${file}:${i + 1}: not JSON`);
        }
        const m = out.get(r.bench) ?? new Map<number, ProblemOutcome>();
        out.set(r.bench, m);
        const o = m.get(r.index) ?? { bench: r.bench, index: r.index, id: r.id, problem: r.problem, gold: r.gold, score: 0, samples: 0 };
        o.score = (o.score * o.samples + (r.correct ? 1 : 0)) / (o.samples + 1);
        o.samples++;
        m.set(r.index, o);
      });
  }
  return out;
}

export interface CompareRow {
  /** A benchmark name, or 'total' (every problem of every benchmark). */
  name: string;
  n: number;
  a: Proportion;
  b: Proportion;
  difference: PairedDifference;
  /** Problem ids solved by B and not by A (up), and the reverse (down). */
  up: string[];
  down: string[];
}

/**
 * Compares two evaluations problem by problem. Throws one line when they were not run on the same
 * problems (benchmarks, indices, problem texts and answers must all match).
 */
export function compareOutcomes(a: Outcomes, b: Outcomes, o: { seed?: number; resamples?: number; names?: [string, string] } = {}): CompareRow[] {
  const [na, nb] = o.names ?? ['A', 'B'];
  const benchesA = [...a.keys()].sort(),
    benchesB = [...b.keys()].sort();
  if (benchesA.join(',') !== benchesB.join(',')) {
    throw new Error(`not the same problems: benchmarks ${benchesA.join(', ') || 'none'} in ${na}, ${benchesB.join(', ') || 'none'} in ${nb}`);
  }
  const rows: CompareRow[] = [];
  const all: { x: ProblemOutcome; y: ProblemOutcome }[] = [];
  for (const bench of benchesA) {
    const ma = a.get(bench)!,
      mb = b.get(bench)!;
    if (ma.size !== mb.size) throw new Error(`not the same problems: ${bench} has ${ma.size} problems in ${na} and ${mb.size} in ${nb}`);
    const pairs = [...ma.values()]
      .sort((p, q) => p.index - q.index)
      .map((x) => {
        const y = mb.get(x.index);
        if (!y) throw new Error(`not the same problems: ${bench} problem ${x.index} is in ${na} but not in ${nb}`);
        if (y.problem !== x.problem || y.gold !== x.gold) throw new Error(`not the same problems: ${bench} problem ${x.index} differs between ${na} and ${nb}`);
        return { x, y };
      });
    all.push(...pairs);
    rows.push(row(bench, pairs, o));
  }
  if (benchesA.length > 1) rows.push(row('total', all, o));
  return rows;
}

function row(name: string, pairs: { x: ProblemOutcome; y: ProblemOutcome }[], o: { seed?: number; resamples?: number }): CompareRow {
  const xs = pairs.map((p) => p.x.score),
    ys = pairs.map((p) => p.y.score);
  const difference = pairedDifference(xs, ys, { seed: o.seed ?? 0, resamples: o.resamples ?? 10000 });
  // Wilson over problems: a problem counts as solved when more than half its samples are (greedy: when correct).
  const solved = (v: number[]) => v.filter((s) => s > 0.5).length;
  const label = (p: ProblemOutcome) => (pairs.length && name === 'total' ? `${p.bench}:${p.id}` : p.id);
  return {
    name,
    n: pairs.length,
    a: wilson(solved(xs), pairs.length),
    b: wilson(solved(ys), pairs.length),
    difference,
    up: pairs.filter((p) => p.y.score > 0.5 && !(p.x.score > 0.5)).map((p) => label(p.x)),
    down: pairs.filter((p) => p.x.score > 0.5 && !(p.y.score > 0.5)).map((p) => label(p.x)),
  };
}
