// The page state of one or more run folders: chart specs, run summaries, and a version that
// changes whenever one of their files does (size + mtime), so the live page redraws only then.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCharts } from './charts.js';
import type { PageState } from './page.js';
import { HISTORY_FILE, METRICS_FILE, readRollouts, readRun, ROLLOUTS_FILE, runNames, type RolloutRow, type RunData } from './run-data.js';

export function filesVersion(dirs: readonly string[]): string {
  return dirs
    .map((d) =>
      [METRICS_FILE, ROLLOUTS_FILE, HISTORY_FILE]
        .map((f) => {
          try {
            const s = fs.statSync(path.join(d, f));
            return `${s.size}:${s.mtimeMs}`;
          } catch {
            return '-';
          }
        })
        .join(','),
    )
    .join(';');
}

export function readRuns(dirs: readonly string[]): RunData[] {
  const names = runNames(dirs);
  return dirs.map((d, i) => readRun(d, names[i]));
}

export function pageState(dirs: readonly string[], title?: string): PageState {
  const version = filesVersion(dirs);
  const runs = readRuns(dirs);
  return {
    title: title ?? `rlvr — ${runs.map((r) => r.name).join(', ')}`,
    version,
    charts: runCharts(runs),
    runs: runs.map((r) => ({ name: r.name, dir: r.dir, lastStep: r.metrics.at(-1)?.step ?? 0, rolloutSteps: r.rolloutSteps })),
  };
}

/**
 * The rollouts of a static page: for each run, up to `maxSteps` steps spread evenly over the
 * run (first and last included), each response cut to its last `maxChars` characters (the
 * answer is at the end), so that a long run's report stays a few MB.
 */
export function embeddedRollouts(dirs: readonly string[], maxSteps = 60, maxChars = 4000): Record<string, Record<number, RolloutRow[]>> {
  const names = runNames(dirs);
  const out: Record<string, Record<number, RolloutRow[]>> = {};
  dirs.forEach((d, i) => {
    const rows = readRollouts(d);
    const steps = [...new Set(rows.map((r) => r.step))].sort((a, b) => a - b);
    const keep = new Set(
      steps.length <= maxSteps ? steps : Array.from({ length: maxSteps }, (_, k) => steps[Math.round((k * (steps.length - 1)) / (maxSteps - 1))]!),
    );
    const byStep: Record<number, RolloutRow[]> = {};
    for (const r of rows) {
      if (!keep.has(r.step)) continue;
      const text = r.text.length > maxChars ? '…' + r.text.slice(-maxChars) : r.text;
      (byStep[r.step] ??= []).push({ ...r, text });
    }
    out[names[i]!] = byStep;
  });
  return out;
}
