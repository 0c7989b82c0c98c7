import * as os from 'node:os';
import { processAlive } from '../engine/write';
import type { RunRecord, RunResult } from '../state/records';
import type { RollbackReport } from '../state/rollback';
import type { Colors } from './colors';

const HISTORY_FORMAT_VERSION = 1;

/** One line of `remedy history`: a run as recorded, never any file content. */
export interface HistoryEntry {
  id: string;
  command: RunRecord['command'];
  /** `interrupted`: the run's process is gone and it never finished (killed, crashed, power loss). */
  result: RunResult | 'interrupted';
  startedAt: string;
  endedAt?: string;
  manifest: string;
  root: string;
  user: string;
  host: string;
  /** Resources that changed. */
  changed: number;
  /** Paths written (for an unfinished run: planned). */
  files: number;
  drift: number;
  rollbackOf?: string;
  inSync?: RunRecord['inSync'];
}

export function historyEntry(r: RunRecord): HistoryEntry {
  return {
    id: r.id,
    command: r.command,
    result: r.result === 'running' && r.host === os.hostname() && !processAlive(r.pid) ? 'interrupted' : r.result,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    manifest: r.manifest,
    root: r.root,
    user: r.user,
    host: r.host,
    changed: r.resources.filter((o) => o.status === 'changed').length,
    files: r.files.length,
    drift: r.drift,
    rollbackOf: r.rollbackOf,
    inSync: r.inSync,
  };
}

export function renderHistoryJson(stateDir: string, entries: HistoryEntry[], version: string): string {
  return JSON.stringify({ formatVersion: HISTORY_FORMAT_VERSION, remedy: version, command: 'history', stateDir, runs: entries }, null, 2) + '\n';
}

const HEADER = ['RUN', 'STARTED (UTC)', 'COMMAND', 'RESULT', 'CHANGED', 'FILES', 'DRIFT', 'MANIFEST'];
const WIDTHS = [25, 19, 8, 11, 7, 5, 5];

/** Oldest first, so the newest run is the line above the prompt. */
export function renderHistory(stateDir: string, entries: HistoryEntry[], c: Colors): string {
  if (entries.length === 0) return `No runs recorded in ${stateDir}.\n`;
  const paint: Record<HistoryEntry['result'], (s: string) => string> = { changed: c.yellow, unchanged: c.green, failed: c.red, 'rolled-back': c.red, interrupted: c.red, running: c.cyan };
  const lines = [c.bold(row(HEADER))];
  for (const e of entries) {
    const cells = [e.id, shortTime(e.startedAt), e.command, e.result, String(e.changed), String(e.files), String(e.drift), describeTarget(e)];
    lines.push(row(cells, (i, text) => (i === 3 ? paint[e.result](text) : text)));
  }
  return `${lines.join('\n')}\n${entries.length} run(s) in ${stateDir}.\n`;
}

function row(cells: string[], paint: (index: number, text: string) => string = (_, t) => t): string {
  return cells.map((cell, i) => paint(i, i < WIDTHS.length ? alignCell(cell, i) : cell)).join('  ');
}

/** Counts are right-aligned, words left-aligned. */
function alignCell(cell: string, i: number): string {
  return i >= 4 ? cell.padStart(WIDTHS[i]) : cell.padEnd(WIDTHS[i]);
}

function describeTarget(e: HistoryEntry): string {
  if (e.rollbackOf) return `rollback of ${e.rollbackOf} (${e.manifest})`;
  return e.inSync ? `${e.manifest} (${e.inSync.runs} runs in sync since ${shortTime(e.inSync.since)})` : e.manifest;
}

/** `2026-11-25 13:35:01` from an ISO time in UTC. */
function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, '');
}

export function renderRollback(report: RollbackReport): string {
  const { target, record } = report;
  const lines = [`remedy rollback ${target.id} (${target.command} of ${target.manifest}, ${shortTime(target.startedAt)} UTC)`];
  for (const f of report.files) lines.push(`  ${f.action.padEnd(9)} ${f.path}${RESTORE_NOTE[f.action]}`);
  for (const e of report.errors) lines.push(`  error: ${e}`);
  if (target.refreshed.length > 0) lines.push(`Not refreshed: ${target.refreshed.join(', ')} (refreshed by that run): refresh them so that the restored files are live.`);
  const restored = report.files.filter((f) => f.action !== 'already as before').length;
  const undo = record && restored > 0 ? `; undo it with remedy rollback ${record.id}` : '';
  lines.push(report.errors.length > 0 ? `Rollback incomplete: ${report.errors.length} error(s), ${restored} file(s) rolled back${undo}.` : `Rolled back ${restored} file(s)${undo}.`);
  return lines.join('\n') + '\n';
}

const RESTORE_NOTE: Record<RollbackReport['files'][number]['action'], string> = {
  restored: ' (previous bytes, mode and owner)',
  removed: ' (the run created it)',
  recreated: ' (the run deleted it)',
  'already as before': '',
};

export function renderRollbackJson(report: RollbackReport, version: string): string {
  const { target, record } = report;
  const doc = { formatVersion: HISTORY_FORMAT_VERSION, remedy: version, command: 'rollback', rollbackOf: target.id, runId: record?.id, result: record?.result, files: report.files, errors: report.errors, changedSince: report.changedSince, notRefreshed: target.refreshed };
  return JSON.stringify(doc, null, 2) + '\n';
}
