import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { DiagnosticsError } from '../engine/diagnostics';

export interface LogOptions {
  logFile?: string;
  logLevel: string;
  /** One readable line an event (pino-pretty) instead of one JSON object a line. */
  pretty?: boolean;
}

/**
 * Structured logs (pino) to stderr or --log-file, never to stdout where the report is.
 * pino is loaded on the first message at or above the level, so quiet runs skip it.
 */
export class RunLog {
  private logger?: Logger;
  private readonly threshold: number;

  constructor(
    private readonly opts: LogOptions,
    private readonly base: Record<string, unknown>,
  ) {
    this.threshold = LEVELS[opts.logLevel] ?? LEVELS.warn;
    if (opts.logFile) checkWritable(opts.logFile);
  }

  info(fields: Record<string, unknown>, msg: string): void {
    this.write('info', fields, msg);
  }

  warn(fields: Record<string, unknown>, msg: string): void {
    this.write('warn', fields, msg);
  }

  error(fields: Record<string, unknown>, msg: string): void {
    this.write('error', fields, msg);
  }

  debug(fields: Record<string, unknown>, msg: string): void {
    this.write('debug', fields, msg);
  }

  private write(level: 'debug' | 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string): void {
    if (LEVELS[level] < this.threshold) return;
    this.logger ??= this.create();
    this.logger[level](fields, msg);
  }

  private create(): Logger {
    const pino = require('pino') as typeof import('pino');
    const dest = this.opts.pretty ? prettyStream(this.opts.logFile) : this.opts.logFile ? pino.destination({ dest: this.opts.logFile, sync: true, mkdir: true }) : pino.destination({ fd: 2, sync: true });
    return pino.pino({ level: this.opts.logLevel, base: this.base }, dest);
  }
}

/** Loaded only for --log-format pretty; colour only on a terminal, as for the report. */
function prettyStream(logFile: string | undefined): NodeJS.WritableStream {
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  const colorize = !logFile && process.stderr.isTTY === true && !('NO_COLOR' in process.env);
  return pretty.build({ destination: logFile ?? 2, sync: true, mkdir: true, colorize, singleLine: true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l' });
}

/**
 * A log file that cannot be written is a usage error before the run, not a crash at the
 * first message, which may come after apply has already changed files.
 */
function checkWritable(file: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.closeSync(fs.openSync(file, 'a'));
  } catch (e) {
    throw new DiagnosticsError([{ severity: 'error', summary: `--log-file ${file} cannot be written: ${(e as Error).message}`, hint: 'give a writable file, or leave out --log-file to log on stderr' }]);
  }
}

const LEVELS: Record<string, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: 100 };
