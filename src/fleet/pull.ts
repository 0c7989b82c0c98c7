import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticsError, type Diagnostic } from '../engine/diagnostics';
import { loadInventory } from './inventory';

/**
 * `remedy pull REPO_URL`: ansible-pull's model, with git as the distribution engine. The
 * repository is cloned (then fetched) with the system git into the state dir, the tip of
 * the branch is checked out, and this host's manifest is planned there first: a commit
 * whose manifest does not load or plan is refused, the last good commit is checked out
 * again and nothing is written. `last.json` names the last commit applied and whether
 * that run converged (for --only-if-changed).
 */

export interface PullOptions {
  url: string;
  branch: string;
  manifest: string;
  inventory?: string;
  host: string;
  onlyIfChanged: boolean;
  verifyCommit: boolean;
  stateDir: string;
}

interface LastApplied {
  commit: string;
  converged: boolean;
  at: string;
}

export interface PullTarget {
  /** The checked-out manifest to run. */
  manifest: string;
  commit: string;
  /** This host as the repository's inventory has it (or just its name). */
  host: { name: string; groups: string[]; vars: Record<string, unknown> };
  /** Set when --only-if-changed has nothing to do: why. */
  skip?: string;
}

function git(args: string[], cwd?: string): { ok: boolean; out: string; err: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  if (r.error) throw new DiagnosticsError([{ severity: 'error', summary: `cannot run git: ${r.error.message}`, hint: 'install git (the pull model fetches the manifests with it)' }]);
  return { ok: r.status === 0, out: r.stdout.trim(), err: r.stderr.trim() };
}

function gitOrFail(args: string[], cwd: string | undefined, what: string): string {
  const r = git(args, cwd);
  if (!r.ok) throw new DiagnosticsError([{ severity: 'error', summary: `${what} failed: ${r.err.split('\n').pop()}`, hint: 'check the repository URL, the branch and that this host can reach it' }]);
  return r.out;
}

/** Where this repository lives in the state dir: one folder per URL. */
export function pullDir(stateDir: string, url: string): string {
  return path.join(stateDir, 'pull', createHash('sha256').update(url).digest('hex').slice(0, 16));
}

export function readLast(dir: string): LastApplied | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'last.json'), 'utf8')) as LastApplied;
  } catch {
    return undefined;
  }
}

export function writeLast(dir: string, last: LastApplied): void {
  const temp = path.join(dir, `.last.json.${process.pid}`);
  fs.writeFileSync(temp, JSON.stringify(last, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temp, path.join(dir, 'last.json'));
}

/** Clone or fetch, check out the branch's tip (verified when asked), and say what to run. */
export function checkout(opts: PullOptions): PullTarget {
  const dir = pullDir(opts.stateDir, opts.url);
  const repo = path.join(dir, 'repo');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(path.join(repo, '.git'))) gitOrFail(['clone', '--quiet', '--no-checkout', opts.url, repo], undefined, `git clone ${opts.url}`);
  gitOrFail(['fetch', '--quiet', 'origin', `+refs/heads/${opts.branch}:refs/remotes/origin/${opts.branch}`], repo, `git fetch ${opts.branch}`);
  const commit = gitOrFail(['rev-parse', `refs/remotes/origin/${opts.branch}`], repo, 'git rev-parse');
  const last = readLast(dir);
  if (opts.onlyIfChanged && last?.commit === commit && last.converged) return { manifest: '', commit, host: { name: opts.host, groups: [], vars: {} }, skip: `commit ${commit.slice(0, 12)} is the last one applied, and that run converged` };
  if (opts.verifyCommit) {
    const v = git(['verify-commit', commit], repo);
    if (!v.ok) throw new DiagnosticsError([{ severity: 'error', summary: `commit ${commit.slice(0, 12)} has no good signature: ${v.err.split('\n').pop() || 'unsigned'}`, hint: 'sign the commit with a key this host trusts (git verify-commit), or drop --verify-commit' }]);
  }
  gitOrFail(['checkout', '--quiet', '--force', '--detach', commit], repo, `git checkout ${commit.slice(0, 12)}`);
  gitOrFail(['clean', '--quiet', '-fdx'], repo, 'git clean');
  return { manifest: path.join(repo, opts.manifest), commit, host: hostOf(repo, opts) };
}

/** Puts the last good commit back in the working tree, after a commit was refused. */
export function restoreLastGood(opts: PullOptions): string | undefined {
  const dir = pullDir(opts.stateDir, opts.url);
  const last = readLast(dir);
  if (last) git(['checkout', '--quiet', '--force', '--detach', last.commit], path.join(dir, 'repo'));
  return last?.commit;
}

/** This host in the repository's inventory (by --host, default the hostname): its groups and vars for the run. */
function hostOf(repo: string, opts: PullOptions): PullTarget['host'] {
  if (opts.inventory === undefined) return { name: opts.host, groups: [], vars: {} };
  const diagnostics: Diagnostic[] = [];
  const inventory = loadInventory(path.join(repo, opts.inventory), diagnostics);
  if (!inventory) throw new DiagnosticsError(diagnostics);
  const host = inventory.hosts.find((h) => h.name === opts.host);
  if (!host) throw new DiagnosticsError([{ severity: 'error', summary: `host ${opts.host} is not in the repository's inventory ${opts.inventory}`, hint: `give --host NAME (the inventory has: ${inventory.hosts.map((h) => h.name).join(', ')}); the default is this machine's hostname` }]);
  return { name: host.name, groups: host.groups, vars: Object.fromEntries(Object.entries(host.vars).filter(([k]) => !k.startsWith('ansible_'))) };
}

export const defaultHost = () => os.hostname();
