import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeLossless, encodeLossless, sha256Of } from './bytes';
import { PathMovedError, withConfinedDir, type ConfinedDir } from './confined-dir';
import { ResourceError } from './diagnostics';
import { describeExit, runCommand, showCommand } from './exec';
import type { FileChange, FileSummary } from './plan';
import { takesFile, withFile } from './plan-validate';
import { asStepFailure, StepFailure } from './step-failure';
import type { FileModel } from './types';
import { type DirSyncs, renameOrRemove, tempNameFor, writeTempFile } from './write';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
const VALIDATOR_TIMEOUT_MS = 120_000;

/**
 * What a path was when a step last looked: its model and, for a regular file, the
 * descriptor it was read through, held open so that a write into that very file (an edit
 * in place, `>>`) is seen even after a rename replaced its name.
 */
interface SeenPath {
  model: FileModel;
  held?: { fd: number; stat: fs.Stats };
}

type WantedFile = Extract<FileModel, { type: 'file' }>;

/**
 * Makes one path what the plan says, refusing if it is no longer what the plan saw. Every
 * step works inside the parent directory opened from the root without following links
 * (ConfinedDir), and the file is checked again (identity and bytes) at the last moment
 * before the rename, after any validator ran: an edit made meanwhile is never overwritten.
 */
export async function applyFileChange(f: FileChange, rootReal: string, dirSyncs?: DirSyncs): Promise<void> {
  try {
    await withConfinedDir(rootReal, path.dirname(f.host), f.wanted.type !== 'absent', (dir) => changeIn(dir, f, dirSyncs));
  } catch (e) {
    throw fileStepFailure(e, f.path, 'nothing was written there. Run plan again.');
  }
}

async function changeIn(dir: ConfinedDir, f: FileChange, dirSyncs: DirSyncs | undefined): Promise<void> {
  const name = path.basename(f.host);
  const seen = look(dir, name);
  try {
    if (!matchesSummary(seen.model, f.before)) throw new StepFailure(`${f.path} changed since it was planned; nothing was written to it. Run plan again.`);
    const w = f.wanted;
    switch (w.type) {
      case 'absent':
        return removeIn(dir, name, seen, f.before);
      case 'directory':
        if (seen.model.type !== 'directory') {
          // A type change (file kind, force: true): the old path goes first.
          removeIn(dir, name, seen, f.before);
          fs.mkdirSync(dir.entry(name), w.mode ?? 0o755);
        }
        return setAttributesIn(dir, name, w.mode, w.uid, w.gid);
      case 'link':
        // rename() cannot replace a directory; only an empty one is removed (file kind, force: true).
        if (seen.model.type === 'directory') removeIn(dir, name, seen, f.before);
        return linkIn(dir, name, w.target, f.before);
      case 'file':
        if (seen.model.type === 'file' && seen.model.content === w.content) return setAttributesIn(dir, name, w.mode, w.uid, w.gid);
        return await writeValidated(dir, name, f, w, seen, dirSyncs);
    }
  } finally {
    release(seen);
  }
}

async function writeValidated(dir: ConfinedDir, name: string, f: FileChange, w: WantedFile, seen: SeenPath, dirSyncs: DirSyncs | undefined): Promise<void> {
  const old = seen.model.type === 'file' ? seen.model : undefined;
  const own = { mode: w.mode ?? old?.mode ?? 0o644, uid: w.uid ?? old?.uid, gid: w.gid ?? old?.gid };
  const tmpName = tempNameFor(name);
  const written = writeTempFile(dir.entry(tmpName), encodeLossless(w.content), own);
  try {
    // Validators are other programs: they get the temp file's real path, not our descriptor's.
    for (const argv of f.validate.filter(takesFile)) await runValidator(withFile(argv, path.join(dir.host, tmpName)), f, 'the file was not changed');
    // rename() cannot replace a directory; only an empty one is removed (file kind, force: true).
    if (seen.model.type === 'directory') removeIn(dir, name, seen, f.before);
    else unchangedSinceSeen(dir, name, seen, f);
    fs.renameSync(dir.entry(tmpName), dir.entry(name));
  } catch (e) {
    fs.rmSync(dir.entry(tmpName), { force: true });
    throw e;
  }
  if (dirSyncs) dirSyncs.add(dir.host);
  else dir.sync();
  keepEditMadeDuringRename(dir, name, seen, f);
  await validateInPlace(dir, name, f, written, seen);
}

/** In-place validators (no %s) check the real file; on a refusal the pre-image goes back, unless someone else changed the file meanwhile. */
async function validateInPlace(dir: ConfinedDir, name: string, f: FileChange, written: fs.Stats, seen: SeenPath): Promise<void> {
  for (const argv of f.validate.filter((a) => !takesFile(a))) {
    try {
      await runValidator(argv, f, 'the previous file was put back');
    } catch (e) {
      if (!isStill(dir, name, written)) {
        throw new StepFailure(`${(e as Error).message.replace(/; the previous file was put back$/, '')}; ${f.path} was changed by another process while the validator ran, so it was left as it is (not restored). The previous version is in this run's backup.`, (e as StepFailure).output);
      }
      restoreIn(dir, name, seen.model);
      throw e;
    }
  }
}

