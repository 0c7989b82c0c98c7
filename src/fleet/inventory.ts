import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../engine/diagnostics';

/**
 * Ansible inventories, unchanged: YAML (`all:` with `hosts`, `children`, `vars`) or INI
 * (`[web]`, `[web:vars]`, `[prod:children]`), plus `host_vars/NAME.yml` and
 * `group_vars/GROUP.yml` beside the inventory. A host's vars follow Ansible's
 * precedence: `all`, then parent groups before their children (by depth, then name),
 * then the host; within each, the inventory file before the *_vars file.
 */

export interface InventoryHost {
  name: string;
  /** Every group the host is in, directly or through children, without `all` and `ungrouped`. */
  groups: string[];
  vars: Record<string, unknown>;
}

interface GroupNode {
  hosts: Map<string, Record<string, unknown>>;
  children: Set<string>;
  vars: Record<string, unknown>;
}

export interface Inventory {
  /** Hosts in inventory order (first seen). */
  hosts: InventoryHost[];
  groups: Map<string, GroupNode>;
}

function group(groups: Map<string, GroupNode>, name: string): GroupNode {
  let g = groups.get(name);
  if (!g) groups.set(name, (g = { hosts: new Map(), children: new Set(), vars: {} }));
  return g;
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function readYamlGroups(data: unknown, groups: Map<string, GroupNode>, order: string[], file: string, diagnostics: Diagnostic[]): void {
  if (!isMapping(data)) {
    diagnostics.push({ severity: 'error', summary: `inventory ${file} is not a mapping of groups (all: ...)`, hint: 'start it with all: and list hosts: and children: under it, as Ansible does' });
    return;
  }
  const visit = (name: string, body: unknown) => {
    const g = group(groups, name);
    if (!isMapping(body)) return;
    if (isMapping(body.hosts)) {
      for (const [host, vars] of Object.entries(body.hosts)) {
        g.hosts.set(host, { ...(g.hosts.get(host) ?? {}), ...(isMapping(vars) ? vars : {}) });
        if (!order.includes(host)) order.push(host);
      }
    }
    if (isMapping(body.vars)) Object.assign(g.vars, body.vars);
    if (isMapping(body.children)) {
      for (const [child, childBody] of Object.entries(body.children)) {
        g.children.add(child);
        visit(child, childBody);
      }
    }
  };
  for (const [name, body] of Object.entries(data)) visit(name, body);
}

/** `key=value` pairs as Ansible's INI inventory reads them: quoted values kept whole, numbers and booleans typed. */
function iniVars(text: string): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const m of text.matchAll(/([A-Za-z_][\w]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S+)/g)) {
    const raw = m[2];
    vars[m[1]] = /^["']/.test(raw) ? raw.slice(1, -1) : /^-?\d+$/.test(raw) ? Number(raw) : /^(true|false)$/i.test(raw) ? raw.toLowerCase() === 'true' : raw;
  }
  return vars;
}

function readIniGroups(text: string, groups: Map<string, GroupNode>, order: string[], file: string, diagnostics: Diagnostic[]): void {
  let section = 'ungrouped';
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\s[;#].*$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([^\]:]+)(?::(vars|children))?\]$/.exec(line);
    if (header) {
      section = header[1];
      kind = (header[2] as 'vars' | 'children' | undefined) ?? 'hosts';
      group(groups, section);
      return;
    }
    if (line.startsWith('[')) {
      diagnostics.push({ severity: 'error', summary: `inventory ${file}:${i + 1}: '${line}' is not a group header`, hint: 'write [group], [group:vars] or [group:children]', source: { file, line: i + 1, column: 1 } });
      return;
    }
    if (kind === 'vars') Object.assign(group(groups, section).vars, iniVars(line));
    else if (kind === 'children') group(groups, section).children.add(line.split(/\s+/)[0]);
    else {
      const [host, ...rest] = line.split(/\s+/);
      const g = group(groups, section);
      g.hosts.set(host, { ...(g.hosts.get(host) ?? {}), ...iniVars(rest.join(' ')) });
      if (!order.includes(host)) order.push(host);
    }
  });
}

/** `host_vars/NAME.yml` or `group_vars/NAME.yml` (.yaml too) beside the inventory. */
function varsFile(dir: string, kind: 'host_vars' | 'group_vars', name: string, diagnostics: Diagnostic[]): Record<string, unknown> {
  for (const ext of ['.yml', '.yaml', '']) {
    const file = path.join(dir, kind, name + ext);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) continue;
    try {
      const data = (require('yaml') as typeof import('yaml')).parse(fs.readFileSync(file, 'utf8'));
      return isMapping(data) ? data : {};
    } catch (e) {
      diagnostics.push({ severity: 'error', summary: `${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`, hint: 'fix the vars file' });
    }
  }
  return {};
}

