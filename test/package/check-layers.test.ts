// scripts/check-layers.mjs (part of `npm run lint`) finds import circles in src/: checked on small
// graphs with known circles and climbs, on import lines of every form it must read, and on src/
// itself, which has no circle and no import that climbs the layer order (both fatal in lint).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/paths.js';

type Graph = Map<string, Set<string>>;
interface Layers {
  circles(g: Graph): string[][];
  cyclePath(g: Graph, group: string[]): string;
  fileGraph(): Graph;
  importsIn(text: string, file: string, known: Set<string>): Set<string>;
  upwardImports(g: Graph, layers?: string[][]): { from: string; to: string; file: string; dep: string }[];
  LAYERS: string[][];
}
const load = async () => (await import(pathToFileURL(path.join(repoRoot, 'scripts', 'check-layers.mjs')).href)) as Layers;
const graph = (edges: Record<string, string[]>): Graph => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

test('circles: a 2-circle and a 3-circle are found, an acyclic part is not', async () => {
  const { circles, cyclePath } = await load();
  const g = graph({ a: ['b'], b: ['a', 'c'], c: [], d: ['e'], e: ['f'], f: ['d', 'c'], g: ['a'] });
  const found = circles(g);
  assert.deepEqual(found, [
    ['a', 'b'],
    ['d', 'e', 'f'],
  ]);
  assert.equal(cyclePath(g, found[0]!), 'a -> b -> a');
  assert.equal(cyclePath(g, found[1]!), 'd -> e -> f -> d');
  assert.deepEqual(circles(graph({ a: ['b'], b: ['c'], c: [] })), []);
});

test('import lines of every form are read (static, type-only, multi-line, re-export, side effect, dynamic), commented-out ones are not', async () => {
  const { importsIn } = await load();
  const known = new Set(['x/a.ts', 'x/b.ts', 'y/c.ts', 'y/d.ts', 'z/index.ts', 'x/e.ts', 'x/f.ts']);
  const text = [
    "import { A } from './a.js';",
    "import type { B } from './b.js';",
    'import {\n  C,\n  D as E,\n} from "../y/c.js";',
    "export * from '../y/d.js';",
    "import '../z/index.js';",
    "const m = await import('./e.js');",
    "import { zod } from 'zod';",
    "// import { F } from './f.js';",
    " * import { F } from './f.js'; (a doc comment)",
  ].join('\n');
  const deps = importsIn(text, 'x/main.ts', known);
  assert.deepEqual([...deps].sort(), ['x/a.ts', 'x/b.ts', 'x/e.ts', 'y/c.ts', 'y/d.ts', 'z/index.ts']);
});

test('src/ has no import circles (the check is fatal in npm run lint)', async () => {
  const { circles, cyclePath, fileGraph } = await load();
  const g = fileGraph();
  assert.ok(g.size > 100, `read ${g.size} files`);
  const MAX = 0;
  const found = circles(g).map((c) => cyclePath(g, c));
  assert.ok(found.length <= MAX, `${found.length} import circles in src/ (at most ${MAX}): ${found.join('; ')}`);
});

test('upwardImports: an import into a higher layer is a climb, into the same or a lower one is not', async () => {
  const { upwardImports } = await load();
  const layers = [['top'], ['mid', 'peer'], ['low']];
  const g = graph({
    'top/a.ts': ['mid/b.ts', 'low/c.ts'],
    'mid/b.ts': ['peer/d.ts', 'low/c.ts', 'mid/e.ts'],
    'peer/d.ts': ['mid/b.ts'],
    'low/c.ts': ['mid/b.ts', 'top/a.ts', 'free/x.ts'],
    'mid/e.ts': ['top/a.ts'],
  });
  assert.deepEqual(
    upwardImports(g, layers).map((u) => `${u.file} -> ${u.dep}`),
    ['low/c.ts -> mid/b.ts', 'low/c.ts -> top/a.ts', 'mid/e.ts -> top/a.ts'],
  );
});

test('src/ has no import that climbs the layer order of docs/ARCHITECTURE.md (LAYERS; fatal in npm run lint)', async () => {
  const { fileGraph, upwardImports, LAYERS } = await load();
  const g = fileGraph();
  // Every top-level folder of src/ is in a layer: one left out would be unchecked.
  const folders = new Set([...g.keys()].map((f) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : f)));
  const listed = new Set(LAYERS.flat());
  assert.deepEqual([...folders].filter((f) => !listed.has(f)).sort(), []);
  const up = upwardImports(g).map((u) => `${u.from} -> ${u.to}: ${u.file} imports ${u.dep}`);
  assert.equal(up.length, 0, `imports climbing the layer order:\n${up.join('\n')}`);
});
