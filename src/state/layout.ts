import { createHash } from 'node:crypto';
import * as path from 'node:path';

/**
 * The state dir:
 *   runs/<run-id>.json          one record per apply or rollback
 *   backups/<run-id>/<path>     the previous bytes of each file that run changed
 *   pending/<manifest>.json     refreshes a run owes until its refresh phase is done
 *   written.json                per file, the bytes remedy last wrote (drift detection)
 */
export function runsDir(stateDir: string): string {
  return path.join(stateDir, 'runs');
}

export function recordFile(stateDir: string, runId: string): string {
  return path.join(runsDir(stateDir), `${runId}.json`);
}

export function backupsRoot(stateDir: string): string {
  return path.join(stateDir, 'backups');
}

/** Relative to the state dir, as the run record names it. */
export function backupName(runId: string, managedPath: string): string {
  return path.join('backups', runId, managedPath);
}

export function pendingFile(stateDir: string, manifest: string): string {
  const key = createHash('sha256').update(manifest).digest('hex').slice(0, 16);
  return path.join(stateDir, 'pending', `${key}.json`);
}

export function writtenIndexFile(stateDir: string): string {
  return path.join(stateDir, 'written.json');
}
