import * as fs from 'node:fs';
import type { WriteGuard } from '../engine/apply';
import { removeMadeDirs, restorePath } from '../engine/file-change';
import { LockLostError } from '../engine/lock';
import { decodeLossless, sha256Of } from '../engine/bytes';
import { DiagnosticsError, ResourceError } from '../engine/diagnostics';
import { summarizeModel, type FileSummary } from '../engine/plan';
import { readModel } from '../engine/read';
import { resolveInRoot } from '../engine/root';
import type { FileModel } from '../engine/types';
import { backUp, readBackup } from './backups';
import { sameBytes } from './drift';
import { asStateError } from './private-files';
import { createRecord, loadRecord, runIdentity, saveRecord, type RecordedFile, type RunRecord } from './records';
import { pruneRuns } from './retention';
import { recordedFile } from './session';
import { rememberWritten } from './written';

export interface RollbackOptions {
  /** The managed tree now: each recorded path is resolved under it again (a copied image, a link swapped in since). */
  root: string;
  stateDir: string;
  force: boolean;
  keep: number;
  /** The run lock: a rollback that lost it stops before its next write. */
  guard: WriteGuard;
}

/** What a rollback did to one path: put its bytes back, removed what the run created, or recreated what it deleted. */
export type RestoreAction = 'restored' | 'removed' | 'recreated' | 'already as before';

export interface RollbackReport {
  target: RunRecord;
  /** Files changed since the run; without --force nothing was written. */
  changedSince: { path: string; why: string }[];
  /** The rollback's own run record (absent when it was refused). */
  record?: RunRecord;
  files: { path: string; action: RestoreAction; sensitive: boolean }[];
  errors: string[];
}

/**
 * Puts back the exact previous bytes, mode and owner of every path a run changed, newest
 * first, each atomically. Refuses, writing nothing, when a path changed since that run
 * (unless forced). The rollback is a run itself: its record and backups make it undoable.
 */
export function rollBackRun(target: RunRecord, opts: RollbackOptions): RollbackReport {
  const paths = [...target.files].reverse().map((recorded) => {
    const host = hostNow(opts.root, recorded);
    return typeof host === 'string' ? { f: { ...recorded, host }, now: readNow(host) } : { f: recorded, now: host.message, outside: true };
  });
  const changedSince = paths
    .filter(({ f, now }) => typeof now === 'string' || !sameBytes(now, f.after))
    .map(({ f, now }) => ({ path: f.path, why: typeof now === 'string' ? now : changeSince(f.after, now) }));
  const report: RollbackReport = { target, changedSince, files: [], errors: [] };
  if (changedSince.length > 0 && !opts.force) return report;
  try {
    // --force restores files changed since, never one whose path now leaves the root.
    for (const p of paths) if (p.outside) report.errors.push(`${p.f.path}: ${p.now}`);
    report.record = restoreAll(target, paths.filter((p) => !p.outside).map((p) => p.f), opts, report);
  } catch (e) {
    throw asStateError(e, `cannot record the rollback in ${opts.stateDir}`);
  }
  return report;
}

export function findRun(stateDir: string, runId: string): RunRecord {
  const record = loadRecord(stateDir, runId);
  if (record) return record;
  throw new DiagnosticsError([{ severity: 'error', summary: `no run ${runId} in ${stateDir}`, hint: 'remedy history lists the recorded runs (give the same --root or --state-dir as the apply had)' }]);
}

