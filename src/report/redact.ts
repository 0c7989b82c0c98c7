import type { ApplyResult } from '../engine/apply';
import type { FileChange, Plan, ResourcePlan } from '../engine/plan';
import type { CheckResult } from '../engine/verify';

export const HIDDEN = '(sensitive: hidden)';

/** Every view shows the plan through this: sensitive content, reasons and outputs hidden. */
export function redactPlan(plan: Plan): Plan {
  return { ...plan, resources: plan.resources.map(redactResource), files: plan.files.map(redactFile) };
}

function redactResource(r: ResourcePlan): ResourcePlan {
  if (!r.sensitive) return r;
  const hide = (cmds: ResourcePlan['commands']) => cmds.map((c) => ({ ...c, argv: [HIDDEN], env: undefined }));
  return { ...r, reason: r.changed ? `changes ${HIDDEN}` : `in sync ${HIDDEN}`, commands: hide(r.commands), refresh: hide(r.refresh) };
}

function redactFile(f: FileChange): FileChange {
  if (!f.sensitive) return f;
  const lines = f.diff.split('\n').filter((l) => /^[+-](?![+-]{2} )/.test(l)).length;
  // A hash or size of a short secret (a PIN) is as good as the secret: neither is shown.
  const summary = ({ sha256: _sha256, size: _size, ...rest }: FileChange['before']) => rest;
  return { ...f, before: summary(f.before), after: summary(f.after), diff: f.diff ? `--- a${f.path}\n+++ b${f.path}\n${HIDDEN} ${lines} changed line(s)\n` : '', wanted: { type: f.wanted.type } as FileChange['wanted'], current: { type: f.current.type } as FileChange['current'] };
}

export function redactResult(plan: Plan, result: ApplyResult): ApplyResult {
  const sensitive = new Set(plan.resources.filter((r) => r.sensitive).map((r) => r.address));
  // A refused validator's output may quote the candidate file, which holds the secret of
  // every sensitive resource on that path, whichever resource the failure is reported on.
  const sensitiveFiles = new Set(plan.files.filter((f) => f.sensitive).map((f) => f.path));
  const onSensitiveFile = new Set(plan.resources.filter((r) => r.path !== undefined && sensitiveFiles.has(r.path)).map((r) => r.address));
  const hideOutput = (o: ApplyResult['outcomes'][number]) => ({ ...o, output: o.output === undefined ? undefined : HIDDEN });
  // A verify command may print any managed file (`cat`, a config dump): with secrets in the run, its output is hidden.
  const hideChecks = (checks: CheckResult[]) => (sensitive.size + sensitiveFiles.size === 0 ? checks : checks.map((c) => (c.output === undefined ? c : { ...c, output: HIDDEN })));
  return {
    ...result,
    verify: result.verify && hideChecks(result.verify),
    rollback: result.rollback && { ...result.rollback, checks: hideChecks(result.rollback.checks) },
    outcomes: result.outcomes.map((o) =>
      sensitive.has(o.address) ? { ...hideOutput(o), message: o.message && o.status === 'failed' ? `failed ${HIDDEN}` : o.message } : onSensitiveFile.has(o.address) ? hideOutput(o) : o,
    ),
  };
}
