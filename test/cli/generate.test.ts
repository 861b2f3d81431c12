// `rlvr generate` on a tiny random model with the real Qwen tokenizer: sample counts and
// lengths, determinism for a seed, greedy output identical to generate() called directly,
// chat rendering, prompt files, and one-line errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadModel } from '../../src/model/checkpoint.js';
import { generate } from '../../src/rollout/reference-sampler.js';
import { Tokenizer, loadTokenizerConfig, renderChat } from '../../src/tokenizer/index.js';
import { run as runGenerate, type GeneratedSample } from '../../src/cli/generate.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

function buildTinyModel(dir: string): void {
  buildTinyQwenModel(dir, 99);
}

/** Runs `rlvr generate` in-process; returns the printed lines. */
async function gen(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => {
    lines.push(a.map(String).join(' '));
  };
  try {
    const code = await runGenerate(args);
    assert.equal(code, 0);
  } finally {
    console.log = log;
  }
  return lines;
}

async function genJson(...args: string[]): Promise<GeneratedSample[]> {
  return (await gen(...args, '--json')).map((l) => JSON.parse(l) as GeneratedSample);
}

function rlvr(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', cwd: repoRoot });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('rlvr generate', () => {
  let tmp = '';
  let dir = '';
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-gen-'));
    dir = path.join(tmp, 'model');
    buildTinyModel(dir);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('--json: n samples of the requested length, deterministic for a seed', async () => {
    const args = ['--model', dir, '--prompt', 'Hello, world', '--n', '3', '--max-tokens', '6', '--temperature', '0.8', '--top-p', '0.95', '--device', 'cpu'];
    const a = await genJson(...args, '--seed', '7');
    assert.equal(a.length, 3);
    assert.deepEqual(
      a.map((s) => [s.promptIndex, s.sampleIndex]),
      [
        [0, 0],
        [0, 1],
        [0, 2],
      ],
    );
    for (const s of a) {
      assert.ok(s.finishReason === 'length' ? s.tokens.length === 6 : s.tokens.length <= 6);
      assert.equal(s.logprobs.length, s.tokens.length);
      assert.ok(s.logprobs.every((x) => x <= 0 && Number.isFinite(x)));
      assert.equal(typeof s.text, 'string');
      assert.ok(s.promptTokens > 0);
    }
    assert.deepEqual(await genJson(...args, '--seed', '7'), a);
    const other = await genJson(...args, '--seed', '8');
    assert.notDeepEqual(
      other.map((s) => s.tokens),
      a.map((s) => s.tokens),
    );
  });

  test('--greedy equals generate() called directly (same prompt ids, same stop tokens)', async () => {
    const prompt = 'What is 2+3? Answer:';
    const [out] = await genJson('--model', dir, '--prompt', prompt, '--greedy', '--max-tokens', '10', '--device', 'cpu');
    const tokenizer = Tokenizer.fromFile(dir);
    const model = loadModel(dir);
    try {
      const ids = tokenizer.encode(prompt);
      const [ref] = generate(model, [ids], { maxNewTokens: 10, greedy: true, stopTokenIds: [151643, 151645] });
      assert.deepEqual(out!.tokens, ref!.tokens);
      assert.deepEqual(out!.finishReason, ref!.finishReason);
      assert.equal(out!.promptTokens, ids.length);
      assert.equal(out!.text, tokenizer.decode(ref!.tokens, { skipSpecialTokens: true }));
      for (let i = 0; i < ref!.logprobs.length; i++) assert.ok(Math.abs(out!.logprobs[i]! - ref!.logprobs[i]!) < 1e-6);
    } finally {
      model.dispose();
    }
    // Plain output: just the text.
    const lines = await gen('--model', dir, '--prompt', prompt, '--greedy', '--max-tokens', '10', '--device', 'cpu');
    assert.equal(lines.join('\n'), out!.text);
  });

  test("--chat renders the prompt as a user turn with the model's chat template", async () => {
    const [out] = await genJson('--model', dir, '--prompt', 'Hi there', '--chat', '--greedy', '--max-tokens', '3', '--device', 'cpu');
    const tc = loadTokenizerConfig(dir);
    const text = renderChat(tc.chatTemplate!, [{ role: 'user', content: 'Hi there' }], { addGenerationPrompt: true });
    assert.match(text, /<\|im_start\|>user\nHi there<\|im_end\|>\n<\|im_start\|>assistant\n/);
    assert.equal(out!.promptTokens, Tokenizer.fromFile(dir).encode(text, { addSpecialTokens: false }).length);
  });

  test('--prompt-file: text lines and jsonl', async () => {
    const txt = path.join(tmp, 'prompts.txt');
    fs.writeFileSync(txt, 'first prompt\n\nsecond prompt\n');
    const a = await genJson('--model', dir, '--prompt-file', txt, '--greedy', '--n', '2', '--max-tokens', '2', '--device', 'cpu');
    assert.deepEqual(
      a.map((s) => [s.promptIndex, s.sampleIndex]),
      [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ],
    );
    const jsonl = path.join(tmp, 'prompts.jsonl');
    fs.writeFileSync(jsonl, '{"prompt": "first prompt"}\n{"prompt": "second prompt", "id": 3}\n');
    const b = await genJson('--model', dir, '--prompt-file', jsonl, '--greedy', '--n', '2', '--max-tokens', '2', '--device', 'cpu');
    assert.deepEqual(b, a);
  });

  test('errors: one line, exit code 2', () => {
    const noTok = path.join(tmp, 'no-tokenizer');
    fs.mkdirSync(noTok, { recursive: true });
    fs.copyFileSync(path.join(dir, 'config.json'), path.join(noTok, 'config.json'));
    const cases: [string[], RegExp][] = [
      [['--model', path.join(tmp, 'missing'), '--prompt', 'x', '--max-tokens', '2'], /no such model folder/],
      [['--model', noTok, '--prompt', 'x', '--max-tokens', '2'], /no tokenizer\.json/],
      [['--model', dir, '--prompt', 'x', '--max-tokens', '2', '--greedy', '--temperature', '0.5'], /--greedy cannot be combined/],
      [['--model', dir, '--prompt', 'x'], /--max-tokens N is required/],
      [['--model', dir, '--prompt-file', path.join(tmp, 'nope.txt'), '--max-tokens', '2'], /no such file/],
      [['--model', dir, '--prompt', 'x', '--max-tokens', '2', '--n', '0'], /--n must be an integer >= 1/],
    ];
    for (const [args, re] of cases) {
      const r = rlvr('generate', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      const first = r.stderr.trim().split('\n')[0]!;
      assert.match(first, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
