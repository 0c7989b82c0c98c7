import * as path from 'node:path';
import { ResourceError } from '../engine/diagnostics';
import type { ActionKind, CommandSpec, PlannedAction, ProbeIo } from '../engine/types';

export interface PackageSpec {
  name: string | string[];
  /** present, absent, latest, or an exact version ("2.10-3"). */
  ensure?: string;
  update_cache?: boolean;
  install_recommends?: boolean;
}

interface PackageState {
  root: string;
  /** name -> installed version, for the names of this resource. */
  installed: Map<string, string>;
  /** name -> apt's candidate version, for the names that may be installed or upgraded. */
  candidates: Map<string, string>;
  /** Days since apt's package lists were updated, when more than one. */
  listsAgeDays?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };
const APT_OPTIONS = ['-q', '-y', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

/** Every installed package of the managed tree, one dpkg-query per run (shared by all package resources). */
const installedByRun = new WeakMap<ProbeIo, Promise<Map<string, string>>>();

function namesOf(spec: PackageSpec): string[] {
  return Array.isArray(spec.name) ? spec.name : [spec.name];
}

const ensureOf = (spec: PackageSpec) => spec.ensure ?? 'present';
const isVersion = (ensure: string) => !['present', 'absent', 'latest'].includes(ensure);

function installedPackages(io: ProbeIo): Promise<Map<string, string>> {
  let known = installedByRun.get(io);
  if (!known) {
    known = io.run({ argv: ['dpkg-query', `--admindir=${path.join(io.root, 'var/lib/dpkg')}`, '-W', '-f', '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n'] }).then((r) => {
      if (r.code === null || (r.code !== 0 && r.stdout === '')) throw new ResourceError(`dpkg-query could not read the package database: ${(r.stderr || 'not installed').trim().split('\n')[0]}`, 'the package kind manages Debian and Ubuntu packages (dpkg and apt); on other systems use exec for now');
      const map = new Map<string, string>();
      for (const line of r.stdout.split('\n')) {
        const [name, status, version] = line.split('\t');
        // "ii ": wanted install, installed; anything else (rc: removed, config left) is not installed.
        if (name && status?.startsWith('ii')) map.set(name.replace(/:.*$/, ''), version);
      }
      return map;
    });
    installedByRun.set(io, known);
  }
  return known;
}

/** apt's candidate version per name; a name apt does not know is missing from the map. */
async function candidateVersions(io: ProbeIo, names: string[]): Promise<Map<string, string>> {
  const candidates = new Map<string, string>();
  if (names.length === 0) return candidates;
  const status = path.resolve(io.root) === '/' ? [] : ['-o', `Dir::State::status=${path.join(io.root, 'var/lib/dpkg/status')}`];
  const r = await io.run({ argv: ['apt-cache', ...status, 'policy', ...names] });
  let current: string | undefined;
  for (const line of r.stdout.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) current = head[1].replace(/:.*$/, '');
    const candidate = /^\s+Candidate:\s+(\S+)/.exec(line);
    if (current && candidate && candidate[1] !== '(none)') candidates.set(current, candidate[1]);
  }
  return candidates;
}

function listsAge(io: ProbeIo): number | undefined {
  const stamp = io.mtime('/var/lib/apt/lists');
  if (stamp === undefined) return undefined;
  const days = Math.floor((Date.now() - stamp) / DAY_MS);
  return days >= 1 ? days : undefined;
}

function aptGet(args: string[]): CommandSpec {
  return { argv: ['apt-get', ...APT_OPTIONS, ...args], env: APT_ENV, timeoutMs: 30 * 60 * 1000 };
}

function planPackage(spec: PackageSpec, state: PackageState): PlannedAction {
  const ensure = ensureOf(spec);
  const names = namesOf(spec);
  const now = (n: string) => state.installed.get(n) ?? 'none';
  if (ensure === 'absent') {
    const present = names.filter((n) => state.installed.has(n));
    if (present.length === 0) return { action: 'none', reason: `${names.join(', ')}: not installed`, commands: [] };
    return { action: 'run', reason: `remove ${present.map((n) => `${n} ${now(n)}`).join(', ')}`, commands: [aptGet(['remove', ...present])] };
  }
  const unknown = names.filter((n) => !state.installed.has(n) && !state.candidates.has(n) && !isVersion(ensure));
  if (unknown.length > 0) throw new ResourceError(`package ${unknown.join(', ')} is not known to apt (no candidate version)`, 'check the name (apt-cache search NAME), or set update_cache: true when the package lists are stale', 'name');
  const target = (n: string) => (isVersion(ensure) ? ensure : ensure === 'latest' ? (state.candidates.get(n) ?? now(n)) : (state.installed.get(n) ?? state.candidates.get(n)!));
  const changing = names.filter((n) => state.installed.get(n) !== target(n));
  const stale = state.listsAgeDays === undefined ? '' : ` (apt's package lists are ${state.listsAgeDays} day(s) old${spec.update_cache ? '' : '; update_cache: true refreshes them'})`;
  if (changing.length === 0) return { action: 'none', reason: `${names.map((n) => `${n} ${now(n)}`).join(', ')} installed${stale}`, commands: [] };
  if (path.resolve(state.root) !== '/') throw new ResourceError(`installing packages under --root ${state.root} is not supported: apt and the maintainer scripts would run on this machine`, 'plan the tree to see what is missing; install packages when the system runs (or build the image with its own tools)', 'name');
  const args = ['install', ...(spec.install_recommends ? [] : ['--no-install-recommends']), ...changing.map((n) => (isVersion(ensure) ? `${n}=${ensure}` : n))];
  const commands = [...(spec.update_cache ? [aptGet(['update'])] : []), aptGet(args)];
  return { action: 'run', reason: `install ${changing.map((n) => `${n} (${now(n)} -> ${target(n)})`).join(', ')}${stale}`, commands };
}

export const packageKind: ActionKind<PackageSpec, PackageState> = {
  kind: 'package',
  scope: 'action',
  summary: 'Debian/Ubuntu packages: installed, removed, latest or an exact version, with dpkg-query and apt-get',
  schema: {
    properties: {
      name: {
        description: 'A package name, or a list installed by one apt-get call.',
        oneOf: [
          { type: 'string', pattern: '^[a-z0-9][a-z0-9+.-]+$' },
          { type: 'array', items: { type: 'string', pattern: '^[a-z0-9][a-z0-9+.-]+$' }, minItems: 1, uniqueItems: true },
        ],
      },
      ensure: { type: 'string', minLength: 1, description: 'present (default), absent, latest, or an exact version ("2.10-3").' },
      update_cache: { type: 'boolean', description: 'Run apt-get update before installing (only when something is installed). The plan never updates the lists.' },
      install_recommends: { type: 'boolean', description: 'Also install recommended packages (default: no, --no-install-recommends).' },
    },
    required: ['name'],
  },
  async read(spec, io) {
    const installed = await installedPackages(io);
    const names = namesOf(spec);
    const ensure = ensureOf(spec);
    // apt-cache is only asked about what may be installed or upgraded: a converged run costs one dpkg-query.
    const ask = ensure === 'absent' || isVersion(ensure) ? [] : names.filter((n) => ensure === 'latest' || !installed.has(n));
    return {
      root: io.root,
      installed: new Map(names.filter((n) => installed.has(n)).map((n) => [n, installed.get(n)!])),
      candidates: await candidateVersions(io, ask),
      listsAgeDays: ask.length > 0 ? listsAge(io) : undefined,
    };
  },
  plan: (spec, state) => planPackage(spec, state),
};
