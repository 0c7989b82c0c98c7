import type { Command } from 'commander';
import { renderPlan } from '../report/human';
import { renderJson } from '../report/json';
import { redactPlan } from '../report/redact';
import { planOrReport, runLog, stdoutColors, VERSION, withRunOptions, type CommonFlags } from './common';
import { exitCode } from './exit-codes';

export function registerPlan(program: Command, setExit: (code: number) => void): void {
  withRunOptions(program.command('plan <manifest>').description('show what apply would change, as a unified diff; writes nothing')).action(async (manifest: string, flags: CommonFlags) => {
    const log = runLog(flags, 'plan', manifest);
    const { plan, exit } = await planOrReport('plan', manifest, flags, log);
    if (!plan) return setExit(exit!);
    const shown = redactPlan(plan);
    process.stdout.write(flags.format === 'json' ? renderJson({ command: 'plan', version: VERSION, plan: shown, diagnostics: [] }) : renderPlan(shown, { colors: stdoutColors(flags), verbose: flags.verbose === true }));
    log.info({ changed: plan.summary.changed, files: plan.summary.files }, 'plan done');
    setExit(exitCode(flags.detailedExitcodes === true, plan.summary.changed > 0, false));
  });
}
