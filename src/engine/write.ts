import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

const TEMP_NAME = /^\..+\.remedy-(\d+)-[0-9a-f]+\.tmp$/;

export interface Ownership {
  mode: number;
  uid?: number;
  gid?: number;
}

/** A name's longest form in a directory entry (NAME_MAX on Linux). */
const NAME_MAX_BYTES = 255;

/**
 * A temp name for `name` in the same directory, recognisable by a later run (which removes
 * what a crashed one left). A long name is shortened so that the temp name still fits in
 * NAME_MAX: the random part keeps it unique.
 */
export function tempNameFor(name: string): string {
  const suffix = `.remedy-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  return `.${truncateToBytes(name, NAME_MAX_BYTES - 1 - suffix.length)}${suffix}`;
}

/** The longest prefix of `s` (whole characters) of at most `max` bytes in UTF-8. */
function truncateToBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    bytes += Buffer.byteLength(ch);
    if (bytes > max) break;
    out += ch;
  }
  return out;
}

/** A temp file beside `target`, named so that a later run can recognise and remove it. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), tempNameFor(path.basename(target)));
}

/** Writes bytes to a new temp file beside `target`, fsynced unless `durable` is false, with the final mode and owner. */
export function writeTemp(target: string, bytes: Uint8Array, own: Ownership, durable = true): string {
  const tmp = tempPathFor(target);
  writeTempFile(tmp, bytes, own, durable);
  return tmp;
}

/** Creates `tmp` (never an existing name or a link), writes it whole, gives it its mode and owner; returns what it is (its inode). */
export function writeTempFile(tmp: string, bytes: Uint8Array, own: Ownership, durable = true): fs.Stats {
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    writeAll(fd, bytes);
    applyOwnership(fd, own);
    if (durable) fs.fsyncSync(fd);
    return fs.fstatSync(fd);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** A write to a full disk may write only part and report no error: the next write reports it (ENOSPC). */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

function applyOwnership(fd: number, own: Ownership): void {
  if (own.uid !== undefined && own.gid !== undefined) {
    try {
      fs.fchownSync(fd, own.uid, own.gid);
    } catch (e) {
      // Only root may give a file away; keeping the writer's ownership is what any editor does.
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    }
  }
  fs.fchmodSync(fd, own.mode);
}

/**
 * Directories whose renames are made durable together, one fsync each, when a run has
 * written all its files there: not one fsync of the directory per file. Until then a
 * crash leaves each file whole, old or new; only which one is not yet settled.
 */
export class DirSyncs {
  private readonly dirs = new Set<string>();

  add(dir: string): void {
    this.dirs.add(dir);
  }

  flush(): void {
    for (const dir of this.dirs) {
      try {
        fsyncDir(dir);
      } catch (e) {
        // A directory removed since (by a later resource or a command) has nothing left to settle.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    this.dirs.clear();
  }
}

/** Renames the temp over the target and makes the rename durable: now, or at `later.flush()`. */
export function commitTemp(tmp: string, target: string, later?: DirSyncs): void {
  renameOrRemove(tmp, target);
  if (later) later.add(path.dirname(target));
  else fsyncDir(path.dirname(target));
}

/** A rename that fails (an immutable target, a full directory) leaves no temp file behind. */
export function renameOrRemove(tmp: string, target: string): void {
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Atomic, durable replacement: readers see the whole old file or the whole new one. */
export function writeFileAtomic(target: string, bytes: Uint8Array, own: Ownership, later?: DirSyncs): void {
  commitTemp(writeTemp(target, bytes, own), target, later);
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes temp files that a crashed run (whose process is gone) left in `dir`. */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed.push(path.join(dir, name));
  }
  return removed;
}

/** True while a process with this pid exists (EPERM: it exists, owned by another user). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
