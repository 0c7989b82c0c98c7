import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeExit, runCommand, showCommand } from './exec';
import { ResourceError } from './diagnostics';
import { applyFileChange, removeMadeDirs, restorePath } from './file-change';
import { LockLostError } from './lock';
import type { FileChange, Plan, ResourcePlan } from './plan';
import { commandInRoot, hasNoLink } from './root';
import { asStepFailure, StepFailure } from './step-failure';
import type { CommandResult, CommandSpec } from './types';
import { runChecks, type CheckResult } from './verify';
import { DirSyncs, removeStaleTemps } from './write';

export { StepFailure };

export type OutcomeStatus = 'unchanged' | 'changed' | 'failed' | 'skipped';

export interface ResourceOutcome {
  address: string;
  id: string;
  status: OutcomeStatus;
  message?: string;
  /** Output of the commands it ran (exec, service) or of a refused validator. */
  output?: string;
}

export interface ApplyResult {
  outcomes: ResourceOutcome[];
  failed: number;
  /** Resources not run because one they require or that notifies them failed. */
  skipped: number;
  changed: number;
  /** Files written in this run, in order (what a rollback restores). */
  written: FileChange[];
  /** Resources whose refresh (reload, refresh_only exec) ran. */
  refreshed: ResourcePlan[];
  /** Results of the manifest's verify checks, when they ran. */
  verify?: CheckResult[];
  rollback?: RollbackReport;
  /** The run's id in the state dir (`remedy history`, `remedy rollback ID`), once recorded. */
  runId?: string;
}

/** What an automatic rollback did after a failed verify, and whether the checks pass again. */
export interface RollbackReport {
  restored: string[];
  errors: string[];
  refreshed: string[];
  checks: CheckResult[];
  recovered: boolean;
}

/**
 * Carries out exactly the plan. Phase 1: each file change at the first resource that
 * touches its path, each command at its resource. Phase 2: refreshes, once each, after
 * all writes, for resources whose notifiers really changed. A failed resource skips
 * those that require it or are notified by it; independent resources still run.
 */
export async function applyPlan(plan: Plan, guard: WriteGuard = UNGUARDED): Promise<ApplyResult> {
  const run = new ApplyRun(plan, guard);
  for (const dir of new Set(plan.files.map((f) => path.dirname(f.host)))) if (hasNoLink(dir)) removeStaleTemps(dir);
  for (const r of plan.resources) await run.apply(r);
  run.writesDone();
  for (const r of plan.resources) if (r.refresh.length > 0) await run.refresh(r);
  return run.result();
}

/**
 * apply, then the manifest's verify checks if anything changed. When a check fails,
 * every file written is restored to its exact pre-image (newest first), the same
 * refreshes run again so the old state is live, and the checks run once more.
 */
export async function applyAndVerify(plan: Plan, guard: WriteGuard = UNGUARDED): Promise<ApplyResult> {
  const result = await applyPlan(plan, guard);
  if (result.changed === 0 || plan.verify.length === 0) return result;
  result.verify = await runChecks(plan.verify);
  if (result.verify.every((c) => c.ok)) return result;
  result.rollback = await rollBack(plan, result, guard);
  return result;
}

/**
 * Undoes this run's writes inside the root as it is now (a link swapped in during the
 * settle time leads nowhere), each only while it is still what this run wrote: a file
 * edited since is left as it is, and reported, with the pre-image kept in the run's backup.
 */
async function rollBack(plan: Plan, result: ApplyResult, guard: WriteGuard): Promise<RollbackReport> {
  const report: RollbackReport = { restored: [], errors: [], refreshed: [], checks: [], recovered: false };
  const rootReal = fs.realpathSync(plan.root);
  for (const f of [...result.written].reverse()) {
    try {
      guard.assertHeld();
      restorePath(rootReal, f.host, f.current, f.after);
      removeMadeDirs(rootReal, f.madeDirs);
      report.restored.push(f.path);
    } catch (e) {
      report.errors.push(`${f.path}: ${(e as Error).message}`);
    }
  }
  for (const r of result.refreshed) {
    try {
      guard.assertHeld();
      await runCommands(r.refresh, plan.root);
      report.refreshed.push(r.address);
    } catch (e) {
      report.errors.push(`${r.address}: ${(e as Error).message}`);
    }
  }
  report.checks = await runChecks(plan.verify);
  report.recovered = report.errors.length === 0 && report.checks.every((c) => c.ok);
  return report;
}

/** Says whether this run may still write: the run lock is still its own. */
export interface WriteGuard {
  assertHeld(): void;
}

const UNGUARDED: WriteGuard = { assertHeld: () => undefined };

class ApplyRun {
  private readonly rootReal: string;
  /** Why the run stopped writing (its lock was lost): every later step is skipped. */
  private stopped?: string;
  private readonly outcomes = new Map<ResourcePlan, ResourceOutcome>();
  private readonly failedIds = new Set<string>();
  private readonly changedIds = new Set<string>();
  private readonly written: FileChange[] = [];
  private readonly refreshed: ResourcePlan[] = [];
  private readonly fileFailures = new Map<FileChange, string>();
  private readonly dirSyncs = new DirSyncs();
  private readonly firstFor: Map<ResourcePlan, FileChange>;
  private readonly notifiers: Map<string, string[]>;

  constructor(
    private readonly plan: Plan,
    private readonly guard: WriteGuard,
  ) {
    this.rootReal = fs.realpathSync(plan.root);
    this.firstFor = firstResourceOfEachFile(plan);
    this.notifiers = changedNotifiers(plan);
  }

