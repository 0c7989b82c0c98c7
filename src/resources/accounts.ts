import * as path from 'node:path';
import type { CommandSpec, ProbeIo } from '../engine/types';

/**
 * The account files of the managed tree, as the shadow tools (useradd, groupadd) keep
 * them: read to plan, never written by remedy itself. Changes go through the tools, so
 * nscd/sssd hooks run on `/`, and through their `--prefix` under --root.
 */

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface AccountFiles {
  root: string;
  users: Map<string, PasswdEntry>;
  groups: Map<string, GroupEntry>;
  /** name -> password hash, when /etc/shadow is readable. */
  hashes?: Map<string, string>;
}

function lines(text: string | undefined): string[][] {
  return (text ?? '')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export function readAccounts(io: ProbeIo): AccountFiles {
  const users = new Map<string, PasswdEntry>();
  for (const [name, , uid, gid, comment, home, shell] of lines(io.readText('/etc/passwd'))) users.set(name, { name, uid: Number(uid), gid: Number(gid), comment: comment ?? '', home: home ?? '', shell: shell ?? '' });
  const groups = new Map<string, GroupEntry>();
  for (const [name, , gid, members] of lines(io.readText('/etc/group'))) groups.set(name, { name, gid: Number(gid), members: members ? members.split(',').filter(Boolean) : [] });
  const shadow = io.readText('/etc/shadow');
  const hashes = shadow === undefined ? undefined : new Map(lines(shadow).map(([name, hash]) => [name, hash ?? '']));
  return { root: io.root, users, groups, hashes };
}

/** A shadow tool, told where the account files are when the managed tree is not `/`. */
export function accountTool(tool: string, root: string, args: string[]): CommandSpec {
  return { argv: [tool, ...(path.resolve(root) === '/' ? [] : ['--prefix', root]), ...args] };
}

/** A name the shadow tools accept (useradd's own rule, without its exceptions). */
export const ACCOUNT_NAME = '^[a-z_][a-z0-9_-]*\\$?$';
