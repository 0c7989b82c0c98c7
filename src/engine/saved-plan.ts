import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { sha256Of } from './bytes';
import { ResourceError, type Diagnostic } from './diagnostics';
import type { FileChange, FileSummary, Plan } from './plan';
import { readModel } from './read';
import type { ManifestSources } from '../run/run';
import type { FileModel } from './types';
import { writeFileAtomic } from './write';

/** The top-level field that tells a saved plan from a manifest (a manifest may be JSON too). */
const SAVED_PLAN_MARKER = 'remedySavedPlan';
const SAVED_PLAN_FORMAT_VERSION = 1;

/** A file change as saved: the pre-image is its sha256 (in `before`), the new state is `wanted`. */
type SavedFileChange = Omit<FileChange, 'current'>;

/** `remedy plan --out`: everything apply needs, so that it can do exactly what was reviewed. */
export interface SavedPlan {
  [SAVED_PLAN_MARKER]: true;
  formatVersion: number;
  remedy: string;
  createdAt: string;
  /** sha256 over the manifest's and its includes' bytes and the effective vars. */
  manifestDigest: string;
  plan: Omit<Plan, 'files'> & { files: SavedFileChange[] };
}

/** A saved plan file: mode 0600 (it holds the new content of every file), written atomically. */
export function writeSavedPlan(file: string, plan: Plan, sources: ManifestSources, version: string): void {
  const saved: SavedPlan = {
    [SAVED_PLAN_MARKER]: true,
    formatVersion: SAVED_PLAN_FORMAT_VERSION,
    remedy: version,
    createdAt: new Date().toISOString(),
    manifestDigest: manifestDigest(sources),
    plan: { ...plan, files: plan.files.map(({ current: _current, ...f }) => f) },
  };
  writeFileAtomic(file, Buffer.from(JSON.stringify(saved, null, 2) + '\n'), { mode: 0o600 });
}

/** Two plans from the same inputs have the same digest; a changed include or variable changes it. */
function manifestDigest(sources: ManifestSources): string {
  const hash = createHash('sha256');
  for (const file of sources.files) {
    const bytes = fs.readFileSync(file);
    hash.update(`${bytes.length}\n`).update(bytes);
  }
  hash.update(JSON.stringify(Object.entries(sources.vars).sort(([a], [b]) => (a < b ? -1 : 1))));
  return `sha256:${hash.digest('hex')}`;
}

/** The parsed document when `file` is a saved plan (detected by content, not by extension), else undefined. */
export function readSavedPlanFile(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // the manifest loader reports an unreadable file
  }
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const doc = JSON.parse(text) as unknown;
    return doc !== null && typeof doc === 'object' && SAVED_PLAN_MARKER in doc ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The saved plan, when this remedy can apply its format; otherwise a diagnostic. */
export function checkSavedPlan(doc: Record<string, unknown>, file: string, diagnostics: Diagnostic[]): SavedPlan | undefined {
  if (doc.formatVersion !== SAVED_PLAN_FORMAT_VERSION) {
    diagnostics.push({
      severity: 'error',
      summary: `${file} is a saved plan of format ${JSON.stringify(doc.formatVersion)} (made by remedy ${String(doc.remedy)}); this remedy applies format ${SAVED_PLAN_FORMAT_VERSION} only`,
      hint: 'make the plan again with this remedy (remedy plan MANIFEST --out FILE), review it, and apply that',
    });
    return undefined;
  }
  const plan = doc.plan as Partial<SavedPlan['plan']> | undefined;
  if (!Array.isArray(plan?.files) || !Array.isArray(plan.resources) || !Array.isArray(plan.verify) || typeof plan.root !== 'string') {
    diagnostics.push({ severity: 'error', summary: `${file} is not a complete saved plan (plan.root, plan.resources, plan.files or plan.verify is missing)`, hint: 'make the plan again: remedy plan MANIFEST --out FILE' });
    return undefined;
  }
  return doc as unknown as SavedPlan;
}

/**
 * Reads every planned path again. A path whose type or bytes differ from the pre-image
 * makes the whole plan stale (one diagnostic per path); otherwise the plan comes back
 * with each file's current state, which a rollback restores.
 */
export function revalidateSavedPlan(saved: SavedPlan, file: string, diagnostics: Diagnostic[]): Plan | undefined {
  const files: FileChange[] = [];
  for (const f of saved.plan.files) {
    try {
      const now = readModel(f.host);
      const change = preImageChange(f.before, now);
      if (change) diagnostics.push(staleDiagnostic(f.path, change, file));
      else files.push({ ...f, current: now });
    } catch (e) {
      if (!(e instanceof ResourceError)) throw e;
      diagnostics.push(staleDiagnostic(f.path, `it cannot be read now: ${e.message}`, file));
    }
  }
  return diagnostics.length > 0 ? undefined : { ...saved.plan, files };
}

/** Why a path no longer is what the plan saw, or '' when it still is. */
function preImageChange(before: FileSummary, now: FileModel): string {
  if (now.type !== before.type) return `it was ${article(before.type)} and is now ${article(now.type)}`;
  if (now.type === 'link' && now.target !== before.target) return `the link pointed to ${before.target} and now points to ${now.target}`;
  if (now.type !== 'file') return '';
  const sha256 = sha256Of(now.content);
  return sha256 === before.sha256 ? '' : `its content changed (sha256 ${before.sha256?.slice(0, 12)}… is now ${sha256.slice(0, 12)}…)`;
}

function article(type: FileModel['type']): string {
  return type === 'absent' ? 'absent' : type === 'directory' ? 'a directory' : `a ${type}`;
}

function staleDiagnostic(path: string, change: string, file: string): Diagnostic {
  return {
    severity: 'error',
    summary: `saved plan is stale: ${path} is no longer what the plan saw: ${change}`,
    hint: `nothing was written; make a new plan (remedy plan MANIFEST --out ${file}), review it, and apply that`,
  };
}
