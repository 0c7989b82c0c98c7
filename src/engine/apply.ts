import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeLossless, sha256Of } from './bytes';
import { runCommand, showCommand } from './exec';
import type { FileChange, Plan, ResourcePlan } from './plan';
import { takesFile, withFile } from './plan-validate';
import { readModel } from './read';
import { commandInRoot, hasNoLink } from './root';
import type { CommandResult, CommandSpec, FileModel } from './types';
import { runChecks, type CheckResult } from './verify';
import { commitTemp, DirSyncs, fsyncDir, removeStaleTemps, tempPathFor, writeFileAtomic, writeTemp } from './write';

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

export class StepFailure extends Error {
  constructor(
    message: string,
    readonly output?: string,
  ) {
    super(message);
  }
}

/**
 * Carries out exactly the plan. Phase 1: each file change at the first resource that
 * touches its path, each command at its resource. Phase 2: refreshes, once each, after
 * all writes, for resources whose notifiers really changed. A failed resource skips
 * those that require it or are notified by it; independent resources still run.
 */
export async function applyPlan(plan: Plan): Promise<ApplyResult> {
  const run = new ApplyRun(plan);
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
export async function applyAndVerify(plan: Plan): Promise<ApplyResult> {
  const result = await applyPlan(plan);
  if (result.changed === 0 || plan.verify.length === 0) return result;
  result.verify = await runChecks(plan.verify);
  if (result.verify.every((c) => c.ok)) return result;
  result.rollback = await rollBack(plan, result);
  return result;
}

async function rollBack(plan: Plan, result: ApplyResult): Promise<RollbackReport> {
  const report: RollbackReport = { restored: [], errors: [], refreshed: [], checks: [], recovered: false };
  for (const f of [...result.written].reverse()) {
    try {
      restorePath(f.host, f.current);
      report.restored.push(f.path);
    } catch (e) {
      report.errors.push(`${f.path}: ${(e as Error).message}`);
    }
  }
  for (const r of result.refreshed) {
    try {
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

class ApplyRun {
  private readonly outcomes = new Map<ResourcePlan, ResourceOutcome>();
  private readonly failedIds = new Set<string>();
  private readonly changedIds = new Set<string>();
  private readonly written: FileChange[] = [];
  private readonly refreshed: ResourcePlan[] = [];
  private readonly fileFailures = new Map<FileChange, string>();
  private readonly dirSyncs = new DirSyncs();
  private readonly firstFor: Map<ResourcePlan, FileChange>;
  private readonly notifiers: Map<string, string[]>;

  constructor(private readonly plan: Plan) {
    this.firstFor = firstResourceOfEachFile(plan);
    this.notifiers = changedNotifiers(plan);
  }

  async apply(r: ResourcePlan): Promise<void> {
    const blocker = [...r.requires, ...this.notifiersOf(r.id)].find((id) => this.failedIds.has(id));
    if (blocker) return this.record(r, { status: 'skipped', message: `skipped: '${blocker}' failed` });
    const failedFile = this.plan.files.find((f) => this.fileFailures.has(f) && f.path === r.path && f.resources.includes(r.id));
    if (failedFile) return this.record(r, { status: 'failed', message: `the write of ${failedFile.path} failed (see '${this.fileFailures.get(failedFile)}')` });
    const file = this.firstFor.get(r);
    try {
      if (file) {
        applyFileChange(file, this.dirSyncs);
        this.written.push(file);
      }
      const output = await runCommands(r.commands, this.plan.root);
      // An action resource whose only work is a refresh changes nothing until phase 2.
      const changedNow = r.path !== undefined ? r.changed : r.commands.length > 0;
      this.record(r, { status: changedNow ? 'changed' : 'unchanged', output });
    } catch (e) {
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
    if (outcome.status === 'failed' || outcome.status === 'skipped') return;
    const by = this.plan.resources.filter((n) => n.notify.includes(r.id) && this.changedIds.has(n.id)).map((n) => n.id);
    if (by.length === 0) {
      outcome.message = 'not refreshed: no notifier changed';
      return;
    }
    try {
      const output = await runCommands(r.refresh, this.plan.root);
      this.refreshed.push(r);
      this.record(r, { status: 'changed', message: `refreshed (notified by ${[...new Set(by)].join(', ')})`, output: joinOutput(outcome.output, output) });
    } catch (e) {
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

/** Refusals and file-system errors fail the resource; anything else is a bug and propagates. */
function asStepFailure(e: unknown): StepFailure {
  if (e instanceof StepFailure) return e;
  const errno = e as NodeJS.ErrnoException;
  if (errno && typeof errno.code === 'string') return new StepFailure(`${errno.code}: ${errno.message}`);
  throw e;
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
    const res = await runCommand(commandInRoot(cmd, root));
    outputs.push(res.stdout + res.stderr);
    if (res.timedOut || !(cmd.returns ?? [0]).includes(res.code ?? -1)) throw new StepFailure(`${showCommand(cmd.argv)} ${failureText(res, cmd)}`, outputs.join(''));
  }
  return commands.length > 0 ? outputs.join('') : undefined;
}

function failureText(res: CommandResult, cmd: CommandSpec): string {
  if (res.timedOut) return 'timed out';
  if (res.signal) return `was killed by ${res.signal}`;
  return cmd.returns ? `exited ${res.code} (accepted: ${cmd.returns.join(', ')})` : `exited ${res.code}`;
}

/** Makes one path what the plan says, refusing if it is no longer what the plan saw. */
export function applyFileChange(f: FileChange, dirSyncs?: DirSyncs): void {
  if (!hasNoLink(path.dirname(f.host))) {
    throw new StepFailure(`a directory on the way to ${f.path} became a symbolic link since it was planned; nothing was read or written there. Run plan again.`);
  }
  const now = readModel(f.host);
  if (!matchesPreImage(now, f)) {
    throw new StepFailure(`${f.path} changed since it was planned; nothing was written to it. Run plan again.`);
  }
  const w = f.wanted;
  switch (w.type) {
    case 'absent':
      return removePath(f.host, now);
    case 'directory':
      if (now.type !== 'directory') {
        // A type change (file kind, force: true): the old path goes first.
        removePath(f.host, now);
        fs.mkdirSync(f.host, { recursive: true, mode: w.mode ?? 0o755 });
      }
      return setAttributes(f.host, w.mode, w.uid, w.gid);
    case 'link':
      // rename() cannot replace a directory; only an empty one is removed (file kind, force: true).
      if (now.type === 'directory') removePath(f.host, now);
      return replaceWithLink(f.host, w.target);
    case 'file':
      if (now.type === 'file' && now.content === w.content) return setAttributes(f.host, w.mode, w.uid, w.gid);
      return writeValidated(f, w, now, dirSyncs);
  }
}

function matchesPreImage(now: FileModel, f: FileChange): boolean {
  if (now.type !== f.before.type) return false;
  if (now.type !== 'file') return true;
  return sha256Of(now.content) === f.before.sha256;
}

function writeValidated(f: FileChange, w: Extract<FileModel, { type: 'file' }>, now: FileModel, dirSyncs: DirSyncs | undefined): void {
  const old = now.type === 'file' ? now : undefined;
  const own = { mode: w.mode ?? old?.mode ?? 0o644, uid: w.uid ?? old?.uid, gid: w.gid ?? old?.gid };
  fs.mkdirSync(path.dirname(f.host), { recursive: true });
  const tmp = writeTemp(f.host, encodeLossless(w.content), own);
  const onCandidate = f.validate.filter(takesFile);
  const inPlace = f.validate.filter((argv) => !takesFile(argv));
  try {
    for (const argv of onCandidate) runValidator(withFile(argv, tmp), f);
    // rename() cannot replace a directory; only an empty one is removed (file kind, force: true).
    if (now.type === 'directory') removePath(f.host, now);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  commitTemp(tmp, f.host, dirSyncs);
  try {
    for (const argv of inPlace) runValidator(argv, f);
  } catch (e) {
    // The validator checked the whole tree in place: put the exact previous state back.
    restorePath(f.host, now);
    throw e;
  }
}

function runValidator(argv: string[], f: FileChange): void {
  const res = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  if (res.status === 0) return;
  const why = res.error ? `could not run: ${res.error.message}` : res.signal ? `was killed by ${res.signal}` : `exited ${res.status}`;
  throw new StepFailure(`validation refused ${f.path}: ${showCommand(argv)} ${why}; the file was not changed`, `${res.stdout ?? ''}${res.stderr ?? ''}`);
}

/** Puts a path back exactly as it was (bytes, mode, owner), atomically. */
export function restorePath(host: string, was: FileModel): void {
  let now = readModel(host);
  if (now.type !== was.type && (now.type === 'directory' || was.type === 'directory')) {
    // Undoing a type change: rename() cannot swap a directory and a file.
    removePath(host, now);
    now = { type: 'absent' };
  }
  switch (was.type) {
    case 'file':
      return writeFileAtomic(host, encodeLossless(was.content), { mode: was.mode ?? 0o644, uid: was.uid, gid: was.gid });
    case 'absent':
      return removePath(host, now);
    case 'link':
      return replaceWithLink(host, was.target);
    case 'directory':
      if (now.type === 'absent') fs.mkdirSync(host, { mode: was.mode });
      return setAttributes(host, was.mode, was.uid, was.gid);
  }
}

function setAttributes(host: string, mode: number | undefined, uid: number | undefined, gid: number | undefined): void {
  if (mode !== undefined) fs.chmodSync(host, mode);
  if (uid !== undefined || gid !== undefined) fs.chownSync(host, uid ?? -1, gid ?? -1);
}

function removePath(host: string, now: FileModel): void {
  if (now.type === 'absent') return;
  if (now.type === 'directory') fs.rmdirSync(host);
  else fs.unlinkSync(host);
  fsyncDir(path.dirname(host));
}

/** A new link is made beside the path and renamed over it, so the swap is atomic. */
function replaceWithLink(host: string, target: string): void {
  fs.mkdirSync(path.dirname(host), { recursive: true });
  const tmp = tempPathFor(host);
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, host);
  fsyncDir(path.dirname(host));
}
