import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempRoot } from '../helpers/tree';

const repo = path.join(__dirname, '..', '..');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface Started {
  child: ChildProcess;
  done: Promise<Finished>;
}

/**
 * The installed-package layout (bin/, dist/, package.json, node_modules), compiled into a
 * private dist/ so that no other build of the work tree races it. Returns its directory.
 */
export function installRemedy(): string {
  const pkg = tempRoot('remedy-ops-pkg-');
  const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', path.join(pkg, 'dist')], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  if (build.status !== 0) throw new Error(`tsc failed (${build.status ?? build.signal}):\n${build.stdout}\n${build.stderr}`);
  fs.mkdirSync(path.join(pkg, 'bin'));
  fs.copyFileSync(path.join(repo, 'bin', 'remedy.js'), path.join(pkg, 'bin', 'remedy.js'));
  fs.copyFileSync(path.join(repo, 'package.json'), path.join(pkg, 'package.json'));
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(pkg, 'node_modules'));
  return pkg;
}

/** `node bin/remedy.js ARGS` as cron runs it: pipes, no stdin. */
export function startRemedy(pkg: string, args: string[]): Started {
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(pkg, 'bin', 'remedy.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  const done = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - started }));
  });
  return { child, done };
}

export function runRemedy(pkg: string, args: string[]): Promise<Finished> {
  return startRemedy(pkg, args).done;
}

/** Resolves once `check` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
