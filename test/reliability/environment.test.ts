import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
// The module object itself, so that a spy on it reaches the engine's calls.
import fs = require('node:fs');
import * as path from 'node:path';
import { applyPlan } from '../../src/engine/apply';
import { makePlan } from '../../src/run/run';
import { writeFileAtomic } from '../../src/engine/write';
import { runCli, type CliRun } from '../helpers/cli';
import { snapshot, tempRoot } from '../helpers/tree';
import { reportFigures } from './budget';
import { remedy } from './built-cli';

// A hostile machine: a read-only file system, a full disk, a file that became a
// directory, a file remedy cannot read, a 100 MB file, a binary file. Each time: a clear
// error (no crash, no stack), the old bytes intact, no temp file left behind. What this
// machine cannot set up (mounts need root) is skipped with the reason printed.

const PHP_INI = '[PHP]\nmemory_limit = 128M\ndisplay_errors = Off\n';
const MEMORY = `resources:\n  - id: memory\n    type: ini\n    path: /etc/php.ini\n    section: PHP\n    key: memory_limit\n    value: 256M\n`;
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

let work: string;
let root: string;
let manifest: string;
let stateDir: string;
/** What to undo after the test: unmounts, chattr -i, chmod. */
let undo: (() => void)[];

beforeEach(() => {
  work = tempRoot('remedy-env-');
  root = path.join(work, 'root');
  stateDir = path.join(work, 'state');
  manifest = path.join(work, 'manifest.yml');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/php.ini'), PHP_INI);
  fs.writeFileSync(manifest, MEMORY);
  undo = [];
});
afterEach(() => {
  for (const step of undo.reverse()) step();
  fs.rmSync(work, { recursive: true, force: true });
});

function skip(why: string): void {
  process.stdout.write(`skipped: ${expect.getState().currentTestName}: ${why}\n`);
}

