// The embedded demo (`rlvr demo`): the quick configuration end to end through the CLI (JSON
// line, report with charts, reproducibility), the demo tokenizer (byte-level BPE with an
// empty merge list through our Tokenizer), and the base-model folder as a real HF checkpoint.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { loadModel } from '../../src/model/checkpoint.js';
import { generate } from '../../src/rollout/reference-sampler.js';
import { DemoTokenizer, DEMO_CHAT_TEMPLATE, tokenizerJson } from '../../src/demo/tokenizer.js';
import { CorpusStream, FAMILIES, makeSplit, solution } from '../../src/tasks/arithmetic/problems.js';
import { encodeConversation } from '../../src/demo/pretrain.js';
import { lastInteger } from '../../src/demo/held-out.js';
import { verify } from '../../src/tasks/math/verifier/verifier.js';
import { extractAnswer } from '../../src/tasks/math/verifier/extract.js';
import { repoRoot } from '../helpers/paths.js';
import { hasPythonModule, runPython } from '../helpers/python.js';

const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

function runDemoCli(args: string[]): { stdout: string; stderr: string; json: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [main, 'demo', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `rlvr demo failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return { stdout: r.stdout, stderr: r.stderr, json: JSON.parse(lines[lines.length - 1]!) as Record<string, unknown> };
}

describe('demo tokenizer', () => {
  test('byte-level BPE with no merges is a character tokenizer and round-trips', () => {
    const tok = new DemoTokenizer();
    const text = tok.renderPrompt([{ role: 'user', content: '6*7+15=?' }]) + '6*7=42, 42+15=57. \\boxed{57}<|im_end|>';
    const ids = tok.encode(text);
    assert.equal(tok.decode(ids), text);
    assert.equal(ids.filter((i) => i === tok.imStart).length, 2);
    assert.equal(ids.filter((i) => i === tok.imEnd).length, 2);
    // every non-special character is one token
    assert.equal(ids.length, text.replace(/<\|im_start\|>|<\|im_end\|>/g, '#').length);
    assert.equal(tok.size, 99);
    // the same through Tokenizer.fromJson on the serialized file
    const again = Tokenizer.fromJson(JSON.parse(JSON.stringify(tokenizerJson())));
    assert.deepEqual(again.encode(text), ids);
    assert.ok(DEMO_CHAT_TEMPLATE.includes('<|im_start|>'));
  });
});

describe('demo task', () => {
  test('splits are disjoint, the corpus avoids them, every format verifies as intended', () => {
    const split = makeSplit(3, 10, 4);
    assert.equal(split.test.length, 40);
    assert.equal(split.pool.length, 16);
    const test = new Set(split.test.map((p) => p.question));
    for (const p of split.pool) assert.ok(!test.has(p.question));
    // The pool holds only problems the hasty shortcut gets wrong (one it solves is a dead example).
    for (const s of [0, 1, 2, 3, 4]) for (const p of makeSplit(s, 30, 4).pool) assert.notEqual(p.hastyAnswer, p.answer, `seed ${s}: ${p.question}`);
    const corpus = new CorpusStream(3, split.reserved);
    const seen = new Set<string>();
    const methods = { careful: 0, hasty: 0 };
    let hastyWrong = 0;
    for (let i = 0; i < 2000; i++) {
      const c = corpus.next();
      assert.ok(!split.reserved.has(c.problem.question));
      seen.add(c.format);
      methods[c.method]++;
      const gold = String(c.problem.answer);
      const right = c.method === 'careful' || c.problem.hastyAnswer === c.problem.answer;
      // the paper's reward accepts only a right boxed answer; the lenient check any right final integer
      assert.equal(verify(gold, c.response, { mode: 'reward' }).correct, c.format === 'boxed' && right, c.response);
      assert.equal(lastInteger(c.response) === gold, right, c.response);
      assert.ok(c.response.startsWith(c.method === 'careful' ? 'Check: ' : 'Quick: '), c.response);
      if (c.method === 'hasty' && c.problem.hastyAnswer !== c.problem.answer) hastyWrong++;
    }
    assert.deepEqual([...seen].sort(), ['boxed', 'text']);
    assert.equal(FAMILIES.length, 4);
    // the careful procedure ~1 time in 4; the shortcut is usually wrong
    assert.ok(methods.careful > 400 && methods.careful < 600, `careful ${methods.careful} of 2000`);
    assert.ok(hastyWrong > 0.7 * methods.hasty, `hasty wrong ${hastyWrong} of ${methods.hasty}`);
    const p = split.test[0]!;
    const enc = encodeConversation(new DemoTokenizer(), p.question, solution(p, 'boxed'));
    assert.ok(solution(p, 'boxed').startsWith('Check: '));
    assert.equal(enc.ids.length, enc.labels.length);
    assert.ok(enc.labels.filter((l) => l !== -100).length === solution(p, 'boxed').length + 1);
  });
});

describe('rlvr demo: bad input', () => {
  test('--example-rank outside the pool: one line, exit code 2, before any work', () => {
    for (const [rank, pool] of [
      ['0', 16],
      ['9', 8],
    ] as const) {
      const r = spawnSync(process.execPath, [main, 'demo', ...(pool === 8 ? ['--quick'] : []), '--example-rank', rank], { encoding: 'utf8' });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`--example-rank must be (an integer >= 1|from 1 to ${pool})`));
    }
  });
});

describe('rlvr demo --quick', () => {
  const out1 = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-demo-'));
  const out2 = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-demo-'));
  let first: ReturnType<typeof runDemoCli>;

  test('runs end to end: JSON last line, table, report with charts, HF folders', () => {
    first = runDemoCli(['--quick', '--json', '--seed', '7', '--out', out1]);
    const j = first.json;
    assert.deepEqual(Object.keys(j).sort(), ['after', 'before', 'seconds', 'steps']);
    for (const k of ['before', 'after']) assert.ok(typeof j[k] === 'number' && (j[k] as number) >= 0 && (j[k] as number) <= 1);
    assert.equal(j.steps, 3);
    assert.ok((j.seconds as number) > 0);
    assert.match(first.stdout, /held-out accuracy \(boxed, reward\)/);
    const html = fs.readFileSync(path.join(out1, 'report.html'), 'utf8');
    // The report is the shared run report (src/dashboard/): chart specs drawn by the inlined uPlot.
    assert.ok(html.includes('uPlot') && !html.includes('src="/uplot.js"'), 'uPlot is inlined (a file readable offline)');
    const state = JSON.parse(/let state = (.*);\n/.exec(html)![1]!) as { charts: { title: string; series: { label: string; x: number[] }[] }[] };
    const titles = state.charts.map((c) => c.title);
    for (const title of ['Accuracy per RLVR step', 'Policy entropy', 'Response length', 'Pretraining loss (assistant tokens)', 'KL to the reference model'])
      assert.ok(titles.includes(title), title);
    const acc = state.charts.find((c) => c.title === 'Accuracy per RLVR step')!;
    assert.deepEqual(
      acc.series.slice(0, 2).map((s) => s.label),
      ['train accuracy (π1 rollouts)', 'held-out accuracy (boxed, greedy)'],
    );
    assert.deepEqual(acc.series[0]!.x, [1, 2, 3]);
    const metrics = fs
      .readFileSync(path.join(out1, 'rlvr', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(metrics.length, 4); // step 0 validation + 3 steps
    // The trainer has the arithmetic task: each logged rollout carries the answer it extracted (the
    // verifier's reward mode, as the trainer logged before tasks), null only where there is none.
    const rollouts = fs
      .readFileSync(path.join(out1, 'rlvr', 'rollouts.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; extracted: string | null });
    assert.ok(rollouts.length > 0);
    for (const r of rollouts) assert.equal(r.extracted, extractAnswer(r.text, { mode: 'reward' }), r.text);
    assert.ok(
      rollouts.some((r) => r.extracted !== null),
      'some rollout has a boxed answer',
    );
    for (const dir of ['base-model', path.join('rlvr', 'final-model')]) {
      for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) {
        assert.ok(fs.existsSync(path.join(out1, dir, f)), `${dir}/${f}`);
      }
    }
    const history = JSON.parse(fs.readFileSync(path.join(out1, 'selection', 'accuracy_history.json'), 'utf8')) as Record<string, number[]>;
    assert.equal(Object.keys(history).length, 8);
    for (const accs of Object.values(history)) assert.equal(accs.length, 2);
    // the ablation table: the main run, pg-only, entropy-only, a random example
    const summary = JSON.parse(fs.readFileSync(path.join(out1, 'summary.json'), 'utf8')) as {
      ablations: { name: string; after: { lenientAccuracy: number } }[];
      trainedFamily: string;
    };
    assert.deepEqual(
      summary.ablations.map((a) => a.name),
      ['full loss, π1 (selected)', 'pg-only, π1', 'entropy-only, π1', 'full loss, random example'],
    );
    assert.ok(FAMILIES.includes(summary.trainedFamily as (typeof FAMILIES)[number]));
    assert.ok(html.includes('Ablations') && html.includes('Post-saturation'));
    // The saturation step is marked on the accuracy charts (a marker, drawn by the page's uPlot hook).
    const s2 = JSON.parse(fs.readFileSync(path.join(out1, 'summary.json'), 'utf8')) as {
      saturationStep: number | null;
      postSaturation: { saturationStep: number } | null;
    };
    assert.ok('postSaturation' in s2);
    const marked = (state.charts as { title: string; markers?: { x: number }[] }[]).filter((c) => c.markers?.length);
    if (s2.saturationStep === null) assert.deepEqual(marked, []);
    else
      assert.deepEqual(
        marked.map((c) => [c.title, c.markers![0]!.x]),
        [
          ['Accuracy per RLVR step', s2.saturationStep],
          ['Held-out accuracy per family (any format)', s2.saturationStep],
        ],
      );
    assert.ok(titles.includes('Held-out accuracy per family (any format)'));
  });

  test('is reproducible: same seed, same numbers', () => {
    const second = runDemoCli(['--quick', '--json', '--seed', '7', '--out', out2]);
    assert.equal(second.json.before, first.json.before);
    assert.equal(second.json.after, first.json.after);
    const strip = (dir: string) => {
      const s = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
      delete s.times;
      return s;
    };
    assert.deepEqual(strip(out2), strip(out1));
    const metrics = (dir: string) =>
      fs
        .readFileSync(path.join(dir, 'rlvr', 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const m = JSON.parse(l) as Record<string, unknown>;
          for (const k of Object.keys(m)) if (k.startsWith('time') || k === 'tokensPerSecond') delete m[k];
          return m;
        });
    assert.deepEqual(metrics(out2), metrics(out1));
    assert.deepEqual(fs.readFileSync(path.join(out2, 'base-model', 'model.safetensors')), fs.readFileSync(path.join(out1, 'base-model', 'model.safetensors')));
  });

  test('the base model folder loads in transformers and decodes greedily as ours does', {
    skip: !hasPythonModule('transformers') && 'python transformers not installed',
  }, () => {
    const dir = path.join(out1, 'base-model');
    const questions = ['37+48=?', '91-26=?', '6*7+15=?'];
    const hf = runPython(path.join(repoRoot, 'test', 'demo', 'hf_check.py'), [dir, '12'], questions.join('\n'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { prompt: string; promptIds: number[]; tokens: number[] });
    const tok = DemoTokenizer.fromDir(dir);
    const model = loadModel(dir);
    try {
      questions.forEach((q, i) => {
        const prompt = tok.renderPrompt([{ role: 'user', content: q }]);
        assert.equal(prompt, hf[i]!.prompt);
        const ids = tok.encode(prompt);
        assert.deepEqual(ids, hf[i]!.promptIds);
        const [s] = generate(model, [ids], { maxNewTokens: 12, greedy: true, stopTokenIds: tok.stopTokenIds });
        assert.deepEqual(s!.tokens, hf[i]!.tokens, `greedy continuation of ${q}`);
      });
    } finally {
      model.dispose();
    }
  });
});
