// The bad-input table of the commands other than `rlvr train` (train's is train-errors.test.ts):
// each case gets its exit code and ONE line (no stack, none of a file's content), or a warning
// where the command can go on. The cases run in parallel (separate processes).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');

interface Result {
  status: number | null;
  stderr: string;
  stdout: string;
}

function rlvr(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, OMP_NUM_THREADS: '1', RLVR_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-bad-input-'));
const model = path.join(tmp, 'model');
buildTinyQwenModel(model, 7);
const file = (name: string, text: string) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
};
const problems = file('p.jsonl', '{"problem": "What is 1+1?", "answer": "2"}\n');
const run = path.join(tmp, 'run');
fs.mkdirSync(run);
fs.writeFileSync(path.join(run, 'metrics.jsonl'), '{"step":1}\n');

type Case = [name: string, args: string[], code: number, line: RegExp];
const cases: Case[] = [
  ['unknown command', ['trian'], 2, /^rlvr: unknown command 'trian' \(did you mean 'train'\?\); rlvr --help lists the commands$/],
  ['eval --limit 0', ['eval', '--model', model, '--data', problems, '--limit', '0'], 2, /^rlvr: --limit must be an integer >= 1, got 0$/],
  ['eval --task unknown', ['eval', '--model', model, '--data', problems, '--task', 'nope'], 2, /^rlvr: unknown task 'nope'; known tasks: .*math/],
  [
    'eval --model twice',
    ['eval', '--model', model, '--model', tmp, '--data', problems],
    2,
    /^rlvr: option --model given twice \('.*model' and '.*'\); keep one$/,
  ],
  [
    'select --score-pool --epochs 1',
    ['select', '--score-pool', '--model', model, '--data', problems, '--epochs', '1'],
    2,
    /^rlvr: --epochs 1: a historical variance needs at least 2 epochs \(the default\)$/,
  ],
  [
    'select --history YAML',
    ['select', '--history', file('history.yaml', 'secret: [1, 0]\n')],
    2,
    /^rlvr: .*history\.yaml: invalid JSON \(Unexpected token 's'\)$/,
  ],
  ['plan --device-memory 24', ['plan', '--model', model, '--device-memory', '24'], 2, /^rlvr: --device-memory: '24' has no unit: write 24GB or 24GiB$/],
  ['dashboard --port 99999', ['dashboard', run, '--port', '99999'], 2, /^rlvr: --port must be at most 65535 \(a TCP port\), got 99999$/],
  ['models get, unknown model', ['models', 'get', 'smollm3'], 2, /^rlvr: unknown model 'smollm3'; known: smollm2-135m-instruct, gemma3-270m$/],
];

test(`${cases.length} bad inputs of eval, select, plan, dashboard, models: one line each`, async () => {
  const results = await Promise.all(cases.map(([, args]) => rlvr(args)));
  cases.forEach(([name, , code, line], i) => {
    const r = results[i]!;
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !/^threads: \d+ \(/.test(l));
    assert.equal(r.status, code, `${name}: exit ${r.status}\n${r.stderr}`);
    assert.equal(lines.length, 1, `${name}: one line, got:\n${r.stderr}`);
    assert.match(lines[0]!, line, name);
    assert.doesNotMatch(r.stderr, /secret/, `${name}: no file content`);
  });
});

test("eval: a problem beyond the model's context is a warning, and the evaluation goes on", async () => {
  // The tiny model with a 64-token context; the problem is ~300 tokens.
  const short = path.join(tmp, 'model-ctx64');
  fs.cpSync(model, short, { recursive: true });
  const cfg = JSON.parse(fs.readFileSync(path.join(short, 'config.json'), 'utf8'));
  fs.writeFileSync(path.join(short, 'config.json'), JSON.stringify({ ...cfg, max_position_embeddings: 64 }));
  const long = file('long.jsonl', JSON.stringify({ problem: `Compute ${'1+'.repeat(150)}1.`, answer: '151' }) + '\n');
  const r = await rlvr(['eval', '--model', short, '--data', long, '--max-tokens', '2', '--threads', '1', '--out', path.join(tmp, 'eval-out')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stderr,
    /warning: 1 problem \(prompt up to \d+ tokens\) plus --max-tokens 2 exceed the model's context of 64 tokens \(max_position_embeddings\)/,
  );
});
