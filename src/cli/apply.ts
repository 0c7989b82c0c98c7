import type { Command } from 'commander';
import { applyAndVerify } from '../engine/apply';
import { redactResult } from '../report/redact';
import { RunSession } from '../state/session';
import { withRunOptions, type CommonFlags } from './common';
import { lockedApply, withLockOptions, withScheduleOptions, type CronFlags } from './cron';
import { exitCode } from './exit-codes';
import { renderReport } from './report';
import { planForApply } from './saved-plan';
import { stateOptions, withKeepOption, type KeepFlags } from './state-flags';

export function registerApply(program: Command, setExit: (code: number) => void): void {
  const command = program.command('apply <manifest>').description('make the machine match the manifest, or apply a plan saved by `plan --out`: exactly the plan, atomically');
  withKeepOption(withLockOptions(withScheduleOptions(withRunOptions(command)))).action(lockedApply(setExit, async (manifest: string, flags: CommonFlags & CronFlags & KeepFlags, log, record) => {
    const { plan, exit } = await planForApply(manifest, flags, log);
    if (!plan) return setExit(exit!);
    const session = await RunSession.begin(plan, stateOptions(flags));
    const started = Date.now();
    const result = await applyAndVerify(plan);
    session.finish(result);
    Object.assign(record, { plan, result });
    const run = result.runId;
    const shown = redactResult(plan, result);
    for (const o of shown.outcomes) {
      if (o.status === 'failed') log.error({ run, resource: o.address, message: o.message }, 'resource failed');
      else if (o.status !== 'unchanged') log.info({ run, resource: o.address, status: o.status }, 'resource applied');
    }
    log.info({ run, ms: Date.now() - started, changed: result.changed, failed: result.failed }, 'apply done');
    process.stdout.write(renderReport({ command: 'apply', plan, result }, flags));
    const verifyFailed = result.verify?.some((c) => !c.ok) === true;
    if (result.rollback) log.error({ run, checks: shown.verify, rollback: shown.rollback }, 'verify failed; rolled back');
    setExit(exitCode(flags.detailedExitcodes === true, result.changed > 0 && !result.rollback, result.failed > 0 || verifyFailed));
  }));
}
