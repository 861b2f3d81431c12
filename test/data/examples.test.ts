import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { sharedData } from '../helpers/paths.js';
import { hasPythonModule } from '../helpers/python.js';
import { loadExamples, loadJsonlExamples } from '../../src/data/examples.js';
import { readParquetRows } from '../../src/data/parquet.js';
import { mathEvalMessages, TRAIN_PROMPT_SUFFIX, MATH_EVAL_SYSTEM_PROMPT } from '../../src/tasks/math/prompts.js';

const train = (f: string) => path.join(sharedData, 'train', f);

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-data-'));
}

test('pi1_r128.parquet: 128 copies of dsr_sub index 124 with answer 12.8', async () => {
  const ex = await loadExamples(train('pi1_r128.parquet'));
  assert.equal(ex.length, 128);
  for (const e of ex) {
    assert.equal(e.index, 124);
    assert.equal(e.groundTruth, '12.8');
    assert.equal(e.dataSource, 'deepscaler');
    assert.equal(e.messages.length, 1);
    assert.equal(e.messages[0]!.role, 'user');
    assert.ok(e.messages[0]!.content.endsWith(TRAIN_PROMPT_SUFFIX), 'the released prompt already carries the suffix');
  }
  assert.match(ex[0]!.messages[0]!.content, /^The pressure \\\( P \\\) exerted by wind on a sail/);
});

test('the other released training files: row counts and indices', async () => {
  const dsr = await loadExamples(train('dsr_sub.parquet'));
  assert.equal(dsr.length, 1209);
  assert.deepEqual(
    dsr.map((e) => e.index),
    Array.from({ length: 1209 }, (_, i) => i),
  );
  assert.equal(dsr[124]!.groundTruth, '12.8');
  assert.equal(dsr[682]!.groundTruth, '\\frac{4}{3}');

  const pi13 = await loadExamples(train('pi13_r128.parquet'));
  assert.equal(pi13.length, 128);
  assert.ok(pi13.every((e) => e.index === 682 && e.groundTruth === '\\frac{4}{3}'));
  // The single-example files are copies of the dsr_sub row.
  assert.deepEqual(pi13[0]!.messages, dsr[682]!.messages);

  const merged = await loadExamples(train('merge_pi1_pi2_pi13_pi1209_r128.parquet'));
  const counts = new Map<number, number>();
  for (const e of merged) counts.set(e.index, (counts.get(e.index) ?? 0) + 1);
  assert.deepEqual(
    [...counts],
    [
      [124, 32],
      [267, 32],
      [682, 32],
      [789, 32],
    ],
  );

  const val = await loadExamples(train('math500_val.parquet'));
  assert.equal(val.length, 500);
  assert.equal(val[0]!.groundTruth, '\\left( 3, \\frac{\\pi}{2} \\right)');
  assert.ok(!val[0]!.messages[0]!.content.includes("Let's think step by step"), 'validation prompts have no suffix');
});

test('readParquetRows turns int64 into numbers (hyparquet gives bigint)', async () => {
  const rows = await readParquetRows(train('pi2_r128.parquet'));
  const info = rows[0]!['extra_info'] as Record<string, unknown>;
  assert.equal(info['index'], 267);
  assert.doesNotThrow(() => JSON.stringify(rows[0]));
});

test('jsonl with problem/question + answer, optional suffix, numeric answers', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'mine.jsonl');
  fs.writeFileSync(
    file,
    [
      JSON.stringify({ problem: 'What is 1+1?', answer: '2' }),
      '',
      JSON.stringify({ question: 'What is 3*9?', answer: 27.0 }),
      JSON.stringify({ problem: 'Half of 1?', answer: 0.5, extra_info: { index: 77 }, data_source: 'toy' }),
    ].join('\n') + '\n',
  );
  const plain = await loadExamples(file);
  // Every column of the row is kept for custom reward functions.
  assert.deepEqual(plain[2]!.columns, { problem: 'Half of 1?', answer: 0.5, extra_info: { index: 77 }, data_source: 'toy' });
  assert.deepEqual(
    plain.map(({ columns: _c, ...e }) => e),
    [
      { index: 0, messages: [{ role: 'user', content: 'What is 1+1?' }], groundTruth: '2', dataSource: 'mine' },
      { index: 1, messages: [{ role: 'user', content: 'What is 3*9?' }], groundTruth: '27', dataSource: 'mine' },
      { index: 77, messages: [{ role: 'user', content: 'Half of 1?' }], groundTruth: '0.5', dataSource: 'toy' },
    ],
  );
  const suffixed = loadJsonlExamples(file, { suffix: TRAIN_PROMPT_SUFFIX });
  assert.equal(suffixed[0]!.messages[0]!.content, 'What is 1+1?' + TRAIN_PROMPT_SUFFIX);
  // A suffix typed without its leading space is joined with one (not "1+1?Give ...").
  assert.equal(loadJsonlExamples(file, { suffix: 'Give the answer.' })[0]!.messages[0]!.content, 'What is 1+1? Give the answer.');
});

