import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from './diagnostics';
import { planChanges, type Plan } from './plan';
import { validateCandidates } from './plan-validate';
import { machineLookup, readSystem } from './read';
import type { ResolvedResource } from './types';
import { toVerifyCheck, type VerifyCheck } from './verify';
import { checkResources, type CheckedResource } from '../manifest/check';
import { loadManifest } from '../manifest/load';
import { resolveResources } from '../manifest/resolve';
import type { Vars } from '../manifest/interpolate';

export interface RunOptions {
  manifest: string;
  root: string;
  vars: Vars;
  /** Where the record of earlier runs is (drift vs intended change); default `<root>/var/lib/remedy`. */
  stateDir?: string;
  /** Run the `%s` validators on each candidate at plan time (default true; `--no-validate`). */
  validate?: boolean;
  /** The manifest as an earlier plan of this run loaded and checked it: planning again (under the lock) only reads the machine again. */
  checked?: CheckedManifest;
}

export interface PlanOutcome {
  plan?: Plan;
  checked?: CheckedManifest;
  resources?: ResolvedResource[];
  sources?: ManifestSources;
  diagnostics: Diagnostic[];
}

/** What a plan was made from: the manifest and its includes (load order) and the effective vars. */
export interface ManifestSources {
  files: string[];
  vars: Vars;
}

/** The manifest loaded and checked: what does not depend on the machine (globs are resolved later, against it). */
export interface CheckedManifest {
  resources: CheckedResource[];
  verify: VerifyCheck[];
  sources: ManifestSources;
}

export interface ResolvedManifest {
  resources: ResolvedResource[];
  verify: VerifyCheck[];
  sources: ManifestSources;
}

/** load -> check: the manifest's resources in order, or diagnostics. */
function checkManifest(opts: RunOptions, diagnostics: Diagnostic[]): CheckedManifest | undefined {
  const loaded = loadManifest(opts.manifest, opts.vars, diagnostics);
  if (!loaded) return undefined;
  const resources = checkResources(loaded.resources, diagnostics);
  return diagnostics.length > 0 ? undefined : { resources, verify: loaded.verify.map(toVerifyCheck), sources: { files: loaded.files, vars: loaded.vars } };
}

/** load -> check -> resolve: the manifest as ordered resource instances, or diagnostics. */
export function resolveManifest(opts: RunOptions, diagnostics: Diagnostic[]): (ResolvedManifest & { checked: CheckedManifest }) | undefined {
  const checked = opts.checked ?? checkManifest(opts, diagnostics);
  if (!checked) return undefined;
  const resources = resolveResources(checked.resources, opts.root, diagnostics);
  return diagnostics.length > 0 ? undefined : { resources, verify: checked.verify, sources: checked.sources, checked };
}

/** Every phase up to the plan; nothing here writes. */
export async function makePlan(opts: RunOptions): Promise<PlanOutcome> {
  const diagnostics: Diagnostic[] = [];
  if (!isDirectory(opts.root)) {
    diagnostics.push({ severity: 'error', summary: `--root ${opts.root} is not a directory`, hint: 'give an existing directory, or omit --root to manage /' });
    return { diagnostics };
  }
  const manifest = resolveManifest(opts, diagnostics);
  if (!manifest) return { diagnostics };
  const state = await readSystem(manifest.resources, opts.root, diagnostics, opts.stateDir);
  if (diagnostics.length > 0) return { diagnostics };
  const planned = planChanges(path.resolve(opts.manifest), path.resolve(opts.root), manifest.resources, state, machineLookup(opts.root, path.dirname(path.resolve(opts.manifest))), manifest.verify);
  if (planned.plan && opts.validate !== false) {
    const refused = await validateCandidates(planned.plan);
    if (refused.length > 0) return { diagnostics: refused };
  }
  return { ...planned, resources: manifest.resources, sources: manifest.sources, checked: manifest.checked };
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
