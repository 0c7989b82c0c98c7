import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveInRoot } from '../engine/root';

/** What remedy knows about the managed system, for `${facts...}`, `when:` and templates. */
export interface Facts {
  hostname: string;
  fqdn: string;
  os: { id: string; version_id: string; codename: string; family: string; name: string };
  arch: string;
  cpus: number;
  memory_mb: number;
  ipv4: string[];
  /** External facts: `<root>/etc/remedy/facts.d/<name>.{json,yaml,yml}` or an executable printing JSON. */
  custom: Record<string, unknown>;
}

/** A problem with one external fact; the others are still read. */
export interface FactProblem {
  file: string;
  message: string;
}

/** os-release IDs (and ID_LIKE) -> the family, as Ansible's os_family groups them (lowercase). */
const FAMILIES: Record<string, string> = {
  debian: 'debian',
  ubuntu: 'debian',
  raspbian: 'debian',
  linuxmint: 'debian',
  rhel: 'rhel',
  centos: 'rhel',
  fedora: 'rhel',
  rocky: 'rhel',
  almalinux: 'rhel',
  ol: 'rhel',
  amzn: 'rhel',
  sles: 'suse',
  opensuse: 'suse',
  'opensuse-leap': 'suse',
  'opensuse-tumbleweed': 'suse',
  suse: 'suse',
  arch: 'arch',
  manjaro: 'arch',
  alpine: 'alpine',
  gentoo: 'gentoo',
};

const FACTS_DIR = '/etc/remedy/facts.d';
/** An external fact program gets this long; a hung one must not hang a cron run. */
const FACT_TIMEOUT_MS = 10_000;

/**
 * Facts of the managed tree (os-release, hostname, facts.d: read under `root`, so an image
 * or a simulated host reports its own) and of the running machine (cpus, memory,
 * addresses). The built-in set spawns no process.
 */
export function gatherFacts(root: string): { facts: Facts; problems: FactProblem[] } {
  const release = osRelease(root);
  const hostname = managedHostname(root);
  const problems: FactProblem[] = [];
  const facts: Facts = {
    hostname,
    fqdn: fqdnOf(root, hostname),
    os: {
      id: release.ID ?? 'linux',
      version_id: release.VERSION_ID ?? '',
      codename: release.VERSION_CODENAME ?? release.UBUNTU_CODENAME ?? '',
      family: familyOf(release),
      name: release.NAME ?? '',
    },
    arch: archOf(os.arch()),
    cpus: os.availableParallelism?.() ?? os.cpus().length,
    memory_mb: Math.round(os.totalmem() / (1024 * 1024)),
    ipv4: ipv4Addresses(),
    custom: externalFacts(root, problems, path.resolve(root) === '/'),
  };
  return { facts, problems };
}

function readManaged(root: string, file: string): string | undefined {
  try {
    return fs.readFileSync(resolveInRoot(root, file), 'utf8');
  } catch {
    return undefined;
  }
}

/** `/etc/os-release`, else `/usr/lib/os-release` (os-release(5)): KEY=value lines, values maybe quoted. */
function osRelease(root: string): Record<string, string> {
  const text = readManaged(root, '/etc/os-release') ?? readManaged(root, '/usr/lib/os-release') ?? '';
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2').replace(/\\(.)/g, '$1');
  }
  return out;
}

function familyOf(release: Record<string, string>): string {
  const ids = [release.ID, ...(release.ID_LIKE ?? '').split(/\s+/)].filter((x): x is string => Boolean(x));
  for (const id of ids) if (FAMILIES[id]) return FAMILIES[id];
  return ids[0] ?? 'unknown';
}

/** The managed tree's /etc/hostname; the running machine's name when the tree has none. */
function managedHostname(root: string): string {
  return (readManaged(root, '/etc/hostname') ?? '').trim().split(/\s+/)[0] || os.hostname();
}

/** The hostname's dotted name from /etc/hosts, else hostname + the resolv.conf domain, else the hostname. */
function fqdnOf(root: string, hostname: string): string {
  const short = hostname.split('.')[0];
  for (const line of (readManaged(root, '/etc/hosts') ?? '').split('\n')) {
    const names = line.replace(/#.*/, '').trim().split(/\s+/).slice(1);
    if (names.includes(short) || names.includes(hostname)) {
      const dotted = names.find((n) => n.includes('.') && n.split('.')[0] === short);
      if (dotted) return dotted;
    }
  }
  if (hostname.includes('.')) return hostname;
  const domain = /^\s*(?:domain|search)\s+(\S+)/m.exec(readManaged(root, '/etc/resolv.conf') ?? '')?.[1];
  return domain ? `${short}.${domain}` : hostname;
}

function archOf(nodeArch: string): string {
  return ({ x64: 'x86_64', arm64: 'aarch64', ia32: 'i386', arm: 'armv7l', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

function ipv4Addresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((addrs) => addrs ?? [])
    .filter((a) => a.family === 'IPv4' && !a.internal)
    .map((a) => a.address);
}

/**
 * Facter's and Ansible's facts.d: `<name>.json`, `<name>.yaml` or `<name>.yml` is data;
 * an executable file is run (no shell, 10 s) and prints JSON. Each becomes facts.custom.<name>.
 * Each file is resolved inside the root like a managed path (a link cannot lead out), and
 * programs run only when the root is `/`: under --root they would run on this machine.
 */
export function externalFacts(root: string, problems: FactProblem[], runPrograms: boolean): Record<string, unknown> {
  let names: string[];
  try {
    names = fs.readdirSync(resolveInRoot(root, FACTS_DIR)).sort();
  } catch {
    return {};
  }
  const custom: Record<string, unknown> = {};
  for (const name of names) {
    const shown = path.posix.join(FACTS_DIR, name);
    try {
      const file = resolveInRoot(root, shown);
      const st = fs.statSync(file);
      if (!st.isFile()) continue;
      const base = name.replace(/\.(json|ya?ml)$/, '');
      if (st.mode & 0o111) {
        if (!runPrograms) throw new Error('an executable fact is not run under --root (it would run on this machine, not in the tree)');
        custom[base] = parseFact(runFactProgram(file), 'JSON');
      } else if (name.endsWith('.json')) custom[base] = parseFact(fs.readFileSync(file, 'utf8'), 'JSON');
      else if (/\.ya?ml$/.test(name)) custom[base] = parseFact(fs.readFileSync(file, 'utf8'), 'YAML');
    } catch (e) {
      problems.push({ file: shown, message: (e as Error).message.split('\n')[0] });
    }
  }
  return custom;
}

/** Parse errors say only that: their usual text quotes the file, which may be anything a link pointed at. */
function parseFact(text: string, format: 'JSON' | 'YAML'): unknown {
  try {
    return format === 'JSON' ? JSON.parse(text) : (require('yaml') as typeof import('yaml')).parse(text);
  } catch {
    throw new Error(`it is not valid ${format}`);
  }
}

function runFactProgram(file: string): string {
  const run = spawnSync(file, [], { encoding: 'utf8', timeout: FACT_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  if (run.error) throw new Error(`could not run it: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`it exited with ${run.status ?? run.signal}: ${run.stderr.trim().split('\n')[0] ?? ''}`);
  return run.stdout;
}
