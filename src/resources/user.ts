import { ResourceError } from '../engine/diagnostics';
import type { ActionKind, PlannedAction } from '../engine/types';
import { ACCOUNT_NAME, accountTool, readAccounts, type AccountFiles, type PasswdEntry } from './accounts';

export interface UserSpec {
  name: string;
  uid?: number;
  /** The primary group (name or gid). */
  group?: string | number;
  /** Supplementary groups: exactly these (Ansible's append: false). */
  groups?: string[];
  home?: string;
  shell?: string;
  comment?: string;
  system?: boolean;
  create_home?: boolean;
  /** A crypt(3) hash, as useradd -p takes it. Always sensitive. */
  password?: string;
  ensure?: 'present' | 'absent';
}

interface UserState {
  root: string;
  current?: PasswdEntry;
  /** Its supplementary groups now. */
  groups: string[];
  hash?: string;
  /** What the spec's group names resolve to, or why they cannot. */
  primaryGid?: number;
  missingGroups: string[];
  uidTakenBy?: string;
}

function resolveGroup(accounts: AccountFiles, group: string | number | undefined): number | undefined {
  if (group === undefined) return undefined;
  if (typeof group === 'number' || /^\d+$/.test(group)) return Number(group);
  return accounts.groups.get(group)?.gid;
}

/** What differs, as the reason says it and as usermod's arguments. */
function differences(spec: UserSpec, state: UserState): { said: string[]; args: string[] } {
  const cur = state.current!;
  const said: string[] = [];
  const args: string[] = [];
  const field = (wanted: string | number | undefined, now: string | number, flag: string, name: string) => {
    if (wanted === undefined || wanted === now) return;
    said.push(`${name} ${now === '' ? '(none)' : now} -> ${wanted}`);
    args.push(flag, String(wanted));
  };
  field(spec.uid, cur.uid, '--uid', 'uid');
  if (state.primaryGid !== undefined && state.primaryGid !== cur.gid) {
    said.push(`primary group ${cur.gid} -> ${spec.group}`);
    args.push('--gid', String(spec.group));
  }
  field(spec.home, cur.home, '--home', 'home');
  field(spec.shell, cur.shell, '--shell', 'shell');
  field(spec.comment, cur.comment, '--comment', 'comment');
  if (spec.groups !== undefined && [...spec.groups].sort().join(',') !== [...state.groups].sort().join(',')) {
    said.push(`groups [${state.groups.join(', ')}] -> [${spec.groups.join(', ')}]`);
    args.push('--groups', spec.groups.join(','));
  }
  if (spec.password !== undefined && spec.password !== state.hash) {
    said.push('password changes');
    args.push('--password', spec.password);
  }
  return { said, args };
}

function createArgs(spec: UserSpec): string[] {
  const opt = (flag: string, v: string | number | undefined) => (v === undefined ? [] : [flag, String(v)]);
  const home = spec.create_home ?? !spec.system;
  return [
    ...opt('--uid', spec.uid),
    ...opt('--gid', spec.group),
    ...(spec.groups && spec.groups.length > 0 ? ['--groups', spec.groups.join(',')] : []),
    ...opt('--home-dir', spec.home),
    ...opt('--shell', spec.shell),
    ...opt('--comment', spec.comment),
    ...opt('--password', spec.password),
    ...(spec.system ? ['--system'] : []),
    home ? '--create-home' : '--no-create-home',
    spec.name,
  ];
}

