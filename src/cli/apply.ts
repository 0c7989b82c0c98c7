import type { Command } from 'commander';
import { applyAndVerify } from '../engine/apply';
import type { CheckedManifest } from '../run/run';
import { redactResult } from '../report/redact';
import { RunSession } from '../state/session';
import { fleetOr, withRunOptions, type CommonFlags } from './common';
import { lockedApply, withLockOptions, withScheduleOptions, type CronFlags } from './cron';
import { exitCode } from './exit-codes';
import type { RunLog } from './log';
import { renderReport } from './report';
import { planForApply } from './saved-plan';
import { stateOptions, withKeepOption, type KeepFlags } from './state-flags';

type ApplyFlags = CommonFlags & CronFlags & KeepFlags;

export function registerApply(program: Command, setExit: (code: number) => void): void {
  const command = program.command('apply <manifest>').description('make the machine match the manifest, or apply a plan saved by `plan --out`: exactly the plan, atomically');
  const prepare = async (manifest: string, flags: ApplyFlags, log: RunLog, checked?: CheckedManifest) => {
    const outcome = await planForApply(manifest, flags, log, checked);
    if (!outcome.plan) setExit(outcome.exit!);
    return outcome.plan && { plan: outcome.plan, checked: outcome.checked };
  };
  withKeepOption(withLockOptions(withScheduleOptions(withRunOptions(command)))).action(fleetOr('apply', setExit, lockedApply(setExit, prepare, async (unlocked, lock, manifest, flags, log, record) => {
    // Another run may have changed the files between the first look and the lock: a plan that writes is made again under the lock,
    // from the manifest as already loaded (only the machine is read again). A saved plan is checked again from its file.
    const again = unlocked.plan.summary.changed > 0 || lock.waited;
    const plan = again ? (await prepare(manifest, flags, log, unlocked.checked))?.plan : unlocked.plan;
    if (!plan) return;
    const session = await RunSession.begin(plan, stateOptions(flags));
    const started = Date.now();
    const result = await applyAndVerify(plan, lock);
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
  })));
}
