import type { Command } from 'commander';
import { DiagnosticsError } from '../engine/diagnostics';
import { stateDirOf } from '../engine/state-dir';
import { DEFAULT_KEEP } from '../state/retention';
import type { StateOptions } from '../state/session';

export interface KeepFlags {
  root: string;
  stateDir?: string;
  keep: string;
}

/** --keep: for the commands that record a run (apply, rollback). */
export function withKeepOption(cmd: Command): Command {
  return cmd.option('--keep <n>', 'keep the last N runs and their backups in the state dir', String(DEFAULT_KEEP));
}

export function stateOptions(flags: KeepFlags): StateOptions {
  return { stateDir: stateDirOf(flags), keep: keepCount(flags.keep), warn: (message) => process.stderr.write(`remedy: warning: ${message}\n`) };
}

function keepCount(text: string): number {
  if (/^[1-9]\d*$/.test(text)) return Number(text);
  throw new DiagnosticsError([{ severity: 'error', summary: `--keep ${text} is not a whole number of runs`, hint: `keep at least the run itself: --keep 1; the default is ${DEFAULT_KEEP}` }]);
}
