import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResourceError } from './diagnostics';

const MAX_LINKS = 40;

/** The characters that make a managed path a glob. */
export const GLOB_CHARS = /[*?[\]{}]/;

/**
 * Maps a managed absolute path (as the manifest names it) to the host path under
 * `root`, following symbolic links with chroot semantics: an absolute link target is
 * taken inside the root, and nothing may climb above the root through `..` or a link.
 * `followLast: false` leaves a final symlink itself (for `ensure: link`).
 */
export function resolveInRoot(root: string, managedPath: string, followLast = true): string {
  const rootReal = fs.realpathSync(root);
  let pending = splitPath(managedPath, managedPath);
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') throw escapeError(managedPath, 'it climbs above the root with ..');
    const candidate = [...done, part];
    const host = path.join(rootReal, ...candidate);
    const isLast = pending.length === 0;
    const target = readLinkIfAny(host);
    if (target === undefined || (isLast && !followLast)) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new ResourceError(`too many symbolic links while resolving ${managedPath}`);
    const base = target.startsWith('/') ? [] : done.slice();
    const resolved = climb(base, splitPath(target, managedPath), managedPath, host, target);
    done.length = 0;
    pending = [...resolved, ...pending];
  }
  return path.join(rootReal, ...done);
}

/**
 * True when no part of `dir` is a symbolic link (checked without following any). Every
 * directory of a host path that resolveInRoot returned is real; one that became a link
 * since (swapped in between plan and apply) could lead a write out of the root.
 */
export function hasNoLink(dir: string): boolean {
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) if (readLinkIfAny(d) !== undefined) return false;
  return true;
}

/** Applies a link target's `..` segments to `base`, refusing to go above the root. */
function climb(base: string[], parts: string[], managedPath: string, host: string, target: string): string[] {
  const out = base.slice();
  for (const p of parts) {
    if (p !== '..') out.push(p);
    else if (out.length === 0) throw escapeError(managedPath, `the symbolic link ${host} -> ${target} points outside the root`);
    else out.pop();
  }
  return out;
}

function splitPath(p: string, managedPath: string): string[] {
  if (p.includes('\0')) throw new ResourceError(`path ${JSON.stringify(managedPath)} contains a NUL byte`);
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

function readLinkIfAny(host: string): string | undefined {
  try {
    return fs.readlinkSync(host);
  } catch {
    return undefined; // not a link, or does not exist yet
  }
}

function escapeError(managedPath: string, why: string): ResourceError {
  return new ResourceError(`path ${managedPath} leaves the root: ${why}`, 'remedy never reads or writes outside --root; fix the path or the link');
}

/** True when `p` is `dir` itself or a path below it (a name such as `..conf` is below; `..` is not). */
export function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** A command whose `cwd` (a managed path, like every path in a manifest) is resolved under the root. */
export function commandInRoot<C extends { cwd?: string }>(cmd: C, root: string): C {
  return cmd.cwd === undefined ? cmd : { ...cmd, cwd: resolveInRoot(root, cmd.cwd) };
}

/**
 * Expands a managed glob in the managed tree's view: the directories before the first
 * wildcard are resolved like any managed path (a link there is followed inside the root,
 * one leading out is refused), so the listing never reads a directory outside the root.
 * Links met below are not descended. Returns managed paths, sorted.
 */
export function globInRoot(root: string, pattern: string): string[] {
  const parts = pattern.split('/').filter((s) => s !== '');
  const firstWild = parts.findIndex((s) => GLOB_CHARS.test(s));
  const base = '/' + parts.slice(0, firstWild).join('/');
  const baseHost = resolveInRoot(root, base);
  // Loaded lazily: only manifests with globs pay for the glob library.
  const { globSync } = require('tinyglobby') as typeof import('tinyglobby');
  return globSync(parts.slice(firstWild).join('/'), { cwd: baseHost, dot: true, onlyFiles: false, followSymbolicLinks: false, expandDirectories: false })
    .map((m) => path.posix.join(base, m.replace(/\/$/, '')))
    .sort();
}