function sh(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${cmd} ${args.join(' ')}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`;
}

function apply(extra: string[] = []): Promise<CliRun> {
  return runCli(['apply', manifest, '--root', root, '--state-dir', stateDir, '--detailed-exitcodes', '--no-color', ...extra]);
}

/** A refusal people can act on: the path, the reason, no crash, no stack trace, nothing changed. */
function expectClearFailure(run: CliRun, codes: number[], reason: RegExp): void {
  const output = run.stdout + run.stderr;
  expect(codes).toContain(run.code);
  expect(output).toMatch(reason);
  expect(output).toContain('/etc/');
  expect(output).not.toContain('internal error');
  expect(output).not.toMatch(/^\s+at /m);
}

/** Makes `dir` read-only: a read-only bind mount (root), else chattr +i (root, ext4), else chmod a-w (not root). */
function makeReadOnly(dir: string): string | undefined {
  if (isRoot && !sh('mount', ['--bind', dir, dir])) {
    undo.push(() => sh('umount', [dir]));
    return sh('mount', ['-o', 'remount,bind,ro', dir]) && 'mount -o remount,bind,ro failed';
  }
  if (isRoot && !sh('chattr', ['+i', dir])) {
    undo.push(() => sh('chattr', ['-i', dir]));
    return undefined;
  }
  if (isRoot) return 'neither a bind mount nor chattr +i is possible here';
  fs.chmodSync(dir, 0o555);
  undo.push(() => fs.chmodSync(dir, 0o755));
  return undefined;
}

/** Mounts a tmpfs of `size` on `dir` (hiding what it held): mounts need root. */
function mountTmpfs(dir: string, size: string): string | undefined {
  if (!isRoot) return 'not root: mount -t tmpfs needs CAP_SYS_ADMIN';
  const failed = sh('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  if (!failed) undo.push(() => sh('umount', [dir]));
  return failed;
}

/** 40 KiB: on a 64 KiB tmpfs the file fits, a second copy (the temp file) does not. */
const BIG_INI = PHP_INI + `; ${'x'.repeat(98)}\n`.repeat(410);

describe('a read-only file system', () => {
  test('the write fails with a clear error; the file keeps its bytes; no temp file is left', async () => {
    const why = makeReadOnly(path.join(root, 'etc'));
    if (why) return skip(why);
    const before = snapshot(root);
    expectClearFailure(await apply(), [4], /EROFS|EPERM|EACCES|read-only/);
    expect(snapshot(root)).toEqual(before);
  });

  test('with the state dir on it too: a clear error before anything is written', async () => {
    const why = makeReadOnly(root);
    if (why) return skip(why);
    const before = snapshot(root);
    const run = await runCli(['apply', manifest, '--root', root, '--detailed-exitcodes', '--no-color']);
    expect(run.stdout + run.stderr).not.toContain('internal error');
    expect([1, 4]).toContain(run.code);
    expect((run.stdout + run.stderr).trim()).not.toBe('');
    expect(snapshot(root)).toEqual(before);
  });
});

describe('a full disk', () => {
  test('the temp file cannot be written: a clear error, the old file intact, no temp file left', async () => {
    const why = mountTmpfs(path.join(root, 'etc'), '64k');
    if (why) return skip(why);
    fs.writeFileSync(path.join(root, 'etc/php.ini'), BIG_INI);
    const before = snapshot(root);
    expectClearFailure(await apply(), [4], /ENOSPC/);
    expect(snapshot(root)).toEqual(before);
  });

  test('with the state dir (backups, run records) on it too: a clear error, nothing changed', async () => {
    const why = mountTmpfs(root, '64k');
    if (why) return skip(why);
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/php.ini'), BIG_INI.slice(0, 30_000));
    const before = snapshot(root);
    const run = await runCli(['apply', manifest, '--root', root, '--detailed-exitcodes', '--no-color']);
    expect([1, 4]).toContain(run.code);
    expect(run.stdout + run.stderr).toMatch(/ENOSPC/);
    expect(run.stdout + run.stderr).not.toContain('internal error');
    expect(snapshot(root)).toEqual(before);
  });
});

describe('short writes (a disk filling up writes part of a buffer, then fails)', () => {
  /** writeSync writes at most 5 bytes a call; after `failAfter` calls it fails with ENOSPC. */
  function shortWrites(failAfter: number): void {
    const write = fs.writeSync;
    let calls = 0;
    const cutShort = (fd: number, buf: Uint8Array, offset?: number, length?: number): number => {
      if (++calls > failAfter) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return write(fd, buf, offset ?? 0, Math.min(length ?? buf.length, 5));
    };
    jest.spyOn(fs, 'writeSync').mockImplementation(cutShort as typeof fs.writeSync);
  }
  afterEach(() => jest.restoreAllMocks());
  const target = () => path.join(root, 'etc/php.ini');

  test('a write cut short and then refused never replaces the file (found by the full-disk test)', () => {
    shortWrites(1);
    expect(() => writeFileAtomic(target(), Buffer.from(PHP_INI.replace('128M', '256M')), { mode: 0o644 })).toThrow(/ENOSPC/);
    expect(fs.readFileSync(target(), 'utf8')).toBe(PHP_INI);
    expect(fs.readdirSync(path.dirname(target()))).toEqual(['php.ini']);
  });

  test('writes cut short are carried on to the end', () => {
    shortWrites(Infinity);
    writeFileAtomic(target(), Buffer.from(PHP_INI.replace('128M', '256M')), { mode: 0o644 });
    expect(fs.readFileSync(target(), 'utf8')).toBe(PHP_INI.replace('128M', '256M'));
  });
});

describe('a file replaced by a directory', () => {
  test('before the run: the plan refuses it', async () => {
    fs.rmSync(path.join(root, 'etc/php.ini'));
    fs.mkdirSync(path.join(root, 'etc/php.ini/conf.d'), { recursive: true });
    const before = snapshot(root);
    expectClearFailure(await apply(), [1], /is a directory/);
    expect(snapshot(root)).toEqual(before);
  });

  test('between plan and apply: apply refuses it and the directory stays as it is', async () => {
    const { plan } = await makePlan({ manifest, root, vars: {}, stateDir });
    fs.rmSync(path.join(root, 'etc/php.ini'));
    fs.mkdirSync(path.join(root, 'etc/php.ini/conf.d'), { recursive: true });
    const before = snapshot(root);
    const result = await applyPlan(plan!);
    expect(result.failed).toBe(1);
    expect(result.outcomes[0].message).toMatch(/changed since it was planned/);
    expect(snapshot(root)).toEqual(before);
  });
});

describe('a file remedy cannot read', () => {
  test('a FIFO: refused as not a regular file, at once (never blocks on it)', async () => {
    fs.rmSync(path.join(root, 'etc/php.ini'));
    if (sh('mkfifo', [path.join(root, 'etc/php.ini')])) return skip('mkfifo is not available');
    expectClearFailure(await apply(), [1], /not a regular file/);
  });

  test('permission denied (run as another user): a clear error, nothing written', async () => {
    const ini = path.join(root, 'etc/php.ini');
    fs.chmodSync(ini, 0o600);
    if (!isRoot) {
      fs.chmodSync(ini, 0o000);
      undo.push(() => fs.chmodSync(ini, 0o644));
      return expectClearFailure(await apply(), [1], /EACCES/);
    }
    // As root every file is readable: run remedy as nobody on a tree nobody owns, but the file is root's.
    fs.chmodSync(work, 0o755);
    for (const p of [root, path.join(root, 'etc')]) fs.chownSync(p, NOBODY, NOBODY);
    fs.mkdirSync(stateDir);
    fs.chownSync(stateDir, NOBODY, NOBODY);
    const before = snapshot(root);
    const run = await remedy(['apply', manifest, '--root', root, '--state-dir', stateDir, '--detailed-exitcodes'], { uid: NOBODY, gid: NOBODY });
    expectClearFailure({ code: run.code ?? -1, stdout: run.stdout, stderr: run.stderr }, [1], /EACCES/);
    expect(snapshot(root)).toEqual(before);
  });
});

test('a binary file: text kinds refuse it; its bytes are intact', async () => {
  const bytes = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x00, 0x00, 0x5b, 0x50, 0x48, 0x50, 0x5d, 0x0a]);
  fs.writeFileSync(path.join(root, 'etc/php.ini'), bytes);
  const before = snapshot(root);
  expectClearFailure(await apply(), [1], /binary/);
  expect(snapshot(root)).toEqual(before);
});

test('a 100 MB file: one ini key changes, every other byte stays, memory stays bounded', async () => {
  const file = path.join(root, 'etc/php.ini');
  const original = hugeIni(file);
  const rssFile = path.join(work, 'rss');
  const started = Date.now();
  const run = await remedy(['apply', manifest, '--root', root, '--state-dir', stateDir, '--detailed-exitcodes'], { env: { REMEDY_MAX_RSS_FILE: rssFile } }, ['--require', path.join(__dirname, 'max-rss.js')]);
  const seconds = (Date.now() - started) / 1000;
  expect(run.code).toBe(2);
  const expected = Buffer.concat([original.subarray(0, original.length - 'memory_limit = 128M\n'.length), Buffer.from('memory_limit = 256M\n')]);
  expect(sha256(fs.readFileSync(file))).toBe(sha256(expected));
  const peakMiB = Number(fs.readFileSync(rssFile, 'utf8')) / 1024;
  reportFigures('100 MB file', { seconds: seconds.toFixed(1), peakRssMiB: Math.round(peakMiB) }, true);
  expect(peakMiB).toBeLessThan(2048);
}, 120_000);

/** Writes a php.ini-like file of just over 100 MB whose last line is the key to change; returns its bytes. */
function hugeIni(file: string): Buffer {
  const section = Array.from({ length: 20_000 }, (_, i) => `key_${i} = value number ${i} ; ${'x'.repeat(20)}\n`).join('');
  const chunk = Buffer.from(`[section]\n${section}`);
  const parts = Array.from({ length: Math.ceil((100 * 2 ** 20) / chunk.length) }, () => chunk);
  const bytes = Buffer.concat([...parts, Buffer.from('[PHP]\nmemory_limit = 128M\n')]);
  fs.writeFileSync(file, bytes);
  return bytes;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
