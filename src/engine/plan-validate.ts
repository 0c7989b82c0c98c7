import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeLossless } from './bytes';
import type { Diagnostic } from './diagnostics';
import { describeExit, runCommand, showCommand } from './exec';
import type { FileChange, Plan } from './plan';

/** What the plan knows of one validator of a file change. */
export interface ValidationNote {
  command: string;
  /** `passed`: it accepted the candidate at plan time; `at-apply`: in place (no %s), it can only run at apply. */
  result: 'passed' | 'at-apply';
}

const VALIDATOR_TIMEOUT_MS = 120_000;
const OUTPUT_SHOWN = 4_000;

/** One line a validator, for every report: what it said of the candidate, or that it runs at apply. */
export function validationLines(notes: ValidationNote[] | undefined): string[] {
  return (notes ?? []).map((n) => (n.result === 'passed' ? `validated: ${n.command} accepts the candidate` : `validate at apply: ${n.command} (in place, no %s: it checks the real file)`));
}

/** `%s` replaced by the file, literally: a name holding `$&` or `$'` must reach the validator as it is. */
export function withFile(argv: string[], file: string): string[] {
  return argv.map((a) => a.split('%s').join(file));
}

export function takesFile(argv: string[]): boolean {
  return argv.some((a) => a.includes('%s'));
}

/**
 * Runs every `%s` validator of the plan's file changes on its candidate, so that a dry run
 * (CI, `check`) says what apply would refuse. The candidate is written to a private temp dir,
 * never beside the real file, read-only; the managed system is not touched. Each change gains
 * its notes; a refusal is a diagnostic (the validator's output shown unless the file is sensitive).
 */
export async function validateCandidates(plan: Plan): Promise<Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  for (const f of plan.files) {
    if (f.validate.length === 0 || f.wanted.type !== 'file') continue;
    f.validation = [];
    const candidate = f.validate.some(takesFile) ? writeCandidate(f, f.wanted.content) : undefined;
    try {
      for (const argv of f.validate) {
        if (!takesFile(argv)) f.validation.push({ command: showCommand(argv), result: 'at-apply' });
        else if (await accepted(argv, candidate!, f, plan, diagnostics)) f.validation.push({ command: showCommand(argv), result: 'passed' });
      }
    } finally {
      if (candidate) fs.rmSync(path.dirname(candidate), { recursive: true, force: true });
    }
  }
  return diagnostics;
}

/** The candidate under its own name (validators look at the extension: `php -l x.php`), 0400 in a 0700 dir. */
function writeCandidate(f: FileChange, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-candidate-'));
  const file = path.join(dir, path.basename(f.path));
  fs.writeFileSync(file, encodeLossless(content), { mode: 0o400 });
  return file;
}

async function accepted(argv: string[], candidate: string, f: FileChange, plan: Plan, diagnostics: Diagnostic[]): Promise<boolean> {
  const res = await runCommand({ argv: withFile(argv, candidate), timeoutMs: VALIDATOR_TIMEOUT_MS });
  if (!res.timedOut && res.code === 0) return true;
  const why = describeExit(res);
  const output = (res.stdout + res.stderr).split(candidate).join(f.path).trim();
  diagnostics.push({
    severity: 'error',
    summary: `validation refuses the planned ${f.path}: ${showCommand(argv)} ${why} on the candidate, so apply would refuse it too`,
    detail: f.sensitive ? '(validator output hidden: the file is sensitive)' : output.slice(0, OUTPUT_SHOWN) || undefined,
    hint: 'fix the manifest so that the result is valid; --no-validate plans without running validators',
    resourceId: f.resources[0],
    source: plan.resources.find((r) => r.id === f.resources[0])?.source,
  });
  return false;
}
