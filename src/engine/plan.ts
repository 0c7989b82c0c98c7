import { ResourceError, withoutSecrets, type Diagnostic, type SourcePos } from './diagnostics';
import { encodeLossless, formatMode, isBinary, sha256Of } from './bytes';
import { unifiedPatch } from './diff';
import { WantedPaths } from './fold';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveInRoot } from './root';
import type { ActionKind, ActionVerb, CommandSpec, FileModel, MachineLookup, PathKind, ResolvedResource, TransformContext } from './types';
import type { SystemState } from './read';
import type { ValidationNote } from './plan-validate';
import type { VerifyCheck } from './verify';
import { kindOf } from '../resources';
import { changeCause, type ChangeCause } from '../state/drift';

export const PLAN_FORMAT_VERSION = 1;

export type ResourceAction = 'none' | 'create' | 'update' | 'delete' | Exclude<ActionVerb, 'none'>;

/** What one resource (one path instance) will do, and why. */
export interface ResourcePlan {
  id: string;
  kind: string;
  address: string;
  path?: string;
  action: ResourceAction;
  changed: boolean;
  reason: string;
  sensitive: boolean;
  requires: string[];
  notify: string[];
  commands: CommandSpec[];
  /** Run after all file writes, only if a notifier really changed. */
  refresh: CommandSpec[];
  source: SourcePos;
}

export type FileAction = 'create' | 'update' | 'delete' | 'attributes' | 'mkdir' | 'link';

export interface FileSummary {
  type: FileModel['type'];
  sha256?: string;
  size?: number;
  mode?: string;
  uid?: number;
  gid?: number;
  target?: string;
}

/** One path's folded change: all resources that touch it, one diff, one write. */
export interface FileChange {
  path: string;
  host: string;
  action: FileAction;
  before: FileSummary;
  after: FileSummary;
  /** Unified diff of the content ('' when only attributes change). */
  diff: string;
  resources: string[];
  validate: string[][];
  /** What the validators said of the candidate at plan time (absent with --no-validate or no validator). */
  validation?: ValidationNote[];
  sensitive: boolean;
  /** Why it changes: drift (edited since remedy wrote it), manifest (the manifest wants something new) or new (remedy never wrote it). */
  cause: ChangeCause;
  /** The state the plan saw (the pre-image a rollback restores). */
  current: FileModel;
  /** The wanted state; apply writes exactly this. */
  wanted: FileModel;
  /** Directories apply creates for it (create_parents), deepest first, as managed paths: a rollback removes them again. */
  madeDirs?: string[];
}

export interface PlanSummary {
  resources: number;
  changed: number;
  unchanged: number;
  files: number;
  commands: number;
}

/** A resource instance its `when:` left out (or a loop over an empty list): shown, never applied. */
export interface SkippedPlan {
  id: string;
  kind: string;
  address: string;
  path?: string;
  action: 'skip';
  reason: string;
  source: SourcePos;
}

/** The plan is a value: every report and `apply` consume it. */
export interface Plan {
  formatVersion: number;
  manifest: string;
  root: string;
  resources: ResourcePlan[];
  /** Present when some resource was skipped. */
  skipped?: SkippedPlan[];
  /** The facts the manifest was planned with (kept in the run record). */
  facts?: Record<string, unknown>;
  /** The git commit of the manifest (remedy pull), kept in the run record. */
  commit?: string;
  files: FileChange[];
  /** Checks run after the changes; a failure rolls the run back. */
  verify: VerifyCheck[];
  summary: PlanSummary;
}

/**
 * Pure: folds every resource over the state read from the machine. Text edits of one
 * path are folded in order, each proven idempotent (applied to its own output it must
 * change nothing). Returns diagnostics instead of a plan when any resource cannot work.
 */
