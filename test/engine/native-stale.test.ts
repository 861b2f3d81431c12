// The addon must match the native sources it was built from: build-native records a hash of
// src/native beside the addon, and loading refuses an addon whose record differs (one line, code
// ENATIVESTALE) instead of failing later with "native.x is not a function".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeSourceHash } from '../../src/engine/native.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const addon = path.join(root, 'build/Release/rlvr_native.node');
const nativeModule = path.join(root, 'dist/src/engine/native.js');

function loadWith(file: string): { code: number | null; out: string } {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `import(${JSON.stringify(nativeModule)}).then((m) => console.log('loaded', m.native.torchVersion)).catch((e) => { console.log('error', e.code, e.message); process.exit(3); })`,
    ],
    { env: { ...process.env, RLVR_NATIVE: file }, encoding: 'utf8' },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

test('the TypeScript hash of src/native equals the one build-native recorded for the built addon', () => {
  const recorded = JSON.parse(readFileSync(addon.replace(/\.node$/, '.json'), 'utf8')).sourceHash;
  assert.equal(nativeSourceHash(path.join(root, 'src/native')), recorded);
});

test('an addon recorded as built from other sources is refused with one line; the right record loads', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rlvr-native-'));
  try {
    const copy = path.join(dir, 'rlvr_native.node');
    copyFileSync(addon, copy);
    writeFileSync(path.join(dir, 'rlvr_native.json'), JSON.stringify({ sourceHash: '0000000000000000' }));
    const stale = loadWith(copy);
    assert.equal(stale.code, 3, stale.out);
    assert.match(stale.out, /^error ENATIVESTALE the native addon .* was built from other sources than src\/native holds now .*npm run build:native/m);
    writeFileSync(path.join(dir, 'rlvr_native.json'), JSON.stringify({ sourceHash: nativeSourceHash(path.join(root, 'src/native')) }));
    const fresh = loadWith(copy);
    assert.equal(fresh.code, 0, fresh.out);
    assert.match(fresh.out, /^loaded \d/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
