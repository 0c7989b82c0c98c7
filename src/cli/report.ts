import type { ApplyResult } from '../engine/apply';
import type { Plan } from '../engine/plan';
import { renderPlan, renderResult } from '../report/human';
import { renderJson } from '../report/json';
import { renderMarkdown } from '../report/markdown';
import { redactPlan, redactResult } from '../report/redact';
import type { CheckVerdict } from '../report/verdict';
import { stdoutColors, VERSION, type CommonFlags } from './common';

export type ReportInput = { command: 'plan' | 'apply'; plan: Plan; result?: ApplyResult } | { command: 'check'; plan: Plan; verdict: CheckVerdict };

/** The report on stdout in the chosen format; every format sees only the redacted plan. */
export function renderReport(input: ReportInput, flags: CommonFlags): string {
  const { command } = input;
  const verdict = command === 'check' ? input.verdict : undefined;
  const plan = redactPlan(input.plan);
  const result = command !== 'check' && input.result ? redactResult(input.plan, input.result) : undefined;
  const verbose = flags.verbose === true;
  if (flags.format === 'json') return renderJson({ command, version: VERSION, plan, result, check: verdict, diagnostics: [] });
  if (flags.format === 'markdown') return renderMarkdown({ command, plan, result, verdict, verbose });
  const opts = { colors: stdoutColors(flags), verbose };
  if (command === 'check') return `${input.verdict.message}\n${verbose ? '\n' + renderPlan(plan, opts, command) : ''}`;
  const planned = renderPlan(plan, opts, command);
  // A run with nothing to change may still have done something: the refreshes an interrupted run owed.
  return result && (plan.summary.changed > 0 || result.changed > 0) ? planned + '\n' + renderResult(result, opts) : planned;
}
