import * as path from 'node:path';
import { ResourceError, type Diagnostic } from '../engine/diagnostics';
import { GLOB_CHARS, globInRoot } from '../engine/root';
import type { ResolvedResource } from '../engine/types';
import { predecessors, type CheckedResource } from './check';

/**
 * Orders resources (requires and notify edges, otherwise manifest order) and expands
 * glob paths under the root into one instance per matching path, in sorted order.
 */
export function resolveResources(checked: CheckedResource[], root: string, diagnostics: Diagnostic[]): ResolvedResource[] {
  const out: ResolvedResource[] = [];
  for (const r of orderResources(checked)) {
    for (const p of expandPath(r, root, diagnostics)) out.push(instance(r, p));
  }
  return withPurges(out, root, diagnostics);
}

/**
 * `purge: true` on a copied tree: every path under its directory that the tree does not
 * manage becomes an `ensure: absent` instance, deepest first (a directory after what is
 * in it), right after the tree's own instances.
 */
function withPurges(resources: ResolvedResource[], root: string, diagnostics: Diagnostic[]): ResolvedResource[] {
  // The copied trees' top directories that purge, by declared id: one pass, not one search per resource.
  const tops = new Map(resources.filter((r) => r.spec.purge === true && r.id.endsWith('[.]')).map((r) => [r.id.slice(0, -3), r]));
  if (tops.size === 0) return resources;
  const out: ResolvedResource[] = [];
  for (const [i, r] of resources.entries()) {
    out.push(r);
    const base = r.id.replace(/\[.*\]$/, '');
    const top = tops.get(base);
    const next = resources[i + 1];
    if (!top || (next !== undefined && next.id.replace(/\[.*\]$/, '') === base)) continue;
    const managed = new Set(resources.filter((x) => x.id.startsWith(`${base}[`)).map((x) => x.path));
    let found: string[];
    try {
      found = globInRoot(root, `${top.path}/**`);
    } catch (e) {
      if (!(e instanceof ResourceError)) throw e;
      diagnostics.push({ severity: 'error', summary: e.message, hint: e.hint, resourceId: top.id, source: top.source });
      continue;
    }
    for (const p of found.filter((f) => !managed.has(f)).sort().reverse()) {
      out.push({ ...top, id: `${base}[purge ${p.slice(top.path!.length + 1)}]`, spec: { ...top.spec, id: `${base}[purge]`, path: p, ensure: 'absent', force: true, mode: undefined, owner: undefined, group: undefined, purge: undefined }, path: p });
    }
  }
  return out;
}

function instance(r: CheckedResource, p: string | undefined): ResolvedResource {
  return {
    id: r.id,
    type: r.kind.kind,
    spec: { ...(r.data as ResolvedResource['spec']), ...(p === undefined ? {} : { path: p }) },
    path: p,
    requires: (r.data.requires as string[]) ?? [],
    notify: (r.data.notify as string[]) ?? [],
    validate: r.validate,
    sensitive: r.data.sensitive === true || (r.kind.scope === 'action' && r.kind.alwaysSensitive?.(r.data) === true),
    source: r.src.pos(r.at),
    manifestDir: path.dirname(r.src.file),
  };
}

function expandPath(r: CheckedResource, root: string, diagnostics: Diagnostic[]): (string | undefined)[] {
  const p = r.data.path as string | undefined;
  if (p === undefined || !GLOB_CHARS.test(p)) return [p];
  const at = r.src.pos([...r.at, 'path']);
  let matches: string[];
  try {
    matches = globInRoot(root, p);
  } catch (e) {
    if (!(e instanceof ResourceError)) throw e;
    diagnostics.push({ severity: 'error', summary: e.message, hint: e.hint, resourceId: r.id, source: at });
    return [];
  }
  if (matches.length === 0) {
    diagnostics.push({ severity: 'error', summary: `path glob '${p}' matches no file`, hint: 'fix the pattern, or write a plain path to create the file', resourceId: r.id, source: at });
  }
  return matches;
}

/** Topological order (Kahn) that keeps manifest order wherever the edges allow; cycles were reported already. */
function orderResources(checked: CheckedResource[]): CheckedResource[] {
  const index = new Map(checked.map((r, i) => [r.id, i]));
  const waitingOn = checked.map(() => 0);
  const after = checked.map((): number[] => []);
  for (const [id, preds] of predecessors(checked)) {
    const i = index.get(id)!;
    for (const p of preds) {
      waitingOn[i] += 1;
      after[index.get(p)!].push(i);
    }
  }
  const ready = new MinHeap();
  waitingOn.forEach((n, i) => n === 0 && ready.push(i));
  const out: CheckedResource[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    out.push(checked[i]);
    for (const j of after[i]) if (--waitingOn[j] === 0) ready.push(j);
  }
  return out;
}

/** The smallest manifest index first, so independent resources keep their written order. */
class MinHeap {
  private items: number[] = [];

  push(n: number): void {
    const a = this.items;
    a.push(n);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= a[i]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  pop(): number | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && a[l] < a[m]) m = l;
      if (r < a.length && a[r] < a[m]) m = r;
      if (m === i) break;
      [a[m], a[i]] = [a[i], a[m]];
      i = m;
    }
    return top;
  }
}
