import type { Diagnostic } from '../engine/diagnostics';
import type { CheckedResource } from './check';
import type { Skipped } from './expand';

/** The id a loop instance was declared with: `vhost[blog]` -> `vhost`. */
const declaredId = (id: string) => id.replace(/\[.*\]$/, '');

/**
 * `--only ID|TAG`: the resources named (by id, by the id of their loop, or by a tag), what
 * they require, transitively, and what they notify (a refresh they trigger still runs).
 * The others are left out and listed as such. A name that matches nothing is an error.
 */
export function selectOnly(resources: CheckedResource[], only: string[], diagnostics: Diagnostic[]): { kept: CheckedResource[]; left: Skipped[] } {
  if (only.length === 0) return { kept: resources, left: [] };
  const named = (r: CheckedResource, name: string) => r.id === name || declaredId(r.id) === name || ((r.data.tags as string[] | undefined) ?? []).includes(name);
  for (const name of only) {
    if (!resources.some((r) => named(r, name))) {
      const tags = [...new Set(resources.flatMap((r) => (r.data.tags as string[] | undefined) ?? []))].sort();
      diagnostics.push({ severity: 'error', summary: `--only ${name} names no resource id or tag`, hint: `ids: ${resources.map((r) => r.id).join(', ')}${tags.length ? `; tags: ${tags.join(', ')}` : ''}` });
    }
  }
  const byId = new Map(resources.map((r) => [r.id, r]));
  const chosen = new Set<string>();
  const take = (r: CheckedResource) => {
    if (chosen.has(r.id)) return;
    chosen.add(r.id);
    for (const ref of [...((r.data.requires as string[]) ?? []), ...((r.data.notify as string[]) ?? [])]) {
      const target = byId.get(ref);
      if (target) take(target);
    }
  };
  for (const r of resources) if (only.some((name) => named(r, name))) take(r);
  const left = resources
    .filter((r) => !chosen.has(r.id))
    .map((r) => ({ id: r.id, type: r.kind.kind, path: typeof r.data.path === 'string' ? r.data.path : undefined, reason: `left out by --only ${only.join(',')}`, src: r.src, at: r.at }));
  return { kept: resources.filter((r) => chosen.has(r.id)), left };
}
