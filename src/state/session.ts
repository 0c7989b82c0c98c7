import type { ApplyResult, ResourceOutcome } from '../engine/apply';
import { summarizeModel, type Plan } from '../engine/plan';
import { readModel } from '../engine/read';
import { DirSyncs } from '../engine/write';
import { redactResult } from '../report/redact';
import { backUpAll } from './backups';
import { clearPending, readPending, recordPending, runPending } from './pending';
import { asStateError } from './private-files';
import { createRecord, loadRecord, removeRun, runIdentity, runIds, saveRecord, type RecordDraft, type RecordedFile, type RunRecord, type RunResult } from './records';
import { pruneRuns } from './retention';
import { rememberWritten } from './written';

export interface StateOptions {
  stateDir: string;
  /** Runs (and their backups) kept after this one. */
  keep: number;
  /** Says that the run could not be recorded; the run itself has already happened. */
  warn(message: string): void;
}

/**
 * An apply's life in the state dir. begin(), before any write: the run's record, a
 * backup of every file the plan changes, the refreshes an interrupted run of the same
 * manifest owed (run now), and those this run will owe. finish(), after the refresh
 * phase: the outcome, the bytes written, retention.
 */
export class RunSession {
  private constructor(
    private readonly plan: Plan,
    private readonly opts: StateOptions,
    /** Published at once only when the run will change something: a no-op run is recorded when it ends. */
    private readonly started: RunRecord | RecordDraft,
    private readonly owed: ResourceOutcome[],
  ) {}

  static async begin(plan: Plan, opts: StateOptions): Promise<RunSession> {
    const { stateDir } = opts;
    try {
      const draft: RecordDraft = { ...runIdentity(), command: 'apply', result: 'running', manifest: plan.manifest, root: plan.root, resources: [], files: [], refreshed: [], drift: plan.files.filter((f) => f.cause === 'drift').length, ...(plan.facts ? { facts: plan.facts } : {}), ...(plan.commit ? { commit: plan.commit } : {}) };
      const started = plan.summary.changed > 0 ? await startRecord(stateDir, plan, draft) : draft;
      const pending = readPending(stateDir, plan.manifest);
      const owed = pending ? await runPending(pending) : [];
      if (isRecord(started)) recordPending(stateDir, plan, started.id);
      return new RunSession(plan, opts, started, owed);
    } catch (e) {
      throw asStateError(e, `cannot record the run in ${stateDir}`);
    }
  }

  /** Completes the record; `result` gains the refreshes owed by an interrupted run, which ran first. */
  finish(result: ApplyResult): void {
    const { stateDir } = this.opts;
    result.outcomes.unshift(...this.owed);
    result.changed += this.owed.filter((o) => o.status === 'changed').length;
    result.failed += this.owed.filter((o) => o.status === 'failed').length;
    try {
      clearPending(stateDir, this.plan.manifest);
      const final = this.finalRecord(result);
      const previous = inSyncPredecessor(stateDir, final);
      if (previous) final.inSync = { runs: (previous.inSync?.runs ?? 1) + 1, since: previous.inSync?.since ?? previous.startedAt };
      const record = isRecord(final) ? (saveRecord(stateDir, final), final) : createRecord(stateDir, final);
      result.runId = record.id;
      if (previous) removeRun(stateDir, previous.id);
      rememberWritten(stateDir, record.id, record.files);
      pruneRuns(stateDir, this.opts.keep);
    } catch (e) {
      this.opts.warn(`the run was made but could not be fully recorded in ${stateDir}: ${(e as Error).message}`);
    }
  }

  private finalRecord(result: ApplyResult): RunRecord | RecordDraft {
    const backups = new Map(this.started.files.map((f) => [f.host, f.backup]));
    return {
      ...this.started,
      result: runResult(result),
      endedAt: new Date().toISOString(),
      resources: redactResult(this.plan, result).outcomes.map(({ address, id, status, message }) => ({ address, id, status, message })),
      files: result.written.map((f) => recordedFile(f, summarizeModel(readModel(f.host)), backups.get(f.host))),
      refreshed: result.refreshed.map((r) => r.address),
    };
  }
}

/** The record of a run about to write, naming the backups it takes of every file the plan changes (durable before the record is). */
async function startRecord(stateDir: string, plan: Plan, draft: RecordDraft): Promise<RunRecord> {
  const record = createRecord(stateDir, draft);
  const backups = new DirSyncs();
  const names = await backUpAll(stateDir, record.id, plan.files.map((f) => ({ path: f.path, model: f.current })), backups);
  record.files = plan.files.map((f, i) => recordedFile(f, f.after, names[i]));
  backups.flush();
  if (record.files.length > 0) saveRecord(stateDir, record);
  return record;
}

function isRecord(r: RunRecord | RecordDraft): r is RunRecord {
  return 'id' in r;
}

export function recordedFile(f: Pick<RecordedFile, 'path' | 'host' | 'action' | 'cause' | 'sensitive' | 'before' | 'madeDirs'>, after: RecordedFile['after'], backup: string | undefined): RecordedFile {
  return { path: f.path, host: f.host, action: f.action, cause: f.cause, sensitive: f.sensitive, before: f.before, after, backup, madeDirs: f.madeDirs };
}

function runResult(result: ApplyResult): RunResult {
  if (result.rollback) return 'rolled-back';
  if (result.failed > 0) return 'failed';
  return result.changed > 0 ? 'changed' : 'unchanged';
}

/**
 * Consecutive unchanged runs of one manifest share one record (the newest, counting
 * them), so a cron job that finds nothing to do never pushes real changes, and their
 * backups, out of retention. Returns the record this one replaces.
 */
function inSyncPredecessor(stateDir: string, record: RunRecord | RecordDraft): RunRecord | undefined {
  if (record.result !== 'unchanged') return undefined;
  const previousId = runIds(stateDir)
    .filter((id) => !isRecord(record) || id !== record.id)
    .at(-1);
  const previous = previousId === undefined ? undefined : loadRecord(stateDir, previousId);
  const same = previous?.result === 'unchanged' && previous.command === 'apply' && previous.manifest === record.manifest && previous.root === record.root;
  return same ? previous : undefined;
}