export function planChanges(
  manifest: string,
  root: string,
  resources: ResolvedResource[],
  state: SystemState,
  lookup: MachineLookup,
  verify: VerifyCheck[] = [],
): { plan?: Plan; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const wanted = new WantedPaths((host) => state.files.get(host)!.model);
  const touchedBy = new Map<string, ResolvedResource[]>();
  const notified = new Set<string>();
  const planned: ResourcePlan[] = [];

  resources.forEach((r, index) => {
    const fail = (e: unknown) => diagnostics.push(resourceDiagnostic(r, e, sensitiveSpecsOn(index, resources, state)));
    const kind = kindOf(r.type)!;
    const ctx = contextFor(r, lookup);
    try {
      const step =
        kind.scope === 'path'
          ? planPathResource(kind, r, state.hostOf.get(index)!, wanted, touchedBy, ctx)
          : planActionResource(kind, r, state.probes.get(index), notified.has(r.id));
      if (step.changed) r.notify.forEach((n) => notified.add(n));
      planned.push(step);
    } catch (e) {
      fail(e);
    }
  });
  if (diagnostics.length > 0) return { diagnostics };
  checkWholeFold(touchedBy, wanted, state, lookup, diagnostics);
  const files = wanted.models().flatMap(([host, model]) => fileChange(host, model, state, touchedBy.get(host)!));
  checkDirectories(root, resources, planned, files, state, touchedBy, diagnostics);
  if (diagnostics.length > 0) return { diagnostics };
  return { plan: { formatVersion: PLAN_FORMAT_VERSION, manifest, root, resources: planned, files, verify, summary: summarize(planned, files) }, diagnostics };
}

function planPathResource(kind: PathKind, r: ResolvedResource, host: string, wanted: WantedPaths, touchedBy: Map<string, ResolvedResource[]>, ctx: TransformContext): ResourcePlan {
  const step = wanted.fold(kind, r.spec, host, ctx);
  // Appended in place: copying the list for each of 10,000 edits to one file would be quadratic.
  if (touchedBy.has(host)) touchedBy.get(host)!.push(r);
  else touchedBy.set(host, [r]);
  return resourcePlan(r, step.action, step.action !== 'none', step.reason, [], []);
}

function planActionResource(kind: ActionKind, r: ResolvedResource, probe: unknown, notified: boolean): ResourcePlan {
  const p = kind.plan(r.spec, probe, notified);
  return resourcePlan(r, p.action, p.action !== 'none', p.reason, p.commands, p.refresh ?? []);
}

function resourcePlan(r: ResolvedResource, action: ResourceAction, changed: boolean, reason: string, commands: CommandSpec[], refresh: CommandSpec[]): ResourcePlan {
  return {
    id: r.id,
    kind: r.type,
    address: r.path === undefined ? `${r.type}.${r.id}` : `${r.type}.${r.id}[${r.path}]`,
    path: r.path,
    action,
    changed,
    reason,
    sensitive: r.sensitive,
    requires: r.requires,
    notify: r.notify,
    commands,
    refresh,
    source: r.source,
  };
}

function contextFor(r: ResolvedResource, lookup: MachineLookup): TransformContext {
  return { ...lookup, readSource: (rel) => lookup.readSource(path.resolve(r.manifestDir, rel)) };
}

/** The fold of all edits to a path, run once more on its result, must change nothing. */
function checkWholeFold(
  touchedBy: Map<string, ResolvedResource[]>,
  wanted: WantedPaths,
  state: SystemState,
  lookup: MachineLookup,
  diagnostics: Diagnostic[],
): void {
  for (const [host, rs] of touchedBy) {
    const problem = refoldProblem(wanted, host, rs, lookup);
    if (problem) {
      diagnostics.push({
        severity: 'error',
        summary: `resources ${rs.map((r) => `'${r.id}'`).join(', ')} fight over ${state.files.get(host)!.path}: run again, ${problem}, so it would never converge`,
        hint: 'make the resources agree (one of them undoes what another does)',
        resourceId: rs[0].id,
        source: rs[0].source,
      });
    }
  }
}

/**
 * Why the next run would not find every resource in sync on the fold's result (each one
 * must leave it as it is, or two that undo each other report a change forever); undefined when it would.
 */
