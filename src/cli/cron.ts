import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { DiagnosticsError } from '../engine/diagnostics';
import { parseDuration } from '../engine/duration';
import { acquireRunLock, lockFile, RunLockedError, type RunLock } from '../engine/lock';
import { stateDirOf } from '../engine/state-dir';
import { writeFileAtomic } from '../engine/write';
import { applyMetrics, checkMetrics, renderMetrics, type RunMetrics, type RunRecord } from '../report/metrics';
import { runLog, type CommonFlags } from './common';
import { EXIT } from './exit-codes';
import type { RunLog } from './log';

/** Options of runs that cron or a timer starts. */
export interface CronFlags {
  splay?: string;
  wait?: string;
  metricsFile?: string;
}

type ScheduledBody<F> = (manifest: string, flags: F, log: RunLog, record: RunRecord) => Promise<void>;
/** What a locked run prepares before it may take the lock; undefined when it already failed (and set the exit code). */
type Prepare<F, T> = (manifest: string, flags: F, log: RunLog) => Promise<T | undefined>;
type LockedBody<F, T> = (prepared: T, lock: RunLock, manifest: string, flags: F, log: RunLog, record: RunRecord) => Promise<void>;
type MetricsOf = (manifest: string, record: RunRecord, startedMs: number) => RunMetrics;

/** --splay and --metrics-file: for every command a fleet runs on a schedule (apply, check). */
export function withScheduleOptions(cmd: Command): Command {
  return cmd
    .option('--splay <duration>', 'first sleep a random time below DURATION (90s, 5m, 1h; plain seconds) so that a fleet does not start at once')
    .option('--metrics-file <file>', 'write Prometheus metrics of the run to FILE (node_exporter textfile collector), atomically');
}

/** --wait: for the commands that take the run lock (apply). */
export function withLockOptions(cmd: Command): Command {
  return cmd.option('--wait <duration>', `wait up to DURATION for another apply to release the run lock, then exit ${EXIT.locked}`, '0');
}

/**
 * The apply action as cron needs it: splay, then `prepare` (the plan; a bad manifest fails
 * here and leaves nothing behind, not even a state dir), then the state dir's run lock
 * (exit 75 if it stays held), then the body and the metrics file; the lock is released
 * whatever happens.
 */
export function lockedApply<F extends CommonFlags & CronFlags, T>(setExit: (code: number) => void, prepare: Prepare<F, T>, body: LockedBody<F, T>): (manifest: string, flags: F) => Promise<void> {
  return async (manifest, flags) => {
    const log = runLog(flags, 'apply', manifest);
    const waitSeconds = durationFlag('--wait', flags.wait ?? '0');
    await startScheduledRun(flags, log);
    await withMetrics(manifest, flags, log, applyMetrics, async (_m, _f, _l, record) => {
      const first = await prepare(manifest, flags, log);
      if (first === undefined) return;
      const lock = await lockOrReport(flags, manifest, waitSeconds, log);
      if (!lock) return setExit(EXIT.locked);
      try {
        await body(first, lock, manifest, flags, log, record);
      } finally {
        lock.release();
      }
    });
  };
}

/** The check action as cron needs it: splay, then the body and the metrics file. It never writes, so it takes no lock. */
export function scheduledCheck<F extends CommonFlags & CronFlags>(body: ScheduledBody<F>): (manifest: string, flags: F) => Promise<void> {
  return async (manifest, flags) => {
    const log = runLog(flags, 'check', manifest);
    await startScheduledRun(flags, log);
    await withMetrics(manifest, flags, log, checkMetrics, body);
  };
}

/** Runs the body, then writes --metrics-file from what it recorded, also when it threw. */
async function withMetrics<F extends CronFlags>(manifest: string, flags: F, log: RunLog, metricsOf: MetricsOf, body: ScheduledBody<F>): Promise<void> {
  const started = Date.now();
  const record: RunRecord = {};
  try {
    await body(manifest, flags, log, record);
  } finally {
    if (flags.metricsFile) writeMetrics(flags.metricsFile, metricsOf(record.plan?.manifest ?? path.resolve(manifest), record, started), log);
  }
}

/** Checks --metrics-file (a usage error must not wait), then sleeps a random time in [0, --splay). */
async function startScheduledRun(flags: CronFlags, log: RunLog): Promise<void> {
  if (flags.metricsFile) checkMetricsFile(flags.metricsFile);
  if (flags.splay === undefined) return;
  const ms = Math.floor(Math.random() * durationFlag('--splay', flags.splay) * 1000);
  log.info({ splayMs: ms }, 'splay: sleeping before the run');
  await new Promise((resolve) => setTimeout(resolve, ms));
}

export async function lockOrReport(flags: CommonFlags, manifest: string, waitSeconds: number, log: RunLog): Promise<RunLock | undefined> {
  const stateDir = stateDirOf(flags);
  const started = Date.now();
  try {
    const lock = await acquireRunLock({ stateDir, root: path.resolve(flags.root), waitSeconds, manifest: path.resolve(manifest) });
    log.info({ lock: lockFile(stateDir), waitedMs: Date.now() - started }, 'run lock taken');
    return lock;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== undefined) throw stateDirError(stateDir, e as Error);
    if (!(e instanceof RunLockedError)) throw e;
    log.warn({ lock: lockFile(stateDir), holder: e.holder, waitedMs: Date.now() - started }, 'run lock held by another run');
    const waited = waitSeconds > 0 ? `after waiting ${waitSeconds}s` : 'without waiting (--wait 0)';
    process.stderr.write(`remedy: ${e.message}.\n  Gave up ${waited}; nothing was done (exit ${EXIT.locked}). Lock: ${lockFile(stateDir)}\n  hint: run again later, or pass --wait SECONDS to wait for it\n`);
    return undefined;
  }
}

function stateDirError(stateDir: string, e: Error): DiagnosticsError {
  return new DiagnosticsError([{ severity: 'error', summary: `the run lock in ${stateDir} cannot be taken: ${e.message}`, hint: 'run as a user who can write the state dir, or give another with --state-dir DIR' }]);
}

export function durationFlag(option: string, text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) throw new DiagnosticsError([{ severity: 'error', summary: `${option} ${text} is not a duration`, hint: `write seconds or a number with a unit: ${option} 90, ${option} 90s, ${option} 5m, ${option} 1h` }]);
  return seconds;
}

/** A metrics file that cannot be written is a usage error before the run, not a surprise after it. */
function checkMetricsFile(file: string): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.accessSync(path.dirname(path.resolve(file)), fs.constants.W_OK);
  } catch (e) {
    throw new DiagnosticsError([{ severity: 'error', summary: `--metrics-file ${file} cannot be written: ${(e as Error).message}`, hint: 'give a file in a writable directory (node_exporter reads /var/lib/node_exporter/textfile_collector/*.prom)' }]);
  }
}

/** Temp file + rename in the same directory: node_exporter never reads half a file. A failure is reported, the run's exit code stays. */
function writeMetrics(file: string, metrics: RunMetrics, log: RunLog): void {
  try {
    writeFileAtomic(path.resolve(file), Buffer.from(renderMetrics(metrics)), { mode: 0o644 });
  } catch (e) {
    log.error({ metricsFile: file, error: (e as Error).message }, 'metrics file not written');
    process.stderr.write(`remedy: warning: --metrics-file ${file} was not written: ${(e as Error).message}\n`);
  }
}
