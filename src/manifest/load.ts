import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../engine/diagnostics';
import type { VerifySpec } from '../engine/verify';
import { interpolate, resolveVars, type Vars } from './interpolate';
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
  files: string[];
  vars: Vars;
  resources: DeclaredResource[];
  verify: VerifySpec[];
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
export function loadManifest(file: string, overrides: Vars, diagnostics: Diagnostic[]): LoadedManifest | undefined {
  const before = diagnostics.length;
  const files: YamlFile[] = [];
  loadTree(path.resolve(file), [], files, diagnostics);
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
  Object.assign(declared, overrides);
  const vars = resolveVars(declared, (name) => (name in overrides || !definedIn.has(name) ? undefined : { src: definedIn.get(name)!, path: ['vars', name] }), diagnostics);

  const resources: DeclaredResource[] = [];
  const verify: VerifySpec[] = [];
  for (const f of files) {
    const data = dataOf(f);
    if (!resourceList(f, data.resources, diagnostics)) continue;
    const list = data.resources ?? [];
    const interpolated = list.map((r, i) => interpolate(r, vars, f, ['resources', i], diagnostics, idOf(r)));
    const checks = interpolate(data.verify, vars, f, ['verify'], diagnostics);
    diagnostics.push(...schemaDiagnostics(f, { ...data, ...(data.resources === undefined ? {} : { resources: interpolated }), ...(checks === undefined ? {} : { verify: checks }) }));
    interpolated.forEach((r, i) => resources.push({ data: r as Record<string, unknown>, src: f, at: ['resources', i] }));
    if (Array.isArray(checks)) verify.push(...(checks as VerifySpec[]));
  }
  if (diagnostics.length > before) return undefined;
  return { file: path.resolve(file), files: files.map((f) => f.file), vars, resources, verify };
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

/** Depth-first: includes are pushed before the including file. */
function loadTree(file: string, chain: string[], out: YamlFile[], diagnostics: Diagnostic[], from?: { src: YamlFile; at: JsonPath }): void {
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
  if (Array.isArray(includes)) {
    includes.forEach((inc, i) => {
      if (typeof inc === 'string') loadTree(path.resolve(path.dirname(file), inc), [...chain, file], out, diagnostics, { src, at: ['include', i] });
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

function idOf(r: unknown): string | undefined {
  const id = (r as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}
