// Reading a run folder for the dashboard and the report: metrics.jsonl (a run still writing it may
// end in a half line: it is skipped until complete), accuracy_history.json, rollouts.jsonl and
// run_config.json. Every file is optional; a missing one gives empty data.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One line of metrics.jsonl (the trainer's StepMetrics; fields read by name, all optional but step). */
export type MetricsRow = { step: number; validation?: Record<string, number>; rewardsByName?: Record<string, number> } & Record<string, unknown>;

/** One line of rollouts.jsonl (src/rl/rollout-log.ts). */
export interface RolloutRow {
  step: number;
  promptId: number;
  sample: number;
  text: string;
  reward: number;
  extracted: string | null;
  length: number;
  truncated: boolean;
}

export interface RunData {
  /** Display name: the folder's name (made unique by the caller). */
  name: string;
  dir: string;
  metrics: MetricsRow[];
  /** Per-example training accuracy per epoch (accuracy_history.json), or null. */
  history: Record<string, number[]> | null;
  /** Steps that have saved rollouts. */
  rolloutSteps: number[];
  /** The recorded settings (run_config.json), or null. */
  config: Record<string, unknown> | null;
  /** Validation problems per evaluation (validation.jsonl), for the accuracy's Wilson interval; null when unknown. */
  validationN?: number | null;
}

export const METRICS_FILE = 'metrics.jsonl';
export const ROLLOUTS_FILE = 'rollouts.jsonl';
export const HISTORY_FILE = 'accuracy_history.json';

/** Complete JSON lines of a file (a trailing partial line, still being written, is left out). */
export function readJsonLines<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n');
  const out: T[] = [];
  for (const line of text.slice(0, end + 1).split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // A corrupt line (e.g. a crash mid-write before a resume) is skipped, not fatal for the view.
    }
  }
  return out;
}

function readJson(file: string): unknown {
  try {
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
  } catch {
    return null;
  }
}

/** The metrics, one row per step (a resumed run may repeat steps: the last line of a step wins). */
export function readMetrics(dir: string): MetricsRow[] {
  const byStep = new Map<number, MetricsRow>();
  for (const row of readJsonLines<MetricsRow>(path.join(dir, METRICS_FILE))) {
    if (typeof row.step !== 'number') continue;
    const prev = byStep.get(row.step);
    // The step-0 line holds only validation; merge rather than replace so both survive.
    byStep.set(row.step, prev ? { ...prev, ...row, validation: { ...prev.validation, ...row.validation } } : row);
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

export function readRollouts(dir: string, step?: number): RolloutRow[] {
  const rows = readJsonLines<RolloutRow>(path.join(dir, ROLLOUTS_FILE));
  return step === undefined ? rows : rows.filter((r) => r.step === step);
}

export function readRun(dir: string, name = path.basename(path.resolve(dir))): RunData {
  const history = readJson(path.join(dir, HISTORY_FILE));
  const config = readJson(path.join(dir, 'run_config.json'));
  return {
    name,
    dir: path.resolve(dir),
    metrics: readMetrics(dir),
    history: history && typeof history === 'object' && !Array.isArray(history) ? (history as Record<string, number[]>) : null,
    rolloutSteps: [...new Set(readRollouts(dir).map((r) => r.step))].sort((a, b) => a - b),
    config: config && typeof config === 'object' ? (config as Record<string, unknown>) : null,
    validationN: readJsonLines<{ n?: number }>(path.join(dir, 'validation.jsonl')).find((r) => typeof r.n === 'number')?.n ?? null,
  };
}

/** Display names for several run folders: base names, with the parent added where two collide. */
export function runNames(dirs: readonly string[]): string[] {
  const base = dirs.map((d) => path.basename(path.resolve(d)));
  return dirs.map((d, i) => (base.filter((b) => b === base[i]).length > 1 ? path.join(path.basename(path.dirname(path.resolve(d))), base[i]!) : base[i]!));
}

/** Whether `dir` looks like a run folder. */
export function isRunDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, METRICS_FILE)) || fs.existsSync(path.join(dir, 'run_config.json'));
}
