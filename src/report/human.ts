import * as path from 'node:path';
import { validationLines } from '../engine/plan-validate';
import type { ApplyResult, ResourceOutcome, RollbackReport } from '../engine/apply';
import type { CheckResult } from '../engine/verify';
import { formatPos, type Diagnostic } from '../engine/diagnostics';
import { showCommand } from '../engine/exec';
import type { Plan, ResourcePlan } from '../engine/plan';
import { CAUSE_TEXT } from '../state/drift';
import type { Colors } from './colors';

const SYMBOL: Record<string, string> = { create: '+', update: '~', delete: '-', none: '=' };

export interface HumanOptions {
  colors: Colors;
  verbose: boolean;
}

/** The plan as a person reads it: what changes and why, then one unified diff per file. */
export function renderPlan(plan: Plan, opts: HumanOptions, command = 'plan'): string {
  const c = opts.colors;
  const out: string[] = [`${c.bold(`remedy ${command}`)} ${displayPath(plan.manifest)}${plan.root === '/' ? '' : c.dim(`  (root ${plan.root})`)}`, ''];
  const shown = plan.resources.filter((r) => r.changed || opts.verbose);
  for (const r of shown) out.push(...resourceLines(r, c));
  for (const s of plan.skipped ?? []) out.push(`  ${c.dim('- skip   ')} ${c.bold(s.address)}`, `            ${c.dim(s.reason)}`);
  if (shown.length > 0 || plan.skipped) out.push('');
  for (const f of plan.files) {
    out.push(c.dim(`${f.path}: ${f.cause} (${CAUSE_TEXT[f.cause]})`));
    for (const line of validationLines(f.validation)) out.push(c.dim(line));
    if (f.diff) out.push(colorDiff(f.diff, c));
    else out.push(c.bold(`${f.action} ${f.path}: ${attributeChange(f.before, f.after)}`), '');
  }
  out.push(planSummary(plan, c));
  return out.join('\n') + '\n';
}

function resourceLines(r: ResourcePlan, c: Colors): string[] {
  const sym = SYMBOL[r.action] ?? '>';
  const paint = r.action === 'create' ? c.green : r.action === 'delete' ? c.red : r.changed ? c.yellow : c.dim;
  const lines = [`  ${paint(`${sym} ${r.action.padEnd(7)}`)} ${c.bold(r.address)}`, `            ${r.changed ? r.reason : c.dim(r.reason)}`];
  for (const cmd of r.commands) lines.push(`            ${c.dim('$')} ${showCommand(cmd.argv)}`);
  for (const cmd of r.refresh) lines.push(`            ${c.dim('$')} ${showCommand(cmd.argv)} ${c.dim('(after the writes, if a notifier changes)')}`);
  return lines;
}

export function attributeChange(before: Plan['files'][number]['before'], after: Plan['files'][number]['after']): string {
  const parts: string[] = [];
  if (before.type !== after.type) parts.push(`${before.type} -> ${after.type}`);
  if (after.mode !== undefined && before.mode !== after.mode) parts.push(`mode ${before.mode ?? '-'} -> ${after.mode}`);
  if (after.uid !== undefined && before.uid !== after.uid) parts.push(`uid ${before.uid ?? '-'} -> ${after.uid}`);
  if (after.gid !== undefined && before.gid !== after.gid) parts.push(`gid ${before.gid ?? '-'} -> ${after.gid}`);
  if (after.target !== undefined && before.target !== after.target) parts.push(`link -> ${after.target}`);
  return parts.join(', ');
}

function colorDiff(diff: string, c: Colors): string {
  return diff
    .split('\n')
    .map((l) => (l.startsWith('+++') || l.startsWith('---') ? c.bold(l) : l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l.startsWith('@@') ? c.cyan(l) : l))
    .join('\n');
}

export function planSummary(plan: Plan, c: Colors): string {
  const s = plan.summary;
  const skipped = plan.skipped ? `, ${plan.skipped.length} skipped` : '';
  if (s.changed === 0) return c.green(`No changes: ${s.resources} resource(s) in sync${skipped}.`);
  return `${c.bold('Plan:')} ${s.changed} to change, ${s.unchanged} unchanged${skipped}; ${s.files} file(s), ${s.commands} command(s).`;
}

