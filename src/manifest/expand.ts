import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside } from '../engine/root';
import type { Diagnostic } from '../engine/diagnostics';
import { interpolate, type Vars } from './interpolate';
import { evaluateWhen, JinjaError, renderTemplate, type TemplateScope } from './jinja';
import type { JsonPath, YamlFile } from './yaml-file';

/**
 * The host-aware part of loading: `loop:` makes one instance per item, `when:` keeps or
 * skips an instance, `template:` renders a file resource's content. Pure over the scope
 * (vars, facts, host): nothing here reads the managed system.
 */

/** A resource instance after loop, interpolation and `when`. */
export interface Instance {
  data: Record<string, unknown>;
}

/** A resource (instance) left out by its `when`, or a loop over an empty list: shown in the plan, never silently dropped. */
export interface Skipped {
  id: string;
  type: string;
  path?: string;
  reason: string;
  src: YamlFile;
  at: JsonPath;
}

export interface Expanded {
  instances: Instance[];
  skipped: Skipped[];
  /** Template files read (for a saved plan's stale check). */
  templates: string[];
  /** What the schema checks: the first instance as written (id, loop and when as declared), or the resource itself. */
  form: Record<string, unknown>;
}

/** `prefix.a.b` -> scalar leaves, for `${facts.os.id}`; a list is also its items joined by commas (`${host.groups}`). */
export function flatten(prefix: string, value: unknown, out: Vars = {}): Vars {
  if (value === null || value === undefined) return out;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) out[prefix] = value.join(',');
    value.forEach((v, i) => flatten(`${prefix}.${i}`, v, out));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(`${prefix}.${k}`, v, out);
  } else out[prefix] = String(value);
  return out;
}

const WHOLE_REFERENCE = /^\$\{([A-Za-z_][\w.]*)\}$/;

function lookup(scope: TemplateScope, name: string): unknown {
  return name.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, k) ? (v as Record<string, unknown>)[k] : undefined), scope);
}

/** The loop's items: a literal list (its strings interpolated), a map (as {key, value} items), or `${name}` of a list var, fact or host field. */
function loopItems(loop: unknown, src: YamlFile, at: JsonPath, vars: Vars, scope: TemplateScope, report: (summary: string, hint: string, field: JsonPath) => void, diagnostics: Diagnostic[], id?: string): unknown[] | undefined {
  const asItems = (v: unknown): unknown[] | undefined => {
    if (Array.isArray(v)) return v;
    if (v !== null && typeof v === 'object') return Object.entries(v).map(([key, value]) => ({ key, value }));
    return undefined;
  };
  if (typeof loop === 'string') {
    const name = WHOLE_REFERENCE.exec(loop.trim())?.[1];
    const value = name === undefined ? undefined : lookup(scope, name);
    const items = asItems(value);
    if (items) return items;
    report(name === undefined ? `loop: '${loop}' is not a list` : value === undefined ? `loop: \${${name}} is not defined` : `loop: \${${name}} is ${typeof value}, not a list`, 'give a list, a map, or exactly one ${name} of a list var, fact (facts.ipv4) or host.groups', [...at, 'loop']);
    return undefined;
  }
  const items = asItems(loop);
  if (!items) {
    report('loop: must be a list, a map or ${name} of a list', 'write loop: [a, b] or loop: ${sites}', [...at, 'loop']);
    return undefined;
  }
  return Array.isArray(loop) ? (interpolate(items, vars, src, [...at, 'loop'], diagnostics, id) as unknown[]) : items;
}

/** What an item is called in ids: a scalar itself, a map by its name, key or id, else its position. */
function labelOf(item: unknown, index: number): string {
  if (item === null || typeof item !== 'object') return String(item);
  const named = ['name', 'key', 'id'].map((k) => (item as Record<string, unknown>)[k]).find((v) => typeof v === 'string' || typeof v === 'number');
  return named === undefined ? String(index) : String(named);
}

/**
 * One declared resource -> its instances. Problems are diagnostics at the field that
 * causes them (the loop, the when, the template), naming the resource.
 */
