// Example selection for 1-shot RLVR (Wang et al. 2025, section 2.2): rank the examples of a
// training set by the variance of their per-epoch training accuracy in an earlier full-set run
// ("historical variance"), and the random baseline.
//
// The history file is `{ "<index>": [acc_epoch1, acc_epoch2, ...], ... }`. The score reproduces
// the paper's data_selection.py bit for bit (`np.std` of each list, then a stable descending
// sort), so ties keep the file's key order. JSON.parse cannot honour that: JS objects
// enumerate integer-like keys in ascending numeric order, whatever the text says. So the key
// order is recovered by scanning the top-level object of the text (`topLevelKeys`).
import { jsonErrorText } from '../errors.js';
import fs from 'node:fs';
import { readText } from './files.js';
import { Rng } from './rng.js';

export interface HistoryEntry {
  index: number;
  accs: number[];
}

export interface RankedExample {
  index: number;
  variance: number;
  /** 1-based position in the ranking: π_rank in the paper's notation. */
  rank: number;
}

/**
 * The keys of the top-level JSON object in `text`, in textual order. Assumes `text` is valid
 * JSON (call JSON.parse first); only strings and bracket depth are tracked to skip the values.
 */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let i = skipWs(text, 0);
  if (text[i] !== '{') throw new Error('expected a JSON object');
  i = skipWs(text, i + 1);
  if (text[i] === '}') return keys;
  for (;;) {
    const end = stringEnd(text, i);
    keys.push(JSON.parse(text.slice(i, end)) as string);
    i = skipWs(text, end);
    if (text[i] !== ':') throw new Error(`expected ':' at offset ${i}`);
    i = skipValue(text, i + 1);
    if (text[i] === '}') return keys;
    if (text[i] !== ',') throw new Error(`expected ',' or '}' at offset ${i}`);
    i = skipWs(text, i + 1);
  }
}

function skipWs(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  return i;
}

/** `i` is at an opening quote; returns the offset just past the closing quote. */
function stringEnd(text: string, i: number): number {
  if (text[i] !== '"') throw new Error(`expected a string at offset ${i}`);
  for (i++; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  throw new Error('unterminated string');
}

/** Skips one value starting at (or after whitespace from) `i`; returns the offset of the next ',' or '}' at this level. */
function skipValue(text: string, i: number): number {
  let depth = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = stringEnd(text, i) - 1;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      if (depth === 0) return i;
      depth--;
    } else if (c === ',' && depth === 0) return i;
  }
  throw new Error('unterminated object');
}

/** Parses a history JSON text into entries in the file's key order. `source` names the file in errors. */
export function parseHistory(text: string, source = '<history>'): HistoryEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: invalid JSON (${jsonErrorText(err)})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new Error(`${source}: expected an object { "<index>": [acc, ...], ... }`);
  }
  const obj = data as Record<string, unknown>;
  const keys = topLevelKeys(text);
  const seen = new Set<string>();
  return keys.map((key) => {
    if (seen.has(key)) throw new Error(`${source}: duplicate key "${key}"`);
    seen.add(key);
    if (!/^(0|[1-9]\d*)$/.test(key)) throw new Error(`${source}: key "${key}" is not an example index (a non-negative integer)`);
    const accs = obj[key];
    if (!Array.isArray(accs) || !accs.every((a) => typeof a === 'number' && Number.isFinite(a))) {
      throw new Error(`${source}: key "${key}": expected a list of accuracies (numbers)`);
    }
    return { index: Number(key), accs: accs as number[] };
  });
}

/** Reads a history file (`no such file: PATH` when absent). */
export function readHistory(file: string): HistoryEntry[] {
  return parseHistory(readText(file), file);
}

/**
 * Sum with numpy's pairwise summation (8 accumulators in blocks of up to 128, halving above).
 * The paper ranks by `np.std`, and rounding decides the order of examples whose variances are
 * mathematically equal (e.g. a list and its mirror 1 - x); summing exactly like numpy makes
 * our ranking identical to the paper's at every position, not only at π1/π2/π13/π1209.
 */
