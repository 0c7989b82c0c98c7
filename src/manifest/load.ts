import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../engine/diagnostics';
import type { VerifySpec } from '../engine/verify';
import type { Facts } from '../facts/gather';
import { expandResource, flatten, whenHolds, type Skipped } from './expand';
import { interpolate, resolveVars, type Vars } from './interpolate';
import type { TemplateScope } from './jinja';
import { schemaDiagnostics } from './schema-check';
import { readYamlFile, type JsonPath, type YamlFile } from './yaml-file';

/** A resource as declared, after interpolation, with where it came from. */
export interface DeclaredResource {
  data: Record<string, unknown>;
  src: YamlFile;
  at: JsonPath;
}

export interface LoadedManifest {
  file: string;
  /** The manifest, its includes and the templates its resources render: what a saved plan's stale check reads again. */
  files: string[];
  vars: Vars;
  resources: DeclaredResource[];
  /** Instances a `when:` left out, and loops over empty lists. */
  skipped: Skipped[];
  verify: VerifySpec[];
}

/** The managed host as manifests see it: `facts` and `host` (name, groups). */
export interface HostScope {
  facts: Facts;
  host: { name: string; groups: string[] };
  /** A fleet host's inventory vars: over the manifest's own, under --var. */
  vars?: Record<string, unknown>;
}

interface ManifestData {
  vars?: Record<string, unknown>;
  include?: unknown[];
  resources?: unknown[];
  verify?: unknown[];
}

/**
 * Loads a manifest and its includes (resources of included files come first, in
 * include order), interpolates variables and checks every file against the schema.
 * Returns undefined when anything is wrong; all problems are in `diagnostics`.
 */
export function loadManifest(file: string, overrides: Vars, diagnostics: Diagnostic[], hostScope?: HostScope): LoadedManifest | undefined {
  const before = diagnostics.length;
  const files: YamlFile[] = [];
  const hostData = hostScope ? { facts: hostScope.facts, host: hostScope.host } : {};
  loadTree(path.resolve(file), [], files, diagnostics, undefined, { ...hostData, ...overrides });
  if (diagnostics.length > before) return undefined;

  const declared: Vars = {};
  const definedIn = new Map<string, YamlFile>();
  for (const f of files) {
    const own = stringVars(dataOf(f).vars);
    Object.assign(declared, own);
    for (const name of Object.keys(own)) definedIn.set(name, f);
  }
  checkOverrides(overrides, declared, files, diagnostics);
  if (diagnostics.length > before) return undefined;
  Object.assign(declared, stringVars(hostScope?.vars), overrides);
  // Facts and host are `${facts.os.id}`-style names, usable in vars too; they cannot clash with a var (no dots there).
  const hostVars = hostScope ? { ...flatten('facts', hostScope.facts), ...flatten('host', hostScope.host) } : {};
  const resolved = resolveVars({ ...hostVars, ...declared }, (name) => (name in overrides || !definedIn.has(name) ? undefined : { src: definedIn.get(name)!, path: ['vars', name] }), diagnostics);
  const vars = Object.fromEntries(Object.entries(resolved).filter(([name]) => !(name in hostVars)));
  const scope: TemplateScope = { ...dataVars(files), ...hostScope?.vars, ...vars, ...hostData };

  const resources: DeclaredResource[] = [];
  const skipped: Skipped[] = [];
  const templates: string[] = [];
  const verify: VerifySpec[] = [];
  for (const f of files) {
    const data = dataOf(f);
    if (!resourceList(f, data.resources, diagnostics)) continue;
    const expanded = (data.resources ?? []).map((r, i) => expandResource(r as Record<string, unknown>, f, ['resources', i], resolved, scope, diagnostics));
    const checks = interpolate(data.verify, resolved, f, ['verify'], diagnostics);
    diagnostics.push(...schemaDiagnostics(f, { ...data, ...(data.resources === undefined ? {} : { resources: expanded.map((e) => e.form) }), ...(checks === undefined ? {} : { verify: checks }) }));
    expanded.forEach((e, i) => {
      for (const instance of e.instances) resources.push({ data: instance.data, src: f, at: ['resources', i] });
      skipped.push(...e.skipped);
      for (const t of e.templates) if (!templates.includes(t)) templates.push(t);
    });
    if (Array.isArray(checks)) verify.push(...keptChecks(checks as (VerifySpec & { when?: string })[], f, scope, diagnostics));
  }
  if (diagnostics.length > before) return undefined;
  return { file: path.resolve(file), files: [...files.map((f) => f.file), ...templates], vars, resources: withInstanceReferences(resources, skipped), skipped, verify };
}

