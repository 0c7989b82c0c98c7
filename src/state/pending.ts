import * as fs from 'node:fs';
import { runCommands, StepFailure, type ResourceOutcome } from '../engine/apply';
import type { Plan } from '../engine/plan';
import type { CommandSpec } from '../engine/types';
import { pendingFile } from './layout';
import { readJsonFile, writePrivateJson } from './private-files';

const PENDING_FORMAT_VERSION = 1;

interface PendingRefresh {
  id: string;
  address: string;
  sensitive: boolean;
  commands: CommandSpec[];
}

/**
 * The refreshes a run of one manifest owes: written before its first file write,
 * removed once its refresh phase is done. A run that dies in between leaves them here
 * for the next run of the manifest (Ansible loses its handlers there, ansible#10498).
 */
export interface PendingRefreshes {
  formatVersion: number;
  manifest: string;
  root: string;
  run: string;
  refreshes: PendingRefresh[];
}

export function readPending(stateDir: string, manifest: string): PendingRefreshes | undefined {
  return readJsonFile<PendingRefreshes>(pendingFile(stateDir, manifest));
}

/** Records the refreshes the plan may run (those notified by a planned change), or clears the file when there are none. */
export function recordPending(stateDir: string, plan: Plan, runId: string): void {
  const refreshes = plan.resources.filter((r) => r.refresh.length > 0).map((r) => ({ id: r.id, address: r.address, sensitive: r.sensitive, commands: r.refresh }));
  if (refreshes.length === 0) return clearPending(stateDir, plan.manifest);
  const pending: PendingRefreshes = { formatVersion: PENDING_FORMAT_VERSION, manifest: plan.manifest, root: plan.root, run: runId, refreshes };
  writePrivateJson(pendingFile(stateDir, plan.manifest), pending);
}

export function clearPending(stateDir: string, manifest: string): void {
  fs.rmSync(pendingFile(stateDir, manifest), { force: true });
}

/** Runs what an interrupted run owed, in its order; a failure fails that refresh only. */
export async function runPending(pending: PendingRefreshes): Promise<ResourceOutcome[]> {
  const outcomes: ResourceOutcome[] = [];
  const owed = `owed by run ${pending.run}, which stopped before its refresh phase`;
  for (const r of pending.refreshes) {
    try {
      const output = await runCommands(r.commands, pending.root);
      outcomes.push({ address: r.address, id: r.id, status: 'changed', message: `refreshed (${owed})`, output: r.sensitive ? undefined : output });
    } catch (e) {
      if (!(e instanceof StepFailure)) throw e;
      outcomes.push({ address: r.address, id: r.id, status: 'failed', message: r.sensitive ? `refresh failed (${owed})` : `refresh failed (${owed}): ${e.message}`, output: r.sensitive ? undefined : e.output });
    }
  }
  return outcomes;
}
