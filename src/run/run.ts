import * as fs from 'node:fs';
import * as path from 'node:path';
// The orchestration of one run's phases, above engine/ and manifest/: facts, load, check,
// select (--only), resolve, read, plan, validate. Nothing here writes.
import type { Diagnostic } from '../engine/diagnostics';
import { planChanges, type Plan, type SkippedPlan } from '../engine/plan';
import { validateCandidates } from '../engine/plan-validate';
import { machineLookup, readSystem } from '../engine/read';
import type { ResolvedResource } from '../engine/types';
import { toVerifyCheck, type VerifyCheck } from '../engine/verify';
import { gatherFacts, type Facts } from '../facts/gather';
import { checkResources, type CheckedResource } from '../manifest/check';
import type { Skipped } from '../manifest/expand';
import { loadManifest } from '../manifest/load';
import { selectOnly } from '../manifest/select';
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
  /** `host.groups` for the manifest (--group); locally none by default. */
  groups?: string[];
  /** --only: ids or tags to plan, with what they require and notify. */
  only?: string[];
  /** A fleet host: its name and inventory vars (the agent on the host sets them). */
  host?: { name: string; vars: Record<string, unknown> };
  /** The git commit the manifest comes from (remedy pull). */
  commit?: string;
  /**
   * What records, pending refreshes and reports call the manifest, when its file is only a
   * copy: the fleet agent's is in a temp dir of each run, named `controller:/path`, so
   * that in-sync runs of one manifest share a record and an interrupted run's owed
   * refreshes are found by the next.
   */
  manifestName?: string;
}

export interface PlanOutcome {
  plan?: Plan;
  checked?: CheckedManifest;
  resources?: ResolvedResource[];
  sources?: ManifestSources;
  diagnostics: Diagnostic[];
}

/** What a plan was made from: the manifest, its includes (load order) and templates, the effective vars and the facts. */
export interface ManifestSources {
  files: string[];
  vars: Vars;
  facts?: Facts;
}

/** The manifest loaded and checked: what does not depend on the machine (globs are resolved later, against it). */
export interface CheckedManifest {
  resources: CheckedResource[];
  skipped: Skipped[];
  verify: VerifyCheck[];
  sources: ManifestSources;
}

export interface ResolvedManifest {
  resources: ResolvedResource[];
  verify: VerifyCheck[];
  sources: ManifestSources;
}

/** facts -> load -> check: the manifest's resources in order, or diagnostics. */
function checkManifest(opts: RunOptions, diagnostics: Diagnostic[]): CheckedManifest | undefined {
  const { facts, problems } = gatherFacts(opts.root);
  for (const p of problems) diagnostics.push({ severity: 'error', summary: `external fact ${p.file}: ${p.message}`, hint: `fix or remove it (it would be facts.custom.${p.file.replace(/^.*\//, '').replace(/\.(json|ya?ml)$/, '')})` });
  if (diagnostics.length > 0) return undefined;
  const loaded = loadManifest(opts.manifest, opts.vars, diagnostics, { facts, host: { name: opts.host?.name ?? facts.hostname, groups: opts.groups ?? [] }, vars: opts.host?.vars });
  if (!loaded) return undefined;
  const selected = selectOnly(checkResources(loaded.resources, diagnostics), opts.only ?? [], diagnostics);
  return diagnostics.length > 0 ? undefined : { resources: selected.kept, skipped: [...loaded.skipped, ...selected.left], verify: loaded.verify.map(toVerifyCheck), sources: { files: loaded.files, vars: loaded.vars, facts } };
}

/** How a skipped instance shows in the plan. */
function skippedPlan(s: Skipped): SkippedPlan {
  return { id: s.id, kind: s.type, address: s.path === undefined ? `${s.type}.${s.id}` : `${s.type}.${s.id}[${s.path}]`, path: s.path, action: 'skip', reason: s.reason, source: s.src.pos(s.at) };
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
  const planned = planChanges(opts.manifestName ?? path.resolve(opts.manifest), path.resolve(opts.root), manifest.resources, state, machineLookup(opts.root, path.dirname(path.resolve(opts.manifest))), manifest.verify);
  if (planned.plan && manifest.checked.skipped.length > 0) planned.plan.skipped = manifest.checked.skipped.map(skippedPlan);
  if (planned.plan && manifest.sources.facts) planned.plan.facts = { ...manifest.sources.facts };
  if (planned.plan && opts.commit) planned.plan.commit = opts.commit;
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
