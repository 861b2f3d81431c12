// npm scripts that run in a tree where something else may be running: `npm run build` writes over
// dist/ without removing it first (a removal broke runs going on in the same tree), so compiled
// tests of deleted test files stay in dist/test; `npm test` lists its tests from the source tree,
// so such a stale file is never run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';

const scripts = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

test('npm test runs the compiled form of every test in test/, and not a stale compiled test with no source', () => {
  const listing = /\$\((.*)\)\s*$/.exec(scripts['test']!)?.[1];
  assert.ok(listing, `the test script lists its files with $(...): ${scripts['test']}`);
  const stale = path.join(repoRoot, 'dist', 'test', `zz-stale-${process.pid}.test.js`);
  fs.mkdirSync(path.dirname(stale), { recursive: true });
  fs.writeFileSync(stale, 'throw new Error("a stale test ran")\n');
  try {
    const listed = execFileSync('bash', ['-c', listing], { cwd: repoRoot, encoding: 'utf8' }).trim().split('\n');
    assert.ok(!listed.some((f) => f.includes('zz-stale-')), 'the stale compiled test is not listed');
    const sources: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(path.join(repoRoot, d), { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (e.name.endsWith('.test.ts')) sources.push(path.join('dist', d, e.name.replace(/\.ts$/, '.js')));
      }
    };
    walk('test');
    assert.deepEqual([...listed].sort(), sources.sort());
    assert.ok(listed.includes(path.join('dist', 'test', 'package', 'scripts.test.js')));
    for (const f of listed) assert.ok(fs.existsSync(path.join(repoRoot, f)), `${f} is built`);
  } finally {
    fs.rmSync(stale, { force: true });
  }
});

test('npm run build does not delete dist/ (a clean is a separate script, and packing cleans first)', () => {
  assert.doesNotMatch(scripts['build']!, /\brm\b|rimraf/);
  assert.match(scripts['clean']!, /rm -rf dist/);
  assert.match(scripts['prepack']!, /npm run clean && npm run build/);
});

test('the built bin is executable on every build path (postbuild chmods it) and runs directly', () => {
  const bin = path.join(repoRoot, 'dist/src/cli/main.js');
  // tsc writes files without the execute bit: a clean build (npm run clean && npm run build, as
  // npm pack's prepack does) lost it ("Permission denied" from npx rlvr). postbuild sets it again.
  fs.chmodSync(bin, 0o644);
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'pipe' });
  assert.equal(fs.statSync(bin).mode & 0o111, 0o111, 'executable after npm run build');
  const out = execFileSync(bin, ['--help'], { encoding: 'utf8' });
  assert.match(out, /^usage: rlvr <command>/);
});