/** Every var as declared (lists and maps too, for loops, `when` and templates); later files win. */
function dataVars(files: YamlFile[]): TemplateScope {
  return Object.assign({}, ...files.map((f) => (isMapping(dataOf(f).vars) ? dataOf(f).vars : {})));
}

/** Verify checks whose `when` holds, without it. */
function keptChecks(checks: (VerifySpec & { when?: string })[], f: YamlFile, scope: TemplateScope, diagnostics: Diagnostic[]): VerifySpec[] {
  return checks.flatMap(({ when, ...check }, i) => {
    if (when === undefined) return [check];
    const kept = whenHolds(when, scope, (summary, hint) => diagnostics.push({ severity: 'error', summary, hint, source: f.pos(['verify', i, 'when']) }));
    return kept ? [check] : [];
  });
}

/**
 * `requires` and `notify` after loops and `when`: naming a looped resource names all its
 * instances; naming a skipped one is satisfied (there is nothing to wait for or refresh).
 */
function withInstanceReferences(resources: DeclaredResource[], skipped: Skipped[]): DeclaredResource[] {
  const declaredId = (id: string) => id.replace(/\[.*\]$/, '');
  const instances = new Map<string, string[]>();
  for (const r of resources) {
    const id = String(r.data.id);
    const base = declaredId(id);
    if (base === id) continue;
    const list = instances.get(base);
    if (list) list.push(id);
    else instances.set(base, [id]);
  }
  const gone = new Set(skipped.flatMap((s) => [s.id, declaredId(s.id)]));
  const ids = new Set(resources.map((r) => String(r.data.id)));
  const rewrite = (refs: unknown) => (Array.isArray(refs) ? refs.flatMap((ref: string) => (ids.has(ref) ? [ref] : instances.get(ref) ?? (gone.has(ref) ? [] : [ref]))) : refs);
  return resources.map((r) => (r.data.requires === undefined && r.data.notify === undefined ? r : { ...r, data: { ...r.data, ...(r.data.requires === undefined ? {} : { requires: rewrite(r.data.requires) }), ...(r.data.notify === undefined ? {} : { notify: rewrite(r.data.notify) }) } }));
}

/** A --var that no file declares or uses is a typo (`--var php_verison=8.3`): silently ignoring it would plan the wrong thing. */
function checkOverrides(overrides: Vars, declared: Vars, files: YamlFile[], diagnostics: Diagnostic[]): void {
  const unknown = Object.keys(overrides).filter((name) => !(name in declared));
  if (unknown.length === 0) return;
  const text = files.map((f) => JSON.stringify(f.data)).join('\n');
  const known = Object.keys(declared).sort();
  for (const name of unknown.filter((n) => !text.includes('${' + n))) {
    diagnostics.push({
      severity: 'error',
      summary: `--var ${name} is not a variable of this manifest: no vars: declares it and no \${${name}} uses it`,
      hint: known.length > 0 ? `check its spelling; the manifest's variables are: ${known.join(', ')}` : 'the manifest declares no variables; check the manifest and the name',
    });
  }
}

/**
 * Depth-first: includes are pushed before the including file. An include may be
 * `{ path, when }`: its `when` sees facts, host, --var and the vars of the files above it.
 */
