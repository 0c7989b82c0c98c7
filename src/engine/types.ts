import type { SourcePos } from './diagnostics';

/** What a path is, or should be. `content` is lossless text (see engine/bytes.ts). */
export type FileModel =
  | { type: 'absent' }
  | { type: 'file'; content: string; mode?: number; uid?: number; gid?: number }
  | { type: 'directory'; mode?: number; uid?: number; gid?: number }
  | { type: 'link'; target: string };

/** Fields every resource has, whatever its kind. */
export interface CommonSpec {
  id: string;
  type: string;
  path?: string;
  requires?: string[];
  notify?: string[];
  validate?: string | string[];
  sensitive?: boolean;
}

/** One resource after vars, includes and globs are resolved: one instance per concrete path. */
export interface ResolvedResource {
  id: string;
  type: string;
  /** The resource's fields after interpolation (includes the common ones). */
  spec: CommonSpec & Record<string, unknown>;
  /** Absolute path on the managed system (not prefixed with --root). */
  path?: string;
  requires: string[];
  notify: string[];
  validate?: string[];
  sensitive: boolean;
  source: SourcePos;
  /** Directory of the manifest that declared it (for `source:` files). */
  manifestDir: string;
}

export interface Transformed {
  file: FileModel;
  /** Why it changes, or why it is already right ("display_errors is already Off"). */
  reason: string;
}

/** The JSON Schema fragment a kind adds to the common resource fields. */
export interface KindSchema {
  properties: Record<string, unknown>;
  required?: string[];
  /** Extra JSON Schema keywords (oneOf, allOf, not, ...) for the kind's object. */
  extra?: Record<string, unknown>;
}

/**
 * A kind that shapes one path. `transform` is pure: it maps the path's state (as read,
 * or as left by the resources before it) to the wanted state. All transforms of one
 * path are folded in order: one read, one diff, one validation, one write.
 */
export interface PathKind<S = Record<string, unknown>> {
  kind: string;
  scope: 'path';
  schema: KindSchema;
  summary: string;
  /** True when the resource may bring its path into existence (missing file or zero glob matches are fine). */
  creates(spec: S): boolean;
  /** Static checks at validate time (regex syntax, a line its own match cannot find). Throws ResourceError. */
  check?(spec: S): void;
  /** True when the resource manages a symbolic link itself rather than the file it points to. */
  managesLink?(spec: S): boolean;
  transform(file: FileModel, spec: S, ctx: TransformContext): Transformed;
  /** Optional: the same edit on a parsed form, so that a run of this kind's edits to one file parses and joins it once. */
  parsedFold?: ParsedFold<S>;
}

/**
 * A kind's parsed form of a file for long runs of edits (10,000 ini settings in one file):
 * the plan fold opens it once, edits it in order, proves each edit on it, and closes it into
 * a model. Each step must be exactly what transform() would give.
 */
export interface ParsedFold<S, D = any> {
  /** The parsed form, or undefined when transform() must handle the file (missing, binary, ...). */
  open(file: FileModel): D | undefined;
  /**
   * One edit; `changed` is true exactly when the text changed. Throws ResourceError like
   * transform(). It may reuse `doc` for its result: the fold never reads a doc again once an edit changed it.
   */
  edit(doc: D, spec: S): { doc: D; reason: string; changed: boolean };
  close(doc: D): FileModel;
}

export interface TransformContext {
  /** Reads a file relative to the manifest (file kind's `source`), lossless text. */
  readSource(relPath: string): string;
  /** The uid of a user name (or a numeric id) on the managed system (`<root>/etc/passwd`). */
  userId(name: string): number;
  /** The gid of a group name (or a numeric id) on the managed system (`<root>/etc/group`). */
  groupId(name: string): number;
  /**
   * The regular files of the managed system that a path or glob names, sorted, as they are
   * on disk (not as this run will leave them): sshd's `Include` drop-ins. Read once per run.
   */
  readManaged(pattern: string): ManagedFile[];
}

export interface ManagedFile {
  /** The managed path (as a manifest would name it). */
  path: string;
  content: string;
}

/** What transforms may look up on the machine, read once and cached: the plan stays a pure fold. */
export interface MachineLookup {
  /** Reads an absolute file named by a manifest, lossless text. */
  readSource(file: string): string;
  userId(name: string): number;
  groupId(name: string): number;
  readManaged(pattern: string): ManagedFile[];
}

export type ActionVerb = 'none' | 'run' | 'start' | 'stop' | 'reload' | 'restart' | 'enable' | 'disable';

export interface PlannedAction {
  action: ActionVerb;
  reason: string;
  /** The commands apply will run at the resource's place in the order, exactly as planned. */
  commands: CommandSpec[];
  /**
   * Commands run only when a notifier really changed, once, after all file writes
   * (a reload, a refresh_only exec).
   */
  refresh?: CommandSpec[];
}

export interface CommandSpec {
  argv: string[];
  shell?: boolean;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Exit codes that count as success (exec `returns`); default [0]. */
  returns?: number[];
}

export interface CommandResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** A kind that acts rather than shapes a path (exec, service). */
export interface ActionKind<S = Record<string, unknown>, C = unknown> {
  kind: string;
  scope: 'action';
  schema: KindSchema;
  summary: string;
  check?(spec: S): void;
  /** True when the resource must be treated as sensitive whatever its spec says (a password hash). */
  alwaysSensitive?(spec: S): boolean;
  /** Reads the current state (may run read-only probe commands such as `unless`). */
  read(spec: S, io: ProbeIo): Promise<C>;
  /** Pure: what to do given the current state and whether something notified it. */
  plan(spec: S, current: C, notified: boolean): PlannedAction;
}

export type ResourceKind = PathKind<any> | ActionKind<any, any>;

/** The side effects a probe may have: running read-only commands, checking paths. */
export interface ProbeIo {
  /** The managed tree (`/`, or --root): account and package kinds pass it to the system tools. */
  root: string;
  run(cmd: CommandSpec): Promise<CommandResult>;
  /** True when the managed path exists (resolved under --root). */
  exists(path: string): Promise<boolean>;
  /** A managed file's text (resolved under --root), or undefined when it is missing or unreadable. */
  readText(path: string): string | undefined;
  /** A managed path's modification time (ms), or undefined when it is missing. */
  mtime(path: string): number | undefined;
}
