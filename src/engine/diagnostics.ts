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

export function formatPos(pos: SourcePos | undefined): string {
  return pos ? `${pos.file}:${pos.line}:${pos.column}` : '';
}
