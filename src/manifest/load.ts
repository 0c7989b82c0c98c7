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
  Object.assign(declared, overrides);
  const vars = resolveVars(declared, (name) => (name in overrides || !definedIn.has(name) ? undefined : { src: definedIn.get(name)!, path: ['vars', name] }), diagnostics);

  const resources: DeclaredResource[] = [];
  const verify: VerifySpec[] = [];
  for (const f of files) {
    const data = dataOf(f);
    const list = Array.isArray(data.resources) ? data.resources : [];
    const interpolated = list.map((r, i) => interpolate(r, vars, f, ['resources', i], diagnostics, idOf(r)));
    const checks = interpolate(data.verify, vars, f, ['verify'], diagnostics);
    diagnostics.push(...schemaDiagnostics(f, { ...data, resources: interpolated, ...(checks === undefined ? {} : { verify: checks }) }));
    interpolated.forEach((r, i) => resources.push({ data: r as Record<string, unknown>, src: f, at: ['resources', i] }));
    if (Array.isArray(checks)) verify.push(...(checks as VerifySpec[]));
  }
  if (diagnostics.length > before) return undefined;
  return { file: path.resolve(file), files: files.map((f) => f.file), vars, resources, verify };
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
  const includes = dataOf(src).include;
  if (Array.isArray(includes)) {
    includes.forEach((inc, i) => {
      if (typeof inc === 'string') loadTree(path.resolve(path.dirname(file), inc), [...chain, file], out, diagnostics, { src, at: ['include', i] });
    });
  }
  out.push(src);
}

function dataOf(f: YamlFile): ManifestData {
  return f.data !== null && typeof f.data === 'object' && !Array.isArray(f.data) ? (f.data as ManifestData) : {};
}

function stringVars(v: unknown): Vars {
  if (v === null || typeof v !== 'object') return {};
  return Object.fromEntries(Object.entries(v).filter(([, x]) => ['string', 'number', 'boolean'].includes(typeof x)).map(([k, x]) => [k, String(x)]));
}

function idOf(r: unknown): string | undefined {
  const id = (r as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}