async function runValidator(argv: string[], f: FileChange, outcome: string): Promise<void> {
  const res = await runCommand({ argv, timeoutMs: VALIDATOR_TIMEOUT_MS });
  if (!res.timedOut && res.code === 0) return;
  throw new StepFailure(`validation refused ${f.path}: ${showCommand(argv)} ${describeExit(res)}; ${outcome}`, res.stdout + res.stderr);
}

/**
 * The last look before the rename: the same file (device and inode) with the same bytes as
 * when apply read it. An edit by rename (sed -i, editors) changes the inode; an edit in place
 * changes the bytes, which are hashed again through the held descriptor.
 */
function unchangedSinceSeen(dir: ConfinedDir, name: string, seen: SeenPath, f: FileChange): void {
  const changed = () => new StepFailure(`${f.path} was changed by another process while remedy was writing it; the change was kept and nothing was written. Run plan again.`);
  if (!dir.stillInPlace()) throw new PathMovedError(`the directory of ${f.path} was moved while remedy was writing it`);
  if (seen.held) {
    if (sha256Of(fs.readFileSync(`/proc/self/fd/${seen.held.fd}`)) !== f.before.sha256) throw changed();
    if (!isStill(dir, name, seen.held.stat)) throw changed();
  } else if (!matchesSummary(look(dir, name, false).model, f.before)) {
    throw changed();
  }
}

/**
 * The rename is one system call after the last look; an edit written into the old file in
 * between now lives only in the replaced inode, which the held descriptor still reaches.
 * Its bytes go back, and the step fails: the edit wins over the plan.
 */
function keepEditMadeDuringRename(dir: ConfinedDir, name: string, seen: SeenPath, f: FileChange): void {
  if (!seen.held) return;
  const now = fs.fstatSync(seen.held.fd);
  if (now.size === seen.held.stat.size && now.mtimeMs === seen.held.stat.mtimeMs) return;
  const edited = fs.readFileSync(`/proc/self/fd/${seen.held.fd}`);
  const was = seen.model as WantedFile;
  writeTempAndRename(dir, name, edited, { mode: was.mode ?? 0o644, uid: was.uid, gid: was.gid });
  throw new StepFailure(`${f.path} was edited by another process while remedy replaced it; the edit was put back and remedy's change was not applied. Run plan again.`);
}

/**
 * Puts a path back exactly as it was (bytes, mode, owner), atomically, inside the root.
 * `expected` is what the path must be now (what remedy wrote): a path changed since by
 * someone else is left as it is, and the step fails saying so.
 */
export function restorePath(rootReal: string, host: string, was: FileModel, expected?: FileSummary): void {
  if (was.type === 'absent' && !fs.existsSync(path.dirname(host))) return; // its directory is gone too: nothing to remove
  withConfinedDir(rootReal, path.dirname(host), was.type !== 'absent', (dir) => {
    const name = path.basename(host);
    const seen = look(dir, name);
    try {
      if (expected && !matchesSummary(seen.model, expected)) throw new StepFailure(`it was changed by another process after remedy wrote it, so it was left as it is (not restored); the previous version stays in the run's backup`);
      restoreIn(dir, name, was, seen);
    } finally {
      release(seen);
    }
  });
}

/**
 * Removes the directories a run created for a file it created (create_parents), deepest
 * first, each only while it is an empty real directory: one that holds anything now, or
 * was swapped for a link, stays, and so do its parents.
 */
export function removeMadeDirs(rootReal: string, madeDirs: string[] | undefined): void {
  for (const dir of madeDirs ?? []) {
    const host = path.join(rootReal, dir);
    try {
      withConfinedDir(rootReal, path.dirname(host), false, (parent) => fs.rmdirSync(parent.entry(path.basename(host))));
    } catch {
      return; // not empty, already gone, or no longer a directory of the tree
    }
  }
}

function restoreIn(dir: ConfinedDir, name: string, was: FileModel, seen = look(dir, name, false)): void {
  let now = seen.model;
  if (now.type !== was.type && (now.type === 'directory' || was.type === 'directory')) {
    // Undoing a type change: rename() cannot swap a directory and a file.
    removeIn(dir, name, seen);
    now = { type: 'absent' };
  }
  switch (was.type) {
    case 'file':
      return writeTempAndRename(dir, name, encodeLossless(was.content), { mode: was.mode ?? 0o644, uid: was.uid, gid: was.gid });
    case 'absent':
      return removeIn(dir, name, seen);
    case 'link':
      return linkIn(dir, name, was.target);
    case 'directory':
      if (now.type === 'absent') fs.mkdirSync(dir.entry(name), was.mode);
      return setAttributesIn(dir, name, was.mode, was.uid, was.gid);
  }
}

