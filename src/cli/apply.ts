import type { Command } from 'commander';
import { applyAndVerify } from '../engine/apply';
import { renderPlan, renderResult } from '../report/human';
import { renderJson } from '../report/json';
import { redactPlan, redactResult } from '../report/redact';
import { planOrReport, runLog, stdoutColors, VERSION, withRunOptions, type CommonFlags } from './common';
import { exitCode } from './exit-codes';

export function registerApply(program: Command, setExit: (code: number) => void): void {
  withRunOptions(program.command('apply <manifest>').description('make the machine match the manifest: exactly the plan, atomically')).action(async (manifest: string, flags: CommonFlags) => {
    const log = runLog(flags, 'apply', manifest);
    const { plan, exit } = await planOrReport('apply', manifest, flags, log);
    if (!plan) return setExit(exit!);
    const started = Date.now();
    const result = await applyAndVerify(plan);
    for (const o of redactResult(plan, result).outcomes) {
      if (o.status === 'failed') log.error({ resource: o.address, message: o.message }, 'resource failed');
      else if (o.status !== 'unchanged') log.info({ resource: o.address, status: o.status }, 'resource applied');
    }
    log.info({ ms: Date.now() - started, changed: result.changed, failed: result.failed }, 'apply done');
    const shown = redactPlan(plan);
    const shownResult = redactResult(plan, result);
    if (flags.format === 'json') {
      process.stdout.write(renderJson({ command: 'apply', version: VERSION, plan: shown, result: shownResult, diagnostics: [] }));
    } else {
      const opts = { colors: stdoutColors(flags), verbose: flags.verbose === true };
      const planned = renderPlan(shown, opts, 'apply');
      process.stdout.write(plan.summary.changed > 0 ? planned + '\n' + renderResult(shownResult, opts) : planned);
    }
    const verifyFailed = result.verify?.some((c) => !c.ok) === true;
    if (result.rollback) log.error({ checks: result.verify, rollback: result.rollback }, 'verify failed; rolled back');
    setExit(exitCode(flags.detailedExitcodes === true, result.changed > 0 && !result.rollback, result.failed > 0 || verifyFailed));
  });
}
