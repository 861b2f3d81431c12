// Where tests find the repository root and the shared data (`../shared/data`, read in place).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  // Tests run from dist/test/..., so walk up from this file to the directory holding package.json.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

export const repoRoot = findRepoRoot();
export const sharedData = path.resolve(repoRoot, '../shared/data');
