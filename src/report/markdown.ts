import { createColors } from 'picocolors';
import { validationLines } from '../engine/plan-validate';
import type { ApplyResult } from '../engine/apply';
import type { Diagnostic } from '../engine/diagnostics';
import type { FileChange, Plan, ResourcePlan, SkippedPlan } from '../engine/plan';
import { CAUSE_TEXT } from '../state/drift';
import { attributeChange, displayPath, planSummary, renderDiagnostics, renderResult } from './human';
import type { CheckVerdict } from './verdict';

const plain = createColors(false);

export interface MarkdownReport {
  command: 'plan' | 'apply' | 'check';
  /** Already redacted, like every view's. */
  plan: Plan;
  result?: ApplyResult;
  verdict?: CheckVerdict;
  verbose: boolean;
}

/** For CI job summaries and PR comments: a heading, a table of changes, each diff folded away. */
export function renderMarkdown(report: MarkdownReport): string {
  const { plan, result } = report;
  return joinBlocks([
    heading(report.command, plan),
    text(report.verdict?.message ?? planSummary(plan, plain)),
    changesTable([...plan.resources.filter((r) => r.changed || report.verbose), ...(plan.skipped ?? [])]),
    ...plan.files.map(fileBlock),
    result && (plan.summary.changed > 0 || result.changed > 0) ? `### Result\n\n${fenced('text', renderResult(result, { colors: plain, verbose: report.verbose }))}` : '',
  ]);
}

export function renderMarkdownDiagnostics(command: string, diagnostics: Diagnostic[]): string {
  return joinBlocks([`## remedy ${command}: error`, `${diagnostics.length} error(s); nothing was changed.`, fenced('text', renderDiagnostics(diagnostics, plain))]);
}

function heading(command: string, plan: Plan): string {
  const root = plan.root === '/' ? '' : ` (root ${code(plan.root)})`;
  return `## remedy ${command} ${code(displayPath(plan.manifest))}${root}`;
}

function changesTable(rows: (ResourcePlan | SkippedPlan)[]): string {
  if (rows.length === 0) return '';
  const lines = ['| resource | kind | path | action | reason |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${cell(code(r.id))} | ${text(r.kind)} | ${r.path === undefined ? '' : cell(code(r.path))} | ${r.action} | ${text(r.reason)} |`);
  return lines.join('\n');
}

/** Each file says why it changes (drift, manifest, new), so a reviewer sees hand edits being undone. */
function fileBlock(f: FileChange): string {
  const cause = [`${f.cause}: ${CAUSE_TEXT[f.cause]}`, ...validationLines(f.validation)].join('; ');
  if (!f.diff) return `${f.action} ${code(f.path)} (${text(cause)}): ${text(attributeChange(f.before, f.after))}`;
  return `<details><summary>${html(f.path)} (${f.cause})</summary>\n\n${text(cause)}\n\n${fenced('diff', f.diff)}\n\n</details>`;
}

/** A fence longer than any run of backticks inside, so a diff of a markdown file cannot close it. */
function fenced(lang: string, body: string): string {
  const fence = backticks(body, 3);
  return `${fence}${lang}\n${body.replace(/\n$/, '')}\n${fence}`;
}

function code(s: string): string {
  const ticks = backticks(s, 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${s.replace(/\r?\n/g, ' ')}${pad}${ticks}`;
}

function backticks(s: string, minimum: number): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(minimum, longest + 1));
}

/** Literal text: markdown punctuation escaped, one line. */
function text(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/[\\`*_[\]<|~]/g, '\\$&').replace(/\r?\n/g, ' ');
}

/** GitHub splits table cells on every `|`, even inside code spans. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function joinBlocks(blocks: string[]): string {
  return blocks.filter((b) => b !== '').join('\n\n') + '\n';
}