function refoldProblem(wanted: WantedPaths, host: string, rs: ResolvedResource[], lookup: MachineLookup): string | undefined {
  for (const r of rs.slice(0, wanted.stepsToRecheck(host))) {
    try {
      if (!wanted.inSync(kindOf(r.type) as PathKind, r.spec, host, contextFor(r, lookup))) return `'${r.id}' would change the file again`;
    } catch (e) {
      // A later edit changed the file so that an earlier one refuses it: the next run would fail.
      if (e instanceof ResourceError) return `'${r.id}' would refuse the combined result (${withoutSecrets(e.message, rs.filter((x) => x.sensitive).map((x) => x.spec))})`;
      throw e;
    }
  }
  return undefined;
}

/**
 * In apply order (each file is written at the first resource that touches it): a path can
 * only be created where its directory exists or an earlier step makes it (ensure:
 * directory, create_parents), and a command's cwd must be a directory inside the root by
 * the time it runs (refreshes run after every write).
 */
function checkDirectories(root: string, resources: ResolvedResource[], planned: ResourcePlan[], files: FileChange[], state: SystemState, touchedBy: Map<string, ResolvedResource[]>, diagnostics: Diagnostic[]): void {
  const firstWrite = new Map(files.map((f) => [f.host, f]));
  const rootReal = fs.realpathSync(root);
  const made = new Set<string>();
  const refreshCwds: [ResolvedResource, string][] = [];
  resources.forEach((r, index) => {
    const host = state.hostOf.get(index);
    const f = host === undefined ? undefined : firstWrite.get(host);
    if (f) {
      firstWrite.delete(f.host);
      checkParent(rootReal, f, state, touchedBy.get(f.host)!, made, diagnostics);
    }
    const cwd = r.spec.cwd;
    if (host !== undefined || typeof cwd !== 'string') return;
    if (planned[index].commands.length > 0) checkCwd(root, r, cwd, made, diagnostics);
    else if (planned[index].refresh.length > 0) refreshCwds.push([r, cwd]);
  });
  for (const [r, cwd] of refreshCwds) checkCwd(root, r, cwd, made, diagnostics);
}

function checkParent(rootReal: string, f: FileChange, state: SystemState, rs: ResolvedResource[], made: Set<string>, diagnostics: Diagnostic[]): void {
  const createsParents = rs.some((r) => r.spec.create_parents === true);
  if (f.action === 'mkdir') made.add(f.host);
  if (!['create', 'mkdir', 'link'].includes(f.action) || state.files.get(f.host)!.parentExists) return;
  if (createsParents) {
    const madeDirs: string[] = [];
    for (let d = path.dirname(f.host); !made.has(d) && !fs.existsSync(d); d = path.dirname(d)) {
      made.add(d);
      madeDirs.push('/' + path.relative(rootReal, d));
    }
    f.madeDirs = madeDirs;
    return;
  }
  if (made.has(path.dirname(f.host))) return;
  diagnostics.push({
    severity: 'error',
    summary: `the directory ${path.dirname(f.path)} does not exist, so ${f.path} cannot be created`,
    hint: 'create it with a file resource (ensure: directory) before this one, or set create_parents: true on a file resource',
    resourceId: rs[0].id,
    source: rs[0].source,
  });
}

function checkCwd(root: string, r: ResolvedResource, cwd: string, made: Set<string>, diagnostics: Diagnostic[]): void {
  try {
    const host = resolveInRoot(root, cwd);
    if (made.has(host) || isDirectory(host)) return;
    throw new ResourceError(`cwd ${cwd} does not exist (or is not a directory), so the command cannot run`, 'create it with a file resource (ensure: directory) before this one, or fix cwd', 'cwd');
  } catch (e) {
    diagnostics.push(resourceDiagnostic(r, e));
  }
}

function isDirectory(host: string): boolean {
  return fs.statSync(host, { throwIfNoEntry: false })?.isDirectory() === true;
}

/** Equal for every field the wanted model sets; an unset mode or owner means "keep". */
export function sameModel(current: FileModel, wanted: FileModel): boolean {
  if (current.type !== wanted.type) return false;
  const c = current as Record<string, unknown>;
  return Object.entries(wanted).every(([k, v]) => v === undefined || c[k] === v);
}

