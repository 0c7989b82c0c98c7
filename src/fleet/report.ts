import * as path from 'node:path';

/**
 * The fleet report: one line per host, then the diffs grouped by host, a diff that is the
 * same on many hosts shown once with their names (a hundred web servers with one change
 * read as one diff). JSON: one object per host with its own report inside; markdown for
 * CI summaries.
 */

export type FleetCommand = 'plan' | 'apply' | 'check';

export interface HostResult {
  name: string;
  /** `not-run`: --serial stopped before this host's batch. */
  status: 'changed' | 'in-sync' | 'failed' | 'unreachable' | 'not-run';
  seconds: number;
  exitCode?: number;
  /** The host's own JSON report (today's plan/result). */
  report?: Record<string, any>;
  message?: string;
}

export interface FleetReport {
  command: FleetCommand;
  manifest: string;
  inventory: string;
  results: HostResult[];
}

const STATUS_TEXT: Record<HostResult['status'], string> = { changed: 'changed', 'in-sync': 'in sync', failed: 'FAILED', unreachable: 'UNREACHABLE', 'not-run': 'not run' };

function counts(r: HostResult): string {
  const s = r.report?.summary;
  if (r.status === 'failed' || r.status === 'unreachable' || r.status === 'not-run') return r.message ?? '';
  if (!s) return '';
  const result = r.report?.result;
  if (result) return `${result.changed} changed, ${result.failed} failed`;
  return s.changed > 0 ? `${s.changed} to change, ${s.unchanged} unchanged` : `${s.resources} in sync`;
}

/** The host's diffs as one text: what decides whether two hosts show the same change. */
function diffText(r: HostResult): string {
  return ((r.report?.files ?? []) as { path: string; diff?: string; action: string }[]).map((f) => f.diff || `${f.action} ${f.path}\n`).join('\n');
}

/** Hosts grouped by identical diffs, in the order their first host comes. */
export function diffGroups(results: HostResult[]): { hosts: string[]; diff: string }[] {
  const groups = new Map<string, string[]>();
  for (const r of results) {
    const text = diffText(r);
    if (text === '') continue;
    groups.set(text, [...(groups.get(text) ?? []), r.name]);
  }
  return [...groups.entries()].map(([diff, hosts]) => ({ hosts, diff }));
}

function human(report: FleetReport, color: boolean): string {
  const c = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const paint: Record<HostResult['status'], (s: string) => string> = { changed: (s) => c(33, s), 'in-sync': (s) => c(32, s), failed: (s) => c(31, s), unreachable: (s) => c(31, s), 'not-run': (s) => c(2, s) };
  const width = Math.max(4, ...report.results.map((r) => r.name.length));
  const lines = [`remedy ${report.command} ${path.basename(report.manifest)} on ${report.results.length} host(s) of ${report.inventory}`, ''];
  for (const r of report.results) lines.push(`  ${r.name.padEnd(width)}  ${paint[r.status](STATUS_TEXT[r.status].padEnd(11))}  ${r.seconds.toFixed(2).padStart(6)} s  ${counts(r)}`);
  for (const g of diffGroups(report.results)) lines.push('', `== ${g.hosts.join(', ')}${g.hosts.length > 1 ? ` (the same change on ${g.hosts.length} hosts)` : ''}`, g.diff.trimEnd());
  const by = (s: HostResult['status']) => report.results.filter((r) => r.status === s).length;
  const notRun = by('not-run') > 0 ? `, ${by('not-run')} not run (--serial stopped)` : '';
  lines.push('', `Hosts: ${by('changed')} changed, ${by('in-sync')} in sync, ${by('failed')} failed, ${by('unreachable')} unreachable${notRun}.`);
  return lines.join('\n') + '\n';
}

function markdown(report: FleetReport): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`## remedy ${report.command} \`${path.basename(report.manifest)}\` on ${report.results.length} host(s)`, '', '| host | status | seconds | detail |', '| --- | --- | ---: | --- |'];
  for (const r of report.results) lines.push(`| \`${r.name}\` | ${STATUS_TEXT[r.status]} | ${r.seconds.toFixed(2)} | ${cell(counts(r))} |`);
  for (const g of diffGroups(report.results)) {
    const fence = '`'.repeat(Math.max(3, ...[...g.diff.matchAll(/`+/g)].map((m) => m[0].length + 1)));
    lines.push('', `<details><summary>${g.hosts.map((h) => `<code>${h}</code>`).join(', ')}</summary>`, '', `${fence}diff`, g.diff.trimEnd(), fence, '', '</details>');
  }
  return lines.join('\n') + '\n';
}

export function renderFleet(report: FleetReport, format: string, color: boolean): string {
  if (format === 'json') return JSON.stringify({ formatVersion: 1, command: report.command, manifest: report.manifest, inventory: report.inventory, hosts: report.results }, null, 2) + '\n';
  if (format === 'markdown') return markdown(report);
  return human(report, color);
}
