import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildPackage } from '../helpers/built-package';

// The shipped binary, as cli.test.ts runs it (test/helpers/built-package.ts). Built once per state of src/ and shared by every
// reliability test file and jest worker (they find it by the hash of the sources).

const repo = path.join(__dirname, '..', '..');
const OLD_BUILD_MS = 60 * 60 * 1000;

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function sourceHash(): string {
  const hash = createHash('sha256');
  const files = fs.readdirSync(path.join(repo, 'src'), { recursive: true, encoding: 'utf8' }).sort();
  for (const rel of [...files.map((f) => path.join('src', f)), 'package.json', 'tsconfig.build.json', 'bin/remedy.js', 'scripts/build.js']) {
    const full = path.join(repo, rel);
    if (fs.statSync(full).isFile()) hash.update(rel).update(fs.readFileSync(full));
  }
  return hash.digest('hex').slice(0, 16);
}

function removeOldBuilds(keep: string): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const dir = path.join(os.tmpdir(), name);
    if (!name.startsWith('remedy-reliability-build-') || dir === keep) continue;
    if (Date.now() - fs.statSync(dir).mtimeMs > OLD_BUILD_MS) fs.rmSync(dir, { recursive: true, force: true });
  }
}

let cached: string | undefined;

/** The path of bin/remedy.js of a build of the current sources. */
export function builtRemedy(): string {
  if (cached) return cached;
  const dir = path.join(os.tmpdir(), `remedy-reliability-build-${sourceHash()}`);
  if (!fs.existsSync(path.join(dir, 'bin/remedy.js'))) {
    const staging = `${dir}.${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    buildPackage(staging);
    try {
      fs.renameSync(staging, dir);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true }); // another worker built it first
    }
    removeOldBuilds(dir);
  }
  return (cached = path.join(dir, 'bin/remedy.js'));
}

/** Starts `remedy ARGS` (the built binary; `nodeArgs` go to node) with pipes; stdout and stderr are collected by runToEnd. */
export function startRemedy(args: string[], opts: SpawnOptions = {}, nodeArgs: string[] = []): ChildProcess {
  const env = { ...process.env, NO_COLOR: '1', ...opts.env };
  return spawn(process.execPath, [...nodeArgs, builtRemedy(), ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts, env });
}

/** Waits for a started process to end, with what it printed. */
export function runToEnd(child: ChildProcess): Promise<Run> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** `remedy ARGS` run to its end. */
export function remedy(args: string[], opts: SpawnOptions = {}, nodeArgs: string[] = []): Promise<Run> {
  return runToEnd(startRemedy(args, opts, nodeArgs));
}
