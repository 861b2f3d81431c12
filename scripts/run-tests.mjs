// `npm test`: runs `node --test` with the given options and files (spec reporter, as before) and
// fails when a test was skipped, unless the skip is listed in test/skips-allowed.txt with a reason.
// A test that skips because a Python oracle or shared data is missing has checked nothing; a green
// run must not hide it (issue 21). Node's own summary stays the last lines of the output.
//
// usage: node scripts/run-tests.mjs [node --test options] FILE...
// test/skips-allowed.txt: one skip per line, `FILE<TAB>TEST NAME<TAB>WHY`, FILE relative to the
// repository (dist/test/...js); # starts a comment.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const allowFile = path.join(root, 'test/skips-allowed.txt');
const skipsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-skips-')), 'skips.jsonl');

function readAllowList() {
  if (!fs.existsSync(allowFile)) return [];
  return fs
    .readFileSync(allowFile, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l, i) => {
      const [file, name, why] = l.split('\t');
      if (!file || !name || !why) throw new Error(`${allowFile}: line ${i + 1}: want FILE<TAB>TEST NAME<TAB>WHY`);
      return { file, name };
    });
}

const reporter = pathToFileURL(path.join(root, 'scripts/skip-reporter.mjs')).href;
const child = spawn(
  process.execPath,
  [
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${reporter}`,
    `--test-reporter-destination=${skipsFile}`,
    ...process.argv.slice(2),
  ],
  { stdio: ['inherit', 'pipe', 'inherit'] },
);

// Stream the spec output, holding back node's summary (from "ℹ tests N") to print it last.
const held = [];
let holding = false;
let partial = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop();
  for (const line of lines) {
    if (/^ℹ tests \d+/.test(line)) holding = true;
    if (holding) held.push(line);
    else process.stdout.write(line + '\n');
  }
});

child.on('exit', (code, signal) => {
  if (partial) (holding ? held : { push: (l) => process.stdout.write(l + '\n') }).push(partial);
  const skips = fs.existsSync(skipsFile)
    ? fs
        .readFileSync(skipsFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  const allow = readAllowList();
  const rel = (f) => (f.startsWith('file:') ? path.relative(root, fileURLToPath(f)) : path.relative(root, f));
  const bad = skips.filter((s) => !allow.some((a) => a.file === rel(s.file) && a.name === s.name));
  if (skips.length > 0) {
    process.stdout.write(`\nskipped tests: ${skips.length} (${skips.length - bad.length} allowed by test/skips-allowed.txt)\n`);
    for (const s of bad) process.stdout.write(`  NOT ALLOWED: ${rel(s.file)}: ${s.name}${s.reason ? ` (${s.reason})` : ''}\n`);
    if (bad.length > 0)
      process.stdout.write(
        'a skipped test checked nothing: install what it needs (bash scripts/setup.sh --test) or list it, with why, in test/skips-allowed.txt\n\n',
      );
  }
  for (const line of held) process.stdout.write(line + '\n');
  if (signal) process.kill(process.pid, signal);
  process.exit(code !== 0 ? (code ?? 1) : bad.length > 0 ? 1 : 0);
});
