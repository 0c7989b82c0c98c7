import * as path from 'node:path';
import { parse as parseShell } from 'shell-quote';
import { ResourceError, formatPos, withoutSecrets, type Diagnostic } from '../engine/diagnostics';
import type { ResourceKind } from '../engine/types';
import { kindOf } from '../resources';
import type { DeclaredResource } from './load';

/** A declared resource that passed every check, with its kind and validator argv. */
export interface CheckedResource extends DeclaredResource {
  id: string;
  kind: ResourceKind;
  validate?: string[];
}

/**
 * Semantic checks after the schema: unique ids, known references, no cycles, absolute
 * paths, validators that need no shell, and each kind's own static check.
 */
export function checkResources(declared: DeclaredResource[], diagnostics: Diagnostic[]): CheckedResource[] {
  const byId = new Map<string, CheckedResource>();
  const checked: CheckedResource[] = [];
  for (const r of declared) {
    const id = r.data.id as string;
    const kind = kindOf(r.data.type as string)!;
    const err = (summary: string, hint: string | undefined, field?: string) =>
      diagnostics.push({ severity: 'error', summary, hint, resourceId: id, source: r.src.pos(field ? [...r.at, field] : r.at) });
    const first = byId.get(id);
    if (first) {
      err(`duplicate id '${id}': it is also declared at ${formatPos(first.src.pos([...first.at, 'id']))}`, 'give each resource its own id', 'id');
      continue;
    }
    const c: CheckedResource = { ...r, id, kind, validate: validatorArgv(r.data.validate, err) };
    checkPath(r.data.path, err);
    runKindCheck(kind, r.data, err);
    byId.set(id, c);
    checked.push(c);
  }
  checkReferences(checked, byId, diagnostics);
  checkCycles(checked, diagnostics);
  return checked;
}

type Report = (summary: string, hint: string | undefined, field?: string) => void;

function checkPath(p: unknown, err: Report): void {
  if (typeof p !== 'string') return;
  if (!path.isAbsolute(p)) err(`path '${p}' is not absolute`, 'write the full path from /, e.g. /etc/php/8.2/apache2/php.ini', 'path');
  else if (p.split('/').includes('..')) err(`path '${p}' contains '..'`, 'write the path without .. segments', 'path');
}

function runKindCheck(kind: ResourceKind, spec: Record<string, unknown>, err: Report): void {
  try {
    kind.check?.(spec);
  } catch (e) {
    if (!(e instanceof ResourceError)) throw e;
    const secrets = spec.sensitive === true ? [spec] : [];
    err(withoutSecrets(e.message, secrets), e.hint && withoutSecrets(e.hint, secrets), e.field);
  }
}

/** A validator as argv: a string is split like a shell would, but no shell runs it. */
function validatorArgv(v: unknown, err: Report): string[] | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v as string[];
  const parts = parseShell(v as string, (name) => `$${name}`);
  if (parts.some((p) => typeof p !== 'string')) {
    err('validate uses shell syntax (a pipe, redirect, glob or ;), but no shell runs it', "give a plain command such as 'php -l %s', or an argv list ['sh', '-c', '...']", 'validate');
    return undefined;
  }
  return parts as string[];
}

function checkReferences(checked: CheckedResource[], byId: Map<string, CheckedResource>, diagnostics: Diagnostic[]): void {
  for (const r of checked) {
    for (const field of ['requires', 'notify'] as const) {
      const ids = (r.data[field] as string[] | undefined) ?? [];
      ids.forEach((ref, i) => {
        const target = byId.get(ref);
        const at = { resourceId: r.id, source: r.src.pos([...r.at, field, i]) };
        if (!target) diagnostics.push({ severity: 'error', summary: `${field} names unknown id '${ref}'`, hint: closest(ref, [...byId.keys()]), ...at });
        else if (ref === r.id) diagnostics.push({ severity: 'error', summary: `${field} names the resource itself`, hint: `remove '${ref}' from ${field}`, ...at });
        else if (field === 'notify' && target.kind.scope !== 'action')
          diagnostics.push({ severity: 'error', summary: `notify names '${ref}', a ${target.kind.kind} resource, which has nothing to refresh`, hint: 'notify an exec or service resource, or use requires for ordering', ...at });
      });
    }
  }
}

function closest(name: string, known: string[]): string {
  const near = known.filter((k) => k.includes(name) || name.includes(k) || editDistance(k, name) <= 2);
  return near.length ? `did you mean ${near.map((n) => `'${n}'`).join(' or ')}?` : `known ids: ${known.join(', ')}`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** Ids each resource must come after: what it requires, and whoever notifies it. */
export function predecessors(checked: CheckedResource[]): Map<string, string[]> {
  const before = new Map<string, string[]>(checked.map((r) => [r.id, [...((r.data.requires as string[]) ?? [])]]));
  for (const r of checked) for (const n of (r.data.notify as string[]) ?? []) before.get(n)?.push(r.id);
  return before;
}

function checkCycles(checked: CheckedResource[], diagnostics: Diagnostic[]): void {
  const before = predecessors(checked);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done' || !before.has(id)) return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const p of before.get(id)!) {
      const cycle = visit(p);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const r of checked) {
    const cycle = visit(r.id);
    if (cycle) {
      const first = checked.find((c) => c.id === cycle[0])!;
      diagnostics.push({ severity: 'error', summary: `dependency cycle: ${cycle.reverse().join(' -> ')}`, hint: 'remove one requires or notify edge of the cycle', resourceId: first.id, source: first.src.pos(first.at) });
      return;
    }
  }
}
