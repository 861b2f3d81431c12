// Import circles in src/: reads every import/export line of src/**/*.ts (plain text, no compiler),
// builds the file graph and prints each circle (a strongly connected group of files) as a path
// a -> b -> a. An import circle makes module load order decide what is initialised (a class
// read before its file ran is `undefined`), and it means two files are one idea split in two;
// docs/ARCHITECTURE.md states the direction rule this guards. It also checks that rule: no import
// climbs the layer order (LAYERS below). Part of `npm run lint`; either finding fails it.
//   node scripts/check-layers.mjs             exit 1 when a file-level circle exists or an import climbs LAYERS' order
//   node scripts/check-layers.mjs --no-fail   print them, exit 0
//   node scripts/check-layers.mjs --folders   also list folder-level circles (src/a <-> src/b), for information
//   node scripts/check-layers.mjs --layers    also list every import that climbs LAYERS' order
//                                             (without it, only their count is printed)
// Type-only imports count: they vanish at run time, but they tie the two files' designs together
// all the same. Dynamic import() counts too (a lazy load is still a dependency).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');

/** Every .ts file under dir, as paths relative to src/ ('rl/trainer.ts'). */
function listFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path.relative(src, p).split(path.sep).join('/'));
  }
  return out;
}

// `import x from '...'`, `import type {...} from '...'`, `export * from '...'`, multi-line
// `import {\n a,\n} from '...'`, side-effect `import '...'`, and `import('...')`.
const SPEC = /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** The src files a file's text imports (relative specifiers only; packages are outside the graph). */
export function importsIn(text, file, known) {
  // Lines that are comments (// ..., /* ..., * ...) are dropped first: a commented-out import is none.
  const code = text.replace(/^\s*(?:\/\/|\/\*|\*).*$/gm, '');
  const deps = new Set();
  for (const m of code.matchAll(SPEC)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec?.startsWith('.')) continue;
    // NodeNext imports name the compiled file: './x.js' is src/x.ts, './dir/index.js' likewise.
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
    if (known.has(target)) deps.add(target);
    else if (known.has(`${target.replace(/\.ts$/, '')}/index.ts`)) deps.add(`${target.replace(/\.ts$/, '')}/index.ts`);
  }
  return deps;
}

/** Tarjan's strongly connected components; returns the groups of more than one node (and self-loops). */
function circles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const groups = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const g = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        g.push(w);
      } while (w !== v);
      if (g.length > 1 || graph.get(v)?.has(v)) groups.push(g.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return groups.sort((a, b) => a[0].localeCompare(b[0]));
}

/** One shortest cycle through the group's first node, as 'a -> b -> a' (breadth-first inside the group). */
function cyclePath(graph, group) {
  const inGroup = new Set(group);
  const start = group[0];
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!inGroup.has(w)) continue;
      if (w === start) {
        const p = [start];
        for (let u = v; u !== null && u !== start; u = prev.get(u)) p.unshift(u);
        p.unshift(start);
        return p.join(' -> ');
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return group.join(', ');
}

export function fileGraph() {
  const files = listFiles(src);
  const known = new Set(files);
  return new Map(files.map((f) => [f, importsIn(fs.readFileSync(path.join(src, f), 'utf8'), f, known)]));
}

/** Folder-level graph: src/a -> src/b when a file in a imports a file in b (top-level files are their own node). */
export function folderGraph(files) {
  const folder = (f) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : f);
  const g = new Map();
  for (const [f, deps] of files) {
    const a = folder(f);
    if (!g.has(a)) g.set(a, new Set());
    for (const d of deps) if (folder(d) !== a) g.get(a).add(folder(d));
  }
  return g;
}

/**
 * The layer order of docs/ARCHITECTURE.md, top to bottom: a folder may import its own layer's
 * folders (circles aside) and any lower layer, never a higher one. A folder not listed is unchecked.
 * `rl` and `run` share a layer, training: opening a run assembles the trainer's parts from rl's
 * (the GRPO config schema, checkpoints, run lock, fingerprint, PPO's critic) and evaluation's
 * (validation), and `GRPOTrainer.fromPretrained/resume` open runs through it (issue 22 item 4);
 * the file-level circle check keeps the two folders' files acyclic. `eval` sits below both: it
 * needs a model folder's special tokens only (src/tokenizer/special-tokens.ts), not the run layer.
 * Folders issue 22 retires (reward, sampling) stay listed while they exist.
 */
export const LAYERS = [
  ['cli', 'index.ts'],
  ['demo'],
  ['dashboard'],
  ['rl', 'run'],
  ['eval'],
  ['memory-plan'],
  ['algorithms', 'tasks'],
  ['reward'],
  ['data', 'distributed', 'stats'],
  ['rollout', 'sampling'],
  ['model', 'tokenizer'],
  ['engine'],
  ['native'],
  ['errors.ts', 'util'],
];

/** Imports that climb the layer order: [{ from, to, file, dep }], one per importing file and folder pair. */
export function upwardImports(files, layers = LAYERS) {
  const rank = new Map(layers.flatMap((names, i) => names.map((n) => [n, i])));
  const folder = (f) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : f);
  const out = [];
  for (const [file, deps] of [...files].sort()) {
    const a = folder(file);
    const seen = new Set();
    for (const dep of [...deps].sort()) {
      const b = folder(dep);
      if (a === b || seen.has(b) || !rank.has(a) || !rank.has(b) || rank.get(b) >= rank.get(a)) continue;
      seen.add(b);
      out.push({ from: a, to: b, file, dep });
    }
  }
  return out;
}

export { circles, cyclePath };

if (import.meta.url === `file://${path.resolve(process.argv[1] ?? '')}`) {
  const graph = fileGraph();
  const found = circles(graph);
  if (process.argv.includes('--folders')) {
    const fg = folderGraph(graph);
    const fc = circles(fg);
    console.log(`check-layers: ${fc.length} folder-level circle(s) in src/ (information)`);
    for (const g of fc) console.log(`  ${g.length} folders: ${cyclePath(fg, g)}${g.length > 2 ? ` (group: ${g.join(', ')})` : ''}`);
  }
  const up = upwardImports(graph);
  if (process.argv.includes('--layers')) {
    console.log(`check-layers: ${up.length} import(s) climbing the layer order (LAYERS in this script):`);
    for (const u of up) console.log(`  ${u.from} -> ${u.to}: ${u.file} imports ${u.dep}`);
  } else if (up.length) console.error(`check-layers: ${up.length} import(s) climb the layer order of docs/ARCHITECTURE.md (--layers lists them)`);
  if (found.length === 0) {
    console.log(`check-layers: no import circles among ${graph.size} files in src/`);
  } else {
    console.error(`check-layers: ${found.length} import circle(s) in src/:`);
    for (const g of found) console.error(`  ${cyclePath(graph, g)}${g.length > 2 ? `  (${g.length} files: ${g.join(', ')})` : ''}`);
  }
  if ((found.length > 0 || up.length > 0) && !process.argv.includes('--no-fail')) process.exit(1);
}
