import type { Command } from 'commander';
import { checkErrorLine, checkVerdict } from '../report/verdict';
import { fleetOr, planOrReport, withRunOptions, type CommonFlags } from './common';
import { scheduledCheck, withScheduleOptions, type CronFlags } from './cron';
import { EXIT } from './exit-codes';
import { renderReport } from './report';

/** The cron/CI probe: always 0 in sync, 2 drift, 1 error, with one line that says which. */
export function registerCheck(program: Command, setExit: (code: number) => void): void {
  const command = program.command('check <manifest>').description('is the machine in sync with the manifest? exit 0 in sync, 2 drift, 1 error; writes nothing');
  withScheduleOptions(withRunOptions(command)).action(fleetOr('check', setExit, scheduledCheck(async (manifest: string, flags: CommonFlags & CronFlags, log, record) => {
    const { plan, diagnostics } = await planOrReport('check', manifest, flags, log);
    record.plan = plan;
    if (!plan) {
      if (flags.format === 'human') process.stdout.write(checkErrorLine(manifest, diagnostics) + '\n');
      return setExit(EXIT.error);
    }
    const verdict = checkVerdict(manifest, plan);
    process.stdout.write(renderReport({ command: 'check', plan, verdict }, flags));
    log.info({ status: verdict.status, changed: plan.summary.changed }, 'check done');
    setExit(verdict.status === 'drift' ? EXIT.changes : EXIT.ok);
  })));
}
