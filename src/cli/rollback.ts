import * as path from 'node:path';
import type { Command } from 'commander';
import type { Diagnostic } from '../engine/diagnostics';
import { renderRollback, renderRollbackJson } from '../report/history';
import { findRun, rollBackRun, type RollbackReport } from '../state/rollback';
import { checkFormat, reportDiagnostics, runLog, VERSION, type CommonFlags } from './common';
import { lockOrReport } from './cron';
import { EXIT } from './exit-codes';
import { stateOptions, withKeepOption, type KeepFlags } from './state-flags';

type RollbackFlags = CommonFlags & KeepFlags & { force?: boolean };

export function registerRollback(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('rollback <run-id>')
    .description("put back the exact previous bytes, mode and owner of every file a run changed; refuses if one changed since, unless --force")
    .option('--root <dir>', 'the managed tree (and its state dir)', '/')
    .option('--state-dir <dir>', 'the state dir holding the run (default: <root>/var/lib/remedy)')
    .option('--force', 'also restore files changed since the run (their current bytes are backed up by the rollback run)')
    .option('--format <format>', 'human or json', 'human')
    .option('--no-color', 'no colour (also NO_COLOR)')
    .option('-i, --inventory <file>', 'roll the run back on a host of this inventory, over ssh (with --limit HOST)')
    .option('--limit <pattern>', 'with -i: the host (or hosts) that made the run');
  withKeepOption(command).action(async (runId: string, flags: RollbackFlags) => {
    checkFormat(flags);
    if (flags.inventory !== undefined) {
      const { runRemote } = require('../fleet/remote') as typeof import('../fleet/remote');
      return setExit(await runRemote('rollback', [runId], { ...flags, inventory: flags.inventory, root: flags.root === '/' ? undefined : flags.root }));
    }
    const opts = stateOptions(flags);
    const target = findRun(opts.stateDir, runId);
    // Like an apply, a rollback writes managed files: never beside a running apply.
    const lock = await lockOrReport(flags, target.manifest, 0, runLog(flags, 'rollback', target.manifest));
    if (!lock) return setExit(EXIT.locked);
    try {
      const report = rollBackRun(target, { ...opts, root: path.resolve(flags.root), force: flags.force === true, guard: lock });
      if (!report.record) {
        reportDiagnostics('rollback', refusal(report), flags);
        return setExit(EXIT.error);
      }
      process.stdout.write(flags.format === 'json' ? renderRollbackJson(report, VERSION) : renderRollback(report));
      setExit(report.errors.length > 0 ? EXIT.error : EXIT.ok);
    } finally {
      lock.release();
    }
  });
}

/** One diagnostic per file changed since the run; the way out is said once, at the end. */
function refusal(report: RollbackReport): Diagnostic[] {
  const diagnostics: Diagnostic[] = report.changedSince.map((c) => ({ severity: 'error', summary: `${c.path} changed since run ${report.target.id}: ${c.why}` }));
  diagnostics[diagnostics.length - 1].hint = 'see what changed with remedy plan; --force restores the previous bytes anyway, and the rollback run keeps a backup of the current ones';
  return diagnostics;
}
