// The dashboard in a real headless Chromium (Debian's `chromium`, driven by puppeteer-core): the
// charts render, a line appended to metrics.jsonl appears within 5 s, rollouts show with the
// answer highlighted, runs overlay; the static report renders from a file with no server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { runCharts, type ChartSpec } from '../../src/dashboard/charts.js';
import { readMetrics, readRun } from '../../src/dashboard/run-data.js';
import { startDashboard } from '../../src/dashboard/server.js';
import { writeRunReport } from '../../src/dashboard/report.js';

/** What the page exposes for tests (src/dashboard/page.ts). */
interface Window {
  __rlvr: {
    charts: Map<
      string,
      {
        u: { data: number[][]; axes: { label?: string; _splits?: number[]; _values?: string[] }[]; scales: Record<string, { min: number; max: number }> };
        markers: { drawn: { x: number; px: number; label: string }[] };
      }
    >;
  };
}

function chromiumPath(): string {
  const fromEnv = process.env['CHROMIUM_PATH'];
  if (fromEnv) return fromEnv;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error("no Chromium found: `bash scripts/setup.sh --test` installs Debian's chromium (or set CHROMIUM_PATH)");
}

function metricsLine(step: number, extra: Record<string, unknown> = {}): string {
  return (
    JSON.stringify({
      step,
      rewardMean: 0.1 * step,
      trainAccuracy: Math.min(1, 0.1 * step),
      entropy: 1 / step,
      kl: 0.001 * step,
      pgLoss: 0,
      clipFrac: 0.01,
      gradNorm: 0.5,
      lr: 1e-6,
      responseLengthMean: 100 + step,
      responseLengthMax: 200,
      tokensPerSecond: 500,
      timeGeneration: 2,
      timeLogprobs: 0.5,
      timeUpdate: 1,
      rewardStd: 0.4,
      zeroVarianceGroupFrac: 0.25,
      truncatedFrac: 0.05,
      time: new Date().toISOString(),
      rewardsByName: { math: 0.1 * step },
      ...extra,
    }) + '\n'
  );
}

function makeRun(dir: string, steps: number, scale = 1): void {
  fs.mkdirSync(dir, { recursive: true });
  let text = JSON.stringify({ step: 0, validation: { accuracy: 0.2 } }) + '\n';
  for (let s = 1; s <= steps; s++) text += metricsLine(s, s % 2 === 0 ? { validation: { accuracy: 0.2 + 0.05 * s * scale } } : {});
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), text);
  const rollouts = [];
  for (let s = 1; s <= steps; s++) {
    for (let k = 0; k < 2; k++) {
      rollouts.push({
        step: s,
        promptId: 124,
        sample: k,
        text: `Step ${s}: 6*7 = 42, so the answer is \\boxed{4${k}}. Done.`,
        reward: k === 0 ? 0 : 1,
        verified: k,
        extracted: `4${k}`,
        length: 20,
        truncated: false,
      });
    }
  }
  fs.writeFileSync(path.join(dir, 'rollouts.jsonl'), rollouts.map((r) => JSON.stringify(r)).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'accuracy_history.json'), JSON.stringify({ 124: [0.1, 0.5, 0.9], 7: [0.5, 0.5, 0.6] }));
}

describe('run data and chart specs', () => {
  test('a half-written last line is skipped; charts appear for the metrics present', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-dash-data-'));
    makeRun(dir, 3);
    fs.appendFileSync(path.join(dir, 'metrics.jsonl'), '{"step": 4, "rewardMe');
    assert.deepEqual(
      readMetrics(dir).map((m) => m.step),
      [0, 1, 2, 3],
    );
    const charts = runCharts([readRun(dir)]);
    assert.deepEqual(
      charts.map((c) => c.id),
      ['reward', 'accuracy', 'entropy', 'kl', 'clip', 'gradnorm', 'length', 'truncated', 'zerovar', 'rewardstd', 'throughput', 'time', 'history'],
    );
    const acc = charts.find((c) => c.id === 'accuracy')!;
    assert.deepEqual(
      acc.series.map((s) => s.label),
      ['train (rollouts)', 'validation accuracy'],
    );
    assert.deepEqual(acc.series[1]!.x, [0, 2], 'validation at step 0 and step 2');
    assert.deepEqual(acc.yRange, [0, 1]);
    // The example with the most variance across epochs first.
    assert.deepEqual(
      charts.at(-1)!.series.map((s) => s.label),
      ['example 124', 'example 7'],
    );
  });
});

