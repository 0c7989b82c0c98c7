import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const repo = path.join(__dirname, '..', '..');

/**
 * Builds remedy as it ships into `dir`: package.json, bin/remedy.js, and dist/ made by
 * scripts/build.js (tsc, the bundle, its code cache), with the repo's node_modules linked.
 */
export function buildPackage(dir: string): void {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  // Before the build: the bundle takes the version from the package.json beside dist/.
  fs.copyFileSync(path.join(repo, 'package.json'), path.join(dir, 'package.json'));
  fs.copyFileSync(path.join(repo, 'bin', 'remedy.js'), path.join(dir, 'bin', 'remedy.js'));
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
  const build = spawnSync(process.execPath, [path.join(repo, 'scripts', 'build.js'), '--outDir', path.join(dir, 'dist')], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  if (build.status !== 0) throw new Error(`the build failed (${build.status ?? build.signal}):\n${build.stdout}${build.stderr}`);
}
