/** Where something is in a manifest: 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail?: string;
  hint?: string;
  resourceId?: string;
  source?: SourcePos;
}

/** A run that stops with one or more diagnostics (collected, not thrown one by one). */
export class DiagnosticsError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.summary).join('; '));
    this.name = 'DiagnosticsError';
  }
}

/**
 * Thrown by a resource kind when its spec cannot work (bad regex, several matches, a
 * missing file). The engine adds the resource id and its manifest position.
 */
export class ResourceError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    /** The spec field at fault, so the diagnostic points at it. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ResourceError';
  }
}

/**
 * What a message may show about sensitive resources: every quoted part (a value of their
 * spec, a line of their file, or text made from both) and each of their own values hidden.
 */
export function withoutSecrets(text: string, sensitiveSpecs: Record<string, unknown>[]): string {
  if (sensitiveSpecs.length === 0) return text;
  let out = text.replace(/'.*'/s, "'(sensitive)'");
  for (const value of sensitiveSpecs.flatMap(ownValues).sort((a, b) => b.length - a.length)) out = out.split(value).join('(sensitive)');
  return out;
}

/** A spec's string values and their lines, but not the fields that name the resource and its place. */
function ownValues(spec: Record<string, unknown>): string[] {
  return Object.entries(spec)
    .filter(([field]) => !['id', 'type', 'path', 'ensure'].includes(field))
    .flatMap(([, v]) => (Array.isArray(v) ? v : [v]))
    .flatMap((v) => (typeof v === 'string' ? [v, ...v.split(/\r\n|\n|\r/)] : []))
    .filter((v) => v.trim().length >= 4);
}

export function formatPos(pos: SourcePos | undefined): string {
  return pos ? `${pos.file}:${pos.line}:${pos.column}` : '';
}
