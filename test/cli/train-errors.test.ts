// `rlvr train` against bad input, the table of issue 10: every case gets its exit code and ONE
// line (no stack), and nothing of an existing run is lost. Most cases fail before any model
// work (settings, paths, data), a few load the tiny model (damaged model folders, NaN weights,
// prompts that do not fit); then whole runs: damaged newest checkpoint, a SIGKILL, disk full,
// flags given with --resume.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { readSafetensorsHeader } from '../../src/model/safetensors.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function rlvr(args: string[], opts: { onSpawn?: (pid: number) => void; kill?: () => boolean } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, OMP_NUM_THREADS: '1', RLVR_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timer: NodeJS.Timeout | null = null;
    if (opts.kill) {
      timer = setInterval(() => {
        if (opts.kill!()) {
          child.kill('SIGKILL');
          clearInterval(timer!);
        }
      }, 2);
    }
    child.on('close', (status) => {
      if (timer) clearInterval(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs `f` over `items`, `n` at a time (the table's processes mostly wait on startup). */
async function pool<T, R>(items: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!);
      }
    }),
  );
  return out;
}

function assertOneLine(r: Result, code: number, pattern: RegExp, name: string): void {
  // The compute commands' informational "threads: N (...)" line may come first; the error is one line.
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !/^threads: \d+ \(/.test(l));
  assert.equal(r.status, code, `${name}: exit code ${r.status}, stderr:\n${r.stderr}`);
  assert.equal(lines.length, 1, `${name}: expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^rlvr: /, name);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
  assert.match(lines[0]!, pattern, name);
}

/** A run that fails after it started: progress lines, then one error line and no stack. */
function assertEndsWithOneError(r: Result, code: number, pattern: RegExp, name: string): void {
  assert.equal(r.status, code, `${name}: exit code ${r.status}, stderr:\n${r.stderr}`);
  const errors = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('rlvr: '));
  assert.equal(errors.length, 1, `${name}: one error line, got:\n${r.stderr}`);
  assert.match(r.stderr.trim().split('\n').at(-1)!, pattern, name);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-train-errors-'));
const modelDir = path.join(tmp, 'model');
buildTinyQwenModel(modelDir, 7);
const data = path.join(tmp, 'train.jsonl');
const problems = [
  { problem: 'What is 1+1?', answer: '2' },
  { problem: 'What is 2+3?', answer: '5' },
];
fs.writeFileSync(data, problems.map((r) => JSON.stringify(r)).join('\n') + '\n');
const file = (name: string, text: string) => {
  const f = path.join(tmp, name);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
  return f;
};
const json = (name: string, obj: unknown) => file(name, JSON.stringify(obj));
/** A copy of the tiny model folder with one thing broken. */
const brokenModel = (name: string, breakIt: (dir: string) => void) => {
  const dir = path.join(tmp, name);
  fs.cpSync(modelDir, dir, { recursive: true });
  breakIt(dir);
  return dir;
};
const small = 'trainBatchSize=2,miniBatchSize=1,groupSize=2,maxResponseLength=3,validateEvery=0';
const base = ['--model', modelDir, '--data', data, '--threads', '1'];
const fileOut = file('a-file', 'not a folder');
const existingRun = path.join(tmp, 'existing-run');
fs.mkdirSync(existingRun);
fs.writeFileSync(path.join(existingRun, 'metrics.jsonl'), '{"step":1}\n');
const noConfigRun = path.join(tmp, 'no-config-run');
fs.mkdirSync(noConfigRun);

// ---- the table: name, arguments, exit code, the one line ----
type Case = [name: string, args: () => string[], code: number, line: RegExp];
const cases: Case[] = [
  // flags
  ['unknown flag', () => [...base, '--stesp', '3'], 2, /unknown option --stesp \(did you mean --steps\?\)/],
  ['--steps 1.5', () => [...base, '--steps', '1.5'], 2, /--steps: expected an integer, got 1\.5/],
  ['--steps abc', () => [...base, '--steps', 'abc'], 2, /--steps: expected a number, got "abc"/],
  ['--steps 0', () => [...base, '--steps', '0'], 2, /--steps: must be > 0, got 0/],
  ['--val-limit -1', () => [...base, '--val-data', data, '--val-limit', '-1'], 2, /--val-limit: must be > 0, got -1/],
  ['--val-limit without --val-data', () => [...base, '--val-limit', '3'], 2, /--val-limit needs --val-data/],
  ['--threads -2', () => ['--model', modelDir, '--data', data, '--threads', '-2'], 2, /--threads: must be > 0, got -2/],
  ['--threads 1.5', () => ['--model', modelDir, '--data', data, '--threads', '1.5'], 2, /--threads: expected an integer, got 1\.5/],
  ['--dtype float8', () => [...base, '--dtype', 'float8'], 2, /--dtype: must be one of float32, bfloat16, float16, float64, got "float8"/],
  ['--device gpu', () => [...base, '--device', 'gpu'], 2, /--device: must be cpu, cuda, cuda:N or mps, got "gpu"/],
  ['--task unknown', () => [...base, '--task', 'nope'], 2, /--task: must be one of .*math.*, got "nope"/],
  ['--preset unknown', () => [...base, '--preset', 'pg_only'], 2, /--preset: must be one of full, .*got "pg_only" \(did you mean 'pg-only'\?\)/],
  ['--set lr=-1', () => [...base, '--set', 'lr=-1'], 2, /--set lr: must be > 0, got -1/],
  ['--set clipRatio=-0.5', () => [...base, '--set', 'clipRatio=-0.5'], 2, /--set clipRatio: must be > 0, got -0\.5/],
  ['--set groupSize=1', () => [...base, '--set', 'groupSize=1'], 2, /--set groupSize: must be >= 2, got 1/],
  ['--set saveEvery=-1', () => [...base, '--set', 'saveEvery=-1'], 2, /--set saveEvery: must be >= 0, got -1/],
  ['--set keepLast=1.5', () => [...base, '--set', 'keepLast=1.5'], 2, /--set keepLast: expected an integer/],
  ['--set betas=abc', () => [...base, '--set', 'betas=abc'], 2, /--set betas: must be >= 2 items, got \["abc"\]/],
  ['--set a key twice', () => [...base, '--set', 'lr=1e-6,lr=2e-6'], 2, /--set lr: given twice \(1e-6 and 2e-6\); keep one/],
  ['--set abbreviation', () => [...base, '--set', 'valEvery=2'], 2, /--set valEvery: unknown setting \(did you mean 'validateEvery'\?\)/],
  ['--model twice', () => ['--model', modelDir, '--model', data, '--data', data], 2, /option --model given twice \('.*model' and '.*train\.jsonl'\); keep one/],
  ['--set betas=0.9:1.5', () => [...base, '--set', 'betas=0.9:1.5'], 2, /--set betas: must be < 1, got 1\.5/],
  ['--set topP=0', () => [...base, '--set', 'topP=0'], 2, /--set topP: must be > 0, got 0/],
  ['--set unknown key', () => [...base, '--set', 'stesp=3'], 2, /--set stesp: unknown setting \(did you mean 'steps'\?\)/],
  ['--set verl name', () => [...base, '--set', 'kl_loss_coef=0.01'], 2, /--set kl_loss_coef: unknown setting \(did you mean 'klCoef'\?\)/],
  ['--set without =', () => [...base, '--set', 'lr'], 2, /--set: expected key=value, got 'lr'/],
  ['--set bad enum', () => [...base, '--set', 'lossAggregation=token_mean'], 2, /did you mean 'token-mean'/],
  ['--set string boolean', () => [...base, '--set', 'policyGradient=yes'], 2, /--set policyGradient: expected true or false/],
  ['--set mini-batch mismatch', () => [...base, '--set', 'trainBatchSize=4,miniBatchSize=3'], 2, /--set miniBatchSize: must divide trainBatchSize 4, got 3/],
  ['missing --model', () => ['train', '--data', data], 2, /--model DIR is required/],
  ['missing --data', () => ['train', '--model', modelDir], 2, /--data FILE is required/],
  // run file
  ['--config missing', () => ['--config', path.join(tmp, 'nope.json')], 2, /no such file: .*nope\.json/],
  [
    '--config not JSON',
    () => ['--config', file('bad.json', '{"model": ')],
    2,
    /bad\.json: not valid JSON \(it ends in the middle of a value \(truncated\?\)\)$/,
  ],
  // A YAML run file: one line, none of its content.
  [
    '--config run.yaml',
    () => ['--config', file('run.yaml', 'model: secret-model-path\ndata: secret-data\n')],
    2,
    /^rlvr: .*run\.yaml: not valid JSON \(Unexpected token 'm'\); run files are JSON \(YAML is not read\): see examples\/\*\.json$/,
  ],
  ['--config an array', () => ['--config', json('array.json', [1])], 2, /array\.json: expected a JSON object, got \[1\]/],
  [
    'config learning_rate',
    () => ['--config', json('lr-name.json', { model: modelDir, data, grpo: { learning_rate: 1e-6 } })],
    2,
    /grpo\.learning_rate: unknown setting \(did you mean 'lr'\?\)/,
  ],
  [
    'config kl_coef',
    () => ['--config', json('kl.json', { model: modelDir, data, grpo: { kl_coef: 0 } })],
    2,
    /grpo\.kl_coef: unknown setting \(did you mean 'klCoef'\?\)/,
  ],
  [
    'config stesp',
    () => ['--config', json('stesp.json', { model: modelDir, data, grpo: { stesp: 2 } })],
    2,
    /grpo\.stesp: unknown setting \(did you mean 'steps'\?\)/,
  ],
  [
    'config steps at top level',
    () => ['--config', json('top.json', { model: modelDir, data, steps: 2 })],
    2,
    /top\.json: steps: unknown setting \(did you mean 'grpo\.steps'\?\)/,
  ],
  [
    'config "steps": "2"',
    () => ['--config', json('steps-string.json', { model: modelDir, data, grpo: { steps: '2' } })],
    2,
    /grpo\.steps: expected a number, got "2"/,
  ],
  [
    'config lr "1e-6"',
    () => ['--config', json('lr-string.json', { model: modelDir, data, grpo: { lr: '1e-6' } })],
    2,
    /grpo\.lr: expected a number, got "1e-6"/,
  ],
  ['config model: 42', () => ['--config', json('model-42.json', { model: 42, data })], 2, /model: expected a string, got 42/],
  ['config grpo: "fast"', () => ['--config', json('fast.json', { model: modelDir, data, grpo: 'fast' })], 2, /grpo: expected an object, got "fast"/],
  [
    'config string boolean',
    () => ['--config', json('bool.json', { model: modelDir, data, grpo: { normalizeAdvantageByStd: 'true' } })],
    2,
    /grpo\.normalizeAdvantageByStd: expected true or false/,
  ],
  [
    'config bad auto-or-boolean',
    () => ['--config', json('auto.json', { model: modelDir, data, grpo: { activationCheckpointing: 'yes' } })],
    2,
    /grpo\.activationCheckpointing: expected 'auto' or true or false \(a JSON boolean\), got "yes"/,
  ],
  [
    'config validation.limit',
    () => ['--config', json('val.json', { model: modelDir, data, validation: { data, limit: 0 } })],
    2,
    /validation\.limit: must be > 0, got 0/,
  ],
  // resume
  ['--resume without --out', () => ['--resume'], 2, /--resume needs --out RUN/],
  ['--resume on a folder that is not a run', () => ['--out', noConfigRun, '--resume'], 2, /has no run_config\.json/],
  ['--resume with --config', () => ['--out', noConfigRun, '--resume', '--config', data], 2, /drop --config/],
  // output folder
  ['--out under a file', () => [...base, '--out', path.join(fileOut, 'run')], 2, /--out .*a-file\/run: cannot write there \(a file is in the way\)/],
  ['--out is a file', () => [...base, '--out', fileOut], 2, /--out .*a-file is a file, not a folder/],
  ['--out not writable', () => [...base, '--out', '/sys/rlvr-test-run'], 2, /--out \/sys\/rlvr-test-run: cannot write there/],
  [
    '--out holds another run',
    () => [...base, '--out', existingRun],
    2,
    /already holds a run that stopped before its first checkpoint \(metrics\.jsonl, nothing to resume\); delete the folder/,
  ],
  // data
  ['data missing', () => ['--model', modelDir, '--data', path.join(tmp, 'nope.parquet')], 2, /no such file/],
  [
    'data malformed JSON line',
    () => ['--model', modelDir, '--data', file('bad-line.jsonl', '{"problem": "1+1", "answer": "2"}\n{"problem": \n')],
    2,
    /bad-line\.jsonl.*(line 2|:2)/,
  ],
  [
    'data row without answer',
    () => ['--model', modelDir, '--data', file('no-answer.jsonl', '{"problem": "1+1"}\n')],
    2,
    /no-answer\.jsonl: row 0 \(line 1\): missing field 'answer'$/,
  ],
  ['data empty', () => ['--model', modelDir, '--data', file('empty.jsonl', '')], 2, /empty\.jsonl: no rows$/],
  [
    'data every answer empty',
    () => ['--model', modelDir, '--data', file('empty-answers.jsonl', '{"problem": "1+1", "answer": ""}\n{"problem": "2+2", "answer": " "}\n')],
    2,
    /empty-answers\.jsonl: every answer is empty \(rows 0, 1\): no response could be rewarded$/,
  ],
  [
    'data not UTF-8',
    () => [
      '--model',
      modelDir,
      '--data',
      file('latin1.jsonl', Buffer.from('{"problem": "1+1", "answer": "2"}\n{"problem": "caf\xe9", "answer": "2"}\n', 'latin1') as unknown as string),
    ],
    2,
    /latin1\.jsonl: line 2: not valid UTF-8 \(byte 0xe9 at offset 50\); save the file as UTF-8$/,
  ],
  [
    'data problem an object',
    () => ['--model', modelDir, '--data', file('problem-object.jsonl', '{"problem": {"text": "1+1"}, "answer": "2"}\n')],
    2,
    /problem-object\.jsonl: row 0 \(line 1\): field 'problem' must be a string \(the problem's text\), got a JSON object$/,
  ],
  ['validation data missing', () => [...base, '--val-data', path.join(tmp, 'nope.jsonl')], 2, /no such file/],
  // model folder
  ['model folder missing', () => ['--model', path.join(tmp, 'no-model'), '--data', data], 2, /no such model folder/],
  [
    'model without config.json',
    () => ['--model', brokenModel('m-noconfig', (d) => fs.rmSync(path.join(d, 'config.json'))), '--data', data],
    2,
    /not a Hugging Face model folder \(no config\.json\)/,
  ],
  [
    'model config.json corrupt',
    () => ['--model', brokenModel('m-badconfig', (d) => fs.writeFileSync(path.join(d, 'config.json'), '{"hidden_size": ')), '--data', data],
    2,
    /m-badconfig\/config\.json: not valid JSON \(it ends in the middle of a value \(truncated\?\)\)$/,
  ],
  [
    'model weights missing',
    () => ['--model', brokenModel('m-noweights', (d) => fs.rmSync(path.join(d, 'model.safetensors'))), '--data', data],
    2,
    /m-noweights: no \.safetensors files found$/,
  ],
  [
    'model weights truncated',
    () => ['--model', brokenModel('m-truncated', (d) => fs.truncateSync(path.join(d, 'model.safetensors'), 5000)), '--data', data],
    2,
    /model\.safetensors: .*(inconsistent offsets|header)/,
  ],
  [
    'model with NaN weights',
    () => ['--model', brokenModel('m-nan', (d) => poisonWeights(path.join(d, 'model.safetensors'))), '--data', data, '--threads', '1'],
    2,
    /has NaN or infinite values/,
  ],
  [
    'model without tokenizer',
    () => ['--model', brokenModel('m-notok', (d) => fs.rmSync(path.join(d, 'tokenizer.json'))), '--data', data, '--threads', '1'],
    2,
    /m-notok has no tokenizer\.json$/,
  ],
  [
    'model tokenizer truncated',
    () => ['--model', brokenModel('m-tok-cut', (d) => fs.truncateSync(path.join(d, 'tokenizer.json'), 1000)), '--data', data, '--threads', '1'],
    2,
    /m-tok-cut\/tokenizer\.json: not valid JSON \(Unterminated string at byte 1000\); the model folder's tokenizer is damaged$/,
  ],
  [
    'every prompt too long',
    () => [...base, '--set', `${small},maxPromptLength=5`],
    2,
    /2 of 2 prompts are longer than maxPromptLength 5 tokens \(longest \d+; rows 0, 1\): nothing left to train on/,
  ],
];

/** Writes NaN into the first float32 tensor of a safetensors file. */
function poisonWeights(f: string): void {
  const t = readSafetensorsHeader(f).tensors.find((x) => x.dtype === 'F32')!;
  const fd = fs.openSync(f, 'r+');
  fs.writeSync(fd, new Uint8Array(new Float32Array([Number.NaN]).buffer), 0, 4, t.byteOffset);
  fs.closeSync(fd);
}

describe('rlvr train: one line per bad input (the table)', () => {
  test(`${cases.length} bad inputs: exit code 2, one line, no stack`, async () => {
    assert.ok(cases.length >= 40);
    const results = await pool(cases, Math.max(3, os.availableParallelism()), ([, args]) => {
      const a = args();
      return rlvr(a[0] === 'train' ? a : ['train', ...a]);
    });
    cases.forEach(([name, , code, line], i) => assertOneLine(results[i]!, code, line, name));
    // Nothing was written where a run already was.
    assert.deepEqual(fs.readdirSync(existingRun), ['metrics.jsonl']);
    assert.equal(fs.readFileSync(path.join(existingRun, 'metrics.jsonl'), 'utf8'), '{"step":1}\n');
  });

  test('a row with an empty answer: a warning naming it (the run goes on)', async () => {
    const d = file('one-empty-answer.jsonl', '{"problem": "1+1", "answer": "2"}\n{"problem": "2+2", "answer": ""}\n');
    const r = await rlvr(['train', '--model', modelDir, '--data', d, '--threads', '1', '--set', `${small},maxPromptLength=5`]);
    assert.match(r.stderr, /warning: .*one-empty-answer\.jsonl: 1 of 2 rows have an empty answer \(row 1\); every response to them scores 0/);
    assertEndsWithOneError(r, 2, /nothing left to train on/, 'the run went on to its own check');
  });

  test('--threads above the logical CPUs: a warning (the run goes on)', async () => {
    const r = await rlvr([
      'train',
      '--model',
      modelDir,
      '--data',
      data,
      '--threads',
      String(os.availableParallelism() * 8),
      '--set',
      `${small},maxPromptLength=5`,
    ]);
    assert.match(
      r.stderr,
      new RegExp(
        `warning: --threads ${os.availableParallelism() * 8} is above this machine's ${os.availableParallelism()} logical CPUs: the extra threads wait on each other \\(slower, not faster\\)`,
      ),
    );
    assertEndsWithOneError(r, 2, /nothing left to train on/, 'the run went on to its own check');
  });

  test('--debug shows the stack of a user error', async () => {
    const r = await rlvr(['train', ...base, '--set', 'lr=-1', '--debug']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /lr: must be > 0/);
    assert.match(r.stderr, /\n\s+at /);
  });
});