/** Every group containing `host` (through children too), with its depth below `all`. */
function groupsOf(groups: Map<string, GroupNode>, host: string): { name: string; depth: number }[] {
  const depth = new Map<string, number>([['all', 0]]);
  const queue = ['all'];
  while (queue.length > 0) {
    const name = queue.shift()!;
    for (const child of groups.get(name)?.children ?? []) {
      if (!depth.has(child)) {
        depth.set(child, depth.get(name)! + 1);
        queue.push(child);
      }
    }
  }
  const contains = (name: string, seen = new Set<string>()): boolean => {
    if (seen.has(name)) return false;
    seen.add(name);
    const g = groups.get(name);
    return !!g && (g.hosts.has(host) || [...g.children].some((c) => contains(c, seen)));
  };
  return [...groups.keys()]
    .filter((name) => name === 'all' || contains(name))
    .map((name) => ({ name, depth: depth.get(name) ?? 1 }))
    .sort((a, b) => a.depth - b.depth || (a.name < b.name ? -1 : 1));
}

export function loadInventory(file: string, diagnostics: Diagnostic[]): Inventory | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    diagnostics.push({ severity: 'error', summary: `cannot read inventory ${file}: ${(e as NodeJS.ErrnoException).code}`, hint: 'give an Ansible inventory file (YAML or INI) with -i' });
    return undefined;
  }
  const groups = new Map<string, GroupNode>();
  const order: string[] = [];
  group(groups, 'all');
  const before = diagnostics.length;
  const looksYaml = /\.ya?ml$/.test(file) || /^\s*all\s*:/m.test(text);
  if (looksYaml) {
    try {
      readYamlGroups((require('yaml') as typeof import('yaml')).parse(text), groups, order, file, diagnostics);
    } catch (e) {
      diagnostics.push({ severity: 'error', summary: `inventory ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`, hint: 'fix the inventory' });
    }
  } else readIniGroups(text, groups, order, file, diagnostics);
  if (diagnostics.length > before) return undefined;
  // Groups nobody lists as a child are children of all, as in Ansible.
  const listed = new Set([...groups.values()].flatMap((g) => [...g.children]));
  for (const name of groups.keys()) if (name !== 'all' && !listed.has(name)) group(groups, 'all').children.add(name);
  const dir = path.dirname(file);
  const hosts = order.map((name) => {
    const member = groupsOf(groups, name);
    const vars: Record<string, unknown> = {};
    for (const g of member) Object.assign(vars, groups.get(g.name)!.vars, varsFile(dir, 'group_vars', g.name, diagnostics));
    for (const g of member) Object.assign(vars, groups.get(g.name)!.hosts.get(name) ?? {});
    Object.assign(vars, varsFile(dir, 'host_vars', name, diagnostics));
    return { name, groups: member.map((g) => g.name).filter((g) => g !== 'all' && g !== 'ungrouped'), vars };
  });
  return diagnostics.length > before ? undefined : { hosts, groups };
}

function globToRegex(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/**
 * Ansible's `--limit`: terms split by `,` or `:`; a name, group, glob (`web*`) or `~regex`;
 * `&term` intersects, `!term` excludes. Hosts stay in inventory order.
 */
export function limitHosts(inventory: Inventory, pattern: string | undefined, diagnostics: Diagnostic[]): InventoryHost[] {
  if (pattern === undefined || pattern.trim() === '' || pattern === 'all') return inventory.hosts;
  const matchTerm = (term: string): Set<string> => {
    const named = inventory.hosts.filter((h) => h.name === term || h.groups.includes(term));
    if (named.length > 0 || term === 'all') return new Set((term === 'all' ? inventory.hosts : named).map((h) => h.name));
    const re = term.startsWith('~') ? new RegExp(term.slice(1)) : globToRegex(term);
    return new Set(inventory.hosts.filter((h) => re.test(h.name) || h.groups.some((g) => re.test(g))).map((h) => h.name));
  };
  const terms = pattern.split(/[,:]/).map((t) => t.trim()).filter(Boolean);
  const plain = terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'));
  let chosen = plain.length === 0 ? new Set(inventory.hosts.map((h) => h.name)) : new Set(plain.flatMap((t) => [...matchTerm(t)]));
  for (const t of terms.filter((x) => x.startsWith('&'))) chosen = new Set([...chosen].filter((h) => matchTerm(t.slice(1)).has(h)));
  for (const t of terms.filter((x) => x.startsWith('!'))) for (const h of matchTerm(t.slice(1))) chosen.delete(h);
  const hosts = inventory.hosts.filter((h) => chosen.has(h.name));
  if (hosts.length === 0) diagnostics.push({ severity: 'error', summary: `--limit ${pattern} matches no host of the inventory`, hint: `hosts: ${inventory.hosts.map((h) => h.name).join(', ')}; groups: ${[...inventory.groups.keys()].join(', ')}` });
  return hosts;
}
