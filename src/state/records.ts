import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OutcomeStatus } from '../engine/apply';
import type { FileAction, FileSummary } from '../engine/plan';
import type { ChangeCause } from './drift';
import { backupsRoot, recordFile, runsDir } from './layout';
import { listDir, publishPrivateJson, readJsonFile, writePrivateJson } from './private-files';

const RUN_FORMAT_VERSION = 1;

/** `running` until the run ends; a run killed midway keeps it (history shows it as interrupted). */
export type RunResult = 'running' | 'unchanged' | 'changed' | 'failed' | 'rolled-back';

/** One path a run changed. Never its content: only hashes, and the backup's place. */
export interface RecordedFile {
  path: string;
  host: string;
  action: FileAction | 'restore';
  cause?: ChangeCause;
  sensitive: boolean;
  before: FileSummary;
  after: FileSummary;
  /** The previous bytes, relative to the state dir (regular files only). */
  backup?: string;
  /** Directories the run created for this file (create_parents), deepest first: a rollback removes them. */
  madeDirs?: string[];
}

export interface RecordedOutcome {
  address: string;
  id: string;
  status: OutcomeStatus;
  message?: string;
}

export interface RunRecord {
  formatVersion: number;
  id: string;
  command: 'apply' | 'rollback';
  result: RunResult;
  manifest: string;
  root: string;
  user: string;
  host: string;
  pid: number;
  startedAt: string;
  endedAt?: string;
  /** The run a rollback undid. */
  rollbackOf?: string;
  /** Consecutive unchanged runs of one manifest share one record: how many, since when. */
  inSync?: { runs: number; since: string };
  resources: RecordedOutcome[];
  files: RecordedFile[];
  /** Resources whose refresh ran (addresses). */
  refreshed: string[];
  /** Planned changes classified `drift`. */
  drift: number;
  /** The facts the run planned with. */
  facts?: Record<string, unknown>;
  /** The git commit of the manifest (remedy pull). */
  commit?: string;
}

export type RecordDraft = Omit<RunRecord, 'formatVersion' | 'id'>;

/** `20261125T133501.123Z-3fa2`: sorts by start time; the random part keeps runs of the same millisecond apart. */
const RUN_ID = /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{4}$/;

function isRunId(text: string): boolean {
  return RUN_ID.test(text);
}

function newRunId(start: Date): string {
  return `${start.toISOString().replace(/[-:]/g, '')}-${randomBytes(2).toString('hex')}`;
}

/**
 * Publishes the record of a run under a fresh id, which no other run can take. The record
 * of a run that changed nothing is not fsynced: a power loss may lose it and nothing else,
 * and a converged cron run then makes no fsync at all.
 */
export function createRecord(stateDir: string, draft: RecordDraft): RunRecord {
  for (;;) {
    const record: RunRecord = { formatVersion: RUN_FORMAT_VERSION, id: newRunId(new Date(draft.startedAt)), ...draft };
    if (publishPrivateJson(recordFile(stateDir, record.id), record, draft.result !== 'unchanged')) return record;
  }
}

export function saveRecord(stateDir: string, record: RunRecord): void {
  writePrivateJson(recordFile(stateDir, record.id), record);
}

/** Every recorded run id, oldest first. */
export function runIds(stateDir: string): string[] {
  return listDir(runsDir(stateDir))
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .filter(isRunId)
    .sort();
}

export function loadRecord(stateDir: string, runId: string): RunRecord | undefined {
  return isRunId(runId) ? readJsonFile<RunRecord>(recordFile(stateDir, runId)) : undefined;
}

/**
 * Every readable record, oldest first. A record that does not load (cut short by a full
 * disk, edited by hand) goes to `onUnreadable` when given, so one bad file does not hide
 * the others; without it, it throws.
 */
export function loadRecords(stateDir: string, onUnreadable?: (runId: string, why: string) => void): RunRecord[] {
  return runIds(stateDir).flatMap((id) => {
    try {
      return checkedRecord(loadRecord(stateDir, id), id) ?? [];
    } catch (e) {
      if (!onUnreadable) throw e;
      onUnreadable(id, (e as Error).message);
      return [];
    }
  });
}

/** Valid JSON is not yet a record: the fields every reader relies on must be there. */
function checkedRecord(record: RunRecord | undefined, runId: string): RunRecord | undefined {
  if (record === undefined) return undefined;
  const ok = typeof record === 'object' && record !== null && record.id === runId && Array.isArray(record.resources) && Array.isArray(record.files);
  if (!ok) throw new Error(`the record of run ${runId} is not a run record (was it edited by hand?)`);
  return record;
}

/** The record first, so that no record ever names a backup that is gone. */
export function removeRun(stateDir: string, runId: string): void {
  fs.rmSync(recordFile(stateDir, runId), { force: true });
  fs.rmSync(path.join(backupsRoot(stateDir), runId), { recursive: true, force: true });
}

export function runIdentity(): Pick<RunRecord, 'user' | 'host' | 'pid' | 'startedAt'> {
  return { user: userName(), host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString() };
}

/** The login name; a bare uid where the user has no passwd entry (containers). */
function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