  async apply(r: ResourcePlan): Promise<void> {
    if (this.stopped) return this.record(r, { status: 'skipped', message: `skipped: ${this.stopped}` });
    const blocker = [...r.requires, ...this.notifiersOf(r.id)].find((id) => this.failedIds.has(id));
    if (blocker) return this.record(r, { status: 'skipped', message: `skipped: '${blocker}' failed` });
    const failedFile = this.plan.files.find((f) => this.fileFailures.has(f) && f.path === r.path && f.resources.includes(r.id));
    if (failedFile) return this.record(r, { status: 'failed', message: `the write of ${failedFile.path} failed (see '${this.fileFailures.get(failedFile)}')` });
    const file = this.firstFor.get(r);
    try {
      this.guard.assertHeld();
      if (file) {
        await applyFileChange(file, this.rootReal, this.dirSyncs);
        this.written.push(file);
      }
      if (r.commands.length > 0) this.guard.assertHeld();
      const output = await runCommands(r.commands, this.plan.root);
      // An action resource whose only work is a refresh changes nothing until phase 2.
      const changedNow = r.path !== undefined ? r.changed : r.commands.length > 0;
      this.record(r, { status: changedNow ? 'changed' : 'unchanged', output });
    } catch (e) {
      if (e instanceof LockLostError) this.stopped = e.message;
      const failure = asStepFailure(e);
      if (file) this.fileFailures.set(file, r.id);
      this.record(r, { status: 'failed', message: failure.message, output: failure.output });
    }
  }

  /** Makes the renames of phase 1 durable, before any service reads the new files. */
  writesDone(): void {
    this.dirSyncs.flush();
  }

  /** Runs a planned refresh only if one of its notifiers really changed in this run. */
  async refresh(r: ResourcePlan): Promise<void> {
    const outcome = this.outcomes.get(r)!;
    if (outcome.status === 'failed' || outcome.status === 'skipped' || this.stopped) return;
    const by = this.plan.resources.filter((n) => n.notify.includes(r.id) && this.changedIds.has(n.id)).map((n) => n.id);
    if (by.length === 0) {
      outcome.message = 'not refreshed: no notifier changed';
      return;
    }
    try {
      this.guard.assertHeld();
      const output = await runCommands(r.refresh, this.plan.root);
      this.refreshed.push(r);
      this.record(r, { status: 'changed', message: `refreshed (notified by ${[...new Set(by)].join(', ')})`, output: joinOutput(outcome.output, output) });
    } catch (e) {
      if (e instanceof LockLostError) this.stopped = e.message;
      const failure = asStepFailure(e);
      this.record(r, { status: 'failed', message: `refresh failed: ${failure.message}`, output: joinOutput(outcome.output, failure.output) });
    }
  }

  result(): ApplyResult {
    const outcomes = [...this.outcomes.values()];
    const count = (...s: OutcomeStatus[]) => outcomes.filter((o) => s.includes(o.status)).length;
    return { outcomes, failed: count('failed'), skipped: count('skipped'), changed: count('changed'), written: this.written, refreshed: this.refreshed };
  }

  private record(r: ResourcePlan, o: Omit<ResourceOutcome, 'address' | 'id'>): void {
    this.outcomes.set(r, { address: r.address, id: r.id, ...o });
    if (o.status === 'failed' || o.status === 'skipped') this.failedIds.add(r.id);
    if (o.status === 'changed') this.changedIds.add(r.id);
  }

  private notifiersOf(id: string): string[] {
    return this.notifiers.get(id) ?? [];
  }
}

/** id -> the changed resources that notify it, in plan order (computed once: a lookup per resource keeps big plans linear). */
function changedNotifiers(plan: Plan): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of plan.resources) {
    if (!n.changed) continue;
    for (const id of n.notify) {
      if (out.has(id)) out.get(id)!.push(n.id);
      else out.set(id, [n.id]);
    }
  }
  return out;
}

function joinOutput(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined ? b : b === undefined ? a : a + b;
}

function firstResourceOfEachFile(plan: Plan): Map<ResourcePlan, FileChange> {
  const out = new Map<ResourcePlan, FileChange>();
  for (const f of plan.files) {
    const first = plan.resources.find((r) => r.path === f.path && f.resources.includes(r.id));
    if (first) out.set(first, f);
  }
  return out;
}

export async function runCommands(commands: CommandSpec[], root: string): Promise<string | undefined> {
  const outputs: string[] = [];
  for (const cmd of commands) {
    const res = await runCommand(inRootNow(cmd, root));
    outputs.push(res.stdout + res.stderr);
    if (res.timedOut || !(cmd.returns ?? [0]).includes(res.code ?? -1)) throw new StepFailure(`${showCommand(cmd.argv)} ${failureText(res, cmd)}`, outputs.join(''));
  }
  return commands.length > 0 ? outputs.join('') : undefined;
}

/** The cwd resolved again at run time: a link swapped in since the plan fails the step, it is not a crash. */
function inRootNow(cmd: CommandSpec, root: string): CommandSpec {
  try {
    return commandInRoot(cmd, root);
  } catch (e) {
    if (e instanceof ResourceError) throw new StepFailure(e.message);
    throw e;
  }
}

function failureText(res: CommandResult, cmd: CommandSpec): string {
  const why = describeExit(res);
  return cmd.returns && why.startsWith('exited') ? `${why} (accepted: ${cmd.returns.join(', ')})` : why;
}
