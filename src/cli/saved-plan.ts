import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../engine/diagnostics';
import type { Plan } from '../engine/plan';
import type { CheckedManifest, ManifestSources } from '../run/run';
import { checkSavedPlan, readSavedPlanFile, revalidateSavedPlan, writeSavedPlan } from '../engine/saved-plan';
import { checkFormat, planOrReport, REPORT_FORMATS, reportDiagnostics, VERSION, type CommonFlags } from './common';
import { EXIT } from './exit-codes';
import type { RunLog } from './log';

/** `plan --out FILE`: saves what apply needs; a file that cannot be written is an error (exit 1). */
export function savePlan(file: string, plan: Plan, sources: ManifestSources, flags: CommonFlags, log: RunLog): boolean {
  const input = inputAt(file, plan, sources);
  if (input) {
    reportDiagnostics('plan', [{ severity: 'error', summary: `--out ${file} is ${input}: saving the plan there would overwrite it`, hint: 'give another file, e.g. --out plan.json' }], flags);
    return false;
  }
  try {
    writeSavedPlan(file, plan, sources, VERSION);
  } catch (e) {
    const summary = `--out ${file} cannot be written: ${(e as Error).message}`;
    reportDiagnostics('plan', [{ severity: 'error', summary, hint: 'give a writable path in an existing directory' }], flags);
    return false;
  }
  log.info({ file, files: plan.files.length }, 'plan saved');
  const root = plan.root === '/' ? '' : ` --root ${plan.root}`;
  process.stderr.write(`Saved the plan to ${file} (mode 0600: it holds the new content of ${plan.files.length} file(s)). Apply exactly this plan with: remedy apply ${file}${root}\n`);
  return true;
}

/** What the run reads that `file` is (links resolved), if anything. */
function inputAt(file: string, plan: Plan, sources: ManifestSources): string | undefined {
  const target = realPath(file);
  if (sources.files.some((f) => realPath(f) === target)) return 'a manifest of this run';
  if (plan.files.some((f) => realPath(f.host) === target)) return 'a file this plan manages';
  return undefined;
}

function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/**
 * apply's argument is a manifest or a saved plan (told apart by content). A saved plan is
 * applied as it is, only if every file still has its pre-image; otherwise nothing is written.
 */
export async function planForApply(file: string, flags: CommonFlags, log: RunLog, checked?: CheckedManifest): Promise<{ plan?: Plan; exit?: number; checked?: CheckedManifest }> {
  const doc = checked ? undefined : readSavedPlanFile(file);
  if (!doc) return planOrReport('apply', file, flags, log, checked);
  checkFormat(flags, REPORT_FORMATS);
  const diagnostics: Diagnostic[] = [];
  const saved = checkSavedPlan(doc, file, diagnostics);
  if (saved) checkFlagsFitPlan(saved.plan, flags, diagnostics);
  const plan = saved && diagnostics.length === 0 ? revalidateSavedPlan(saved, file, diagnostics) : undefined;
  if (!saved || !plan) {
    reportDiagnostics('apply', diagnostics, flags);
    log.error({ savedPlan: file, diagnostics }, 'saved plan refused; nothing was changed');
    return { exit: EXIT.error };
  }
  log.info({ savedPlan: file, manifestDigest: saved.manifestDigest, createdAt: saved.createdAt }, 'applying a saved plan');
  return { plan };
}

/** The plan already holds its root and vars: flags that would change them are refused, not ignored. */
function checkFlagsFitPlan(plan: Pick<Plan, 'root'>, flags: CommonFlags, diagnostics: Diagnostic[]): void {
  if (path.resolve(flags.root) !== plan.root) {
    diagnostics.push({ severity: 'error', summary: `the saved plan was made for --root ${plan.root}, not ${path.resolve(flags.root)}`, hint: `a saved plan applies to the tree it read: run apply with --root ${plan.root}` });
  }
  if (flags.var.length > 0) {
    diagnostics.push({ severity: 'error', summary: '--var cannot change a saved plan: its variables were fixed when it was made', hint: 'leave out --var, or make a new plan with the variables you want' });
  }
}
