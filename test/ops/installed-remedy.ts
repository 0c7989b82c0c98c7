import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { buildPackage } from '../helpers/built-package';
import { tempRoot } from '../helpers/tree';

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

/** The installed-package layout, built into a private folder so that no other build of the work tree races it. Returns its directory. */
export function installRemedy(): string {
  const pkg = tempRoot('remedy-ops-pkg-');
  buildPackage(pkg);
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
