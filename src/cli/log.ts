import type { Logger } from 'pino';

export interface LogOptions {
  logFile?: string;
  logLevel: string;
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
    const dest = this.opts.logFile ? pino.destination({ dest: this.opts.logFile, sync: true, mkdir: true }) : pino.destination({ fd: 2, sync: true });
    return pino.pino({ level: this.opts.logLevel, base: this.base }, dest);
  }
}

const LEVELS: Record<string, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: 100 };
