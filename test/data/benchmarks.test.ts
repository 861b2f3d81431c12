import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { sharedData } from '../helpers/paths.js';
import { BENCHMARKS, PAPER_BENCHMARKS, lastBoxedContent, loadBenchmark, defaultEvalDir } from '../../src/data/benchmarks.js';

const evalDir = path.join(sharedData, 'eval');
const raw = (bench: string): Record<string, unknown>[] =>
  fs
    .readFileSync(path.join(evalDir, bench, 'test.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

test('every benchmark: row count and the paper decoding', () => {
  const expected: Record<string, [number, unknown]> = {
    math500: [500, { greedy: true }],
    aime24: [30, { temperature: 0.6, samples: 8 }],
    aime25: [30, { temperature: 0.6, samples: 8 }],
    amc23: [40, { temperature: 0.6, samples: 8 }],
    minerva_math: [272, { greedy: true }],
    olympiadbench: [675, { greedy: true }],
    gsm8k: [1319, { greedy: true }],
  };
  for (const name of BENCHMARKS) {
    const b = loadBenchmark(evalDir, name);
    assert.equal(b.name, name);
    assert.equal(b.problems.length, expected[name]![0], name);
    assert.deepEqual(b.decoding, expected[name]![1], name);
    for (const p of b.problems) {
      assert.ok(p.problem.length > 0 && p.answer.length > 0, `${name} ${p.id}`);
    }
    assert.equal(new Set(b.problems.map((p) => p.id)).size, b.problems.length, `${name}: ids are unique`);
  }
  assert.deepEqual([...PAPER_BENCHMARKS], ['math500', 'aime24', 'amc23', 'minerva_math', 'olympiadbench', 'aime25']);
});

test('plain answer fields match the raw files', () => {
  for (const name of ['math500', 'aime24', 'aime25'] as const) {
    const rows = raw(name);
    const b = loadBenchmark(evalDir, name);
    b.problems.forEach((p, i) => {
      assert.equal(p.answer, rows[i]!['answer']);
      assert.equal(p.problem, rows[i]!['problem']);
    });
  }
  const math500 = loadBenchmark(evalDir, 'math500');
  assert.equal(math500.problems[0]!.id, 'test/precalculus/807.json');
  assert.equal(math500.problems[0]!.answer, '\\left( 3, \\frac{\\pi}{2} \\right)');
  assert.equal(loadBenchmark(evalDir, 'aime24').problems[7]!.answer, '025', 'kept as written; the verifier compares values');
});

test('amc23 numeric answers become strings without a trailing .0', () => {
  const rows = raw('amc23');
  const b = loadBenchmark(evalDir, 'amc23');
  assert.equal(rows[0]!['answer'], 27);
  assert.equal(b.problems[0]!.answer, '27');
  assert.equal(b.problems[15]!.answer, '-1');
  b.problems.forEach((p, i) => assert.equal(Number(p.answer), rows[i]!['answer']));
});

test('minerva: the last \\boxed{} of the solution, nested braces kept whole', () => {
  const b = loadBenchmark(evalDir, 'minerva_math');
  assert.equal(b.problems[0]!.answer, '1.6');
  assert.equal(b.problems[25]!.answer, '\\frac{a M^{1 / 3}}{G M^{2 / 3}+b}');
  assert.equal(b.problems[30]!.answer, '\\sqrt{4 \\pi G \\rho_{0} r_{0}^{2}}');
  assert.equal(b.problems[86]!.answer, 'I(0) e^{-\\frac{t}{R C}}', 'surrounding whitespace is trimmed');
  assert.equal(b.problems[0]!.problem, raw('minerva_math')[0]!['problem']);
});

test('minerva: all 272 answers agree with the Qwen2.5-Math evaluation suite extraction (python oracle)', () => {
  // The suite's last_boxed_only_string + remove_boxed, restated; plain Python, no packages.
  const script = String.raw`
import json, sys
def last_boxed(s):
    idx = s.rfind("\\boxed")
    if idx < 0: return None
    depth = 0
    for i in range(idx, len(s)):
        if s[i] == "{": depth += 1
        if s[i] == "}":
            depth -= 1
            if depth == 0: return s[idx + len("\\boxed{"):i].strip()
    return None
print(json.dumps([last_boxed(json.loads(l)["solution"]) for l in open(sys.argv[1]) if l.strip()]))
`;
  const r = spawnSync('python3', ['-c', script, path.join(evalDir, 'minerva_math', 'test.jsonl')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const expected = JSON.parse(r.stdout) as string[];
  assert.deepEqual(
    loadBenchmark(evalDir, 'minerva_math').problems.map((p) => p.answer),
    expected,
  );
});

test('olympiadbench: final_answer[0] without $ delimiters; problem is the question', () => {
  const rows = raw('olympiadbench');
  const b = loadBenchmark(evalDir, 'olympiadbench');
  assert.equal(b.problems[0]!.answer, '2');
  assert.equal(b.problems[0]!.id, '1606');
  assert.equal(b.problems[1]!.answer, '\\frac{1}{2 n+2}');
  assert.equal((rows[1]!['final_answer'] as string[])[0], '$\\frac{1}{2 n+2}$');
  assert.equal(b.problems[2]!.answer, '2^{1009}');
  assert.equal(b.problems[0]!.problem, rows[0]!['question']);
});

test('gsm8k: the part after ####, thousands separators dropped', () => {
  const rows = raw('gsm8k');
  const b = loadBenchmark(evalDir, 'gsm8k');
  assert.equal(b.problems[0]!.answer, '18');
  assert.equal(b.problems[0]!.problem, rows[0]!['question']);
  const withComma = rows.findIndex((r) => String(r['answer']).split('####')[1]!.includes(','));
  assert.ok(withComma >= 0);
  const rawAnswer = String(rows[withComma]!['answer']).split('####')[1]!.trim();
  assert.equal(b.problems[withComma]!.answer, rawAnswer.replace(/,/g, ''));
  for (const p of b.problems) assert.match(p.answer, /^-?\d+(\.\d+)?$/);
});

test('limit keeps the first problems', () => {
  const b = loadBenchmark(evalDir, 'aime24', { limit: 3 });
  assert.equal(b.problems.length, 3);
  assert.deepEqual(b.problems, loadBenchmark(evalDir, 'aime24').problems.slice(0, 3));
});

test('unknown benchmark and missing folder: clear errors', () => {
  assert.throws(() => loadBenchmark(evalDir, 'mmlu'), {
    message: "unknown benchmark 'mmlu'; known: math500, aime24, aime25, amc23, minerva_math, olympiadbench, gsm8k",
  });
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-bench-'));
  assert.throws(() => loadBenchmark(empty, 'math500'), /no such benchmark folder: .*math500/);
  fs.mkdirSync(path.join(empty, 'gsm8k'));
  fs.writeFileSync(path.join(empty, 'gsm8k', 'test.jsonl'), JSON.stringify({ question: 'q', answer: 'no hashes' }) + '\n');
  assert.throws(() => loadBenchmark(empty, 'gsm8k'), /test\.jsonl: row 0 \(line 1\): missing field 'answer \(with '####'\)'/);
});

test('defaultEvalDir points at ../shared/data/eval next to the package', () => {
  const saved = process.env['RLVR_EVAL_DIR'];
  delete process.env['RLVR_EVAL_DIR'];
  try {
    assert.equal(defaultEvalDir(), evalDir);
  } finally {
    if (saved !== undefined) process.env['RLVR_EVAL_DIR'] = saved;
  }
});

test('lastBoxedContent edge cases', () => {
  assert.equal(lastBoxedContent('a \\boxed{1} then \\boxed{\\frac{1}{2}}.'), '\\frac{1}{2}');
  assert.equal(lastBoxedContent('\\boxed{\\{1, 2\\}}'), '\\{1, 2\\}', 'escaped braces are text, not groups');
  assert.equal(lastBoxedContent('so \\boxed 5$'), '5');
  assert.equal(lastBoxedContent('\\fbox{7}'), '7');
  assert.equal(lastBoxedContent('\\boxed{unterminated'), undefined);
  assert.equal(lastBoxedContent('no box'), undefined);
});
