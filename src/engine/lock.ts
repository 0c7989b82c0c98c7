import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processAlive, replaceFile } from './write';
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
/** A claim from another host counts as alive this long: its pid cannot be checked from here. */
const FOREIGN_CLAIM_MS = 10_000;

/** Takes `<stateDir>/run.lock`, waiting up to `waitSeconds`; throws RunLockedError if it stays held. */
export async function acquireRunLock(req: LockRequest): Promise<RunLock> {
  // The state dir holds backups of sensitive files: private, its parents as usual.
  fs.mkdirSync(path.dirname(req.stateDir), { recursive: true });
  makePrivateDir(req.stateDir);
  const deadline = Date.now() + req.waitSeconds * 1000;
  for (;;) {
    const lock = await claimed(req.stateDir, async () => {
      const release = await tryLock(req);
      return release && holding(req.stateDir, release, req.manifest);
    });
    if (lock) return lock;
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

/**
 * Runs a step that touches the lock directory while this run's claim file says it is alive.
 * The claim covers the moments when the lock exists but names nobody (just made, or being
 * released), so a lock left unnamed is known to be an orphan when no claim is alive.
 */
async function claimed<T>(stateDir: string, step: () => Promise<T>): Promise<T> {
  const claim = path.join(stateDir, claimName(process.pid, os.hostname()));
  fs.writeFileSync(claim, '');
  try {
    return await step();
  } finally {
    fs.rmSync(claim, { force: true });
  }
}

function holding(stateDir: string, release: () => Promise<void>, manifest: string | undefined): RunLock {
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), manifest, lockInode: fs.statSync(lockDir(stateDir)).ino };
  replaceFile(holderFile(stateDir), Buffer.from(JSON.stringify(holder) + '\n'), { mode: 0o644 });
  removeDeadClaims(stateDir);
  return {
    release: () =>
      claimed(stateDir, async () => {
        fs.rmSync(holderFile(stateDir), { force: true });
        await release().catch(() => undefined); // already released if the lock was lost
      }),
  };
}

/**
 * kill -9 leaves the lock directory behind; its holder's pid tells that nobody holds it.
 * The inode check keeps a new holder, between its mkdir and writing its name, safe.
 * A lock nobody named (killed while taking or releasing it) is an orphan once no run
 * that could be taking or releasing it has a live claim.
 */
function takeOverFromDeadHolder(stateDir: string): boolean {
  const holder = readHolder(stateDir);
  const lock = lockDir(stateDir);
  try {
    const st = fs.statSync(lock);
    const named = holder !== undefined && holder.lockInode === st.ino;
    if (named ? holder.host !== os.hostname() || processAlive(holder.pid) : removeDeadClaims(stateDir) > 0) return false;
    fs.rmdirSync(lock);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return true;
}

/** Removes the claims of runs that are gone; returns how many claims are left alive. */
function removeDeadClaims(stateDir: string): number {
  let alive = 0;
  for (const name of fs.readdirSync(stateDir)) {
    const claim = CLAIM_NAME.exec(name);
    if (!claim) continue;
    if (claimAlive(path.join(stateDir, name), Number(claim[1]), claim[2])) alive++;
    else fs.rmSync(path.join(stateDir, name), { force: true });
  }
  return alive;
}

function claimAlive(file: string, pid: number, host: string): boolean {
  if (host === os.hostname()) return processAlive(pid);
  try {
    return Date.now() - fs.statSync(file).mtimeMs < FOREIGN_CLAIM_MS;
  } catch {
    return false;
  }
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

const CLAIM_NAME = /^run\.lock\.(\d+)@(.+)\.claim$/;

function claimName(pid: number, host: string): string {
  return `run.lock.${pid}@${host}.claim`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