function fileChange(host: string, wanted: FileModel, state: SystemState, rs: ResolvedResource[]): FileChange[] {
  const read = state.files.get(host)!;
  const current = read.model;
  if (sameModel(current, wanted)) return [];
  const sensitive = rs.some((r) => r.sensitive);
  const before = summarizeModel(current);
  return [
    {
      path: read.path,
      host,
      action: fileAction(current, wanted),
      before,
      after: summarizeModel(wanted, current),
      diff: unifiedDiff(read.path, current, wanted),
      resources: [...new Set(rs.map((r) => r.id))],
      validate: unique(rs.flatMap((r) => (r.validate ? [r.validate] : []))),
      sensitive,
      cause: changeCause(before, state.written?.get(host)),
      current,
      wanted,
    },
  ];
}

function fileAction(current: FileModel, wanted: FileModel): FileAction {
  if (wanted.type === 'absent') return 'delete';
  if (wanted.type === 'directory') return current.type === 'directory' ? 'attributes' : 'mkdir';
  if (wanted.type === 'link') return 'link';
  if (current.type === 'file' && current.content === wanted.content) return 'attributes';
  return current.type === 'absent' ? 'create' : 'update';
}

export function summarizeModel(m: FileModel, keep?: FileModel): FileSummary {
  const k = (keep ?? {}) as Record<string, number | undefined>;
  switch (m.type) {
    case 'absent':
      return { type: 'absent' };
    case 'link':
      return { type: 'link', target: m.target };
    case 'directory':
      return { type: 'directory', mode: octal(m.mode ?? k.mode), uid: m.uid ?? k.uid, gid: m.gid ?? k.gid };
    case 'file': {
      const bytes = encodeLossless(m.content);
      return { type: 'file', sha256: sha256Of(bytes), size: bytes.length, mode: octal(m.mode ?? k.mode), uid: m.uid ?? k.uid, gid: m.gid ?? k.gid };
    }
  }
}

function octal(mode: number | undefined): string | undefined {
  return mode === undefined ? undefined : formatMode(mode);
}

function contentOf(m: FileModel): string | undefined {
  return m.type === 'file' ? m.content : undefined;
}

function unifiedDiff(path: string, before: FileModel, after: FileModel): string {
  const a = contentOf(before);
  const b = contentOf(after);
  if (a === b) return '';
  if ((a !== undefined && isBinary(a)) || (b !== undefined && isBinary(b))) return `Binary files a${path} and b${path} differ\n`;
  return unifiedPatch(a === undefined ? '/dev/null' : `a${path}`, b === undefined ? '/dev/null' : `b${path}`, a ?? '', b ?? '');
}

function unique(argvs: string[][]): string[][] {
  const seen = new Set<string>();
  return argvs.filter((a) => {
    const key = JSON.stringify(a);
    return !seen.has(key) && seen.add(key) !== undefined;
  });
}

function summarize(resources: ResourcePlan[], files: FileChange[]): PlanSummary {
  const changed = resources.filter((r) => r.changed).length;
  const commands = resources.reduce((n, r) => n + r.commands.length + r.refresh.length, 0);
  return { resources: resources.length, changed, unchanged: resources.length - changed, files: files.length, commands };
}

/** `sensitiveSpecs`: the resources whose values the message must not show (it may quote their file). */
export function resourceDiagnostic(r: ResolvedResource, e: unknown, sensitiveSpecs: Record<string, unknown>[] = r.sensitive ? [r.spec] : []): Diagnostic {
  if (!(e instanceof ResourceError)) throw e;
  const where = r.path === undefined ? '' : ` (${r.path})`;
  const hint = e.hint && withoutSecrets(e.hint, sensitiveSpecs);
  return { severity: 'error', summary: `${withoutSecrets(e.message, sensitiveSpecs)}${where}`, hint, resourceId: r.id, source: r.source };
}

/**
 * The specs of the sensitive resources on the same file as resources[index] (a message about it may
 * quote that file), compared by host path so that a link and its target count as one; or its own.
 */
function sensitiveSpecsOn(index: number, resources: ResolvedResource[], state: SystemState): Record<string, unknown>[] {
  const host = state.hostOf.get(index);
  const sharing = host === undefined ? [resources[index]] : resources.filter((_, i) => state.hostOf.get(i) === host);
  return sharing.filter((x) => x.sensitive).map((x) => x.spec);
}
