// The published package as a user gets it: `npm pack`, install the tarball into an empty
// folder, compile programs against its types with `tsc --strict`, run them (the verifier without
// the addon; the library program of docs/LIBRARY.md with it), and `npx rlvr --help`.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';
import { manualSeed } from '../../src/engine/index.js';
import { demoModelConfig } from '../../src/demo/pretrain.js';
import { DemoTokenizer, writeTokenizerFiles } from '../../src/demo/tokenizer.js';
import { saveModel } from '../../src/model/checkpoint.js';
import { CausalLM } from '../../src/model/transformer.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The library page's program (the ```ts block after `<!-- library-example -->` in docs/LIBRARY.md). */
function readmeProgram(): string {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs/LIBRARY.md'), 'utf8');
  const m = /<!-- library-example -->\s*```ts\n([\s\S]*?)```/.exec(doc);
  assert.ok(m, 'docs/LIBRARY.md has the library example');
  return m[1]!;
}

/** A tiny random Qwen2 folder with the demo's character-level tokenizer (small vocab: fast sampling). */
function buildTinyModel(dir: string): void {
  const tok = new DemoTokenizer();
  manualSeed(3);
  const model = CausalLM.randomInit(demoModelConfig({ hidden: 16, layers: 1, heads: 2, kvHeads: 1, vocab: tok.size, imEnd: tok.imEnd }));
  try {
    saveModel(model, dir);
    writeTokenizerFiles(dir);
  } finally {
    model.dispose();
  }
}

const VERIFIER_PROGRAM = `
import { verify, extractAnswer, zeros, type VerifyResult } from 'rlvr-ts';
const r: VerifyResult = verify('12.8', 'so the answer is \\\\boxed{\\\\frac{64}{5}}');
let addon = 'loaded';
try { zeros([1]); } catch (e) { addon = (e as Error).message; }
console.log(JSON.stringify({ correct: r.correct, extracted: extractAnswer('x \\\\boxed{7}', { mode: 'reward' }), addon }));
`;

test('npm pack → install into an empty folder → tsc --strict against the types → run; npx rlvr --help', { timeout: 180_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-pack-'));
  const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) => {
    const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  // The tarball holds the compiled library with declarations, not the tests.
  const packed = run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], repoRoot);
  const info = (JSON.parse(packed) as { filename: string; files: { path: string }[] }[])[0]!;
  const files = info.files.map((f) => f.path);
  for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'scripts/build-native.mjs', 'src/native/addon.cc', 'package.json']) {
    assert.ok(files.includes(f), `the package contains ${f}`);
  }
  assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('build/')), 'no tests or build outputs in the package');
  // The bin keeps its execute bit in the tarball (tsc drops it; postbuild sets it).
  const listing = execFileSync('tar', ['-tvzf', path.join(tmp, info.filename), 'package/dist/src/cli/main.js'], { encoding: 'utf8' });
  assert.match(listing, /^-rwx/, `the bin is executable in the tarball: ${listing}`);

  // An empty project installs it (dependencies from the npm cache when present).
  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', path.join(tmp, info.filename)], app);

  fs.writeFileSync(path.join(app, 'verifier.ts'), VERIFIER_PROGRAM);
  fs.writeFileSync(path.join(app, 'train.ts'), readmeProgram());
  fs.writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        // skipLibCheck: the .d.ts files were emitted from strict-checked sources; what is checked here is the program against them.
        strict: true,
        skipLibCheck: true,
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022', 'ESNext.Disposable'],
        types: ['node'],
        typeRoots: [path.join(repoRoot, 'node_modules/@types')],
        outDir: 'out',
        rootDir: '.',
      },
      files: ['verifier.ts', 'train.ts'],
    }),
  );
  run(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', app], app);

  // The verifier works without libtorch: the addon loads only on the first tensor operation.
  const env = { ...process.env };
  delete env['RLVR_NATIVE'];
  const v = JSON.parse(run(process.execPath, ['out/verifier.js'], app, env).trim()) as { correct: boolean; extracted: string; addon: string };
  assert.equal(v.correct, true);
  assert.equal(v.extracted, '7');
  assert.match(v.addon, /native addon is not built .*build-native\.mjs/);

  // The docs/LIBRARY.md program: fromPretrained → train → close → resume → train, on a tiny model, with the addon built here.
  const model = path.join(tmp, 'model');
  buildTinyModel(model);
  const data = path.join(tmp, 'train.jsonl');
  fs.writeFileSync(
    data,
    [
      { problem: 'What is 2+3?', answer: '5' },
      { problem: 'What is 4*2?', answer: '8' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  const out = path.join(tmp, 'run');
  const stdout = run(process.execPath, ['out/train.js', model, data, out], app, { ...env, RLVR_NATIVE: path.join(repoRoot, 'build/Release/rlvr_native.node') });
  assert.match(stdout, /step 1: reward/);
  const lines = fs
    .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; rewardsByName?: Record<string, number> });
  assert.deepEqual(
    lines.map((l) => l.step),
    [1, 2, 3],
    'two steps, then one more after resume',
  );
  assert.deepEqual(Object.keys(lines[2]!.rewardsByName!).sort(), ['concise', 'math']);
  assert.equal(fs.readFileSync(path.join(out, 'checkpoints', 'latest'), 'utf8').trim(), 'step-000003');

  // The command is installed too.
  const help = execFileSync('npx', ['--no-install', 'rlvr', '--help'], { cwd: app, encoding: 'utf8' });
  assert.match(help, /usage: rlvr <command>/);
  fs.rmSync(tmp, { recursive: true, force: true });
});
