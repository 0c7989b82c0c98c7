import type { ApplyResult } from '../engine/apply';
import type { Diagnostic } from '../engine/diagnostics';
import type { Plan } from '../engine/plan';
import type { CheckVerdict } from './verdict';

export const REPORT_FORMAT_VERSION = 1;

export interface JsonReportInput {
  command: string;
  version: string;
  plan?: Plan;
  result?: ApplyResult;
  /** `remedy check`'s status and one-line message. */
  check?: CheckVerdict;
  diagnostics: Diagnostic[];
}

/** One JSON document per run, with stable, versioned field names. The plan is already redacted. */
export function renderJson(input: JsonReportInput): string {
  const { plan, result } = input;
  const doc = {
    formatVersion: REPORT_FORMAT_VERSION,
    remedy: input.version,
    command: input.command,
    manifest: plan?.manifest,
    root: plan?.root,
    summary: plan?.summary,
    resources: plan && [...plan.resources, ...(plan.skipped ?? [])].map(({ source, ...r }) => ({ ...r, source: `${source.file}:${source.line}:${source.column}` })),
    facts: plan?.facts,
    files: plan?.files.map(({ wanted: _wanted, current: _current, host: _host, ...f }) => f),
    result: result && {
      outcomes: result.outcomes,
      changed: result.changed,
      failed: result.failed,
      skipped: result.skipped,
      written: result.written.map((f) => f.path),
      refreshed: result.refreshed.map((r) => r.address),
      verify: result.verify,
      rollback: result.rollback,
      runId: result.runId,
    },
    check: input.check,
    diagnostics: input.diagnostics,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