export function pairwiseSum(xs: readonly number[], lo = 0, n = xs.length - lo): number {
  if (n < 8) {
    let r = 0;
    for (let i = 0; i < n; i++) r += xs[lo + i]!;
    return r;
  }
  if (n <= 128) {
    const r = xs.slice(lo, lo + 8);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += xs[lo + i + j]!;
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += xs[lo + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(xs, lo, n2) + pairwiseSum(xs, lo + n2, n - n2);
}

/** Population variance, bit-identical to `np.var(xs)` (two passes, pairwise sums). 0 for an empty list. */
export function populationVariance(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const m = pairwiseSum(xs) / xs.length;
  return pairwiseSum(xs.map((x) => (x - m) * (x - m))) / xs.length;
}

/** Mean accuracy (as `np.mean`); 0 for an empty list. */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : pairwiseSum(xs) / xs.length;
}

function toEntries(history: readonly HistoryEntry[] | Record<string, number[]>): readonly HistoryEntry[] {
  if (Array.isArray(history)) return history;
  // A plain object has already lost the file's key order for integer-like keys (they enumerate
  // ascending); accepted for convenience, but parseHistory's entries are what reproduce the paper.
  return Object.entries(history).map(([k, accs]) => ({ index: Number(k), accs }));
}

/**
 * Ranks examples by historical variance, descending; ties keep the input order (Array.sort is
 * stable). Pass the entries from parseHistory/readHistory to get the file's order for ties.
 *
 * The sort key is sqrt(variance), i.e. `np.std`, as in the paper's data_selection.py: sqrt is
 * monotonic but maps some variances a few ulps apart to the same double, which turns them into
 * ties broken by file order. Sorting by the variance itself would swap such pairs.
 */
export function rankByVariance(history: readonly HistoryEntry[] | Record<string, number[]>): RankedExample[] {
  const scored = toEntries(history).map((e) => {
    const variance = populationVariance(e.accs);
    return { index: e.index, variance, std: Math.sqrt(variance) };
  });
  scored.sort((a, b) => b.std - a.std);
  return scored.map((s, i) => ({ index: s.index, variance: s.variance, rank: i + 1 }));
}

/** k keys drawn uniformly without replacement with a seeded PRNG, in draw order (the random baseline). */
export function selectRandom<T>(keys: readonly T[], k: number, seed: number): T[] {
  if (!Number.isInteger(k) || k < 0 || k > keys.length) {
    throw new Error(`selectRandom: k must be an integer in [0, ${keys.length}], got ${k}`);
  }
  return new Rng(seed).sample(keys, k);
}

/**
 * Records per-example training accuracy during our own runs and writes it in the same format,
 * so a full-set run can feed `rlvr select`. Call `record(index, acc)` for every example scored
 * in a step and `endEpoch()` after each pass over the data; an example recorded several times
 * in an epoch gets the mean of those accuracies, one not recorded in an epoch gets no entry
 * for it (lists may differ in length, as in the paper's file).
 */
/** AccuracyHistory with its open epoch, as JSON: [index, accs] and [index, sum, count] rows in first-seen order. */
export interface AccuracyHistoryState {
  epochs: [number, number[]][];
  pending: [number, number, number][];
}

export class AccuracyHistory {
  /** Completed epochs per example; a Map keeps first-seen order even for integer keys. */
  private readonly epochs = new Map<number, number[]>();
  /** The open epoch: sum and count per example. */
  private pending = new Map<number, { sum: number; n: number }>();

  record(index: number, acc: number): void {
    if (!Number.isInteger(index) || index < 0) throw new Error(`AccuracyHistory.record: index must be a non-negative integer, got ${index}`);
    if (!Number.isFinite(acc)) throw new Error(`AccuracyHistory.record: accuracy must be a finite number, got ${acc}`);
    if (!this.epochs.has(index)) this.epochs.set(index, []);
    const p = this.pending.get(index) ?? { sum: 0, n: 0 };
    p.sum += acc;
    p.n += 1;
    this.pending.set(index, p);
  }

  /** Closes the current epoch: each example recorded in it gets one entry, its mean accuracy. */
  endEpoch(): void {
    for (const [index, p] of this.pending) this.epochs.get(index)!.push(p.sum / p.n);
    this.pending = new Map();
  }

  /** Completed epochs only, in first-recorded order. */
  entries(): HistoryEntry[] {
    return [...this.epochs].filter(([, accs]) => accs.length > 0).map(([index, accs]) => ({ index, accs: accs.slice() }));
  }

  /**
   * The JSON text `{ "<index>": [acc, ...], ... }`. Written by hand: JSON.stringify of an
   * object would reorder the integer keys and lose the tie-breaking order.
   */
  serialize(): string {
    const rows = this.entries().map((e) => `  ${JSON.stringify(String(e.index))}: ${JSON.stringify(e.accs)}`);
    return rows.length === 0 ? '{}\n' : `{\n${rows.join(',\n')}\n}\n`;
  }

  save(file: string): void {
    fs.writeFileSync(file, this.serialize());
  }

  /** Everything, the open epoch included: what a checkpoint stores so that a resumed run loses nothing. */
  toState(): AccuracyHistoryState {
    return { epochs: [...this.epochs].map(([i, a]) => [i, a.slice()]), pending: [...this.pending].map(([i, p]) => [i, p.sum, p.n]) };
  }

  /** The inverse of toState(). */
  static fromState(state: AccuracyHistoryState): AccuracyHistory {
    const h = new AccuracyHistory();
    for (const [i, accs] of state.epochs) h.epochs.set(i, accs.slice());
    for (const [i, sum, n] of state.pending) h.pending.set(i, { sum, n });
    return h;
  }

  /** Restores a history from its JSON text (e.g. to continue a run). */
  static parse(text: string, source?: string): AccuracyHistory {
    const h = new AccuracyHistory();
    for (const e of parseHistory(text, source)) h.epochs.set(e.index, e.accs.slice());
    return h;
  }
}

/**
 * True when every accuracy of every example is 0: the model never solved anything in the pool,
 * so every variance is 0 and a ranking would be nothing but the file order.
 */
export function allZeroHistory(history: readonly HistoryEntry[]): boolean {
  return history.every((e) => e.accs.every((a) => a === 0));
}

/** An example's reward on the model RL starts from: the share of its sampled responses rewarded. */
export interface BaseScore {
  accuracy: number;
  rollouts: number;
}

/**
 * The example to train on: `ranked[startRank - 1]`, unless it has no reward variance on the base
 * model (accuracy 0 or 1 over its sampled responses: every GRPO group has equal rewards, zero
 * advantages, no gradient) while a later-ranked candidate has; then the first such candidate.
 *
 * Historical variance measures how an example's accuracy moved while the model trained on the
 * whole pool, which says nothing of where it stands on the base model: an example the base always
 * solves (or always fails) can move a lot because of what the others taught (measured on the
 * demo: an example its flawed shortcut solves went 0.88, 1, 1, 0.25). The paper's ranking is kept
 * as is (rankByVariance); this only refuses to start 1-shot RLVR from a dead example.
 * `skipped` lists the dead candidates passed over, in rank order. An example with no base score
 * counts as alive (nothing says otherwise).
 */
export function firstAlive<T extends { index: number; rank: number }>(
  ranked: readonly T[],
  base: ReadonlyMap<number, BaseScore>,
  startRank = 1,
): { pick: T; skipped: (T & BaseScore)[] } {
  if (!Number.isInteger(startRank) || startRank < 1 || startRank > ranked.length) {
    throw new Error(`firstAlive: startRank must be an integer from 1 to ${ranked.length}, got ${startRank}`);
  }
  const alive = (r: T) => {
    const s = base.get(r.index);
    return s === undefined || (s.accuracy > 0 && s.accuracy < 1);
  };
  const from = ranked.slice(startRank - 1);
  const k = from.findIndex(alive);
  if (k <= 0) return { pick: from[0]!, skipped: [] };
  return { pick: from[k]!, skipped: from.slice(0, k).map((r) => ({ ...r, ...base.get(r.index)! })) };
}