function restoreAll(target: RunRecord, files: RecordedFile[], opts: RollbackOptions, report: RollbackReport): RunRecord {
  const { stateDir } = opts;
  const rootReal = fs.realpathSync(opts.root);
  const record = createRecord(stateDir, { ...runIdentity(), command: 'rollback', rollbackOf: target.id, result: 'running', manifest: target.manifest, root: target.root, resources: [], files: [], refreshed: [], drift: 0 });
  for (const f of files) {
    const now = readModel(f.host);
    if (isAsBefore(summarizeModel(now), f.before)) {
      report.files.push({ path: f.path, action: 'already as before', sensitive: f.sensitive });
      continue;
    }
    try {
      opts.guard.assertHeld();
      const backup = backUp(stateDir, record.id, f.path, now);
      // Without --force, the file must still be what the run left at the moment it is replaced.
      restorePath(rootReal, f.host, previousModel(stateDir, f), opts.force ? undefined : f.after);
      removeMadeDirs(rootReal, f.madeDirs);
      record.files.push(recordedFile({ ...f, action: 'restore', cause: undefined, before: summarizeModel(now), madeDirs: undefined }, summarizeModel(readModel(f.host)), backup));
      report.files.push({ path: f.path, action: restoreAction(f), sensitive: f.sensitive });
    } catch (e) {
      report.errors.push(`${f.path}: ${(e as Error).message}`);
      if (e instanceof LockLostError) break;
    }
  }
  const result = report.errors.length > 0 ? 'failed' : record.files.length > 0 ? 'changed' : 'unchanged';
  Object.assign(record, { result, endedAt: new Date().toISOString() });
  saveRecord(stateDir, record);
  rememberWritten(stateDir, record.id, record.files);
  pruneRuns(stateDir, opts.keep);
  return record;
}

function isAsBefore(now: FileSummary, before: FileSummary): boolean {
  return sameBytes(now, before) && (before.mode === undefined || now.mode === before.mode);
}

function restoreAction(f: RecordedFile): RestoreAction {
  if (f.before.type === 'absent') return 'removed';
  return f.after.type === 'absent' ? 'recreated' : 'restored';
}

/** The path as it was before the run: from the record, and the backup for a file's bytes (checked against its recorded sha256). */
function previousModel(stateDir: string, f: RecordedFile): FileModel {
  const b = f.before;
  const owner = { mode: b.mode === undefined ? undefined : parseInt(b.mode, 8), uid: b.uid, gid: b.gid };
  switch (b.type) {
    case 'absent':
      return { type: 'absent' };
    case 'link':
      return { type: 'link', target: b.target! };
    case 'directory':
      return { type: 'directory', ...owner };
    case 'file': {
      const bytes = readBackup(stateDir, f.backup!);
      if (sha256Of(bytes) !== b.sha256) throw new Error(`the backup ${f.backup} does not hold the bytes the run replaced (sha256 differs); nothing was restored`);
      return { type: 'file', content: decodeLossless(bytes), ...owner };
    }
  }
}

/**
 * Where the recorded managed path is under the root given now, with the same confinement as
 * a plan: never the host path the run saw, which may lead out of the tree since (a link
 * swapped in) or into another tree (the record of an image copied with cp -a).
 */
function hostNow(root: string, f: RecordedFile): string | ResourceError {
  const managesLink = f.before.type === 'link' || f.after.type === 'link';
  try {
    return resolveInRoot(root, f.path, !managesLink);
  } catch (e) {
    if (e instanceof ResourceError) return e;
    throw e;
  }
}

/** What the path is now, or why it cannot be read (a parent replaced by a file): a change since the run too. */
function readNow(host: string): FileSummary | string {
  try {
    return summarizeModel(readModel(host));
  } catch (e) {
    if (e instanceof ResourceError) return e.message;
    throw e;
  }
}

function changeSince(after: FileSummary, now: FileSummary): string {
  if (after.type !== now.type) return `the run left ${describe(after)}; it is now ${describe(now)}`;
  if (now.type === 'link') return `the run left a link to ${after.target}; it now points to ${now.target}`;
  return `its content is not what the run left (sha256 ${after.sha256?.slice(0, 12)}… is now ${now.sha256?.slice(0, 12)}…)`;
}

function describe(s: FileSummary): string {
  return s.type === 'absent' ? 'nothing' : s.type === 'directory' ? 'a directory' : `a ${s.type}`;
}
