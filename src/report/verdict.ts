import type { Diagnostic } from '../engine/diagnostics';
import type { Plan } from '../engine/plan';

export type CheckStatus = 'in-sync' | 'drift';

/** `remedy check`'s answer, and the one line that cron mails and CI logs show. */
export interface CheckVerdict {
  status: CheckStatus;
  message: string;
}

/** More ids than this are elided: the line must stay one line. */
const LISTED_IDS = 5;

/** Only ids are named: they never hold `sensitive` content. */
export function checkVerdict(label: string, plan: Plan): CheckVerdict {
  const ids = [...new Set(plan.resources.filter((r) => r.changed).map((r) => r.id))];
  if (ids.length === 0) return { status: 'in-sync', message: `remedy check ${label}: in sync: ${count(plan.summary.resources, 'resource')}` };
  const listed = ids.slice(0, LISTED_IDS).join(', ') + (ids.length > LISTED_IDS ? ', ...' : '');
  const where = plan.summary.files > 0 ? ` in ${count(plan.summary.files, 'file')}` : '';
  const edited = plan.files.filter((f) => f.cause === 'drift').length;
  const handEdits = edited > 0 ? `; ${count(edited, 'file')} changed outside remedy` : '';
  return { status: 'drift', message: `remedy check ${label}: drift: ${count(plan.summary.changed, 'resource')}${where} would change (${listed})${handEdits}` };
}

export function checkErrorLine(label: string, diagnostics: Diagnostic[]): string {
  const more = diagnostics.length > 1 ? ` (and ${count(diagnostics.length - 1, 'more error')})` : '';
  const first = diagnostics[0];
  return `remedy check ${label}: error: ${first.resourceId ? `[${first.resourceId}] ` : ''}${first.summary}${more}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