/** What apply did, resource by resource, then a summary. */
export function renderResult(result: ApplyResult, opts: HumanOptions): string {
  const c = opts.colors;
  const out = [c.bold('Applying:')];
  for (const o of result.outcomes) if (o.status !== 'unchanged' || opts.verbose) out.push(...outcomeLines(o, c));
  if (result.verify) out.push('', c.bold('Verify:'), ...result.verify.map((r) => checkLine(r, c)));
  if (result.rollback) out.push('', ...rollbackLines(result.rollback, c));
  if (result.runId && result.written.length > 0) out.push('', `Recorded as run ${result.runId}: \`remedy rollback ${result.runId}\` puts the previous bytes back.`);
  const unchanged = result.outcomes.length - result.changed - result.failed - result.skipped;
  const skipped = result.skipped > 0 ? `, ${result.skipped} skipped` : '';
  const line = `${result.changed} changed, ${result.failed} failed${skipped}, ${unchanged} unchanged.`;
  if (result.rollback) out.push('', c.red(rollbackSummary(result.rollback)));
  else out.push('', result.failed > 0 ? c.red(`Apply failed: ${line}`) : c.green(`Apply complete: ${line}`));
  return out.join('\n') + '\n';
}

function rollbackSummary(rb: RollbackReport): string {
  const files = `${rb.restored.length} file(s) restored`;
  return rb.recovered ? `Apply failed verification and was rolled back: ${files}, the checks pass again.` : `Apply failed verification; the rollback did not recover: ${files}, ${rb.errors.length} error(s), the checks still fail.`;
}

export function failedCheckText(r: CheckResult): string {
  return r.output ? `${r.message}: ${r.output}` : r.message;
}

function checkLine(r: CheckResult, c: Colors): string {
  const tries = r.attempts > 1 ? ` (${r.attempts} attempts)` : '';
  return r.ok ? `  ${c.green('✓')} ${r.name}${tries}` : `  ${c.red('✗')} ${r.name}${tries}: ${failedCheckText(r)}`;
}

function rollbackLines(rb: RollbackReport, c: Colors): string[] {
  const lines = [c.bold('Rollback:')];
  for (const p of rb.restored) lines.push(`  restored ${p} (previous bytes)`);
  for (const a of rb.refreshed) lines.push(`  refreshed ${a} again`);
  for (const e of rb.errors) lines.push(c.red(`  error: ${e}`));
  lines.push(...rb.checks.map((r) => checkLine(r, c)));
  lines.push(rb.recovered ? c.green('  the checks pass again: the previous state is back') : c.red('  the checks still fail after the rollback: look at the service now'));
  return lines;
}

function outcomeLines(o: ResourceOutcome, c: Colors): string[] {
  const mark = o.status === 'changed' ? c.green('✓ changed') : o.status === 'unchanged' ? c.dim('= ok     ') : o.status === 'failed' ? c.red('✗ failed ') : c.yellow('- skipped');
  const lines = [`  ${mark} ${o.address}${o.message ? `: ${o.message}` : ''}`];
  if (o.output) lines.push(...o.output.replace(/\n$/, '').split('\n').map((l) => `      ${c.dim('|')} ${l}`));
  return lines;
}

/** Compiler-style: `file:line:col: error: [id] what is wrong`, then the hint. */
export function renderDiagnostics(diagnostics: Diagnostic[], colors: Colors): string {
  return diagnostics
    .map((d) => {
      const where = d.source ? `${displayPath(formatPos(d.source))}: ` : '';
      const label = d.severity === 'error' ? colors.red('error') : colors.yellow('warning');
      const id = d.resourceId ? `[${d.resourceId}] ` : '';
      const lines = [`${where}${label}: ${id}${d.summary}`];
      if (d.detail) lines.push(`  ${d.detail}`);
      if (d.hint) lines.push(`  ${colors.dim('hint:')} ${d.hint}`);
      return lines.join('\n');
    })
    .join('\n') + '\n';
}

export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}
