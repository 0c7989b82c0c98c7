import { ResourceError } from './diagnostics';
import { sameModel, type ResourceAction } from './plan';
import type { FileModel, PathKind, TransformContext } from './types';

/** A path's wanted state during the fold: a model, or a kind's parsed form while a run of that kind's edits goes on. */
type Wanted = { model: FileModel } | { kind: PathKind; doc: unknown };

export interface FoldStep {
  action: ResourceAction;
  reason: string;
}

/**
 * The wanted state of every path the plan touches, built by folding resources in order.
 * Each step is proven idempotent: applied to its own result it must change nothing.
 * Kinds with a parsed form fold a run of their edits on it, so 10,000 edits to one file
 * cost one parse and one join, not 10,000 of each.
 */
export class WantedPaths {
  private readonly wanted = new Map<string, Wanted>();
  /** Host -> [steps folded, steps before the last one that changed it]. */
  private readonly steps = new Map<string, [number, number]>();

  constructor(private readonly readModel: (host: string) => FileModel) {}

  fold(kind: PathKind, spec: Record<string, unknown>, host: string, ctx: TransformContext): FoldStep {
    const doc = this.parsedFor(kind, host);
    const step = doc === undefined ? this.foldModel(kind, spec, host, ctx) : this.foldParsed(kind, doc, spec, host);
    const [folded, beforeChange] = this.steps.get(host) ?? [0, 0];
    this.steps.set(host, [folded + 1, step.action === 'none' ? beforeChange : folded]);
    return step;
  }

  /**
   * How many of the path's first steps must be checked again on its final result: those
   * before the last step that changed it. Each later step saw the final result and left it
   * as it was, and the last changing step is proven idempotent on its own result.
   */
  stepsToRecheck(host: string): number {
    return this.steps.get(host)?.[1] ?? 0;
  }

  /** True when `spec`, applied to the path's folded result, leaves it as it is (the next run finds it in sync). */
  inSync(kind: PathKind, spec: Record<string, unknown>, host: string, ctx: TransformContext): boolean {
    const doc = this.parsedFor(kind, host);
    if (doc !== undefined) return !kind.parsedFold!.edit(doc, spec).changed;
    const final = this.model(host);
    return sameModel(final, kind.transform(final, spec, ctx).file);
  }

  /** The path's wanted model (a parsed form is closed into one). */
  model(host: string): FileModel {
    const w = this.wanted.get(host);
    if (w === undefined) return this.readModel(host);
    if ('model' in w) return w.model;
    const model = w.kind.parsedFold!.close(w.doc);
    this.wanted.set(host, { model });
    return model;
  }

  /** Every touched path with its wanted model. */
  models(): [string, FileModel][] {
    return [...this.wanted.keys()].map((host) => [host, this.model(host)]);
  }

  private foldModel(kind: PathKind, spec: Record<string, unknown>, host: string, ctx: TransformContext): FoldStep {
    const current = this.model(host);
    const out = kind.transform(current, spec, ctx);
    const changed = !sameModel(current, out.file);
    // An edit that changes nothing has already been applied to its own result.
    if (changed && !sameModel(out.file, kind.transform(out.file, spec, ctx).file)) throw neverConverges();
    this.wanted.set(host, { model: out.file });
    return { action: changed ? pathAction(current, out.file) : 'none', reason: out.reason };
  }

  private foldParsed(kind: PathKind, doc: unknown, spec: Record<string, unknown>, host: string): FoldStep {
    const out = kind.parsedFold!.edit(doc, spec);
    // Kept before the proof: `doc` may have become out.doc, and is never read again.
    this.wanted.set(host, { kind, doc: out.doc });
    if (out.changed && kind.parsedFold!.edit(out.doc, spec).changed) throw neverConverges();
    // A parsed form is only opened on an existing file, and edits keep it one.
    return { action: out.changed ? 'update' : 'none', reason: out.reason };
  }

  /** The kind's parsed form of the path: the one being folded, or the current model opened; undefined: use transform(). */
  private parsedFor(kind: PathKind, host: string): unknown {
    if (!kind.parsedFold) return undefined;
    const w = this.wanted.get(host);
    if (w && 'kind' in w && w.kind === kind) return w.doc;
    return kind.parsedFold.open(this.model(host));
  }
}

function neverConverges(): ResourceError {
  return new ResourceError(
    'this resource would never converge: applied to its own result it changes the file again, so every run would report a change',
    'make the edit idempotent (for line: make match also match line; for replace: make pattern not match its replacement)',
  );
}

function pathAction(before: FileModel, after: FileModel): ResourceAction {
  if (after.type === 'absent') return 'delete';
  return before.type === 'absent' ? 'create' : 'update';
}
