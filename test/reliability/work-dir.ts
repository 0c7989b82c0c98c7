import * as fs from 'node:fs';
import { tempRoot } from '../helpers/tree';
import { builtRemedy } from './built-cli';

/**
 * A temp directory for a test file's cases: made before its tests (after building the CLI
 * when `build` is set), removed after them. Returns a getter for its path.
 */
export function workDir(prefix: string, opts: { build?: boolean } = {}): () => string {
  let dir = '';
  beforeAll(() => {
    dir = tempRoot(prefix);
    if (opts.build) builtRemedy();
  }, 120_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}
