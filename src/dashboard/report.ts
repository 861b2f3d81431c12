// `rlvr report RUN_DIR...`: the dashboard's views as one static, self-contained HTML file (uPlot
// and the data inlined; no server, no network), written next to the run by default.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderPage, type PageOptions } from './page.js';
import { embeddedRollouts, pageState } from './state.js';
import type { ChartSpec } from './charts.js';

export interface ReportOptions {
  title?: string;
  /** Charts placed before the run's own (e.g. the demo's pretraining loss). */
  extraCharts?: ChartSpec[];
  /** Ids of the run charts to leave out (e.g. one the extra charts replace). */
  omitCharts?: string[];
  intro?: PageOptions['intro'];
  outro?: PageOptions['outro'];
}

/** The report's HTML for one or more run folders. */
export function renderRunReport(dirs: readonly string[], opts: ReportOptions = {}): string {
  const state = pageState(dirs, opts.title);
  state.charts = [...(opts.extraCharts ?? []), ...state.charts.filter((c) => !opts.omitCharts?.includes(c.id))];
  return renderPage(state, { live: false, rollouts: embeddedRollouts(dirs), intro: opts.intro, outro: opts.outro });
}

/** Writes the report (default RUN_DIR/report.html for one run) and returns its path. */
export function writeRunReport(dirs: readonly string[], out?: string, opts: ReportOptions = {}): string {
  const file = out ?? path.join(dirs[0]!, 'report.html');
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, renderRunReport(dirs, opts));
  return file;
}
