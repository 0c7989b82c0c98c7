import type { Command } from 'commander';
import { fleetOr, planOrReport, runLog, withRunOptions, type CommonFlags } from './common';
import { EXIT, exitCode } from './exit-codes';
import { renderReport } from './report';
import { savePlan } from './saved-plan';

export function registerPlan(program: Command, setExit: (code: number) => void): void {
  const command = program.command('plan <manifest>').description('show what apply would change, as a unified diff; writes nothing');
  command.option('--out <file>', 'also save the plan (mode 0600) for `remedy apply FILE` to apply exactly as shown');
  withRunOptions(command).action(fleetOr('plan', setExit, async (manifest: string, flags: CommonFlags & { out?: string }) => {
    const log = runLog(flags, 'plan', manifest);
    const { plan, sources, exit } = await planOrReport('plan', manifest, flags, log);
    if (!plan) return setExit(exit!);
    if (flags.out !== undefined && !savePlan(flags.out, plan, sources!, flags, log)) return setExit(EXIT.error);
    process.stdout.write(renderReport({ command: 'plan', plan }, flags));
    log.info({ changed: plan.summary.changed, files: plan.summary.files }, 'plan done');
    setExit(exitCode(flags.detailedExitcodes === true, plan.summary.changed > 0, false));
  }));
}