/** Reads what a name in the directory is now, without following a final link; a regular file stays open (see SeenPath) unless `hold` is false. */
function look(dir: ConfinedDir, name: string, hold = true): SeenPath {
  let fd: number;
  try {
    fd = fs.openSync(dir.entry(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { model: { type: 'absent' } };
    if (code === 'ELOOP') return { model: { type: 'link', target: fs.readlinkSync(dir.entry(name)) } };
    throw e;
  }
  const stat = fs.fstatSync(fd);
  const owner = { mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
  if (!stat.isFile()) {
    fs.closeSync(fd);
    if (stat.isDirectory()) return { model: { type: 'directory', ...owner } };
    throw new ResourceError(`${path.join(dir.host, name)} is not a regular file (a device, socket or FIFO)`, 'point path at a regular file');
  }
  const model: FileModel = { type: 'file', content: decodeLossless(fs.readFileSync(fd)), ...owner };
  if (hold) return { model, held: { fd, stat: fs.fstatSync(fd) } };
  fs.closeSync(fd);
  return { model };
}

function release(seen: SeenPath): void {
  if (seen.held) fs.closeSync(seen.held.fd);
}

/** The name still holds the same file (device, inode) as `stat` describes. */
function isStill(dir: ConfinedDir, name: string, stat: fs.Stats): boolean {
  try {
    const now = fs.lstatSync(dir.entry(name));
    return now.ino === stat.ino && now.dev === stat.dev;
  } catch {
    return false;
  }
}

function matchesSummary(now: FileModel, s: FileSummary): boolean {
  if (now.type !== s.type) return false;
  if (now.type === 'file') return sha256Of(encodeLossless(now.content)) === s.sha256;
  if (now.type === 'link') return now.target === s.target;
  return true;
}

function writeTempAndRename(dir: ConfinedDir, name: string, bytes: Uint8Array, own: { mode: number; uid?: number; gid?: number }): void {
  const tmpName = tempNameFor(name);
  writeTempFile(dir.entry(tmpName), bytes, own);
  renameOrRemove(dir.entry(tmpName), dir.entry(name));
  dir.sync();
}

/** A new link is made beside the path and renamed over it, so the swap is atomic. */
function linkIn(dir: ConfinedDir, name: string, target: string, before?: FileSummary): void {
  const tmpName = tempNameFor(name);
  fs.symlinkSync(target, dir.entry(tmpName));
  if (before && !matchesSummary(look(dir, name, false).model, before)) {
    fs.rmSync(dir.entry(tmpName), { force: true });
    throw new StepFailure(`${path.join(dir.host, name)} was changed by another process while remedy was replacing it; nothing was written. Run plan again.`);
  }
  renameOrRemove(dir.entry(tmpName), dir.entry(name));
  dir.sync();
}

function removeIn(dir: ConfinedDir, name: string, seen: SeenPath, before?: FileSummary): void {
  if (seen.model.type === 'absent') return;
  if (before && !matchesSummary(look(dir, name, false).model, before)) {
    throw new StepFailure(`${path.join(dir.host, name)} was changed by another process while remedy was removing it; it was left as it is. Run plan again.`);
  }
  if (seen.model.type === 'directory') fs.rmdirSync(dir.entry(name));
  else fs.unlinkSync(dir.entry(name));
  dir.sync();
}

/**
 * chmod/chown through a descriptor opened without following a link. A regular file with
 * other hard links is refused: the change would reach every name of that inode, some of
 * them maybe outside the managed tree.
 */
function setAttributesIn(dir: ConfinedDir, name: string, mode: number | undefined, uid: number | undefined, gid: number | undefined): void {
  if (mode === undefined && uid === undefined && gid === undefined) return;
  const fd = fs.openSync(dir.entry(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    const changes = (mode !== undefined && (st.mode & 0o7777) !== mode) || (uid !== undefined && st.uid !== uid) || (gid !== undefined && st.gid !== gid);
    if (changes && st.isFile() && st.nlink > 1) {
      throw new StepFailure(`${path.join(dir.host, name)} has ${st.nlink} hard links: changing its mode or owner would change every one of them, and remedy cannot tell where the others are; nothing was changed`, undefined);
    }
    if (mode !== undefined) fs.fchmodSync(fd, mode);
    if (uid !== undefined || gid !== undefined) fs.fchownSync(fd, uid ?? -1, gid ?? -1);
  } finally {
    fs.closeSync(fd);
  }
}

/** A failure of a file step, as the report states it: refusals as they are; a moved directory or an errno with the managed path. */
function fileStepFailure(e: unknown, managedPath: string, consequence: string): StepFailure {
  if (e instanceof PathMovedError) return new StepFailure(`${e.message}; ${consequence}`);
  if (e instanceof ResourceError) return new StepFailure(e.message);
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' && (e as NodeJS.ErrnoException).syscall === 'open') return new StepFailure(`the directory of ${managedPath} is gone since it was planned; ${consequence}`);
  return asStepFailure(e, `cannot change ${managedPath}`);
}