export function expandResource(raw: Record<string, unknown>, src: YamlFile, at: JsonPath, vars: Vars, scope: TemplateScope, diagnostics: Diagnostic[]): Expanded {
  const id = typeof raw.id === 'string' ? raw.id : undefined;
  const report = (summary: string, hint: string, field: JsonPath) => diagnostics.push({ severity: 'error', summary, hint, resourceId: id, source: src.pos(field) });
  const { loop, when, ...body } = raw;
  const items = loop === undefined ? [undefined] : loopItems(loop, src, at, vars, scope, report, diagnostics, id);
  const out: Expanded = { instances: [], skipped: [], templates: [], form: raw };
  if (!items) return out;
  if (items.length === 0) {
    out.skipped.push({ id: id ?? '?', type: String(raw.type), path: typeof raw.path === 'string' ? raw.path : undefined, reason: 'loop over an empty list: no instances', src, at });
    return out;
  }
  items.forEach((item, index) => {
    const itemVars = loop === undefined ? vars : { ...vars, ...flatten('item', item) };
    const data = interpolate(body, itemVars, src, at, diagnostics, id) as Record<string, unknown>;
    if (index === 0) out.form = { ...data, ...(loop === undefined ? {} : { loop }), ...(when === undefined ? {} : { when }) };
    const itemScope = loop === undefined ? scope : { ...scope, item };
    const label = loop === undefined ? undefined : labelOf(item, index);
    const instanceId = label === undefined ? id : `${id}[${label}]`;
    if (typeof when === 'string') {
      const kept = whenHolds(when, itemScope, (summary, hint) => report(summary, hint, [...at, 'when']));
      if (kept === undefined) return;
      if (!kept) {
        out.skipped.push({ id: instanceId ?? '?', type: String(raw.type), path: typeof data.path === 'string' ? data.path : undefined, reason: `when: ${when} is false`, src, at });
        return;
      }
    }
    if (typeof data.template === 'string' && !renderInto(data, src, itemScope, out.templates, (summary, hint) => report(summary, hint, [...at, 'template']))) return;
    const own = label === undefined ? data : { ...data, id: instanceId };
    if (data.type === 'file' && data.recurse === true) {
      out.instances.push(...treeInstances(own, src, itemScope, out.templates, (summary, hint) => report(summary, hint, [...at, 'source'])));
      return;
    }
    out.instances.push({ data: own });
  });
  return out;
}

/** Puppet's rule for a recursive mode: directories get x wherever r is set (0644 -> 0755, 0640 -> 0750). */
function directoryMode(mode: unknown): string | undefined {
  if (typeof mode !== 'string' || !/^0?[0-7]{3,4}$/.test(mode)) return undefined;
  const bits = parseInt(mode, 8);
  return `0${(bits | ((bits & 0o444) >> 2)).toString(8).padStart(3, '0')}`;
}

/**
 * `source: dir/` with `recurse: true`: the directory, each directory below it and each
 * file, as instances `id[relative/path]` in tree order (parents first). A `.j2` file is a
 * template rendered without its suffix. The source must stay inside the manifest's folder.
 */
function treeInstances(data: Record<string, unknown>, src: YamlFile, scope: TemplateScope, templates: string[], report: (summary: string, hint: string) => void): Instance[] {
  const folder = path.dirname(src.file);
  const from = path.resolve(folder, String(data.source ?? ''));
  let realFrom: string;
  try {
    realFrom = fs.realpathSync(from);
  } catch {
    report(`source ${String(data.source)} does not exist (looked for ${from})`, 'recurse copies a directory beside the manifest: source: files/site/');
    return [];
  }
  if (!isInside(fs.realpathSync(folder), realFrom) || !fs.statSync(realFrom).isDirectory()) {
    report(`source ${String(data.source)} is not a directory inside the manifest's folder`, 'keep the tree beside the manifest (files/site/) and give it relative to the manifest');
    return [];
  }
  const { recurse: _recurse, purge, source: _source, content: _content, ...common } = data;
  const target = String(data.path).replace(/\/+$/, '');
  const dirData = (rel: string) => ({ ...common, id: `${data.id}[${rel || '.'}]`, path: rel ? `${target}/${rel}` : target, ensure: 'directory', mode: directoryMode(data.mode), ...(rel === '' && purge ? { purge: true } : {}) });
  const instances: Instance[] = [{ data: dirData('') }];
  const walkTree = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(realFrom, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        instances.push({ data: dirData(child) });
        walkTree(child);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        const source = path.relative(folder, path.join(from, child));
        const isTemplate = child.endsWith('.j2');
        const managed = isTemplate ? child.slice(0, -3) : child;
        const file: Record<string, unknown> = { ...common, id: `${data.id}[${managed}]`, path: `${target}/${managed}`, ...(isTemplate ? { template: source } : { source }) };
        if (!isTemplate || renderInto(file, src, scope, templates, report)) instances.push({ data: file });
      }
    }
  };
  walkTree('');
  return instances;
}

/** The truth of a `when:`, or undefined after reporting why it has none. */
export function whenHolds(expression: string, scope: TemplateScope, report: (summary: string, hint: string) => void): boolean | undefined {
  try {
    return evaluateWhen(expression, scope);
  } catch (e) {
    if (!(e instanceof JinjaError)) throw e;
    report(`when: ${e.message}`, e.hint);
    return undefined;
  }
}

/** A file resource's `template:` rendered into its content; false after reporting why it could not be. */
function renderInto(data: Record<string, unknown>, src: YamlFile, scope: TemplateScope, templates: string[], report: (summary: string, hint: string) => void): boolean {
  if (data.content !== undefined || data.source !== undefined) {
    report('template is set with content or source; the file can only have one of them', 'keep template (rendered from a file next to the manifest), content or source');
    return false;
  }
  try {
    const rendered = renderTemplate(data.template as string, path.dirname(src.file), scope);
    data.content = rendered.text;
    for (const f of rendered.files) if (!templates.includes(f)) templates.push(f);
    return true;
  } catch (e) {
    if (!(e instanceof JinjaError)) throw e;
    report(`template ${e.message}`, e.hint);
    return false;
  }
}