test('a verl row in jsonl and a .json array both load; the suffix is not added to verl prompts', async () => {
  const dir = tmpDir();
  const verlRow = {
    data_source: 'x',
    prompt: [{ role: 'user', content: 'Q?' }],
    reward_model: { ground_truth: '5', style: 'rule' },
    extra_info: { index: 3 },
  };
  const jsonl = path.join(dir, 'v.jsonl');
  fs.writeFileSync(jsonl, JSON.stringify(verlRow) + '\n');
  const a = await loadExamples(jsonl, { suffix: ' S' });
  assert.deepEqual(a[0]!.columns, verlRow);
  assert.deepEqual(
    a.map(({ columns: _c, ...e }) => e),
    [{ index: 3, messages: [{ role: 'user', content: 'Q?' }], groundTruth: '5', dataSource: 'x' }],
  );

  const json = path.join(dir, 'arr.json');
  fs.writeFileSync(json, JSON.stringify([verlRow, { problem: 'P', answer: '1' }]));
  const b = await loadExamples(json);
  assert.equal(b.length, 2);
  assert.equal(b[1]!.groundTruth, '1');
  assert.equal(b[1]!.index, 1);
});

test('missing file: one clear error', async () => {
  const missing = path.join(tmpDir(), 'nope.parquet');
  await assert.rejects(loadExamples(missing), { message: `no such file: ${missing}` });
  await assert.rejects(loadExamples(path.join(tmpDir(), 'nope.jsonl')), /^Error: no such file: .*nope\.jsonl$/);
});

test('wrong schema: the error names the file, the row and the missing field', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(file, [JSON.stringify({ problem: 'ok', answer: '1' }), JSON.stringify({ problem: 'no answer here' })].join('\n'));
  await assert.rejects(loadExamples(file), (err: Error) => {
    assert.equal(err.message, `${file}: row 1 (line 2): missing field 'answer'`);
    return true;
  });

  const noProblem = path.join(dir, 'bad2.jsonl');
  fs.writeFileSync(noProblem, JSON.stringify({ text: 'x', answer: '1' }) + '\n');
  await assert.rejects(loadExamples(noProblem), new RegExp(`^Error: ${escapeRegExp(noProblem)}: row 0 \\(line 1\\): missing field 'problem'`));

  const verl = path.join(dir, 'bad3.json');
  fs.writeFileSync(verl, JSON.stringify([{ prompt: [{ role: 'user', content: 'Q' }], reward_model: { style: 'rule' } }]));
  await assert.rejects(loadExamples(verl), { message: `${verl}: row 0: missing field 'reward_model.ground_truth'` });

  const badJson = path.join(dir, 'bad4.jsonl');
  fs.writeFileSync(badJson, '{"problem": "x", "answer": "1"}\n{oops\n');
  await assert.rejects(loadExamples(badJson), new RegExp(`^Error: ${escapeRegExp(badJson)}: line 2: invalid JSON`));

  const ext = path.join(dir, 'data.csv');
  fs.writeFileSync(ext, 'a,b\n');
  await assert.rejects(loadExamples(ext), /unsupported extension '\.csv'/);
});

test('a parquet file without the verl fields names the missing field', async () => {
  // math500_val has every verl field, so build the failure from a parquet we can read: the
  // schema check is shared, so a row object missing reward_model exercises it.
  const { rowToExample } = await import('../../src/data/examples.js');
  const rows = await readParquetRows(train('pi1_r128.parquet'));
  const row = { ...rows[0]! };
  delete row['reward_model'];
  assert.throws(() => rowToExample(row, { file: 'f.parquet', row: 5 }), { message: "f.parquet: row 5: missing field 'reward_model.ground_truth'" });
});

test('a real parquet file with a wrong schema (written by pyarrow, snappy)', { skip: !hasPythonModule('pyarrow') && 'needs python3 pyarrow' }, async () => {
  const file = path.join(tmpDir(), 'bad.parquet');
  const script = `
import sys, pyarrow as pa, pyarrow.parquet as pq
t = pa.table({'prompt': [[{'role': 'user', 'content': 'Q1'}], [{'role': 'user', 'content': 'Q2'}]],
              'reward_model': [{'ground_truth': '1', 'style': 'rule'}, None]})
pq.write_table(t, sys.argv[1], compression='snappy')`;
  const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  await assert.rejects(loadExamples(file), { message: `${file}: row 1: missing field 'reward_model.ground_truth'` });
});

test('prompt helpers', () => {
  assert.deepEqual(mathEvalMessages('What is 2+2?'), [
    { role: 'system', content: 'Please reason step by step, and put your final answer within \\boxed{}.' },
    { role: 'user', content: 'What is 2+2?' },
  ]);
  assert.equal(MATH_EVAL_SYSTEM_PROMPT, 'Please reason step by step, and put your final answer within \\boxed{}.');
  assert.equal(TRAIN_PROMPT_SUFFIX, " Let's think step by step and output the final answer within \\boxed{}.");
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
