import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeLossless } from './bytes';
import { runCommand, showCommand } from './exec';
import type { FileChange, Plan, ResourcePlan } from './plan';
import { readModel } from './read';
import { resolveInRoot } from './root';
import type { CommandResult, CommandSpec, FileModel } from './types';
import { commitTemp, fsyncDir, removeStaleTemps, tempPathFor, writeFileAtomic, writeTemp } from './write';

export type OutcomeStatus = 'unchanged' | 'changed' | 'failed' | 'skipped';

export interface ResourceOutcome {
  address: string;
  id: string;
  status: OutcomeStatus;
  message?: string;
  /** Output of the commands it ran (exec) or of a refused validator. */
  output?: string;
}

export interface ApplyResult {
  outcomes: ResourceOutcome[];
  failed: number;
  changed: number;
}

class StepFailure extends Error {
  constructor(
    message: string,
    readonly output?: string,
  ) {
    super(message);
  }
}

/**
 * Carries out exactly the plan: each file change at the first resource that touches its
 * path, each command at its resource. A failed resource skips those that require it
 * or are notified by it; independent resources still run.
 */
export async function applyPlan(plan: Plan): Promise<ApplyResult> {
  const firstFor = firstResourceOfEachFile(plan);
  const failed = new Set<string>();
  const outcomes: ResourceOutcome[] = [];
  const fileOutcome = new Map<FileChange, ResourceOutcome>();
  for (const dir of new Set(plan.files.map((f) => path.dirname(f.host)))) removeStaleTemps(dir);

  for (const r of plan.resources) {
    const blocker = [...r.requires, ...notifiersOf(plan, r.id)].find((id) => failed.has(id));
    if (blocker) {
      outcomes.push({ address: r.address, id: r.id, status: 'skipped', message: `skipped: '${blocker}' failed` });
      failed.add(r.id);
      continue;
    }
    const outcome = await applyResource(plan, r, firstFor.get(r), fileOutcome);
    if (outcome.status === 'failed') failed.add(r.id);
    outcomes.push(outcome);
  }
  return { outcomes, failed: outcomes.filter((o) => o.status === 'failed' || o.status === 'skipped').length, changed: outcomes.filter((o) => o.status === 'changed').length };
}

async function applyResource(plan: Plan, r: ResourcePlan, file: FileChange | undefined, fileOutcome: Map<FileChange, ResourceOutcome>): Promise<ResourceOutcome> {
  const base = { address: r.address, id: r.id };
  const shared = plan.files.find((f) => f.path === r.path && f.resources.includes(r.id) && fileOutcome.get(f)?.status === 'failed');
  if (shared) return { ...base, status: 'failed', message: `the write of ${shared.path} failed (see '${fileOutcome.get(shared)!.id}')` };
  try {
    if (file) applyFileChange(file);
    const output = await runCommands(r.commands, plan.root);
    const outcome: ResourceOutcome = { ...base, status: r.changed ? 'changed' : 'unchanged', output };
    if (file) fileOutcome.set(file, outcome);
    return outcome;
  } catch (e) {
    const failure = asStepFailure(e);
    const outcome: ResourceOutcome = { ...base, status: 'failed', message: failure.message, output: failure.output };
    if (file) fileOutcome.set(file, outcome);
    return outcome;
  }
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

function notifiersOf(plan: Plan, id: string): string[] {
  return plan.resources.filter((r) => r.changed && r.notify.includes(id)).map((r) => r.id);
}

async function runCommands(commands: CommandSpec[], root: string): Promise<string | undefined> {
  const outputs: string[] = [];
  for (const cmd of commands) {
    const res = await runCommand({ ...cmd, cwd: cmd.cwd === undefined ? undefined : resolveInRoot(root, cmd.cwd) });
    outputs.push(commandOutput(res));
    if (res.code !== 0) throw new StepFailure(`${showCommand(cmd.argv)} ${failureText(res)}`, outputs.join(''));
  }
  return commands.length > 0 ? outputs.join('') : undefined;
}

function commandOutput(res: CommandResult): string {
  return res.stdout + res.stderr;
}

function failureText(res: CommandResult): string {
  if (res.timedOut) return 'timed out';
  return res.signal ? `was killed by ${res.signal}` : `exited ${res.code}`;
}

/** Makes one path what the plan says, refusing if it is no longer what the plan saw. */
export function applyFileChange(f: FileChange): void {
  const now = readModel(f.host);
  if (!matchesSummary(now, f)) {
    throw new StepFailure(`${f.path} changed since it was planned; nothing was written to it. Run plan again.`);
  }
  const w = f.wanted;
  switch (w.type) {
    case 'absent':
      return removePath(f.host, now);
    case 'directory':
      if (now.type === 'absent') fs.mkdirSync(f.host, { recursive: true, mode: w.mode ?? 0o755 });
      return setAttributes(f.host, w.mode, w.uid, w.gid);
    case 'link':
      return replaceWithLink(f.host, w.target);
    case 'file':
      if (now.type === 'file' && now.content === w.content) return setAttributes(f.host, w.mode, w.uid, w.gid);
      return writeValidated(f, w, now);
  }
}

function matchesSummary(now: FileModel, f: FileChange): boolean {
  if (now.type !== f.before.type) return false;
  if (now.type !== 'file') return true;
  return createHash('sha256').update(encodeLossless(now.content)).digest('hex') === f.before.sha256;
}

function writeValidated(f: FileChange, w: Extract<FileModel, { type: 'file' }>, now: FileModel): void {
  const old = now.type === 'file' ? now : undefined;
  const own = { mode: w.mode ?? old?.mode ?? 0o644, uid: w.uid ?? old?.uid, gid: w.gid ?? old?.gid };
  fs.mkdirSync(path.dirname(f.host), { recursive: true });
  const tmp = writeTemp(f.host, encodeLossless(w.content), own);
  const onCandidate = f.validate.filter((argv) => argv.some((a) => a.includes('%s')));
  const inPlace = f.validate.filter((argv) => !argv.some((a) => a.includes('%s')));
  try {
    for (const argv of onCandidate) runValidator(argv.map((a) => a.replace(/%s/g, tmp)), f);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  commitTemp(tmp, f.host);
  try {
    for (const argv of inPlace) runValidator(argv, f);
  } catch (e) {
    // The validator checks the whole tree in place: put the exact previous bytes back.
    if (old) writeFileAtomic(f.host, encodeLossless(old.content), { mode: old.mode ?? 0o644, uid: old.uid, gid: old.gid });
    else removePath(f.host, { type: 'file', content: '' });
    throw e;
  }
}

function runValidator(argv: string[], f: FileChange): void {
  const res = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  if (res.status === 0) return;
  const why = res.error ? `could not run: ${res.error.message}` : res.signal ? `was killed by ${res.signal}` : `exited ${res.status}`;
  throw new StepFailure(`validation refused ${f.path}: ${showCommand(argv)} ${why}; the file was not changed`, `${res.stdout ?? ''}${res.stderr ?? ''}`);
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
  const tmp = tempPathFor(host);
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, host);
  fsyncDir(path.dirname(host));
}
