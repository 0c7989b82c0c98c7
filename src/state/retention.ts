import { removeStaleTemps } from '../engine/write';
import * as path from 'node:path';
import { pendingFile, runsDir } from './layout';
import { removeRun, runIds } from './records';

export const DEFAULT_KEEP = 50;

/** Keeps the newest `keep` runs and their backups; returns the ids removed. */
export function pruneRuns(stateDir: string, keep: number): string[] {
  const ids = runIds(stateDir);
  const dropped = ids.slice(0, Math.max(0, ids.length - keep));
  for (const id of dropped) removeRun(stateDir, id);
  // Temp files of a killed run's atomic writes: its record, written.json, pending refreshes.
  for (const dir of [runsDir(stateDir), stateDir, path.dirname(pendingFile(stateDir, ''))]) removeStaleTemps(dir);
  return dropped;
}
