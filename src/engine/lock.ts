import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processAlive, writeFileAtomic } from './write';
import { makePrivateDir } from '../state/private-files';

/** Who holds the run lock, written beside it so that a waiting run can name the holder. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  manifest?: string;
  /** The inode of the lock directory it made: a holder file describes that lock and no later one. */
  lockInode: number;
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

export interface RunLock {
  release(): Promise<void>;
}

export interface LockRequest {
  stateDir: string;
  waitSeconds: number;
  manifest?: string;
  /** Called if the lock was taken from this run (its event loop stalled past STALE_MS): the run goes on, but the log must say so. */
  onLost(error: Error): void;
}

/**
 * Well past the longest synchronous step of a run (a validator may block the event loop
 * for up to 120 s), so a live run never looks stale. A killed holder on this host is
 * seen at once by its pid; the mtime only matters for another host or a reused pid.
 */
const STALE_MS = 150_000;
const UPDATE_MS = 5_000;
const POLL_MS = 250;
const ORPHAN_MS = 10_000;

/** Takes `<stateDir>/run.lock`, waiting up to `waitSeconds`; throws RunLockedError if it stays held. */
export async function acquireRunLock(req: LockRequest): Promise<RunLock> {
  // The state dir holds backups of sensitive files: private, its parents as usual.
  fs.mkdirSync(path.dirname(req.stateDir), { recursive: true });
  makePrivateDir(req.stateDir);
  const deadline = Date.now() + req.waitSeconds * 1000;
  for (;;) {
    const release = await tryLock(req);
    if (release) return holding(req.stateDir, release, req.manifest);
    if (takeOverFromDeadHolder(req.stateDir)) continue;
    if (Date.now() >= deadline) throw new RunLockedError(readHolder(req.stateDir), req.waitSeconds);
    await sleep(Math.min(POLL_MS, deadline - Date.now()));
  }
}

async function tryLock(req: LockRequest): Promise<(() => Promise<void>) | undefined> {
  // Loaded lazily: it installs exit handlers, which only a locking run needs.
  const lockfile = require('proper-lockfile') as typeof import('proper-lockfile');
  try {
    return await lockfile.lock(req.stateDir, { lockfilePath: lockDir(req.stateDir), realpath: false, stale: STALE_MS, update: UPDATE_MS, onCompromised: req.onLost });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
    throw e;
  }
}

function holding(stateDir: string, release: () => Promise<void>, manifest: string | undefined): RunLock {
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), manifest, lockInode: fs.statSync(lockDir(stateDir)).ino };
  writeFileAtomic(holderFile(stateDir), Buffer.from(JSON.stringify(holder) + '\n'), { mode: 0o644 });
  return {
    release: async () => {
      fs.rmSync(holderFile(stateDir), { force: true });
      await release().catch(() => undefined); // already released if the lock was lost
    },
  };
}

/**
 * kill -9 leaves the lock directory behind; its holder's pid tells that nobody holds it.
 * The inode check keeps a new holder, between its mkdir and writing its name, safe.
 * A lock nobody named (killed between its mkdir and writing its name) is taken over once
 * it is older than ORPHAN_MS: a live holder names itself within milliseconds.
 */
function takeOverFromDeadHolder(stateDir: string): boolean {
  const holder = readHolder(stateDir);
  const lock = lockDir(stateDir);
  try {
    const st = fs.statSync(lock);
    const named = holder !== undefined && holder.lockInode === st.ino;
    if (named ? holder.host !== os.hostname() || processAlive(holder.pid) : Date.now() - st.mtimeMs < ORPHAN_MS) return false;
    fs.rmdirSync(lock);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return true;
}

function readHolder(stateDir: string): LockHolder | undefined {
  try {
    return JSON.parse(fs.readFileSync(holderFile(stateDir), 'utf8')) as LockHolder;
  } catch {
    return undefined; // not written yet, or already removed
  }
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'holder unknown (it is starting or stopping)';
  const what = holder.manifest ? ` applying ${holder.manifest}` : '';
  return `pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}${what}`;
}

export function lockDir(stateDir: string): string {
  return path.join(stateDir, 'run.lock');
}

function holderFile(stateDir: string): string {
  return path.join(stateDir, 'run.lock.json');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