describe('rlvr train: runs lose nothing', () => {
  const out = path.join(tmp, 'run');
  const metrics = () =>
    fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const steps = () => metrics().map((m) => m.step as number);
  const checkpoints = () => fs.readdirSync(path.join(out, 'checkpoints')).sort();
  // A third, long problem is dropped before step 1 with a count (verl's filter).
  const longData = file(
    'with-long.jsonl',
    [...problems, { problem: 'Compute ' + '1+'.repeat(120) + '1.', answer: '121' }].map((r) => JSON.stringify(r)).join('\n') + '\n',
  );
  const run = [
    'train',
    '--model',
    modelDir,
    '--data',
    longData,
    '--out',
    out,
    '--threads',
    '1',
    '--set',
    `${small},saveEvery=1,keepLast=2,maxPromptLength=100`,
  ];

  test('a run: overlong prompts dropped with a count, new metrics, retention keeps the newest 2 + final', async () => {
    const r = await rlvr([...run, '--steps', '3']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /warning: 1 of 3 prompts are longer than maxPromptLength 100 tokens \(longest \d+; rows 2\); they are left out/);
    assert.deepEqual(steps(), [1, 2, 3]);
    const m = metrics()[0]!;
    for (const k of ['rewardStd', 'zeroVarianceGroupFrac', 'truncatedFrac']) assert.equal(typeof m[k], 'number', k);
    assert.ok(!Number.isNaN(Date.parse(m.time as string)));
    assert.equal(m.truncatedFrac, 1, 'a random tiny model never stops within 3 tokens');
    assert.deepEqual(checkpoints(), ['latest', 'step-000002', 'step-000003']);
    // Every checkpoint is a complete HF folder (rlvr eval loads it) and the lock is gone after the run.
    for (const c of ['step-000002', 'step-000003']) {
      for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'])
        assert.ok(fs.existsSync(path.join(out, 'checkpoints', c, f)), `${c}/${f}`);
    }
    assert.ok(!fs.existsSync(path.join(out, '.lock')), 'lock released');
    const rc = JSON.parse(fs.readFileSync(path.join(out, 'run_config.json'), 'utf8'));
    assert.ok(path.isAbsolute(rc.model) && path.isAbsolute(rc.data) && path.isAbsolute(rc.out), 'absolute paths');
    assert.equal(rc.grpo.lr, 1e-6, 'the complete GRPO config is recorded');
  });

  test('damaged newest checkpoint: falls back to the previous one with a warning; metrics and history intact', async () => {
    fs.truncateSync(path.join(out, 'checkpoints/step-000003/model.safetensors'), 1000);
    // Resumed from a folder elsewhere, with a relative --out: paths in run_config.json are absolute.
    const r = await new Promise<Result>((resolve) => {
      const child = spawn(process.execPath, [cli, 'train', '--out', path.relative(os.tmpdir(), out), '--resume', '--steps', '4'], {
        cwd: os.tmpdir(),
        env: { ...process.env, OMP_NUM_THREADS: '1' },
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => resolve({ status, stdout: '', stderr }));
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /warning: checkpoint step-000003 is damaged \(model\.safetensors has 1000 bytes, \d+ were written\)/);
    assert.match(r.stderr, /resuming at step 2/);
    assert.deepEqual(steps(), [1, 2, 3, 4], 'no duplicate lines for the steps run again');
    // Each step is one epoch here (2 examples, batch 2): 4 epochs of history, none lost.
    const history = JSON.parse(fs.readFileSync(path.join(out, 'accuracy_history.json'), 'utf8')) as Record<string, number[]>;
    assert.deepEqual(Object.keys(history).sort(), ['0', '1']);
    for (const accs of Object.values(history)) assert.equal(accs.length, 4);
  });

  test('flags with --resume are applied and recorded; run-defining ones are refused', async () => {
    const refused = await rlvr(['train', '--out', out, '--resume', '--model', data]);
    assertOneLine(refused, 2, /--model cannot change when resuming/, 'refused');
    const r = await rlvr(['train', '--out', out, '--resume', '--steps', '5', '--set', 'lr=0.001', '--device', 'cpu']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /resume changes grpo\.lr: 0\.000001 → 0\.001/);
    const rc = JSON.parse(fs.readFileSync(path.join(out, 'run_config.json'), 'utf8'));
    assert.equal(rc.grpo.lr, 0.001);
    assert.equal(rc.grpo.steps, 5);
    assert.deepEqual(rc.resumes.at(-1).changed['grpo.lr'], [1e-6, 0.001]);
    assert.equal(rc.resumes.at(-1).step, 4);
    assert.equal(metrics().at(-1)!.lr, 0.001, 'the new lr is used');
  });

  test('disk full while writing a checkpoint: one line, exit 1; the resume continues from the newest complete one', async () => {
    const latestTmp = path.join(out, 'checkpoints/latest.tmp');
    fs.symlinkSync('/dev/full', latestTmp);
    const r = await rlvr(['train', '--out', out, '--resume', '--steps', '6']);
    fs.rmSync(latestTmp);
    assertEndsWithOneError(r, 1, /^rlvr: ENOSPC: no space left on device.*--resume/, 'disk full');
    const again = await rlvr(['train', '--out', out, '--resume', '--steps', '7']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /resuming at step 6/, 'step 6 was complete on disk before the pointer write failed');
    assert.deepEqual(steps(), [1, 2, 3, 4, 5, 6, 7]);
  });

  test('SIGKILL during a checkpoint write: the resumed run loses nothing', async () => {
    // A half-written checkpoint from an earlier crash, and a live kill while the next one is written.
    const root = path.join(out, 'checkpoints');
    fs.mkdirSync(path.join(root, 'step-000099.tmp'));
    fs.writeFileSync(path.join(root, 'step-000099.tmp/model.safetensors'), 'partial');
    let sawTmp = false;
    const killed = await rlvr(['train', '--out', out, '--resume', '--steps', '12'], {
      kill: () => {
        sawTmp = fs.readdirSync(root).some((f) => /^step-\d+\.tmp$/.test(f) && f !== 'step-000099.tmp');
        return sawTmp;
      },
    });
    assert.equal(killed.status, null, 'killed');
    assert.ok(sawTmp, 'killed while a checkpoint folder was being written');
    const r = await rlvr(['train', '--out', out, '--resume', '--steps', '12', '--set', 'saveEvery=20']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      steps(),
      Array.from({ length: 12 }, (_, i) => i + 1),
      'every step once',
    );
    assert.ok(!fs.readdirSync(root).some((f) => f.endsWith('.tmp')), 'stale partial checkpoints removed');
    const history = JSON.parse(fs.readFileSync(path.join(out, 'accuracy_history.json'), 'utf8')) as Record<string, number[]>;
    for (const accs of Object.values(history)) assert.equal(accs.length, 12);
    // rollouts.jsonl is cut back to the checkpoint too: every step's rows once, in order.
    const rolloutSteps = fs
      .readFileSync(path.join(out, 'rollouts.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);
    const perStep = rolloutSteps.filter((x) => x === 1).length;
    assert.ok(perStep > 0);
    assert.deepEqual(
      rolloutSteps,
      Array.from({ length: 12 * perStep }, (_, i) => Math.floor(i / perStep) + 1),
      'no repeated steps in rollouts.jsonl',
    );
  });

  test("one writer per run folder: a live holder is refused with its pid; a dead one's lock is taken over", async () => {
    // A lock held by a live process on this host (this test's own pid).
    const before = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8');
    fs.writeFileSync(path.join(out, '.lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), time: 'now', command: 'rlvr train' }));
    const refused = await rlvr(['train', '--out', out, '--resume', '--steps', '13']);
    assertEndsWithOneError(
      refused,
      2,
      new RegExp(`^rlvr: run folder .*run is in use by pid ${process.pid} \\(since now\\); wait for it to end or stop it, or choose another --out`),
      'locked',
    );
    assert.equal(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8'), before, 'nothing written');
    // A new run into that folder is told it is in use (not to delete it).
    const fresh = await rlvr(['train', ...base, '--out', out]);
    assertOneLine(fresh, 2, new RegExp(`^rlvr: run folder .*run is in use by pid ${process.pid}`), 'locked, new run');
    // The lock of a process that is gone (a SIGKILL): taken over with a warning, released at the end.
    const dead = spawnSync('true').pid!;
    fs.writeFileSync(path.join(out, '.lock'), JSON.stringify({ pid: dead, host: os.hostname(), time: 'then', command: 'rlvr train' }));
    const r = await rlvr(['train', '--out', out, '--resume', '--steps', '13']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`warning: taking over the lock of .*run left by pid ${dead}, which is no longer running`));
    assert.ok(!fs.existsSync(path.join(out, '.lock')), 'released');
  });

  test("two rlvr train at once into one folder: the second is refused with the first one's pid", async () => {
    const o = path.join(tmp, 'run-concurrent');
    const first = spawn(process.execPath, [cli, 'train', ...base, '--out', o, '--steps', '100000', '--set', `${small},saveEvery=0`], {
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    let firstErr = '';
    first.stderr.on('data', (d) => (firstErr += d));
    const exited = new Promise<number | null>((r) => first.on('exit', r));
    try {
      while (!/step 1\/100000/.test(firstErr)) {
        assert.equal(first.exitCode, null, firstErr);
        await new Promise((r) => setTimeout(r, 50));
      }
      const second = await rlvr(['train', ...base, '--out', o, '--steps', '2', '--set', small]);
      assertOneLine(second, 2, new RegExp(`^rlvr: run folder .*run-concurrent is in use by pid ${first.pid} \\(since `), 'second writer');
      const resumed = await rlvr(['train', '--out', o, '--resume']);
      assertEndsWithOneError(resumed, 2, new RegExp(`^rlvr: run folder .*run-concurrent is in use by pid ${first.pid}`), 'second writer, --resume');
    } finally {
      first.kill('SIGTERM');
    }
    assert.equal(await exited, 143, firstErr);
    assert.ok(!fs.existsSync(path.join(o, '.lock')), 'released by the first run on SIGTERM');
    const steps = fs
      .readFileSync(path.join(o, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);
    assert.deepEqual(
      steps,
      Array.from({ length: steps.length }, (_, i) => i + 1),
      'one writer: steps 1, 2, ... once each',
    );
  });

  test('--resume refuses a checkpoint of another model, changed base weights and changed data', async () => {
    // A run of its own model and data copies (1 step, one checkpoint).
    const m = brokenModel('m-own', () => {});
    const d = file('own-data.jsonl', fs.readFileSync(data, 'utf8'));
    const o = path.join(tmp, 'run-own');
    const started = await rlvr(['train', '--model', m, '--data', d, '--out', o, '--threads', '1', '--steps', '1', '--set', small]);
    assert.equal(started.status, 0, started.stderr);
    assert.match(started.stderr, /2 examples from .*, 2 prompts × 2 rollouts per step, 1 step on /, 'singular "1 step"');
    assert.match(started.stdout, /^done: 1 step; /);
    const rc = JSON.parse(fs.readFileSync(path.join(o, 'run_config.json'), 'utf8'));
    assert.match(rc.fingerprint.weights, /^[0-9a-f]{64}$/);
    assert.match(rc.fingerprint.data, /^[0-9a-f]{64}$/);
    assert.equal(JSON.parse(rc.fingerprint.architecture).hidden_size, 16);
    // The checkpoint replaced by one of a hidden-32 model (manifest sizes updated: it looks intact).
    const ck = path.join(o, 'checkpoints', 'step-000001');
    const saved = path.join(tmp, 'ck-saved');
    fs.cpSync(ck, saved, { recursive: true });
    const other = path.join(tmp, 'm-hidden32');
    buildTinyQwenModel(other, 3, 32);
    for (const f of ['model.safetensors', 'config.json']) fs.copyFileSync(path.join(other, f), path.join(ck, f));
    const manifest = JSON.parse(fs.readFileSync(path.join(ck, 'checkpoint.json'), 'utf8'));
    for (const f of ['model.safetensors', 'config.json']) manifest.files[f] = fs.statSync(path.join(ck, f)).size;
    fs.writeFileSync(path.join(ck, 'checkpoint.json'), JSON.stringify(manifest));
    const mismatch = await rlvr(['train', '--out', o, '--resume', '--steps', '2']);
    assertEndsWithOneError(
      mismatch,
      2,
      /^rlvr: --resume: checkpoint step-000001 is not from this run: its model has hidden_size 32, the run's model .*m-own has 16/,
      'other model',
    );
    fs.rmSync(ck, { recursive: true });
    fs.cpSync(saved, ck, { recursive: true });
    // One bit of one base weight flipped (same architecture, same size).
    const weights = path.join(m, 'model.safetensors');
    const original = fs.readFileSync(weights);
    const edited = Buffer.from(original);
    edited[Math.floor(edited.length / 2) + 3]! ^= 1;
    fs.writeFileSync(weights, edited);
    const changed = await rlvr(['train', '--out', o, '--resume', '--steps', '2']);
    assertEndsWithOneError(
      changed,
      2,
      /^rlvr: --resume: the weights in .*m-own changed since the run started \(the KL reference would differ\); restore them or start a new run/,
      'weights changed',
    );
    fs.writeFileSync(weights, original);
    // The data edited.
    fs.appendFileSync(d, JSON.stringify({ problem: 'What is 3+3?', answer: '6' }) + '\n');
    const dataChanged = await rlvr(['train', '--out', o, '--resume', '--steps', '2']);
    assertEndsWithOneError(
      dataChanged,
      2,
      /^rlvr: --resume: the data .*own-data\.jsonl changed since the run started; restore it or start a new run with another --out/,
      'data changed',
    );
    fs.writeFileSync(d, fs.readFileSync(data, 'utf8'));
    const ok = await rlvr(['train', '--out', o, '--resume', '--steps', '2']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /resuming at step 1/);
  });

  test('killed before its first checkpoint: both messages lead out of the circle', async () => {
    const o = path.join(tmp, 'run-no-checkpoint');
    fs.mkdirSync(o);
    fs.copyFileSync(path.join(out, 'run_config.json'), path.join(o, 'run_config.json'));
    fs.writeFileSync(path.join(o, 'metrics.jsonl'), '');
    const again = await rlvr(['train', ...base, '--out', o]);
    assertOneLine(
      again,
      2,
      /--out .*run-no-checkpoint already holds a run that stopped before its first checkpoint \(metrics\.jsonl, nothing to resume\); delete the folder \(rm -r .*run-no-checkpoint\) or choose another --out/,
      'new run',
    );
    const resumed = await rlvr(['train', '--out', o, '--resume']);
    assertOneLine(
      resumed,
      2,
      /--resume: .*run-no-checkpoint has no complete checkpoint \(the run stopped before its first one\): nothing to continue; delete the folder \(rm -r .*\) and start the run again, or start it with another --out/,
      'resume',
    );
  });

  test('disk full at the start: one line, and no half-written run file', async () => {
    const out2 = path.join(tmp, 'run-full');
    fs.mkdirSync(out2);
    fs.symlinkSync('/dev/full', path.join(out2, 'run_config.json.tmp'));
    const r = await rlvr(['train', ...base, '--out', out2, '--set', small, '--steps', '1']);
    assertEndsWithOneError(r, 1, /^rlvr: ENOSPC: no space left on device/, 'disk full at start');
    assert.ok(!fs.existsSync(path.join(out2, 'run_config.json')));
  });
});