function loadTree(file: string, chain: string[], out: YamlFile[], diagnostics: Diagnostic[], from: { src: YamlFile; at: JsonPath } | undefined, scope: TemplateScope): void {
  if (chain.includes(file)) {
    diagnostics.push({ severity: 'error', summary: `include cycle: ${[...chain, file].map((f) => path.basename(f)).join(' -> ')}`, hint: 'remove one of the includes', source: from?.src.pos(from.at) });
    return;
  }
  if (out.some((f) => f.file === file)) return; // included twice: its resources count once
  if (from && !fs.existsSync(file)) {
    diagnostics.push({ severity: 'error', summary: `included manifest ${file} does not exist`, hint: 'include paths are relative to the including manifest', source: from.src.pos(from.at) });
    return;
  }
  const src = readYamlFile(file, diagnostics);
  if (!src) return;
  if (src.data === null || src.data === undefined) src.data = {};
  if (!isMapping(src.data)) {
    diagnostics.push({ severity: 'error', summary: `the manifest is ${kindOfValue(src.data)}, not a mapping with resources:`, hint: 'start the file with `resources:` and list each resource under it with `- id: ...`', source: src.pos([]) });
    return;
  }
  const includes = dataOf(src).include;
  const inner = { ...(isMapping(dataOf(src).vars) ? dataOf(src).vars : {}), ...scope };
  if (Array.isArray(includes)) {
    includes.forEach((inc, i) => {
      const target = typeof inc === 'string' ? inc : isMapping(inc) && typeof (inc as { path?: unknown }).path === 'string' ? (inc as { path: string }).path : undefined;
      const when = isMapping(inc) ? (inc as { when?: unknown }).when : undefined;
      if (target === undefined) return;
      if (typeof when === 'string' && !whenHolds(when, inner, (summary, hint) => diagnostics.push({ severity: 'error', summary, hint, source: src.pos(['include', i, 'when']) }))) return;
      loadTree(path.resolve(path.dirname(file), target), [...chain, file], out, diagnostics, { src, at: ['include', i] }, inner);
    });
  }
  out.push(src);
}

function dataOf(f: YamlFile): ManifestData {
  return isMapping(f.data) ? (f.data as ManifestData) : {};
}

function isMapping(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A manifest that is not a mapping would read as "0 resources, in sync" forever: say what it is. */
function kindOfValue(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (isMapping(v)) return 'a mapping';
  return typeof v === 'string' ? (v.includes('\0') ? 'binary data' : 'a plain string') : `a ${typeof v}`;
}

/**
 * `resources:` must be a list of mappings; anything else (the `-` forgotten) is an error, never
 * an empty manifest. Returns false when the file's resources cannot be read at all.
 */
function resourceList(f: YamlFile, resources: unknown, diagnostics: Diagnostic[]): boolean {
  if (resources === undefined) return true;
  if (resources === null) {
    diagnostics.push(emptyResources(f));
    return false;
  }
  if (!Array.isArray(resources)) {
    diagnostics.push({ severity: 'error', summary: `resources: is ${kindOfValue(resources)}, not a list`, hint: 'start each resource with `- ` under resources:, e.g. `  - id: motd`', source: f.pos(['resources']) });
    return false;
  }
  let ok = true;
  resources.forEach((r, i) => {
    if (isMapping(r)) return;
    ok = false;
    diagnostics.push({ severity: 'error', summary: `resource ${i + 1} of resources: is ${r === null ? 'empty' : kindOfValue(r)}, not a mapping`, hint: 'write each resource as a mapping: `- id: name` then `type:` and its fields', source: f.pos(['resources', i]) });
  });
  return ok;
}

function emptyResources(f: YamlFile): Diagnostic {
  return { severity: 'error', summary: 'resources: is empty', hint: 'list the resources under it, or remove the key (a file of vars or verify checks only)', source: f.pos(['resources']) };
}

function stringVars(v: unknown): Vars {
  if (v === null || typeof v !== 'object') return {};
  return Object.fromEntries(Object.entries(v).filter(([, x]) => ['string', 'number', 'boolean'].includes(typeof x)).map(([k, x]) => [k, String(x)]));
}