function planUser(spec: UserSpec, state: UserState): PlannedAction {
  const { current, root } = state;
  if (spec.ensure === 'absent') {
    if (!current) return { action: 'none', reason: `user ${spec.name} is already absent`, commands: [] };
    return { action: 'run', reason: `remove user ${spec.name} (uid ${current.uid}; the home directory stays)`, commands: [accountTool('userdel', root, [spec.name])] };
  }
  if (state.uidTakenBy) throw new ResourceError(`uid ${spec.uid} is already user ${state.uidTakenBy}'s`, 'choose a free uid, or manage that user instead', 'uid');
  // A group a resource of this run creates is not there yet when the plan reads: the order (requires) makes it so by then.
  const pending = state.missingGroups.length > 0 ? ` (group ${state.missingGroups.join(', ')} must exist by then: a group resource this user requires)` : '';
  if (!current) return { action: 'run', reason: `create user ${spec.name}${spec.uid === undefined ? '' : ` (uid ${spec.uid})`}${pending}`, commands: [accountTool('useradd', root, createArgs(spec))] };
  const { said, args } = differences(spec, state);
  if (said.length === 0) return { action: 'none', reason: `user ${spec.name} is present (uid ${current.uid}, ${current.shell})`, commands: [] };
  return { action: 'run', reason: `user ${spec.name}: ${said.join('; ')}${pending}`, commands: [accountTool('usermod', root, [...args, spec.name])] };
}

export const userKind: ActionKind<UserSpec, UserState> = {
  kind: 'user',
  scope: 'action',
  summary: 'A local user, made and changed with useradd/usermod/userdel (their --prefix under --root); a password hash is never shown',
  schema: {
    properties: {
      name: { type: 'string', pattern: ACCOUNT_NAME, description: 'The login name.' },
      uid: { type: 'integer', minimum: 0, description: 'Its numeric id. Unset: useradd picks one, and an existing user keeps its own.' },
      group: { type: ['string', 'integer'], description: 'The primary group, by name or gid (it must exist). Unset: useradd\'s default.' },
      groups: { type: 'array', items: { type: 'string' }, uniqueItems: true, description: 'Supplementary groups: exactly these ([] removes all). Unset: left as they are.' },
      home: { type: 'string', pattern: '^/', description: 'The home directory.' },
      shell: { type: 'string', pattern: '^/', description: 'The login shell (/usr/sbin/nologin for a service user).' },
      comment: { type: 'string', description: 'The GECOS field (a full name).' },
      system: { type: 'boolean', description: 'A system user: a uid from the system range, and no home made unless create_home.' },
      create_home: { type: 'boolean', description: 'Make the home directory when creating the user (default: yes, except for system users).' },
      password: { type: 'string', minLength: 1, description: 'A crypt(3) hash (mkpasswd -m sha-512), never a clear password. The resource is always sensitive: the hash is never shown or recorded.' },
      ensure: { enum: ['present', 'absent'], description: 'present (default) or absent (the home directory stays).' },
    },
    required: ['name'],
  },
  alwaysSensitive: (spec) => spec.password !== undefined,
  check(spec) {
    if (spec.password !== undefined && !/^(\$[0-9a-z]+\$|[!*])/.test(spec.password)) throw new ResourceError('password is not a crypt(3) hash: a clear password would be stored as the hash itself', "give a hash: mkpasswd -m sha-512 (it starts with $6$), or '!' to lock the account", 'password');
  },
  async read(spec, io) {
    const accounts = readAccounts(io);
    const current = accounts.users.get(spec.name);
    const groupsNow = [...accounts.groups.values()].filter((g) => g.members.includes(spec.name)).map((g) => g.name);
    const wantedGroups = [...(spec.groups ?? []), ...(spec.group === undefined || typeof spec.group === 'number' || /^\d+$/.test(spec.group) ? [] : [spec.group])];
    const taken = spec.uid === undefined ? undefined : [...accounts.users.values()].find((u) => u.uid === spec.uid && u.name !== spec.name);
    return {
      root: io.root,
      current,
      groups: groupsNow,
      hash: accounts.hashes?.get(spec.name),
      primaryGid: resolveGroup(accounts, spec.group),
      missingGroups: wantedGroups.filter((g) => !accounts.groups.has(g)),
      uidTakenBy: taken?.name,
    };
  },
  plan: (spec, state) => planUser(spec, state),
};
