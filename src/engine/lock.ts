import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openStateDir } from './state-dir';
import { StepFailure } from './step-failure';
import { processAlive, removeStaleTemps, writeTemp } from './write';

/**
 * Who holds the run lock: the content of the lock file itself, written whole before the
 * file appears (link(2) of a complete temp file), so a reader never sees half of it.
 */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  manifest?: string;
  /** The holder's start time in clock ticks since boot (/proc/PID/stat): a reused pid is not the holder. */
  processStart?: string;
  /** The kernel's boot id: after a reboot no holder of before is alive. */
  bootId?: string;
}

/** Another run held the lock for the whole wait. */
export class RunLockedError extends Error {
  constructor(
    readonly holder: LockHolder | undefined,
    readonly waitedSeconds: number,
  ) {
    super(`another remedy run holds the lock: ${describeHolder(holder)}`);
  }
}

/** The lock file is no longer this run's: it must not write again. */
export class LockLostError extends StepFailure {}

export interface RunLock {
  /** Throws LockLostError unless the lock file is still the one this run made. */
  assertHeld(): void;
  /** Waited for another run: what it planned with may have changed since. */
  readonly waited: boolean;
  release(): void;
}

export interface LockRequest {
  stateDir: string;
  root: string;
  waitSeconds: number;
  manifest?: string;
}

const POLL_MS = 250;

/**
 * Takes `<stateDir>/run.lock`, waiting up to `waitSeconds`; throws RunLockedError if it
 * stays held. No timer keeps it: it is held until released, and it is known dead only
 * when its holder's process is gone (same pid, same start time, same boot), so a run that
 * blocks for minutes (a slow validator) keeps it. A holder on another host (a shared state
 * dir) cannot be checked from here, so its lock is never taken over.
 */
export async function acquireRunLock(req: LockRequest): Promise<RunLock> {
  openStateDir(req.stateDir, req.root);
  removeStaleTemps(req.stateDir);
  const deadline = Date.now() + req.waitSeconds * 1000;
  const me = thisProcess(req.manifest);
  for (let waited = false; ; waited = true) {
    const mine = tryLink(req.stateDir, me);
    if (mine !== undefined) return held(req.stateDir, mine, waited);
    if (removeDeadLock(req.stateDir)) continue;
    if (Date.now() >= deadline) throw new RunLockedError(readLock(lockFile(req.stateDir))?.holder, req.waitSeconds);
    await sleep(Math.min(POLL_MS, deadline - Date.now()));
  }
}

/** The lock file's content when this run made it; undefined when it exists already. */
function tryLink(stateDir: string, me: LockHolder): string | undefined {
  const file = lockFile(stateDir);
  const text = JSON.stringify(me) + '\n';
  const tmp = writeTemp(file, Buffer.from(text), { mode: 0o644 }, false);
  try {
    fs.linkSync(tmp, file);
    return text;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Told apart by content, not inode: a lock removed and made again may get the same inode. */
function held(stateDir: string, mine: string, waited: boolean): RunLock {
  const file = lockFile(stateDir);
  const isMine = () => readLock(file)?.text === mine;
  return {
    waited,
    assertHeld() {
      if (!isMine()) throw new LockLostError(`the run lock ${file} is no longer this run's (removed by hand, or taken after that); stopped before the next write`);
    },
    release() {
      if (isMine()) fs.rmSync(file, { force: true });
    },
  };
}

/**
 * kill -9 leaves the lock file behind. One whose holder is gone is moved aside under a
 * name of this run's own (rename is atomic, so of several waiters only one moves it), and
 * removed if it is still the dead holder's; a live lock moved by mistake (made between
 * the read and the rename) is linked back.
 */
function removeDeadLock(stateDir: string): boolean {
  const file = lockFile(stateDir);
  if (removeOldVersionLock(stateDir)) return true;
  const seen = readLock(file);
  if (!seen || holderAlive(seen.holder)) return false;
  const aside = `${file}.${process.pid}.dead`;
  try {
    fs.renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
  if (readLock(aside)?.text !== seen.text) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // Another run took the lock meanwhile; the moved holder sees it lost the lock before its next write.
    }
  }
  fs.rmSync(aside, { force: true });
  return true;
}

/** Earlier versions of remedy locked with a directory and named its holder in run.lock.json. */
function removeOldVersionLock(stateDir: string): boolean {
  const file = lockFile(stateDir);
  if (!fs.lstatSync(file, { throwIfNoEntry: false })?.isDirectory()) return false;
  const named = path.join(stateDir, 'run.lock.json');
  let pid: number | undefined;
  try {
    pid = (JSON.parse(fs.readFileSync(named, 'utf8')) as LockHolder).pid;
  } catch {
    // unnamed: its holder died while taking or releasing it
  }
  if (pid !== undefined && processAlive(pid)) return false;
  fs.rmSync(named, { force: true });
  fs.rmdirSync(file);
  return true;
}

function holderAlive(holder: LockHolder | undefined): boolean {
  if (!holder) return true; // not remedy's format: never remove what we cannot read
  if (holder.host !== os.hostname()) return true;
  if (holder.bootId !== undefined && holder.bootId !== bootId()) return false;
  if (!processAlive(holder.pid)) return false;
  return holder.processStart === undefined || holder.processStart === processStart(holder.pid);
}

function readLock(file: string): { holder?: LockHolder; text: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // released meanwhile
  }
  try {
    return { holder: JSON.parse(text) as LockHolder, text };
  } catch {
    return { text };
  }
}

function thisProcess(manifest: string | undefined): LockHolder {
  return { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), manifest, processStart: processStart(process.pid), bootId: bootId() };
}

/** Field 22 of /proc/PID/stat (after the parenthesised command name, which may hold spaces). */
function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'holder unknown (the lock file is not one remedy wrote)';
  const what = holder.manifest ? ` applying ${holder.manifest}` : '';
  const where = holder.host === os.hostname() ? '' : ' (another host: remedy cannot tell from here whether it still runs; remove the lock file by hand once it does not)';
  return `pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}${what}${where}`;
}

export function lockFile(stateDir: string): string {
  return path.join(stateDir, 'run.lock');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
