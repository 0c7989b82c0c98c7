import { createHash } from 'node:crypto';
import { ResourceError, type Diagnostic, type SourcePos } from './diagnostics';
import { encodeLossless, isBinary } from './bytes';
import * as path from 'node:path';
import type { ActionKind, ActionVerb, CommandSpec, FileModel, MachineLookup, PathKind, ResolvedResource, TransformContext } from './types';
import type { SystemState } from './read';
import type { VerifyCheck } from './verify';
import { kindOf } from '../resources';

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
  sensitive: boolean;
  /** The state the plan saw (the pre-image a rollback restores). */
  current: FileModel;
  /** The wanted state; apply writes exactly this. */
  wanted: FileModel;
}

export interface PlanSummary {
  resources: number;
  changed: number;
  unchanged: number;
  files: number;
  commands: number;
}

/** The plan is a value: every report and `apply` consume it. */
export interface Plan {
  formatVersion: number;
  manifest: string;
  root: string;
  resources: ResourcePlan[];
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
  const wanted = new Map<string, FileModel>();
  const touchedBy = new Map<string, ResolvedResource[]>();
  const notified = new Set<string>();
  const planned: ResourcePlan[] = [];

  resources.forEach((r, index) => {
    const fail = (e: unknown) => diagnostics.push(resourceDiagnostic(r, e));
    const kind = kindOf(r.type)!;
    const ctx = contextFor(r, lookup);
    try {
      const step =
        kind.scope === 'path'
          ? planPathResource(kind, r, state.hostOf.get(index)!, wanted, touchedBy, state, ctx)
          : planActionResource(kind, r, state.probes.get(index), notified.has(r.id));
      if (step.changed) r.notify.forEach((n) => notified.add(n));
      planned.push(step);
    } catch (e) {
      fail(e);
    }
  });
  if (diagnostics.length > 0) return { diagnostics };
  checkWholeFold(touchedBy, wanted, state, lookup, diagnostics);
  const files = [...wanted.entries()].flatMap(([host, model]) => fileChange(host, model, state, touchedBy.get(host)!));
  checkParents(files, state, touchedBy, diagnostics);
  if (diagnostics.length > 0) return { diagnostics };
  return { plan: { formatVersion: PLAN_FORMAT_VERSION, manifest, root, resources: planned, files, verify, summary: summarize(planned, files) }, diagnostics };
}

function planPathResource(
  kind: PathKind,
  r: ResolvedResource,
  host: string,
  wanted: Map<string, FileModel>,
  touchedBy: Map<string, ResolvedResource[]>,
  state: SystemState,
  ctx: TransformContext,
): ResourcePlan {
  const current = wanted.get(host) ?? state.files.get(host)!.model;
  const out = kind.transform(current, r.spec, ctx);
  const again = kind.transform(out.file, r.spec, ctx);
  if (!sameModel(out.file, again.file)) {
    throw new ResourceError(
      'this resource would never converge: applied to its own result it changes the file again, so every run would report a change',
      'make the edit idempotent (for line: make match also match line; for replace: make pattern not match its replacement)',
    );
  }
  wanted.set(host, out.file);
  touchedBy.set(host, [...(touchedBy.get(host) ?? []), r]);
  const changed = !sameModel(current, out.file);
  return resourcePlan(r, changed ? pathAction(current, out.file) : 'none', changed, out.reason, [], []);
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

/** The fold of all edits to a path, run once more on its result, must change nothing. */
function contextFor(r: ResolvedResource, lookup: MachineLookup): TransformContext {
  return { ...lookup, readSource: (rel) => lookup.readSource(path.resolve(r.manifestDir, rel)) };
}

function checkWholeFold(
  touchedBy: Map<string, ResolvedResource[]>,
  wanted: Map<string, FileModel>,
  state: SystemState,
  lookup: MachineLookup,
  diagnostics: Diagnostic[],
): void {
  for (const [host, rs] of touchedBy) {
    if (rs.length < 2) continue;
    const final = wanted.get(host)!;
    let model = final;
    for (const r of rs) model = (kindOf(r.type) as PathKind).transform(model, r.spec, contextFor(r, lookup)).file;
    if (!sameModel(final, model)) {
      diagnostics.push({
        severity: 'error',
        summary: `resources ${rs.map((r) => `'${r.id}'`).join(', ')} fight over ${state.files.get(host)!.path}: run again, their combined edits change the file again, so it would never converge`,
        hint: 'make the resources agree (one of them undoes what another does)',
        resourceId: rs[0].id,
        source: rs[0].source,
      });
    }
  }
}

/** A path can only be created where its directory exists, will exist, or create_parents allows it. */
function checkParents(files: FileChange[], state: SystemState, touchedBy: Map<string, ResolvedResource[]>, diagnostics: Diagnostic[]): void {
  const plannedDirs = new Set(files.filter((f) => f.action === 'mkdir').map((f) => f.host));
  for (const f of files) {
    if (!['create', 'mkdir', 'link'].includes(f.action) || state.files.get(f.host)!.parentExists) continue;
    const rs = touchedBy.get(f.host)!;
    if (plannedDirs.has(path.dirname(f.host)) || rs.some((r) => r.spec.create_parents === true)) continue;
    diagnostics.push({
      severity: 'error',
      summary: `the directory ${path.dirname(f.path)} does not exist, so ${f.path} cannot be created`,
      hint: 'create it with a file resource (ensure: directory), or set create_parents: true on a file resource',
      resourceId: rs[0].id,
      source: rs[0].source,
    });
  }
}

function pathAction(before: FileModel, after: FileModel): ResourceAction {
  if (after.type === 'absent') return 'delete';
  return before.type === 'absent' ? 'create' : 'update';
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
  return [
    {
      path: read.path,
      host,
      action: fileAction(current, wanted),
      before: summarizeModel(current),
      after: summarizeModel(wanted, current),
      diff: unifiedDiff(read.path, current, wanted),
      resources: [...new Set(rs.map((r) => r.id))],
      validate: unique(rs.flatMap((r) => (r.validate ? [r.validate] : []))),
      sensitive,
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

function summarizeModel(m: FileModel, keep?: FileModel): FileSummary {
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
      return { type: 'file', sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, mode: octal(m.mode ?? k.mode), uid: m.uid ?? k.uid, gid: m.gid ?? k.gid };
    }
  }
}

function octal(mode: number | undefined): string | undefined {
  return mode === undefined ? undefined : '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}

function contentOf(m: FileModel): string | undefined {
  return m.type === 'file' ? m.content : undefined;
}

function unifiedDiff(path: string, before: FileModel, after: FileModel): string {
  const a = contentOf(before);
  const b = contentOf(after);
  if (a === b) return '';
  if ((a !== undefined && isBinary(a)) || (b !== undefined && isBinary(b))) return `Binary files a${path} and b${path} differ\n`;
  // Loaded lazily: no-op runs never diff.
  const { createTwoFilesPatch } = require('diff') as typeof import('diff');
  const patch = createTwoFilesPatch(a === undefined ? '/dev/null' : `a${path}`, b === undefined ? '/dev/null' : `b${path}`, a ?? '', b ?? '', '', '', { context: 3 });
  return patch.replace(/^=+\n/, '');
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

export function resourceDiagnostic(r: ResolvedResource, e: unknown): Diagnostic {
  if (!(e instanceof ResourceError)) throw e;
  const where = r.path === undefined ? '' : ` (${r.path})`;
  return { severity: 'error', summary: `${e.message}${where}`, hint: e.hint, resourceId: r.id, source: r.source };
}