describe('dashboard in headless Chromium', { timeout: 120_000 }, () => {
  let browser: Browser;
  let page: Page;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-dash-'));
  const a = path.join(root, 'full');
  const b = path.join(root, 'pg-only');
  const errors: string[] = [];

  before(async () => {
    makeRun(a, 5);
    makeRun(b, 4, 0.5);
    browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('pageerror', (e) => errors.push(String(e)));
  });

  after(async () => {
    await browser?.close();
  });

  const lastX = (id: string) =>
    page.evaluate((chart) => {
      const c = (globalThis as unknown as Window).__rlvr.charts.get(chart);
      return c ? (c.u.data[0]!.at(-1) ?? null) : null;
    }, id);

  test('charts render, a new metrics line appears within 5 s, rollouts are highlighted', async () => {
    const dash = await startDashboard([a], { port: 0 });
    try {
      assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      await page.goto(dash.url);
      await page.waitForSelector('.uplot canvas');
      const canvases = await page.$$eval('.chart canvas', (els) => els.filter((e) => (e as unknown as { width: number }).width > 0).length);
      assert.equal(canvases, 13, 'every chart drew a canvas');
      const titles = await page.$$eval('.u-title', (els) => els.map((e) => e.textContent));
      assert.ok(titles.includes('Training vs validation accuracy'));
      // uPlot draws axes on the canvas: read their labels and tick positions from the chart objects.
      const axes = await page.evaluate(() => {
        const u = (globalThis as unknown as Window).__rlvr.charts.get('entropy')!.u;
        return { labels: u.axes.map((x) => x.label), xTicks: u.axes[0]!._splits ?? [] };
      });
      assert.deepEqual(axes.labels, ['step', 'entropy (nats / token)'], 'axes are labelled with units');
      assert.ok(axes.xTicks.length >= 2 && axes.xTicks.every((t) => Number.isInteger(t)), `whole-step ticks: ${axes.xTicks.join(', ')}`);
      assert.equal(await lastX('reward'), 5);

      const t0 = Date.now();
      fs.appendFileSync(path.join(a, 'metrics.jsonl'), metricsLine(6));
      await page.waitForFunction(
        () => {
          const c = (globalThis as unknown as Window).__rlvr.charts.get('reward');
          return c?.u.data[0]?.at(-1) === 6;
        },
        { timeout: 5000, polling: 100 },
      );
      const seconds = (Date.now() - t0) / 1000;
      assert.ok(seconds < 5, `appeared after ${seconds} s`);
      assert.match(await page.$eval('#status', (e) => e.textContent ?? ''), /step 6/);

      await page.waitForSelector('#rollouts mark');
      const marks = await page.$$eval('#rollouts mark', (els) => els.map((e) => e.textContent));
      assert.deepEqual(marks, ['\\boxed{40}', '\\boxed{41}'], "the last step's rollouts, answers highlighted");
      assert.deepEqual(errors, []);
    } finally {
      await dash.close();
    }
  });

  test('several runs overlay in one chart; the legend tells every series apart (colour = run, dash = series)', async () => {
    const dash = await startDashboard([a, b], { port: 0 });
    try {
      await page.goto(dash.url);
      await page.waitForSelector('.uplot canvas');
      const legend = await page.$$eval('[data-chart="reward"] .u-legend .u-series .u-label', (els) => els.map((e) => e.textContent));
      assert.deepEqual(legend.slice(1), ['full: reward', 'pg-only: reward']);
      // Time per step: 2 runs × (generation, log-probs, update). The swatches drawn in the legend.
      const swatches = await page.$$eval('[data-chart="time"] .u-legend .u-series', (rows) =>
        rows.slice(1).map((r) => {
          const line = r.querySelector('.u-marker svg line');
          return {
            label: r.querySelector('.u-label')!.textContent,
            color: line?.getAttribute('stroke'),
            dash: line?.getAttribute('stroke-dasharray') ?? 'solid',
          };
        }),
      );
      assert.deepEqual(
        swatches.map((s) => s.label),
        ['full: generation', 'full: log-probs', 'full: update', 'pg-only: generation', 'pg-only: log-probs', 'pg-only: update'],
      );
      assert.equal(new Set(swatches.map((s) => `${s.color} ${s.dash}`)).size, 6, `every series has its own colour and dash: ${JSON.stringify(swatches)}`);
      assert.deepEqual(
        swatches.slice(0, 3).map((s) => s.dash),
        ['solid', '7 4', '2 3'],
        "a run's lines: solid, dashed, dotted",
      );
      assert.deepEqual(new Set(swatches.slice(0, 3).map((s) => s.color)).size, 1, 'one colour per run');
      assert.deepEqual(errors, []);
    } finally {
      await dash.close();
    }
  });

  test('axes: ticks with enough digits for a small range; an all-zero fraction on 0-1; CJK renders as glyphs', async () => {
    // A run (with a CJK name) whose entropy moves in the 4th decimal and whose clip fraction is always 0.
    const cjk = path.join(root, '中文运行');
    fs.mkdirSync(cjk);
    fs.writeFileSync(path.join(cjk, 'metrics.jsonl'), [1, 2, 3, 4].map((s) => metricsLine(s, { entropy: 11.8961 + 0.0001 * s, clipFrac: 0 })).join(''));
    const dash = await startDashboard([cjk], { port: 0 });
    try {
      await page.goto(dash.url);
      await page.waitForSelector('[data-chart="clip"] canvas');
      const seen = await page.evaluate(() => {
        const charts = (globalThis as unknown as Window).__rlvr.charts;
        const entropy = charts.get('entropy')!.u;
        const clip = charts.get('clip')!.u;
        return { ticks: entropy.axes[1]!._values ?? [], clip: [clip.scales['y']!.min, clip.scales['y']!.max], clipTicks: clip.axes[1]!._values ?? [] };
      });
      assert.ok(seen.ticks.length >= 3, `ticks: ${seen.ticks.join(', ')}`);
      assert.equal(new Set(seen.ticks).size, seen.ticks.length, `no repeated tick labels: ${seen.ticks.join(', ')}`);
      assert.ok(
        seen.ticks.every((t) => /^11\.89\d+$/.test(t)),
        seen.ticks.join(', '),
      );
      assert.deepEqual(seen.clip, [0, 1], 'an all-zero fraction is drawn on 0-1, not 0-100');
      assert.ok(seen.clipTicks.includes('1.0') || seen.clipTicks.includes('1'), seen.clipTicks.join(', '));
      assert.match(await page.$eval('#status', (e) => e.textContent ?? ''), /中文运行: step 4/);
      // CJK glyphs: '中' drawn with the page's fonts differs from the missing-glyph box (U+FFFF has no glyph anywhere).
      const glyph = await page.evaluate(() => {
        interface Ctx {
          font: string;
          fillText(t: string, x: number, y: number): void;
          getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
        }
        const g = globalThis as unknown as {
          document: { body: unknown; createElement(t: string): { width: number; height: number; getContext(k: string): Ctx | null } };
          getComputedStyle(e: unknown): { fontFamily: string };
        };
        const font = '32px ' + g.getComputedStyle(g.document.body).fontFamily;
        const draw = (t: string) => {
          const c = g.document.createElement('canvas');
          c.width = 48;
          c.height = 48;
          const ctx = c.getContext('2d')!;
          ctx.font = font;
          ctx.fillText(t, 4, 38);
          return Array.from(ctx.getImageData(0, 0, 48, 48).data).join(',');
        };
        return { zhong: draw('中'), wen: draw('文'), missing: draw('\uffff') };
      });
      assert.notEqual(glyph.zhong, glyph.missing, '中 is not the missing-glyph box (fonts-noto-cjk: setup.sh --test)');
      assert.notEqual(glyph.zhong, glyph.wen, 'two CJK characters draw differently');
      assert.deepEqual(errors, []);
    } finally {
      await dash.close();
    }
  });

  test('the static report renders from a file, with no server', async () => {
    const file = writeRunReport([a]);
    const html = fs.readFileSync(file, 'utf8');
    assert.ok(!/https?:\/\/(?!127\.0\.0\.1)/.test(html.replace(/https?:\/\/(www\.)?(w3\.org|github\.com)[^\s"')]*/g, '')), 'no external URLs');
    await page.goto(`file://${file}`);
    await page.waitForSelector('.uplot canvas');
    assert.equal(await page.$$eval('.chart canvas', (els) => els.length), 13);
    assert.equal(await lastX('reward'), 6);
    const marks = await page.$$eval('#rollouts mark', (els) => els.map((e) => e.textContent));
    assert.deepEqual(marks, ['\\boxed{40}', '\\boxed{41}']);
    assert.deepEqual(errors, []);
  });

  test('a marker (e.g. the saturation step) is drawn as a vertical line at its x', async () => {
    const color = '#e377c2';
    const marked: ChartSpec = {
      id: 'marked',
      title: 'Marked',
      xLabel: 'step',
      yLabel: 'accuracy',
      yRange: [0, 1],
      series: [{ label: 'train', x: [0, 1, 2, 3, 4, 5], y: [0.1, 0.3, 0.6, 0.9, 1, 1], color: '#1f77b4' }],
      markers: [{ x: 3, label: 'saturated (step 3)', color }],
    };
    const file = path.join(root, 'marked.html');
    writeRunReport([a], file, { extraCharts: [marked] });
    await page.goto(`file://${file}`);
    await page.waitForSelector('[data-chart="marked"] canvas');
    // Where the page says it drew the line, and the canvas pixels along it (above and below the
    // series) have the marker's color: the line is on the canvas, not only in the spec.
    const seen = await page.evaluate(() => {
      const c = (globalThis as unknown as Window).__rlvr.charts.get('marked')!;
      const u = c.u as unknown as {
        ctx: { getImageData: (x: number, y: number, w: number, h: number) => { data: ArrayLike<number> } };
        bbox: { top: number; height: number; left: number; width: number };
        valToPos: (v: number, s: string, c: boolean) => number;
      };
      const drawn = c.markers.drawn;
      const px = drawn[0]?.px ?? -1;
      const ys = [0.2, 0.5, 0.8].map((f) => Math.round(u.bbox.top + f * u.bbox.height));
      const pixel = (x: number, y: number) => Array.from(u.ctx.getImageData(x, y, 1, 1).data).slice(0, 3);
      return { drawn, expected: Math.round(u.valToPos(3, 'x', true)), along: ys.map((y) => pixel(px, y)), beside: ys.map((y) => pixel(px + 40, y)) };
    });
    assert.equal(seen.drawn.length, 1);
    assert.equal(seen.drawn[0]!.px, seen.expected, 'at x = 3 in canvas pixels');
    const rgb = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
    for (const p of seen.along) assert.deepEqual(p, rgb, `marker color along the line: ${p.join(',')}`);
    for (const p of seen.beside) assert.notDeepEqual(p, rgb, 'not beside it');
    assert.deepEqual(errors, []);
  });
});
